"""What coverage costs a run: covered_by on every committed exchange, and a whole `mimo-conformance coverage`.

Run: python3 benchmarks/coverage_cost.py   (writes benchmarks/results/coverage_cost.json)
Every pytest run computes covered_by once per judged exchange (conformance.run_summary); the
numbers here say what that adds. One run on one machine; best of five.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from conformance import coverage, inputs

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("results") / "coverage_cost.json"


def best_of(fn, repeat: int = 5) -> float:
    """Seconds of the fastest of ``repeat`` runs of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Measure and write the results file."""
    files, _ = inputs.read_paths_leniently([ROOT / "cassettes"])
    exchanges = [c.exchange for f in files for c in f.exchanges]
    coverage.covered_by(exchanges[0])  # the surface and its index are built once per process, not measured
    each = best_of(lambda: [coverage.covered_by(e) for e in exchanges])
    whole = best_of(lambda: coverage.of_files([ROOT / "cassettes"]), repeat=3)
    doc = {"machine": platform.platform(), "python": platform.python_version(), "exchanges": len(exchanges),
           "covered_by_all_s": round(each, 3), "covered_by_per_exchange_ms": round(1000 * each / len(exchanges), 3),
           "coverage_of_committed_cassettes_s": round(whole, 2),
           "surface_items": len(coverage.surface(coverage.models_for("reference")))}
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
