"""Known deviations in pytest: the ``judge`` fixture, strict xfails, and XPASS for entries gone stale.

A test hands every exchange to ``judge.failing(...)`` and fails on what comes back: the findings of
the failing severities (the target's ``severity_fails``, or ``--fail-on``) that no entry of the
target's deviation table covers, as :func:`conformance.verdict.judge` decides. After a test that
passed, the judge settles: an entry that selected one of the test's exchanges, whose check ran
there and found nothing, fails the test as XPASS(strict) naming the entry to delete, when the table
is strict (the target's own server); a lenient table (``--openai-base-url``: another server that
speaks the target's dialect) only reports it. Otherwise, when a failing finding was covered, the
test raises :class:`KnownDeviation` and is reported xfail with the entries' reasons. Judging happens
after the test body, not inside it, so a Hypothesis test is never shrunk over a known deviation.
A check that crashes is the suite's error: the test is reported as an ERROR, never as a finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import pytest

from . import deviations, verdict
from .checks import Finding
from .deviations import Deviation, DeviationError, Table
from .exchange import Exchange
from .failures import SuiteError
from .plugin import TARGET_KEY, overridden
from .targets import TargetError, get as get_target
from .verdict import Verdict

__all__ = ["KnownDeviation", "StaleDeviation", "Judge", "settle", "judge", "judge_for", "running_judge", "verdicts_of"]


class KnownDeviation(pytest.xfail.Exception):
    """Raised after a test whose failing findings are all known deviations; pytest reports an xfail."""


class StaleDeviation(AssertionError):
    """Raised after a test an entry selects that showed no finding of its check: a strict XPASS."""


class Judge:
    """One test's verdicts for one target: its table and failing severities applied to each exchange."""

    def __init__(self, table: Table, fails: tuple[str, ...], test: str) -> None:
        self.table, self.fails, self.test = table, fails, test
        self.verdicts: list[Verdict] = []

    def failing(self, *exchanges: Exchange, extra: Iterable[Finding] = (), extra_ran: Iterable[str] = ()) -> list[str]:
        """The failing findings of every applicable check (pair checks for two exchanges) no entry covers."""
        found = verdict.of(*exchanges, table=self.table, fails=self.fails, test=self.test, extra=extra,
                           extra_ran=extra_ran)
        return self._keep(found)

    def failing_of(self, findings: Iterable[Finding], exchanges: tuple[Exchange, ...], ran: set[str]) -> list[str]:
        """Judge ``findings`` of the checks ``ran``; return the uncovered failing ones."""
        return self._keep(verdict.judge(findings, exchanges, table=self.table, fails=self.fails, ran=ran, test=self.test))

    def _keep(self, found: Verdict) -> list[str]:
        self.verdicts.append(found)
        return [str(j.finding) for j in found.failing]

    @property
    def known(self) -> dict[Deviation, Finding]:
        """Each entry that covered a failing finding, with the first such finding."""
        out: dict[Deviation, Finding] = {}
        for v in self.verdicts:
            for j in v.known:
                out.setdefault(j.deviation, j.finding)
        return out

    def stale(self) -> list[Deviation]:
        """The entries that selected an exchange their check ran on, and covered nothing in the whole test."""
        covered = {d for v in self.verdicts for d in v.covered}
        return list(dict.fromkeys(d for v in self.verdicts for d in v.expected if d not in covered))


def settle(judges: Iterable[Judge]) -> list[Deviation]:
    """Raise StaleDeviation for a stale entry of a strict table, else KnownDeviation when a failing finding was known.

    Returns the stale entries of lenient tables, which are reported and fail nothing.
    """
    judges = list(judges)
    strict = list(dict.fromkeys(d for j in judges if j.table.strict for d in j.stale()))
    if strict:
        raise StaleDeviation("\n".join(map(_stale, strict)))
    lenient = list(dict.fromkeys(d for j in judges if not j.table.strict for d in j.stale()))
    known = list(dict.fromkeys(d for j in judges for d in j.known))
    if known:
        raise KnownDeviation("; ".join(f"known deviation {d.label} [{d.check}]: {d.reason}" for d in known))
    return lenient


