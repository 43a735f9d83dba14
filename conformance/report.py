"""``mimo-conformance check PATH…``: every applicable check on captured exchanges, one verdict each.

Reads cassettes, HAR files and transcripts (:mod:`conformance.inputs`), runs the single-exchange
checks on every exchange and the pair checks on every (streamed, plain) pair of one file whose
requests differ only in ``stream``, and prints per exchange its source, protocol, endpoint, model,
mode, status and verdict (:mod:`conformance.verdict` decides it), then each finding with its
severity, basis, check id, location and message. The target whose known deviations and failing
severities apply is ``--target``, else the one a cassette of ours says it recorded, else the
profile whose base URL has the request's host (a host no profile names, such as 127.0.0.1, gets
none: no table, failing on ``contract``); the report says which it picked. A finding that the
table covers prints as ``known``. Exit status: 1 when any exchange fails, 2 when an input or option
is unusable (every readable file is still reported) or a check crashed, 0 otherwise. Nothing here
touches the network.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from . import checks, deviations, inputs, verdict
from .deviations import DeviationError, Table
from .failures import SuiteError
from .targets import Target, TargetError, load_targets, TARGETS_FILE
from .verdict import Judged, Verdict

__all__ = ["Policy", "Choice", "verdicts", "pairs", "render", "summary", "main"]

UNKNOWN_MODEL_CHECKS = ("openai.models.unknown", "anthropic.models.unknown")


@dataclass(frozen=True)
class Choice:
    """The target an exchange is judged for, and why that one."""

    name: str | None  # None: no profile (a server the targets file does not name)
    why: str  # "--target", "recorded by", "host api.xiaomimimo.com", "host 127.0.0.1 (no profile)"
    table: Table
    fails: tuple[str, ...]
    dialect: str | None = None  # the profile's dialect, which its exchanges are judged in (None: as captured)


class Policy:
    """Picks the target of each file or exchange: ``--target``, a cassette's own record, or the request host."""

    def __init__(self, targets: dict[str, Target], *, target: str | None = None, table: Table | None = None,
                 fails: tuple[str, ...] | None = None) -> None:
        self.targets, self.target, self.table, self.fails = targets, target, table, fails
        self._tables: dict[str, Table] = {}

    def choose(self, captured: inputs.CapturedFile, url: str) -> Choice:
        """The choice for one exchange of ``captured`` sent to ``url``."""
        if self.target is not None:
            return self._choice(self.target, "--target")
        recorded = captured.recorded_from.get("target")
        if recorded in self.targets:
            return self._choice(recorded, f"recorded by {recorded}")
        host = urllib.parse.urlsplit(url).hostname or ""
        named = sorted(n for n, t in self.targets.items() if host in _hosts(t))
        if named:
            return self._choice(named[0], f"host {host}")
        return Choice(None, f"host {host or '?'} (no profile)", self.table or Table(""), self.fails or ("contract",))

    def _choice(self, name: str, why: str) -> Choice:
        if name not in self._tables:
            self._tables[name] = self.table if self.table is not None else deviations.for_target(name)
        target = self.targets[name]
        return Choice(name, why, self._tables[name], self.fails or target.severity_fails, target.dialect)


def _hosts(target: Target) -> set[str]:
    """The hosts of a profile's base URLs; none for a profile on this machine's loopback or started by the suite."""
    if target.local or target.on_loopback:
        return set()
    return {urllib.parse.urlsplit(u).hostname or "" for u in (target.base_urls or {}).values()}


def verdicts(files: Iterable[inputs.CapturedFile], policy: Policy) -> list[tuple[Verdict, Choice]]:
    """A verdict for every exchange of every file, and for every pair a pair check applies to."""
    out = []
    for captured in files:
        for c in captured.exchanges:
            choice = policy.choose(captured, c.exchange.request.url)
            out.append((_judged(c.source, choice, c.test, _spoken(c.exchange, choice)), choice))
        for streamed, plain in pairs(captured.exchanges):
            choice = policy.choose(captured, streamed.exchange.request.url)
            source = f"{streamed.source} + {plain.source.rsplit(' ', 1)[-1]}"
            pair = (_spoken(streamed.exchange, choice), _spoken(plain.exchange, choice))
            out.append((_judged(source, choice, streamed.test, *pair), choice))
    return out


