"""Whether an exchange passes: its findings, by severity, less what known deviations cover.

The one place that decides it. pytest (``conformance.known``), ``mimo-conformance check``
(``conformance.report``), the mutation table (``conformance.mutation``) and the results files all
ask :func:`judge`. A finding *fails* when its severity is one the target fails on and no entry of
the target's known-deviation table covers it; it is *known* when an entry covers it. The verdict
of an exchange (or of a streamed/plain pair) is ``fail`` when a failing finding is left,
``known`` when every finding of a failing severity is covered, else ``pass``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from . import checks
from .checks import Finding
from .deviations import Deviation, Table
from .exchange import Exchange

__all__ = ["EMPTY", "Judged", "Verdict", "judge", "of"]

EMPTY = Table("")  # no known deviations


@dataclass(frozen=True)
class Judged:
    """A finding, and the known deviation that covers it (None when none does)."""

    finding: Finding
    deviation: Deviation | None = None


@dataclass(frozen=True)
class Verdict:
    """One exchange, or a (streamed, plain) pair, with its findings judged against one target's table."""

    exchanges: tuple[Exchange, ...]
    judged: tuple[Judged, ...]
    fails: tuple[str, ...]
    test: str | None = None  # the pytest node id that made it, when known
    source: str = ""  # where it was read from (a file and JSON pointer), when it was
    expected: tuple[Deviation, ...] = ()  # entries whose check ran on an exchange they select
    covered: frozenset[Deviation] = field(default_factory=frozenset)  # entries that covered a finding here

    @property
    def failing(self) -> list[Judged]:
        """The findings of a failing severity that no known deviation covers."""
        return [j for j in self.judged if j.deviation is None and j.finding.severity in self.fails]

    @property
    def known(self) -> list[Judged]:
        """The findings of a failing severity that a known deviation covers."""
        return [j for j in self.judged if j.deviation is not None and j.finding.severity in self.fails]

    @property
    def verdict(self) -> str:
        """``fail``, ``known`` (every failing finding is a known deviation) or ``pass``."""
        return "fail" if self.failing else "known" if self.known else "pass"

    @property
    def stale(self) -> list[Deviation]:
        """The entries that selected an exchange here, whose check ran, and that covered nothing."""
        return [d for d in self.expected if d not in self.covered]


def judge(findings: Iterable[Finding], exchanges: Iterable[Exchange], *, table: Table = EMPTY,
          fails: tuple[str, ...] = ("contract",), ran: Iterable[str] = (), test: str | None = None,
          source: str = "") -> Verdict:
    """Each finding with the entry of ``table`` that covers it, for checks ``ran`` on ``exchanges``."""
    exchanges = tuple(exchanges)
    judged = tuple(Judged(f, table.covering(f, exchanges, test)) for f in findings)
    covered = frozenset(d for j in judged for d in table.satisfied(j.finding, exchanges, test))
    expected = tuple(table.expected(ran, exchanges, test))
    return Verdict(exchanges, judged, fails, test, source, expected, covered)


def of(*exchanges: Exchange, table: Table = EMPTY, fails: tuple[str, ...] = ("contract",), test: str | None = None,
       source: str = "", extra: Iterable[Finding] = (), extra_ran: Iterable[str] = ()) -> Verdict:
    """Run every applicable check (the pair checks for two exchanges) and judge them with ``extra`` findings."""
    run = checks.run if len(exchanges) == 1 else checks.run_pair
    ran = {c.id for c in checks.applicable(*exchanges)} | set(extra_ran)
    return judge([*run(*exchanges), *extra], exchanges, table=table, fails=fails, ran=ran, test=test, source=source)
