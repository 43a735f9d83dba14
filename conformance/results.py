"""Results files: every verdict of a run, as data a compatibility matrix, a lint or a CI job reads.

``pytest --results PATH`` and ``mimo-conformance check --results PATH`` write the same document
(``schemas/results.schema.json``): the run (kind, target, mode, date, suite version, command) and
one record per verdict (an exchange or a streamed/plain pair), with the test that made it, its
target, server, dialect, protocol, endpoint, model, feature, mode, status, verdict, every finding
(check, severity, basis, source, location, message, the known deviation that covers it) and the
known-deviation entries it selected (``expected``) and satisfied (``covered``). Under xdist each
worker's records travel in its test reports to the controller, which writes the file once,
atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Iterable

import pytest

from . import __version__
from .files import write_atomically
from .verdict import Judged, Verdict

__all__ = ["FORMAT", "FEATURES", "feature_of", "record", "document", "write", "load"]

FORMAT = "mimo-conformance-results/1"
# The rows of the matrix: a case file's feature, or what a test of the suite exercises.
FEATURES = ("basic", "streaming", "tools", "thinking", "json_mode", "media", "speech", "web_search", "errors",
            "parameter_ranges", "auth", "sdk")
_CASE_FEATURES = {"limits": "parameter_ranges", "parameters": "parameter_ranges", "multimodal": "media"}
_PROPERTY = "errors"
_PROPERTY_FEATURES = {"test_values_at_each_documented_bound_are_accepted": "parameter_ranges",
                      "test_valid_requests_are_answered_and_conform": "parameter_ranges",
                      "test_each_broken_rule_is_refused_with_400": _PROPERTY}
RECORD_PROPERTY = "mimo_conformance_verdicts"


def feature_of(test: str | None, source: str = "") -> str:
    """The matrix row of a verdict: the case file's feature, or the kind of test that made it."""
    name = (test or "").split("::")[-1]
    if "[" in name and name.split("[")[0] in ("test_case", "test_stream_matches_plain"):
        parts = name.split("[", 1)[1].split(".")
        feature = parts[2] if len(parts) > 2 else "basic"
        return _CASE_FEATURES.get(feature, feature)
    if name.split("[")[0] in _PROPERTY_FEATURES:
        return _PROPERTY_FEATURES[name.split("[")[0]]
    if "sdk_lane" in (test or ""):
        return "sdk"
    return "errors" if "/errors" in source else "basic"


def record(v: Verdict, *, target: str | None, server: str | None, dialect: str | None, outcome: str | None = None,
           cassette: str | None = None) -> dict[str, Any]:
    """One verdict as a results record."""
    first = v.exchanges[0]
    model = first.model or first.request.json.get("model")
    mode = "pair" if len(v.exchanges) == 2 else "stream" if first.streamed else "plain"
    return {
        "test": v.test, "source": v.source or None, "cassette": cassette, "outcome": outcome,
        "target": target, "server": server, "dialect": dialect,
        "protocol": first.protocol, "endpoint": first.endpoint, "model": model if isinstance(model, str) else None,
        "feature": feature_of(v.test, v.source), "mode": mode,
        "status": "/".join(str(ex.status) for ex in v.exchanges), "verdict": v.verdict,
        "when": first.when.isoformat() if first.when else None,
        "findings": [_finding(j) for j in v.judged],
        "expected": sorted({d.label for d in v.expected}), "covered": sorted({d.label for d in v.covered}),
    }


def _finding(j: Judged) -> dict[str, Any]:
    f, entry = j.finding, j.deviation
    return {"check": f.check, "severity": f.severity, "basis": f.basis, "source": f.source, "location": f.location,
            "message": f.message, "known": None if entry is None else {"label": entry.label, "reason": entry.reason}}


def document(kind: str, records: Iterable[dict[str, Any]], **run: Any) -> dict[str, Any]:
    """The results file: the run, then its records in a stable order."""
    ordered = sorted(records, key=lambda r: (r.get("test") or "", r.get("source") or "", r["mode"], r["status"]))
    return {"format": FORMAT, "run": {"kind": kind, "suite_version": __version__,
                                      "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      "command": " ".join(sys.argv), **run},
            "records": ordered}


def write(path: str | Path, doc: dict[str, Any]) -> None:
    """Write a results file atomically."""
    write_atomically(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def load(path: str | Path) -> dict[str, Any]:
    """A results file, checked against its schema; ValueError names the file and the problem."""
    from .schemas import errors

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the results file: {exc.strerror}") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    problems = errors("results.schema.json", doc)
    if problems:
        raise ValueError(f"{path}: {problems[0]} (the format is schemas/results.schema.json)")
    return doc


# --- in pytest --------------------------------------------------------------------------------

_COLLECTED = pytest.StashKey["_Collector"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("mimo-conformance").addoption(
        "--results", default=None, metavar="PATH",
        help="write every verdict of the run to PATH (schemas/results.schema.json), for `mimo-conformance report`")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_COLLECTED] = _Collector()
    config.pluginmanager.register(config.stash[_COLLECTED], "mimo-conformance-results")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if call.when == "call" and item.config.getoption("--results"):
        from .known import verdicts_of
        from .plugin import TARGET_KEY

        target = item.config.stash[TARGET_KEY]
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        if getattr(report, "mimo_suite_error", False):
            outcome = "error"
        records = [record(v, target=target.name, server=target.server, dialect=target.dialect, outcome=outcome,
                          cassette=_cassette(item)) for v in verdicts_of(item)]
        if records:
            report.user_properties.append((RECORD_PROPERTY, json.dumps(records, ensure_ascii=False)))
    return report


def _cassette(item: pytest.Item) -> str | None:
    """The cassette path of a test that sends, relative to the working directory when it lies below it."""
    if "transport" not in getattr(item, "fixturenames", ()):
        return None
    from .plugin import TARGET_KEY

    root = Path(item.config.getoption("--cassette-dir")) / item.config.stash[TARGET_KEY].cassette_root
    path = root / Path(str(item.path)).stem / f"{item.name}.json"
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


class _Collector:
    """Gathers every test's records (in the xdist controller, the workers' reports), once, with the call phase."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.records.extend(r for k, v in report.user_properties if k == RECORD_PROPERTY for r in json.loads(v))


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    path = config.getoption("--results")
    if path and not hasattr(config, "workerinput"):
        from .plugin import TARGET_KEY, network_mode

        target = config.stash[TARGET_KEY]
        write(path, document("pytest", config.stash[_COLLECTED].records, target=target.name, server=target.server,
                             dialect=target.dialect, mode=network_mode(config), models=list(target.models)))