def _stale(entry: Deviation) -> str:
    selector = ", ".join(f"{k}={v!r}" for k, v in entry.selector) or "every exchange"
    return (f"[XPASS(strict)] {entry.label} ({entry.check}; {selector}) selects this test, but the check found "
            f"nothing here: the deviation is gone, delete that entry")


TABLES = pytest.StashKey[dict[str, Table]]()
JUDGES = pytest.StashKey[dict[str, Judge]]()  # per test item: target name -> its judge
QUIET = pytest.StashKey[dict[str, list[str]]]()  # per run: lenient entries that did not fire -> test ids
_running: list[pytest.Item] = []  # the item in its call phase (one at a time in a pytest process)


def table_for(config: pytest.Config, name: str) -> Table:
    """The deviation table of target ``name``: ``--deviations`` for the run's target, else deviations/<name>.json.

    For the run's target pointed at other base URLs, the table is lenient: it describes the target's
    own server, and another server that speaks its dialect may deviate less.
    """
    tables = config.stash.setdefault(TABLES, {})
    if name not in tables:
        run_target = config.stash[TARGET_KEY]
        override = config.getoption("--deviations")
        if override and name == run_target.name:  # the option replaces the run target's table only
            table = deviations.load(Path(override), name)
        else:
            table = deviations.for_target(name)
        tables[name] = table.lenient() if name == run_target.name and overridden(config) else table
    return tables[name]


def fails_for(config: pytest.Config, name: str) -> tuple[str, ...]:
    """The failing severities for target ``name``: ``--fail-on`` over the profile's ``severity_fails``."""
    run_target = config.stash[TARGET_KEY]
    if name == run_target.name:
        return run_target.severity_fails  # the plugin applied --fail-on already
    if config.getoption("--fail-on"):
        from .checks import parse_severities

        return parse_severities(config.getoption("--fail-on"))
    path = config.getoption("--targets-file")
    try:
        return get_target(name, *([Path(path)] if path else [])).severity_fails
    except TargetError:
        return ("contract", "compat")  # a recording of a target no longer defined: the contract still holds


def judge_for(item: pytest.Item, name: str) -> Judge:
    """The judge of ``item`` for target ``name``'s table and severities (one per target), settled after the test."""
    judges = item.stash.setdefault(JUDGES, {})
    if name not in judges:
        judges[name] = Judge(table_for(item.config, name), fails_for(item.config, name), item.nodeid)
    return judges[name]


def verdicts_of(item: pytest.Item) -> list[Verdict]:
    """Every verdict the test's judges reached, for reports (results files, Allure)."""
    return [v for j in item.stash.get(JUDGES, {}).values() for v in j.verdicts]


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
    for entry in settle(item.stash.get(JUDGES, {}).values()):
        item.config.stash.setdefault(QUIET, {}).setdefault(entry.label, []).append(item.nodeid)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(StaleDeviation):
        report.longrepr = str(call.excinfo.value)  # the entry to delete, not a traceback through the hook
    elif call.excinfo is not None and call.excinfo.errisinstance(SuiteError):
        report.mimo_suite_error = True  # reported as an ERROR: the suite failed, not the server
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if getattr(report, "mimo_suite_error", False) and report.when == "call":
        return "error", "E", "ERROR (suite)"
    return None


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    quiet = config.stash.get(QUIET, {})
    if quiet:
        terminalreporter.write_line(
            f"mimo-conformance: {len(quiet)} known-deviation entr{'y' if len(quiet) == 1 else 'ies'} of the target's "
            "own server did not fire against this one (another server speaking the dialect; reported, not failed):",
            yellow=True)
        for label, tests in sorted(quiet.items()):
            terminalreporter.write_line(f"  {label}: silent in {len(tests)} test(s), e.g. {tests[0]}")
