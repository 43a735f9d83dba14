"""``mimo-conformance deviations lint``: known-deviation entries that are broad, stale or unused.

Each table is judged over what the repository holds as its evidence: for a target with committed
cassettes, a replay of the suite's tests that judge exchanges (``pytest --results``); for the
others, ``check`` over the captures under tests/data. Then, per entry:

- **unused**: it covered no finding at all (delete it, or the evidence is missing);
- **stale**: it selected exchanges where its check ran and covered nothing there (its selector is
  wider than its cause: a strict table fails those tests as XPASS);
- **broad**: it pins neither ``location`` nor ``message`` while the findings it covers have a
  location, or the findings it covers are of more than one cause (check and message with their
  numbers and quoted values left out).

Exit status: 1 when an entry has a problem, 2 when a table or a run cannot be used, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import deviations, results
from .targets import load_targets

__all__ = ["Problem", "cause", "problems", "evidence", "main"]

ROOT = Path(__file__).resolve().parent.parent
JUDGING_TESTS = ("tests/test_cases.py", "tests/test_properties.py", "tests/test_sdk_lane.py")
CAPTURES = (ROOT / "tests/data/captures", ROOT / "tests/data/exchanges/good")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one entry."""

    label: str
    check: str
    kind: str  # unused | stale | broad
    detail: str

    def __str__(self) -> str:
        return f"{self.label} [{self.check}]: {self.kind}: {self.detail}"


def cause(finding: dict[str, Any]) -> str:
    """A finding's cause: its check and message with numbers and quoted values left out.

    The location is not part of it: the same defect shows at ``/content/1`` in a plain answer and
    at ``event 3 /content_block`` in a stream.
    """
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", finding["message"])
    if finding["check"].startswith("expect."):  # a case's expectation quotes the body after ": "
        text = text.split(": ", 1)[0]
    text = re.sub(r"\d+(\.\d+)?", "#", text)
    return f"{finding['check']}: {text}"


def problems(table: deviations.Table, records: Iterable[dict[str, Any]]) -> list[Problem]:
    """The problems of each entry of ``table`` over the verdicts ``records``."""
    records = list(records)
    covered: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        for f in r["findings"]:
            if f["known"]:
                covered[f["known"]["label"]].append(f)
    # Stale as pytest judges it: an entry expected somewhere in a test and covering nothing in all of it.
    expected_in: dict[str, set[str]] = defaultdict(set)
    covered_in: dict[str, set[str]] = defaultdict(set)
    for r in records:
        where = r["test"] or r["source"] or "?"
        for label in r["expected"]:
            expected_in[label].add(where)
        for label in r["covered"]:
            covered_in[label].add(where)
    stale = {label: tests - covered_in[label] for label, tests in expected_in.items()}
    found = []
    for entry in table.entries:
        found += _entry_problems(entry, covered.get(entry.label, []), stale.get(entry.label, set()))
    return found


def _entry_problems(entry: deviations.Deviation, covered: list[dict[str, Any]], stale_in: set[str]) -> list[Problem]:
    out = []
    if not covered:
        out.append(Problem(entry.label, entry.check, "unused", "it covers no finding in the committed evidence"))
        return out
    if stale_in:
        example = sorted(stale_in)[0]
        out.append(Problem(entry.label, entry.check, "stale",
                           f"it selects {len(stale_in)} test(s) where its cause does not show, e.g. {example}"))
    located = [f for f in covered if f["location"]]
    if entry.location is None and entry.message is None and located:
        out.append(Problem(entry.label, entry.check, "broad",
                           f"no location or message pin, and its findings say where (e.g. {located[0]['location']!r})"))
    causes = sorted({cause(f) for f in covered})
    if len(causes) > 1:
        out.append(Problem(entry.label, entry.check, "broad",
                           f"it covers {len(causes)} causes ({'; '.join(causes[:3])}{'; …' if len(causes) > 3 else ''})"))
    return out


def evidence(target: str, *, python: str = sys.executable) -> list[dict[str, Any]]:
    """The verdict records the repository holds for ``target``: its cassettes replayed, else its captures checked."""
    profile = load_targets()[target]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        if (ROOT / "cassettes" / profile.cassette_root).is_dir():
            env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "PYTEST_ADDOPTS")}
            cmd = [python, "-m", "pytest", *JUDGING_TESTS, "--target", target, "-q", "-p", "no:randomly",
                   f"--results={out}"]
            run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
            if not out.exists():
                raise RuntimeError(f"the replay for {target} wrote no results ({' '.join(cmd)}):\n{run.stdout[-1500:]}")
            return results.load(out)["records"]
        # The captures of its own host (check picks each exchange's target from it), and the hand-made
        # exchanges shaped like the live API, judged as this target.
        records = []
        for i, (paths, options) in enumerate([(CAPTURES[:1], []), (CAPTURES[1:], ["--target", target])]):
            out = Path(tmp) / f"results-{i}.json"
            cmd = [python, "-m", "conformance.cli", "check", *map(str, paths), *options, "-q",
                   "--fail-on", "contract,compat,info", f"--results={out}"]
            subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
            if not out.exists():
                raise RuntimeError(f"check wrote no results for {target} ({' '.join(cmd)})")
            records += [r for r in results.load(out)["records"] if r["target"] == target]
        return records


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mimo-conformance deviations lint", description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", default=None,
                        help="lint this target's table (repeatable; default: every table under deviations/)")
    parser.add_argument("--results", action="append", default=None, metavar="PATH",
                        help="judge over these results files instead of replaying the evidence (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the problems as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Lint the tables; exit 1 when an entry has a problem, 2 when a table or run is unusable."""
    args = _parser().parse_args(argv)
    names = args.target or sorted(p.stem for p in deviations.DEVIATION_DIR.glob("*.json"))
    found: list[Problem] = []
    try:
        given = [r for path in args.results or [] for r in results.load(path)["records"]]
        for name in names:
            table = deviations.for_target(name)
            found += problems(table, given or evidence(name))
    except (deviations.DeviationError, ValueError, RuntimeError, KeyError) as exc:
        print(f"mimo-conformance deviations lint: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([p.__dict__ for p in found], indent=1))
    else:
        for p in found:
            print(p)
        print(f"{len(found)} problem(s) in {len(names)} table(s): {', '.join(names)}")
    return 1 if found else 0
