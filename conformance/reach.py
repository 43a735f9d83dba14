"""Reaching the target: a probe before the first test that sends, and a run that stops asking a target that stopped answering.

Live and recording runs (never replay) probe each base URL once per process (each xdist worker
probes for itself) before the first test that sends (:mod:`conformance.probe`); a target that is
not there, not an API or refuses the key ends the run at once with one line, exit status 4, as a
usage error would. An exchange the target never answered (retries ran out on overload, rate
limiting or a dead connection) is reported apart, as an ``UNAVAILABLE`` skip, never as
non-conformance; after ``--unavailable-limit`` such exchanges in a row, the remaining tests that send
are skipped without sending. A run with unavailable tests fails (exit status 1) unless
``--allow-unavailable``: a CI gate must not go green on a target it did not reach.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from . import cassettes, models
from .probe import probe
from .transport import RetryPolicy, Transport

__all__ = ["TargetUnavailable", "TargetDown", "Unavailability", "pytest_addoption"]

PROBE_FAILED = "mimo_probe_failed"  # the key of a worker's probe failure in its xdist workeroutput
_PROBE = pytest.StashKey["str | None"]()
_PROBES_SENT = pytest.StashKey[int]()
_TALLY = pytest.StashKey["_Tally"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mimo-conformance")
    group.addoption("--unavailable-limit", type=int, default=5, metavar="N",
                    help="after N exchanges in a row the target never answered, skip the remaining tests that send "
                         "without sending (default 5; 0: never)")
    group.addoption("--allow-unavailable", action="store_true", default=False, dest="allow_unavailable",
                    help="a run with tests the target never answered (UNAVAILABLE skips) passes; by default it fails")
    group.addoption("--fail-on-unavailable", action="store_false", dest="allow_unavailable",
                    help="the default, kept so that older command lines work: unavailable tests fail the run")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--unavailable-limit") < 0:
        raise pytest.UsageError("--unavailable-limit must be 0 (never stop) or more")
    config.stash[_TALLY] = tally = _Tally(config)
    config.pluginmanager.register(tally, "mimo-conformance-reach")


class TargetUnavailable(Exception):
    """The target stayed overloaded, rate-limited or unreachable through every retry."""


class TargetDown(TargetUnavailable):
    """Not sent: the target was unavailable for the limit's number of exchanges in a row."""


class Unavailability:
    """The session transport, raising TargetUnavailable instead of returning an unavailable exchange.

    After ``limit`` unavailable exchanges in a row (0: no limit) it sends nothing more and raises
    TargetDown. In a live run it also answers a request it has already sent from memory, so the
    stream/plain comparisons and the cases that share a request cost no second call (cassettes
    need their own).
    """

    def __init__(self, transport: Transport, cache: dict | None = None, *, limit: int = 0, target: str = "") -> None:
        self._transport, self._cache = transport, cache
        self._limit, self._target, self._streak, self.down = limit, target, 0, None

    def __getattr__(self, name: str):
        return getattr(self._transport, name)

    def send(self, protocol, body, *, fresh: bool = False, unavailable_ok: bool = False, **kwargs):
        """Send as the transport does; an exchange the target never really answered raises.

        ``fresh`` sends even a request already answered in this run (evals repeat items on purpose);
        ``unavailable_ok`` returns an unavailable exchange to be judged (a case that asks for a 429 or
        503 on purpose), without counting it against the target.
        """
        if self.down:
            raise TargetDown(self.down)
        kwargs.setdefault("auth", None)
        kwargs["auth"] = kwargs["auth"] or self._transport.auth  # the same request, however it was asked for
        key = (protocol, cassettes.canonical_body(body if isinstance(body, bytes) else json.dumps(body)), tuple(sorted(kwargs.items())))
        if self._cache is not None and key in self._cache and not fresh:
            return self._cache[key]
        exchange = self._transport.send(protocol, body, **kwargs)
        if exchange.unavailable and unavailable_ok:
            return exchange
        if exchange.unavailable:
            raise TargetUnavailable(self._count_unavailable(exchange))
        self._streak = 0
        if self._cache is not None:
            self._cache[key] = exchange
        return exchange

    def _count_unavailable(self, exchange: Any) -> str:
        """The failure's description; past the limit, the target is marked down."""
        self._streak += 1
        what = (f"status {exchange.status or 'none'} after {exchange.attempts} tries"
                f"{': ' + exchange.error if exchange.error else ''}")
        if self._limit and self._streak >= self._limit:
            self.down = f"not sent: {self._target} was unavailable for {self._streak} exchanges in a row (the last: {what})"
        return what


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    # Before the first test that sends: a failed probe ends the run without running (or reporting) it.
    if item.get_closest_marker("network") is None:
        return None
    failed = _probed(item.config)
    if failed is None:
        return None
    item.session.shouldstop = failed
    if hasattr(item.config, "workeroutput"):
        item.config.workeroutput[PROBE_FAILED] = failed  # for the controller's exit status
    return True


