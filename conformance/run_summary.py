"""What a pytest run says besides pass and fail: failure messages led by check ids, and coverage per target.

A conformance test that fails on findings gets a crash message made of its failing findings, one
``[check-id] location: message`` line each, so the JUnit XML ``message`` attribute, the ``-ra``
summary line and any CI view that shows one line name the broken checks first (the traceback stays
in the report's body). At the end of the run one line per target says how much of the documented
surface the run's exchanges covered (:mod:`conformance.coverage`): under xdist each worker hands
the ids it covered to the controller through ``workeroutput``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest

from . import coverage
from .verdict import Verdict

__all__ = ["MAX_LINES", "crash_message", "Tally"]

# Loaded with -p before conftest.py registers conformance.plugin and .known: importing them here would
# keep pytest from rewriting their asserts (a warning, so an error), so they are imported in the hooks.

MAX_LINES = 20  # a crash message names at most this many findings, then says how many more
_WORKER_KEY = "mimo_conformance_coverage"


def crash_message(verdicts: Iterable[Verdict]) -> str | None:
    """The failing findings of ``verdicts``, one ``[check-id] location: message`` line each; None when there is none."""
    lines = list(dict.fromkeys(str(j.finding) for v in verdicts for j in v.failing))
    if not lines:
        return None
    more = [f"… and {len(lines) - MAX_LINES} more failing finding(s)"] if len(lines) > MAX_LINES else []
    return "\n".join(lines[:MAX_LINES] + more)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if call.when == "call":
        judged = _judged(item)
        _tally(item.config).add(judged)
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash_message(v for _, v in judged) if report.failed and crash is not None else None
        if message is not None and call.excinfo is not None and call.excinfo.errisinstance(AssertionError):
            crash.message = message  # the traceback (report.longrepr) is left as it was
    return report


def _judged(item: pytest.Item) -> list[tuple[str, Verdict]]:
    from .known import JUDGES

    return [(target, v) for target, judge in item.stash.get(JUDGES, {}).items() for v in judge.verdicts]


# --- coverage ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """The item ids covered per target, the model ids seen and the exchanges counted."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    models: dict[str, set[str]] = field(default_factory=dict)
    exchanges: dict[str, int] = field(default_factory=dict)
    dialects: dict[str, set[str]] = field(default_factory=dict)

    def add(self, judged: list[tuple[str, Verdict]]) -> None:
        """Count every exchange of the verdicts once, for its target."""
        seen: set[int] = set()
        for target, v in judged:
            for exchange in v.exchanges:
                if id(exchange) not in seen:
                    seen.add(id(exchange))
                    self.ids.setdefault(target, set()).update(coverage.covered_by(exchange))
                    self.models.setdefault(target, set()).add(str(exchange.request.json.get("model")))
                    self.dialects.setdefault(target, set()).add(exchange.dialect)
                    self.exchanges[target] = self.exchanges.get(target, 0) + 1

    def as_json(self) -> dict[str, Any]:
        """The tally as plain data, for a worker's ``workeroutput``."""
        return {t: {"ids": sorted(ids), "models": sorted(self.models.get(t, ())), "exchanges": self.exchanges.get(t, 0),
                    "dialects": sorted(self.dialects.get(t, ()))} for t, ids in self.ids.items()}

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's tally."""
        for target, part in data.items():
            self.ids.setdefault(target, set()).update(part["ids"])
            self.models.setdefault(target, set()).update(part["models"])
            self.dialects.setdefault(target, set()).update(part.get("dialects", ()))
            self.exchanges[target] = self.exchanges.get(target, 0) + part["exchanges"]

    def coverages(self) -> list[coverage.Coverage]:
        """Each target's coverage (per-model bounds for its profile's models)."""
        out = []
        for target in sorted(self.ids):
            items = coverage.surface(coverage.models_for(target, self.models.get(target, ())),
                                     coverage.dialect_for(target, self.dialects.get(target, ())))
            covered = frozenset(self.ids[target] & {str(i) for i in items})
            out.append(coverage.Coverage(target, items, covered, self.exchanges.get(target, 0)))
        return out


_TALLY = pytest.StashKey[Tally]()


def _tally(config: pytest.Config) -> Tally:
    return config.stash.setdefault(_TALLY, Tally())


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_KEY] = _tally(session.config).as_json()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _tally(node.config).merge(getattr(node, "workeroutput", {}).get(_WORKER_KEY, {}))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for found in _tally(config).coverages():
        terminalreporter.write_line(f"mimo-conformance coverage: {coverage.summary_line(found)}")
