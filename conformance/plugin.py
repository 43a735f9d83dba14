"""The pytest plugin: target options, the shared transport, cassette policy, the reference server."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Iterator

import pytest

from . import __version__, cassettes, checks, hints
from .targets import Target, TargetError, get as get_target
from .transport import RetryPolicy, Timeouts, Transport

__all__ = ["pytest_addoption", "pytest_configure", "overridden", "NOT_APPLICABLE"]

ROOT = Path(__file__).resolve().parent.parent
CASSETTE_DIR = ROOT / "cassettes"
REPLAY_KEY = "sk-replay-no-key-needed"  # sent in replay; never reaches a server
REPLAY_URLS = {"openai": "http://replay.invalid/v1", "anthropic": "http://replay.invalid/anthropic"}


def replay_urls(dialect: str) -> dict[str, str]:
    """Base URLs that reach nothing, at the dialect's paths (a cassette matches on the path)."""
    from . import dialects

    speaks = dialects.get(dialect)
    return {p: f"http://replay.invalid{speaks.path(p)}" for p in speaks.protocols}

# known deviations (judge, xfails, stale entries); --results; the probe and the unavailability limit
pytest_plugins = ["conformance.known", "conformance.results", "conformance.reach"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimo-conformance", "MiMo conformance: which target to test and how")
    group.addoption("--target", default=os.environ.get("MIMO_TARGET", "reference"),
                    help="target profile from schemas/targets.json (default: reference, or $MIMO_TARGET)")
    group.addoption("--targets-file", default=None, help="a targets file of your own instead of schemas/targets.json")
    group.addoption("--openai-base-url", default=None, help="override the profile's OpenAI-protocol base URL")
    group.addoption("--anthropic-base-url", default=None, help="override the profile's Anthropic-protocol base URL")
    group.addoption("--model", action="append", default=None, help="model id to test (repeatable; default: the profile's)")
    group.addoption("--live", action="store_true", default=False,
                    help="talk to the target for real and record nothing (no cassettes at all)")
    group.addoption("--cassette-dir", default=str(CASSETTE_DIR),
                    help="root folder of the cassettes (default: cassettes/ of this repository)")
    group.addoption("--connect-timeout", type=float, default=10.0, help="seconds to connect (default 10)")
    group.addoption("--first-byte-timeout", type=float, default=120.0,
                    help="seconds to wait for the response head (default 120)")
    group.addoption("--idle-timeout", type=float, default=60.0,
                    help="seconds to wait between two reads of a body, e.g. between stream events (default 60)")
    group.addoption("--retries", type=int, default=3,
                    help="retries on 408, 409, 429, 5xx and connection errors, with backoff (default 3)")
    group.addoption("--no-rate-limit", action="store_true", default=False,
                    help="do not pace requests by the models' documented rpm/tpm (your account's limits may be higher)")
    group.addoption("--fail-on", default=None, metavar="SEVERITIES",
                    help="severities that fail a test, e.g. contract,compat (default: the profile's severity_fails)")
    group.addoption("--deviations", default=None, metavar="PATH",
                    help="the target's known-deviation table (default: deviations/<target>.json)")
    group.addoption("--reference-fault", action="append", default=[], metavar="NAME",
                    help="with --target reference --live: the reference server makes this defect on purpose "
                         "(repeatable; `mimo-conformance serve --list-faults` names them), to see the suite catch it")
    group.addoption("--reference-wording", default="reference", choices=("reference", "paraphrase"),
                    help="with --target reference --live: paraphrase makes the reference server a second server that "
                         "words every answer its own way (default reference)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "network: the test sends requests to the target (replayed offline)")
    selecting(config, {"--targets-file": None, "--openai-base-url": None, "--anthropic-base-url": None,
                       "--model": None, "--cassette-dir": str(CASSETTE_DIR)})
    if config.getoption("--live"):
        config.option.disable_recording = True
    mode = network_mode(config)
    if mode == "replay":
        config.option.block_network = True
    target = _resolve_target(config)
    config.stash[TARGET_KEY] = target
    _check_reference_options(config, target, mode)
    if mode != "replay" and target.base_urls == {}:
        raise pytest.UsageError(f"--target {target.name}: its documents name no host ({target.description}); "
                                "pass --openai-base-url (and --anthropic-base-url) to say where it answers")
    if mode != "replay" and not target.local and not target.key():
        raise pytest.UsageError(
            f"--target {target.name} talks to {target.base_urls['openai']} ({mode}), which needs an API key: "
            f"set ${target.key_env}. To replay the recorded cassettes offline instead, drop --live/--record-mode."
        )


TARGET_KEY = pytest.StashKey[Target]()


def _check_reference_options(config: pytest.Config, target: Target, mode: str) -> None:
    """--reference-fault and --reference-wording shape the reference server the suite starts: refuse them elsewhere."""
    faults, wording = config.getoption("--reference-fault"), config.getoption("--reference-wording")
    if (faults or wording != "reference") and not (target.local and mode == "live"):
        raise pytest.UsageError("--reference-fault and --reference-wording change the reference server the suite "
                                "starts: use them with --target reference --live")
    from .server.faults import FAULTS

    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise pytest.UsageError(f"--reference-fault: unknown fault {unknown[0]!r}; `mimo-conformance serve --list-faults` "
                                "names them")


def network_mode(config: pytest.Config) -> str:
    """``replay`` (cassettes only, the default), ``record`` (cassettes written) or ``live`` (none)."""
    if config.getoption("--live"):
        return "live"
    return "record" if (config.getoption("--record-mode") or "none") != "none" else "replay"


def overridden(config: pytest.Config) -> bool:
    """The run points a profile at other base URLs: another server that speaks the profile's dialect."""
    return bool(config.getoption("--openai-base-url") or config.getoption("--anthropic-base-url"))


def _resolve_target(config: pytest.Config) -> Target:
    try:
        path = config.getoption("--targets-file")
        target = get_target(config.getoption("--target"), *([Path(path)] if path else []))
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    urls = {"openai": config.getoption("--openai-base-url"), "anthropic": config.getoption("--anthropic-base-url")}
    if any(urls.values()):
        base = dict(target.base_urls or replay_urls(target.dialect))
        base.update({k: v for k, v in urls.items() if v})
        # Another server speaking this dialect: its recordings are its own, never the profile's server's.
        target = Target(**{**target.__dict__, "base_urls": base, "server": _server_of(base)})
    models = config.getoption("--model")
    target = Target(**{**target.__dict__, "models": tuple(models)}) if models else target
    _check_models(target, "--model" if models else f"{path or 'schemas/targets.json'}: target {target.name}")
    return _with_fail_on(target, config.getoption("--fail-on"))


def _check_models(target: Target, source: str) -> None:
    """Every model of the run is in schemas/models.json or is the target's dialect's own id for one of them:
    the suite needs its documented limits and capabilities."""
    from . import dialects, models

    known = [m.id for m in models.all_models()]
    known += [m for m in dialects.get(target.dialect).models if m not in known]
    unknown = [m for m in target.models if m not in known]
    if unknown:
        raise pytest.UsageError(f"{source}: unknown model {unknown[0]!r}; use one of {', '.join(known)}, or add it "
                                "to schemas/models.json with its limits and capabilities")


def _server_of(base_urls: dict[str, str]) -> str:
    """A cassette folder name for a server known only by its base URLs: ``host-<hostname>``."""
    import re
    import urllib.parse

    hosts = sorted({urllib.parse.urlsplit(u).hostname or "unknown" for u in base_urls.values()})
    return "host-" + re.sub(r"[^A-Za-z0-9.-]+", "_", "+".join(hosts))


def _with_fail_on(target: Target, fail_on: str | None) -> Target:
    # --fail-on overrides the profile's severity_fails for this run.
    if not fail_on:
        return target
    try:
        return Target(**{**target.__dict__, "severity_fails": checks.parse_severities(fail_on)})
    except ValueError as exc:
        raise pytest.UsageError(f"--fail-on: {exc}") from None


def pytest_report_header(config: pytest.Config) -> str:
    target = config.stash[TARGET_KEY]
    return (f"mimo-conformance {__version__}: target {target.name} ({target.server}/{target.dialect}), "
            f"mode {network_mode(config)}, models {', '.join(target.models)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that sends (it asks for `transport`) gets a cassette: one per test, offline by default.
    for item in items:
        if "transport" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.vcr)
            item.add_marker(pytest.mark.network)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report, exc, target = outcome.get_result(), call.excinfo and call.excinfo.value, item.config.stash[TARGET_KEY]
    if call.excinfo is not None and call.excinfo.typename == "CannotOverwriteExistingCassetteException":
        # A new cassette records with "once"; a new request in an old one needs the test re-recorded.
        mode = "once" if exc.reason == "cassette_not_found" else "rewrite"
        report.longrepr = hints.missing_recording(item.nodeid, str(exc), _record_command(item, mode), target)
    elif isinstance(exc, cassettes.CassetteError):
        report.longrepr = hints.unreadable_cassette(exc.path, exc.cause, _record_command(item, "once"), target)


def _record_command(item: pytest.Item, mode: str) -> str:
    """The command that records ``item`` again with the options that selected it."""
    config = item.config
    chosen = [(name, config.getoption(name)) for name, default in config.stash[SELECTING].items()
              if config.getoption(name) not in (None, [], default)]
    return hints.record_command(config.stash[TARGET_KEY], chosen, item.nodeid, mode)


SELECTING = pytest.StashKey[dict]()  # option -> default: the options that decide which tests exist and where they record


def selecting(config: pytest.Config, options: dict[str, object]) -> None:
    """Name options (with their defaults) that a record command must repeat to select the same test."""
    config.stash.setdefault(SELECTING, {}).update(options)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    transport = config.stash.get(TRANSPORT_KEY, None)
    if transport is not None and network_mode(config) != "replay":
        from .reach import probes_sent  # a plugin module: imported by pytest first, for assertion rewriting

        target = config.stash[TARGET_KEY]
        terminalreporter.write_line(f"mimo-conformance: {transport.sent + probes_sent(config)} requests sent to "
                                    f"{target.name} for {len(target.models)} model(s), retries and probes included")
    _skipped_cases(terminalreporter, config)
    _not_applicable(terminalreporter, config)


CASE_RUNNER = "tests/test_cases.py::"


def _skipped_cases(terminalreporter, config: pytest.Config) -> None:
    """One line per model and reason for the cases the run did not generate, when the case runner ran."""
    reports = (r for kind in ("passed", "failed", "xfailed", "skipped", "error") for r in terminalreporter.stats.get(kind, []))
    if not any(getattr(r, "nodeid", "").startswith(CASE_RUNNER) for r in reports):
        return
    from . import cases

    target = config.stash[TARGET_KEY]
    groups: dict[str | None, dict[str, int]] = {}
    for s in cases.skipped(target.models, server=target.server, dialect=target.dialect):
        reasons = groups.setdefault(s.model, {})
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    for model, reasons in sorted(groups.items(), key=lambda kv: kv[0] or ""):
        who = f"model {model}" if model else f"target {target.name} (server {target.server})"
        why = "; ".join(f"{reason} ({n})" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
        terminalreporter.write_line(f"mimo-conformance: {sum(reasons.values())} cases skipped for {who}: {why}")


NOT_APPLICABLE = "n/a: "  # the start of a skip reason that says a test does not apply to this target


def _not_applicable(terminalreporter, config: pytest.Config) -> None:
    """One line per reason the run's tests were not applicable to its target, with how many."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith(NOT_APPLICABLE):
            reasons[reason] = reasons.get(reason, 0) + 1
    target = config.stash[TARGET_KEY]
    for reason, n in sorted(reasons.items()):
        terminalreporter.write_line(f"mimo-conformance: {n} test(s) not applicable to {target.name}: "
                                    f"{reason.removeprefix(NOT_APPLICABLE)}")


def pytest_recording_configure(config: pytest.Config, vcr) -> None:
    vcr.register_matcher("json_body", cassettes.json_body_matcher)
    vcr.register_persister(cassettes.AtomicPersister)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The target profile this run tests, with command-line overrides applied."""
    return pytestconfig.stash[TARGET_KEY]


@pytest.fixture(scope="session")
def reference_faults(pytestconfig: pytest.Config) -> tuple[str, ...]:
    """Names of conformance.server.faults the reference server injects: ``--reference-fault``, none by default."""
    return tuple(pytestconfig.getoption("--reference-fault"))


@pytest.fixture(scope="session")
def reference_server(target: Target, pytestconfig: pytest.Config,
                     reference_faults: tuple[str, ...]) -> Iterator[dict[str, str] | None]:
    """Base URLs of the reference server, started on 127.0.0.1 when a local target needs the network."""
    if not target.local or network_mode(pytestconfig) == "replay":
        yield None
        return
    from .server import serve_in_thread

    wording = pytestconfig.getoption("--reference-wording")
    with serve_in_thread(key=_reference_key(target), faults=reference_faults, wording=wording,
                         dialect=target.dialect) as server:
        yield server.base_urls


def _reference_key(target: Target) -> str:
    key = target.key()
    if key is None:
        key = f"sk-ref-{secrets.token_hex(12)}"
        os.environ[target.key_env] = key  # the transport reads the same variable
    return key


@pytest.fixture(scope="session")
def transport(target: Target, reference_server: dict[str, str] | None, pytestconfig: pytest.Config) -> Iterator[Transport]:
    """The one HTTP transport of the session, pointed at the target (or at nothing, in replay)."""
    from .reach import Unavailability  # a plugin module: imported by pytest first, for assertion rewriting

    mode = network_mode(pytestconfig)
    if mode == "replay":
        urls, key = dict(target.base_urls or replay_urls(target.dialect)), REPLAY_KEY
    else:
        urls, key = reference_server or dict(target.base_urls), target.key()
    t = Transport(urls, key, auth=target.auth, timeouts=timeouts(pytestconfig),
                  retry=RetryPolicy(attempts=1 + pytestconfig.getoption("--retries")),
                  sleep=(lambda _: None) if mode == "replay" else time.sleep,  # a replayed retry needs no wait
                  before_send=None if mode == "replay" or target.local or pytestconfig.getoption("--no-rate-limit")
                  else _rate_limit(target),
                  # Scenarios are request headers only the suite's own reference server reads: never sent elsewhere.
                  dialect=target.dialect, scenarios=target.server == "reference")
    pytestconfig.stash[TRANSPORT_KEY] = t
    yield Unavailability(t, cache={} if mode == "live" else None,
                         limit=pytestconfig.getoption("--unavailable-limit"), target=target.name)
    t.close()


TRANSPORT_KEY = pytest.StashKey[Transport]()


def _rate_limit(target: Target):
    from . import models
    from .ratelimit import RateLimit, default_path

    limits = [models.get(m).rate_limits for m in target.models if models.get(m).data.get("rate_limits")]
    if not limits:
        return None
    return RateLimit(default_path(target.name), requests=min(x["rpm"] for x in limits), tokens=min(x["tpm"] for x in limits))


def timeouts(config: pytest.Config) -> Timeouts:
    """The run's connect, first-byte and idle timeouts."""
    return Timeouts(config.getoption("--connect-timeout"), config.getoption("--first-byte-timeout"),
                    config.getoption("--idle-timeout"))


@pytest.fixture(scope="session")
def vcr_config(target: Target, pytestconfig: pytest.Config) -> dict:
    """vcrpy settings: JSON cassettes, match on method, path and canonical JSON body, no keys kept."""
    # A server on this machine (started by the suite or by conformance.llama_server) listens on a
    # port that varies between runs: drop it, so re-recording does not rewrite every URI.
    config = cassettes.vcr_config(local_server=target.local or target.on_loopback)
    if pytestconfig.getoption("--record-mode") == "rewrite":
        config["drop_unused_requests"] = True  # with record mode "all": see record_mode below
    return config


@pytest.fixture(scope="session")
def record_mode(pytestconfig: pytest.Config) -> str:
    """The vcrpy record mode; ``rewrite`` becomes vcrpy's ``all`` with unused requests dropped."""
    # pytest-recording's "rewrite" deletes the old cassette before the test runs, so an interrupted
    # re-recording would lose it; "all" replaces it only when the test ends, through AtomicPersister.
    mode = pytestconfig.getoption("--record-mode") or "none"
    return "all" if mode == "rewrite" else mode


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest, target: Target) -> str:
    """``cassettes/<server>/<dialect>/<test module>``: the server actually recorded is in the path."""
    module = Path(str(request.node.fspath)).stem
    return str(Path(request.config.getoption("--cassette-dir")) / target.cassette_root / module)


@pytest.fixture(autouse=True)
def _cassette_metadata(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> None:
    """Stamp what was recorded (server, dialect, suite version) into each cassette written."""
    if "transport" not in request.fixturenames or network_mode(pytestconfig) != "record":
        return
    cassette = request.getfixturevalue("vcr")
    target = pytestconfig.stash[TARGET_KEY]
    cassette.get_metadata("recorded_from", {
        "target": target.name, "server": target.server, "dialect": target.dialect,
        "suite_version": __version__,
        "note": "a recording of the server named here, not of the live MiMo API" if target.local else "",
        **target.recorded_from,
    })