def _probed(config: pytest.Config) -> str | None:
    """The probe's verdict for this process, probing on the first call."""
    if _PROBE not in config.stash:
        config.stash[_PROBE] = config.stash[_TALLY].probe_failed = _probe(config)
    return config.stash[_PROBE]


def _probe(config: pytest.Config) -> str | None:
    """Probe each base URL a model of the target serves; the first problem, or None."""
    from .plugin import TARGET_KEY, network_mode, timeouts  # the plugin imports this module

    target = config.stash[TARGET_KEY]
    if network_mode(config) == "replay" or target.local:
        return None  # nothing is sent, or the suite starts the server itself
    transport = Transport(dict(target.base_urls), target.key(), auth=target.auth, timeouts=timeouts(config),
                          retry=RetryPolicy(attempts=1))
    try:
        for protocol in target.base_urls:
            served = [m for m in target.models if models.get(m).serves(protocol)]
            found = served and probe(transport, protocol, served[0], target.key_env)
            if found:
                return f"mimo-conformance: stopped before the first test: {found}"
        return None
    finally:
        config.stash[_PROBES_SENT] = transport.sent
        transport.close()


def probes_sent(config: pytest.Config) -> int:
    """Requests the probe sent in this process."""
    return config.stash.get(_PROBES_SENT, 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    if call.excinfo is not None and call.excinfo.errisinstance(TargetUnavailable):
        _skip_unavailable(item, outcome.get_result(), call.excinfo.value)


def _skip_unavailable(item: pytest.Item, report: pytest.TestReport, exc: TargetUnavailable) -> None:
    # Unavailability is not non-conformance: a skip whose reason starts with UNAVAILABLE. The ones
    # never sent share one location, so that -ra folds them into one line.
    report.outcome = "skipped"
    if isinstance(exc, TargetDown):
        report.longrepr = (__file__, 0, f"UNAVAILABLE: {exc}")
    else:
        report.longrepr = (str(item.path), item.location[1] or 0, f"UNAVAILABLE: target unavailable: {exc}")


class _Tally:
    """Counts the unavailable tests from the reports (under xdist, in the controller too) and sets the exit status."""

    def __init__(self, config: pytest.Config) -> None:
        self.config, self.probe_failed = config, None
        self.unavailable, self.not_sent = 0, 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        reason = report.longrepr[2] if report.skipped and isinstance(report.longrepr, tuple) else ""
        if reason.startswith("UNAVAILABLE"):
            self.unavailable += 1
            self.not_sent += reason.startswith("UNAVAILABLE: not sent")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.probe_failed = self.probe_failed or getattr(node, "workeroutput", {}).get(PROBE_FAILED)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # A failed probe is a usage error (4: nothing was tested); unavailable tests fail the run (1).
        if self.probe_failed:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        elif self.unavailable and not self.config.getoption("allow_unavailable") and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.unavailable:
            return
        target = self.config.stash[_target_key()].name
        stopped = (f"; after {self.config.getoption('--unavailable-limit')} in a row, {self.not_sent} were not sent"
                   if self.not_sent else "")
        verdict = ("the run passes, as --allow-unavailable asks" if self.config.getoption("allow_unavailable")
                   else "the run fails (--allow-unavailable lets it pass)")
        terminalreporter.write_line(f"mimo-conformance: {self.unavailable} tests got no answer from {target} "
                                    f"(UNAVAILABLE, not non-conformance){stopped}; {verdict}", yellow=True)


def _target_key():
    from .plugin import TARGET_KEY

    return TARGET_KEY
