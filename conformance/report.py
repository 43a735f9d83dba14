"""``mimo-conformance check PATH…``: every applicable check on captured exchanges, one verdict each.

Reads cassettes, HAR files and transcripts (:mod:`conformance.inputs`), runs the single-exchange
checks on every exchange and the pair checks on every (streamed, plain) pair of one file whose
requests differ only in ``stream``, and prints per exchange its source, protocol, endpoint, model,
mode, status and verdict, then each finding with its severity, check id, location and message.
A finding that the target's known-deviation table covers prints as ``known`` and counts for
nothing. The verdict is ``fail`` when a finding of a failing severity is left, ``known`` when all
such findings are known deviations, else ``pass``. Exit status: 1 when any exchange fails, 2 when
an input or option is unusable, 0 otherwise. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import checks, deviations, inputs
from .deviations import DeviationError, Judged, Table
from .exchange import Exchange
from .targets import TargetError, get as get_target

__all__ = ["Verdict", "verdicts", "pairs", "render", "summary", "main"]


@dataclass(frozen=True)
class Verdict:
    """One exchange, or a (streamed, plain) pair, with its findings judged against the target's table."""

    source: str
    exchanges: tuple[Exchange, ...]
    test: str | None
    judged: tuple[Judged, ...]
    fails: tuple[str, ...]

    @property
    def failing(self) -> list[Judged]:
        """The findings of a failing severity that no known deviation covers."""
        return [j for j in self.judged if j.deviation is None and j.finding.severity in self.fails]

    @property
    def verdict(self) -> str:
        """``fail``, ``known`` (every failing finding is a known deviation) or ``pass``."""
        if self.failing:
            return "fail"
        return "known" if any(j.finding.severity in self.fails for j in self.judged) else "pass"


def verdicts(files: Iterable[inputs.CapturedFile], table: Table, fails: tuple[str, ...]) -> list[Verdict]:
    """A verdict for every exchange of every file, and for every pair a pair check applies to."""
    out = []
    for captured in files:
        for c in captured.exchanges:
            out.append(_verdict(c.source, (c.exchange,), c.test, checks.run(c.exchange), table, fails))
        for streamed, plain in pairs(captured.exchanges):
            source = f"{streamed.source} + {plain.source.rsplit(' ', 1)[-1]}"
            found = checks.run_pair(streamed.exchange, plain.exchange)
            out.append(_verdict(source, (streamed.exchange, plain.exchange), streamed.test, found, table, fails))
    return out


def _verdict(source: str, exchanges: tuple[Exchange, ...], test: str | None, found: list[checks.Finding],
             table: Table, fails: tuple[str, ...]) -> Verdict:
    return Verdict(source, exchanges, test, tuple(deviations.judge(found, exchanges, table, test)), fails)


def pairs(captured: list[inputs.Captured]) -> list[tuple[inputs.Captured, inputs.Captured]]:
    """(streamed, plain) exchanges of one file, of one test, whose requests differ only in ``stream``."""
    keyed = [(c, _pair_key(c)) for c in captured]
    plain: dict[str, inputs.Captured] = {}
    for c, key in keyed:
        if key is not None and not c.exchange.streamed:
            plain.setdefault(key, c)
    found = [(c, plain.get(key)) for c, key in keyed if key is not None and c.exchange.streamed]
    return [(s, p) for s, p in found if p is not None and checks.applicable(s.exchange, p.exchange)]


def _pair_key(c: inputs.Captured) -> str | None:
    body = c.exchange.request.body
    if not isinstance(body, dict):
        return None
    rest = {k: v for k, v in body.items() if k != "stream"}
    return json.dumps([c.exchange.protocol, c.test, rest], sort_keys=True, ensure_ascii=False)


# --- printing ---------------------------------------------------------------------------------


def render(results: list[Verdict], files: list[inputs.CapturedFile], *, quiet: bool = False) -> list[str]:
    """The report's lines: skipped requests per file, then each verdict with its findings."""
    lines = [f"{f.path}: skipped {len(f.skipped)} request(s) to neither endpoint: {', '.join(f.skipped[:3])}"
             + (", …" if len(f.skipped) > 3 else "") for f in files if f.skipped]
    for result in results:
        if not (quiet and result.verdict == "pass" and not result.judged):
            lines += _lines(result)
    return lines


def _lines(result: Verdict) -> list[str]:
    first = result.exchanges[0]
    mode = "stream+plain pair" if len(result.exchanges) == 2 else "stream" if first.streamed else "plain"
    model = first.model or first.request.json.get("model") or "(no model)"
    status = "/".join(str(ex.status) for ex in result.exchanges)
    lines = [result.source, f"  {first.protocol} {first.endpoint} {model} {mode} {status}: {result.verdict}"]
    return lines + [_finding(j) for j in result.judged]


def _finding(judged: Judged) -> str:
    f, entry = judged.finding, judged.deviation
    if entry is None:
        return f"    {f.severity:8} {f}"
    return f"    {'known':8} {f} ({f.severity}; {entry.label}: {entry.reason})"


def summary(results: list[Verdict], fails: tuple[str, ...], table: Table) -> str:
    """One closing line: how many exchanges and pairs, verdicts counted, and the policy applied."""
    counts = {v: sum(r.verdict == v for r in results) for v in ("pass", "fail", "known")}
    pairs_n = sum(len(r.exchanges) == 2 for r in results)
    where = f"{len(table.entries)} known deviation(s) of {table.target}" if table.target else "no known-deviation table"
    return (f"{len(results) - pairs_n} exchange(s), {pairs_n} pair(s): {counts['pass']} pass, {counts['fail']} fail, "
            f"{counts['known']} known; failing on {', '.join(fails)}; {where}")


# --- the command ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-conformance check",
        description="Run every applicable check on captured exchanges and print one verdict per exchange.",
        epilog="Exit status: 1 when a failing finding is left, 2 when an input or option cannot be used, else 0.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cassettes (.yaml, .json), HAR files, transcripts, folders")
    parser.add_argument("--target", help="profile whose known deviations and severity_fails apply")
    parser.add_argument("--targets-file", help="a targets file of your own instead of schemas/targets.json")
    parser.add_argument("--deviations", help="a known-deviation table instead of deviations/<target>.json")
    parser.add_argument("--fail-on", help="severities that fail, e.g. contract,compat (default: the profile's, else contract)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only exchanges with findings")
    return parser


def _policy(args: argparse.Namespace) -> tuple[Table, tuple[str, ...]]:
    """The table and failing severities the options ask for."""
    fails: tuple[str, ...] = ("contract",)
    table = Table("")
    if args.target:
        fails = get_target(args.target, *([Path(args.targets_file)] if args.targets_file else [])).severity_fails
        table = deviations.for_target(args.target)
    if args.deviations:
        table = deviations.load(Path(args.deviations), args.target)
    if args.fail_on:
        fails = checks.parse_severities(args.fail_on)
    return table, fails


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit status is 1 on a failing exchange, 2 on unusable input."""
    args = _parser().parse_args(argv)
    try:
        table, fails = _policy(args)
        files = inputs.read_paths(args.paths)
        if not any(f.exchanges for f in files):
            raise inputs.InputError(f"{', '.join(args.paths)}: no request to /chat/completions or /v1/messages")
    except (inputs.InputError, DeviationError, TargetError, ValueError) as exc:
        print(f"mimo-conformance check: error: {exc}", file=sys.stderr)
        return 2
    results = verdicts(files, table, fails)
    print("\n".join(render(results, files, quiet=args.quiet) + [summary(results, fails, table)]))
    return 1 if any(r.verdict == "fail" for r in results) else 0