def _spoken(exchange, choice: Choice):
    """The exchange as spoken in the chosen profile's dialect (a capture from its host is judged by its rules)."""
    return replace(exchange, dialect=choice.dialect) if choice.dialect and choice.dialect != exchange.dialect else exchange


def _judged(source: str, choice: Choice, test: str | None, *exchanges) -> Verdict:
    try:
        return verdict.of(*exchanges, table=choice.table, fails=choice.fails, test=test, source=source)
    except SuiteError as exc:
        raise SuiteError(f"{source}: {exc}") from exc


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


def render(results: list[tuple[Verdict, Choice]], files: list[inputs.CapturedFile], *, quiet: bool = False) -> list[str]:
    """The report's lines: skipped requests per file, then each verdict with its findings."""
    lines = [f"{f.path}: skipped {len(f.skipped)} request(s) to neither endpoint: {', '.join(f.skipped[:3])}"
             + (", …" if len(f.skipped) > 3 else "") for f in files if f.skipped]
    told: set[str] = set()  # an unknown model id is reported once, at its first exchange
    for result, choice in results:
        shown = [j for j in result.judged if _first_time(j, told)]
        if not (quiet and result.verdict == "pass" and not shown):
            lines += _lines(result, choice, shown)
    return lines


def _first_time(judged: Judged, told: set[str]) -> bool:
    if judged.finding.check not in UNKNOWN_MODEL_CHECKS:
        return True
    key = judged.finding.message.split("'")[1] if "'" in judged.finding.message else judged.finding.message
    first = key not in told
    told.add(key)
    return first


def _lines(result: Verdict, choice: Choice, shown: list[Judged]) -> list[str]:
    first = result.exchanges[0]
    mode = "stream+plain pair" if len(result.exchanges) == 2 else "stream" if first.streamed else "plain"
    model = first.model or first.request.json.get("model") or "(no model)"
    status = "/".join(str(ex.status) for ex in result.exchanges)
    target = choice.name or "no profile"
    lines = [result.source, f"  {first.protocol} {first.endpoint} {model} {mode} {status} [{target}]: {result.verdict}"]
    return lines + [_finding(j) for j in shown]


def _finding(judged: Judged) -> str:
    f, entry = judged.finding, judged.deviation
    if entry is None:
        return f"    {f.severity:8} {f} ({f.basis})"
    return f"    {'known':8} {f} ({f.severity}, {f.basis}; {entry.label}: {entry.reason})"


def summary(results: list[tuple[Verdict, Choice]]) -> list[str]:
    """The closing lines: the targets picked, verdicts and findings counted apart, unknown model ids."""
    verdicts_ = Counter(v.verdict for v, _ in results)
    pairs_n = sum(len(v.exchanges) == 2 for v, _ in results)
    judged = [j for v, _ in results for j in v.judged]
    known = sum(j.deviation is not None for j in judged)
    by_severity = Counter(j.finding.severity for j in judged if j.deviation is None)
    picked = Counter((c.name or "none", c.why, ", ".join(c.fails), _table_words(c.table)) for _, c in results)
    lines = [f"target {name} ({why}; failing on {fails}; {table}): {n} verdict(s)"
             for (name, why, fails, table), n in sorted(picked.items())]
    lines += _unknown_models(results)
    lines.append(
        f"{len(results) - pairs_n} exchange(s), {pairs_n} pair(s): verdicts {verdicts_['pass']} pass, "
        f"{verdicts_['fail']} fail, {verdicts_['known']} known; findings {by_severity['contract']} contract, "
        f"{by_severity['compat']} compat, {by_severity['info']} info, {known} known")
    return lines


def _table_words(table: Table) -> str:
    return f"{len(table.entries)} known deviation(s) in {table.target}'s table" if table.target else "no known-deviation table"


