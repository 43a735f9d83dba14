"""Side by side with schemathesis: the same faulty reference servers, each tool with its own runner.

For every fault of conformance/server/faults.py, and once with none, a reference server that
injects it starts on 127.0.0.1. Then

- this suite sends the whole slice of case runs of ``conformance.mutation`` (no early stop) and
  runs every check on every exchange;
- schemathesis runs its own CLI on the same server (``schemathesis run benchmarks/openapi.json
  --checks all``, one worker, a fixed seed) with the examples and fuzzing phases and as many
  examples per operation as the slice sends to the busier endpoint ("comparable"); with
  ``--default-phases`` also with its default phases, whose coverage phase adds ~600 deterministic
  boundary cases per operation ("default": ten times the requests and the time).

A tool catches a fault when it reports a failure it does not report against the correct server
(schemathesis: a failure code on an operation; this suite: a check id). Each tool's wall time per
fault includes starting nothing but itself: the server is up before the clock starts. This is a
benchmark, not a test; it writes benchmarks/schemathesis-comparison.md.

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -r benchmarks/requirements.txt
    .venv-bench/bin/python benchmarks/compare_schemathesis.py [--fault NAME ...] [--default-phases]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import build_openapi

from conformance import mutation
from conformance.server import faults as catalogue
from conformance.server import serve_in_thread

__all__ = ["SEED", "MODES", "Result", "ours", "schemathesis", "compare", "table", "main"]

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "schemathesis-comparison.md"
SEED = 1
MODES = {"comparable": ["--phases", "examples,fuzzing"], "default": []}  # schemathesis options per column


@dataclass(frozen=True)
class Result:
    """What one tool reported against one server: failure keys, requests sent, wall seconds."""

    failures: frozenset[str]
    requests: int
    seconds: float


def _per_endpoint(runs: Sequence) -> int:
    """Requests the slice sends to its busier endpoint (a pair run sends two)."""
    counts = {p: sum(1 if r.stream is not None else 2 for r in runs if r.protocol == p) for p in ("openai", "anthropic")}
    return max(counts.values())


def ours(url_faults: Sequence[str], runs: Sequence) -> Result:
    """This suite over the whole slice: the ids of the checks that failed."""
    start = time.perf_counter()
    fired = mutation.sweep(url_faults, runs)
    return Result(fired, sum(1 if r.stream is not None else 2 for r in runs), time.perf_counter() - start)


def _command(base_url: str, examples: int, mode: str, report: Path) -> list[str]:
    """The schemathesis command line: every check, fixed seed, one worker, a JSON report."""
    return [sys.executable, "-m", "schemathesis.cli", "run", str(build_openapi.OUTPUT), "--url", base_url,
            "-H", f"api-key: {mutation.KEY}", "--checks", "all", "--max-examples", str(examples),
            "--seed", str(SEED), "--workers", "1", "--continue-on-failure", "--request-timeout",
            str(mutation.TIMEOUTS.idle), "--no-color", "--report", "json", "--report-json-path", str(report),
            *MODES[mode]]


def _failures(report: dict) -> frozenset[str]:
    """``CODE title @ operation`` for each failure and ``error: title`` for each error the report lists."""
    found = {f"{f['code']} {f['title']} @ {op}" for f in report.get("failures", []) for op in _labels(f)}
    found |= {f"error: {e.get('title') or e.get('message', '')[:60]}" for e in report.get("errors", [])}
    return frozenset(found)


def _labels(failure: dict) -> list[str]:
    return [op if isinstance(op, str) else op.get("label", str(op)) for op in failure.get("operations", [])]


def schemathesis(fault_names: Sequence[str], examples: int, mode: str) -> Result:
    """schemathesis's own runner against a server injecting ``fault_names``."""
    with serve_in_thread(key=mutation.KEY, faults=fault_names) as server, tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        start = time.perf_counter()
        # A fresh working folder each run: schemathesis keeps a crash cache in ./.schemathesis and
        # replays it first, which would carry one fault's findings into the next run.
        subprocess.run(_command(f"http://127.0.0.1:{server.port}", examples, mode, report), cwd=tmp,
                       check=False, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - start
        doc = json.loads(report.read_text(encoding="utf-8"))
    return Result(_failures(doc), doc["test_cases"]["generated"], seconds)


def compare(names: Sequence[str], modes: Sequence[str]) -> tuple[dict[str, Result], dict[str, dict[str, Result]]]:
    """The clean baseline of each tool and mode, then every fault's results, as new failures only."""
    runs, examples = mutation.slice_runs(), _per_endpoint(mutation.slice_runs())
    tools = {"suite": lambda f: ours(f, runs), **{m: (lambda f, m=m: schemathesis(f, examples, m)) for m in modes}}
    clean = {tool: run(()) for tool, run in tools.items()}
    found: dict[str, dict[str, Result]] = {}
    for name in names:
        found[name] = {}
        for tool, run in tools.items():
            result = run((name,))
            found[name][tool] = Result(result.failures - clean[tool].failures, result.requests, result.seconds)
        print(name, {t: sorted(r.failures) for t, r in found[name].items()}, flush=True)
    return clean, found


def _cell(result: Result, named: str | None = None) -> str:
    """A table cell: what was newly reported (the named check first for this suite), or a miss."""
    if named is not None:
        others = len(result.failures - {named})
        return ("**yes**" if named in result.failures else "no") + (f" (+{others} other)" if others else "")
    if not result.failures:
        return "no"
    return "**yes**: " + "; ".join(sorted(f.split(" @ ")[0] for f in result.failures))


def _score(found: dict[str, dict[str, Result]], tool: str) -> str:
    """``caught/total (percent), total seconds`` for one tool or mode."""
    hits = sum(bool(r[tool].failures & {catalogue.get(n).check}) if tool == "suite" else bool(r[tool].failures)
               for n, r in found.items())
    seconds = sum(r[tool].seconds for r in found.values())
    return f"{hits}/{len(found)} ({100 * hits / max(1, len(found)):.0f}%), {seconds:.0f} s in all"


def table(clean: dict[str, Result], found: dict[str, dict[str, Result]]) -> str:
    """benchmarks/schemathesis-comparison.md."""
    examples, modes = _per_endpoint(mutation.slice_runs()), [t for t in clean if t != "suite"]
    lines = [
        "# The fault catalogue: this suite and schemathesis side by side", "",
        "Generated by `benchmarks/compare_schemathesis.py` (see its docstring for the venv); do not edit.",
        "Every fault of `conformance/server/faults.py` is injected into a reference server on 127.0.0.1. This",
        "suite sends the whole slice of `conformance.mutation.SLICE` (no early stop) and runs its checks;",
        f"schemathesis {_version()} runs `schemathesis run benchmarks/openapi.json --checks all --seed {SEED} "
        f"--workers 1 --continue-on-failure --max-examples {examples}` (the slice's requests to its busier",
        "endpoint), \"comparable\" with `--phases examples,fuzzing`, \"default\" (if present) with its own",
        "phases, whose coverage phase adds deterministic boundary cases. `benchmarks/openapi.json` wraps the same schemas/ (built by",
        "`benchmarks/build_openapi.py`). A fault counts as caught by this suite when the check named for it",
        "fails, by schemathesis when it reports any failure it does not report against the correct server.", "",
        "| tool | caught | requests per run | false alarms on the correct server |",
        "| --- | --- | --- | --- |",
        *(f"| {tool} | {_score(found, tool)} | {clean[tool].requests} | {_alarms(tool, clean[tool])} |" for tool in clean),
        "", "| fault | rule broken | this suite | time | " + " | ".join(f"schemathesis {m} | time" for m in modes) + " |",
        "| --- | --- | --- | --- |" + " --- | --- |" * len(modes),
        *(_row(name, results) for name, results in found.items()),
    ]
    return "\n".join(lines) + "\n"


def _alarms(tool: str, result: Result) -> str:
    """The failures a tool reports against the correct server (this suite: contract findings only count)."""
    if tool == "suite":
        return f"none at contract severity (checks shared with the live API: {', '.join(sorted(result.failures))})"
    return "; ".join(sorted(result.failures)) or "none"


def _row(name: str, results: dict[str, Result]) -> str:
    cells = [_cell(results["suite"], catalogue.get(name).check), f"{results['suite'].seconds:.1f} s"]
    for mode in (t for t in results if t != "suite"):
        cells += [_cell(results[mode]), f"{results[mode].seconds:.1f} s"]
    return f"| `{name}` | `{catalogue.get(name).check}` | " + " | ".join(cells) + " |"


def _version() -> str:
    from importlib.metadata import version

    return version("schemathesis")


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild benchmarks/openapi.json, compare every fault (or those named), write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=None, metavar="NAME", help="compare only this fault")
    parser.add_argument("--default-phases", action="store_true", help="also run schemathesis with its default phases")
    args = parser.parse_args(argv)
    build_openapi.main()
    modes = ["comparable", *(["default"] if args.default_phases else [])]
    clean, found = compare(args.fault or [f.name for f in catalogue.catalogue()], modes)
    OUTPUT.write_text(table(clean, found), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(build_openapi.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
