"""Known deviations in pytest: the ``judge`` fixture, strict xfails, and XPASS for entries gone stale.

A test hands every exchange to ``judge.failing(...)`` and fails on what comes back: the findings of
the failing severities (the target's ``severity_fails``, or ``--fail-on``) that no entry of the
target's deviation table covers. After a test that passed, the judge settles: an entry that selected
one of the test's exchanges, whose check ran there and found nothing, fails the test as
XPASS(strict) naming the entry to delete; otherwise, when a failing finding was covered, the test
raises :class:`KnownDeviation` and is reported xfail with the entries' reasons. Judging happens
after the test body, not inside it, so a Hypothesis test is never shrunk over a known deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import pytest

from . import checks, deviations
from .checks import Finding
from .deviations import Deviation, DeviationError, Table
from .exchange import Exchange
from .plugin import TARGET_KEY
from .targets import TargetError, get as get_target

__all__ = ["KnownDeviation", "StaleDeviation", "Judge", "settle", "judge", "judge_for", "running_judge"]


class KnownDeviation(pytest.xfail.Exception):
    """Raised after a test whose failing findings are all known deviations; pytest reports an xfail."""


class StaleDeviation(AssertionError):
    """Raised after a test an entry selects that showed no finding of its check: a strict XPASS."""


class Judge:
    """One test's findings, split by the failing severities and one target's known deviations."""

    def __init__(self, table: Table, fails: tuple[str, ...], test: str) -> None:
        self.table, self.fails, self.test = table, fails, test
        self.known: dict[Deviation, Finding] = {}  # entry -> the first failing finding it covered
        self.expected: dict[Deviation, None] = {}  # entries that selected an exchange their check ran on
        self.covered: set[Deviation] = set()

    def failing(self, *exchanges: Exchange) -> list[str]:
        """The failing findings of every applicable check (pair checks for two exchanges) no entry covers."""
        run = checks.run if len(exchanges) == 1 else checks.run_pair
        return self.failing_of(run(*exchanges), exchanges, {c.id for c in checks.applicable(*exchanges)})

    def failing_of(self, findings: Iterable[Finding], exchanges: tuple[Exchange, ...], ran: set[str]) -> list[str]:
        """Record what ``findings`` of the checks ``ran`` cover; return the uncovered failing ones."""
        self.expected.update(dict.fromkeys(self.table.expected(ran, exchanges, self.test)))
        uncovered = []
        for judged in deviations.judge(findings, exchanges, self.table, self.test):
            entry, finding = judged.deviation, judged.finding
            self.covered.update(self.table.satisfied(finding, exchanges, self.test))  # overlapping entries too
            if finding.severity in self.fails and entry is None:
                uncovered.append(str(finding))
            elif finding.severity in self.fails:
                self.known.setdefault(entry, finding)
        return uncovered

    def stale(self) -> list[Deviation]:
        """The entries that selected an exchange their check ran on, and covered nothing."""
        return [d for d in self.expected if d not in self.covered]


def settle(judges: Iterable[Judge]) -> None:
    """Raise StaleDeviation for any stale entry, else KnownDeviation when a failing finding was known."""
    judges = list(judges)
    stale = list(dict.fromkeys(d for j in judges for d in j.stale()))
    if stale:
        raise StaleDeviation("\n".join(map(_stale, stale)))
    known = list(dict.fromkeys(d for j in judges for d in j.known))
    if known:
        raise KnownDeviation("; ".join(f"known deviation {d.label} [{d.check}]: {d.reason}" for d in known))


def _stale(entry: Deviation) -> str:
    selector = ", ".join(f"{k}={v!r}" for k, v in entry.selector) or "every exchange"
    return (f"[XPASS(strict)] {entry.label} ({entry.check}; {selector}) selects this test, but the check found "
            f"nothing here: the deviation is gone, delete that entry")


TABLES = pytest.StashKey[dict[str, Table]]()
JUDGES = pytest.StashKey[dict[str, Judge]]()  # per test item: target name -> its judge
_running: list[pytest.Item] = []  # the item in its call phase (one at a time in a pytest process)


def table_for(config: pytest.Config, name: str) -> Table:
    """The deviation table of target ``name``: ``--deviations`` for the run's target, else deviations/<name>.json."""
    tables = config.stash.setdefault(TABLES, {})
    if name not in tables:
        override = config.getoption("--deviations")
        if override and name == config.stash[TARGET_KEY].name:  # the option replaces the run target's table only
            tables[name] = deviations.load(Path(override), name)
        else:
            tables[name] = deviations.for_target(name)
    return tables[name]


def fails_for(config: pytest.Config, name: str) -> tuple[str, ...]:
    """The failing severities for target ``name``: ``--fail-on`` over the profile's ``severity_fails``."""
    run_target = config.stash[TARGET_KEY]
    if name == run_target.name:
        return run_target.severity_fails  # the plugin applied --fail-on already
    if config.getoption("--fail-on"):
        return checks.parse_severities(config.getoption("--fail-on"))
    path = config.getoption("--targets-file")
    try:
        return get_target(name, *([Path(path)] if path else [])).severity_fails
    except TargetError:
        return ("contract",)  # a recording of a target no longer defined: the contract still holds


def judge_for(item: pytest.Item, name: str) -> Judge:
    """The judge of ``item`` for target ``name``'s table and severities (one per target), settled after the test."""
    judges = item.stash.setdefault(JUDGES, {})
    if name not in judges:
        judges[name] = Judge(table_for(item.config, name), fails_for(item.config, name), item.nodeid)
    return judges[name]


def running_judge() -> Judge:
    """The run target's judge of the test running now, for a helper that cannot ask for the fixture."""
    if not _running:
        raise RuntimeError("running_judge() is called outside a test's call phase")
    item = _running[-1]
    return judge_for(item, item.config.stash[TARGET_KEY].name)


@pytest.fixture
def judge(request: pytest.FixtureRequest) -> Judge:
    """Judges this test's findings by the target's failing severities and known deviations."""
    return judge_for(request.node, request.config.stash[TARGET_KEY].name)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        table_for(config, config.stash[TARGET_KEY].name)  # a broken table stops the run before any test
    except DeviationError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    _running.append(item)
    try:
        result = yield  # a test that failed on its own raises here, and its judges stay unsettled
    finally:
        _running.pop()
    settle(item.stash.get(JUDGES, {}).values())
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(StaleDeviation):
        report.longrepr = str(call.excinfo.value)  # the entry to delete, not a traceback through the hook
    return report