def _unknown_models(results: list[tuple[Verdict, Choice]]) -> list[str]:
    ids = Counter()
    for v, _ in results:
        for j in v.judged:
            if j.finding.check in UNKNOWN_MODEL_CHECKS and "'" in j.finding.message:
                ids[j.finding.message.split("'")[1]] += 1
    return [f"unknown model id {model!r} in {n} exchange(s) (info): the rules that need its limits were skipped; "
            "add it to schemas/models.json" for model, n in sorted(ids.items())]


def _write_results(path: str, results_: list[tuple[Verdict, Choice]], files: list[inputs.CapturedFile]) -> None:
    from . import results

    by_source = {c.source: f for f in files for c in f.exchanges}
    records = []
    for v, choice in results_:
        captured = by_source.get(v.source.split(" + ")[0])
        recorded = captured.recorded_from if captured else {}
        target = choice.name
        server = recorded.get("server") or (target and load_targets()[target].server if target in load_targets() else None)
        records.append(results.record(v, target=target, server=server, dialect=recorded.get("dialect"),
                                      cassette=str(captured.path) if captured else None))
    results.write(path, results.document("check", records, mode="check"))


# --- the command ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-conformance check",
        description="Run every applicable check on captured exchanges and print one verdict per exchange.",
        epilog="Exit status: 1 when a failing finding is left, 2 when an input or option cannot be used or a check "
               "crashed (every readable file is still reported), else 0.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cassettes (.yaml, .json), HAR files, transcripts, folders")
    parser.add_argument("--target", help="profile whose known deviations and severity_fails apply "
                                         "(default: the recording's own, else the one whose base URL has the request's host)")
    parser.add_argument("--targets-file", help="a targets file of your own instead of schemas/targets.json")
    parser.add_argument("--deviations", help="a known-deviation table instead of deviations/<target>.json")
    parser.add_argument("--fail-on", help="severities that fail, e.g. contract,compat (default: the profile's, else contract)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only exchanges with findings")
    parser.add_argument("--results", metavar="PATH", help="also write every verdict to PATH (schemas/results.schema.json)")
    return parser


def _policy(args: argparse.Namespace) -> Policy:
    """The target policy the options ask for."""
    targets = load_targets(Path(args.targets_file) if args.targets_file else TARGETS_FILE)
    if args.target and args.target not in targets:
        raise TargetError(f"unknown target {args.target!r}: the targets file defines {', '.join(sorted(targets))}")
    table = deviations.load(Path(args.deviations), args.target) if args.deviations else None
    fails = checks.parse_severities(args.fail_on) if args.fail_on else None
    return Policy(targets, target=args.target, table=table, fails=fails)


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit status is 1 on a failing exchange, 2 on unusable input or a crashed check."""
    args = _parser().parse_args(argv)
    try:
        policy = _policy(args)
        files, unreadable = inputs.read_paths_leniently(args.paths)
    except (inputs.InputError, DeviationError, TargetError, ValueError) as exc:
        print(f"mimo-conformance check: error: {exc}", file=sys.stderr)
        return 2
    for problem in unreadable:
        print(f"mimo-conformance check: error: {problem}", file=sys.stderr)
    if not any(f.exchanges for f in files):
        if not unreadable:
            print(f"mimo-conformance check: error: {', '.join(args.paths)}: no request to /chat/completions or "
                  "/v1/messages", file=sys.stderr)
        return 2
    try:
        results = verdicts(files, policy)
    except SuiteError as exc:
        print(f"mimo-conformance check: suite error (a bug of the suite, not a finding): {exc}", file=sys.stderr)
        return 2
    print("\n".join(render(results, files, quiet=args.quiet) + summary(results)))
    if args.results:
        _write_results(args.results, results, files)
    if unreadable:
        print(f"mimo-conformance check: {len(unreadable)} file(s) could not be read (listed above); "
              f"{len(files)} were checked", file=sys.stderr)
        return 2
    return 1 if any(v.verdict == "fail" for v, _ in results) else 0
