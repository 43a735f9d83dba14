"""The offline suite's wall time against the floor of its own parts, and what pytest-xdist buys.

Run: python3 benchmarks/suite_speed.py   (writes benchmarks/results/suite_speed.json; about 5 minutes)

Measured in one run on this machine:
- the default offline run (`pytest`), with -n 0 and -n 2;
- the floor: pytest's own per-item cost (as many trivial items), replaying the same cassettes
  through vcrpy, and checking the same recorded exchanges (parse + every applicable check);
- the share of the hypothesis property tests in the offline run;
- the live run against the reference server, with -n 0 and -n 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("results") / "suite_speed.json"


def wall(*args: str, cwd: Path = ROOT) -> tuple[float, str]:
    """Seconds a pytest command takes, and its last line."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    if run.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n" + "\n".join(lines[-20:]))
    return took, lines[-1] if lines else ""


def trivial_items(n: int) -> float:
    """Seconds pytest needs for n trivial parametrized items, plugins and config as the suite's."""
    with tempfile.TemporaryDirectory() as tmp:
        test = Path(tmp) / "test_trivial.py"
        test.write_text(f"import pytest\n@pytest.mark.parametrize('i', range({n}))\ndef test_item(i):\n    assert i >= 0\n")
        took, _ = wall(str(test), "-q", "-p", "no:cacheprovider", f"--rootdir={tmp}")
    return took


def replay_and_check(cassettes: list[Path]) -> dict[str, float]:
    """Seconds to load every interaction of ``cassettes`` with vcrpy, and to run every check on them."""
    from conformance import checks
    from conformance.inputs import read_file

    start = time.perf_counter()
    exchanges = [c.exchange for path in cassettes for c in read_file(path).exchanges]
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    for ex in exchanges:
        checks.run(ex)
    return {"exchanges": len(exchanges), "s_load_and_parse": loaded, "s_check": time.perf_counter() - start}


def main() -> None:
    cassettes = sorted((ROOT / "cassettes" / "reference").rglob("*.json"))
    results: dict = {"cpu_count": os.cpu_count()}
    results["offline_n0_s"], results["offline_n0_summary"] = wall("-q", "-n", "0")
    results["offline_n2_s"], results["offline_n2_summary"] = wall("-q", "-n", "2")
    results["cases_and_properties_n0_s"], _ = wall("-q", "tests/test_cases.py", "tests/test_properties.py")
    results["properties_n0_s"], _ = wall("-q", "tests/test_properties.py")
    results["trivial_items_1000_s"] = trivial_items(1000)
    results["floor_parts"] = replay_and_check(cassettes)
    results["live_reference_n0_s"], _ = wall("-q", "--target", "reference", "--live", "tests/test_cases.py", "tests/test_properties.py")
    results["live_reference_n2_s"], _ = wall("-q", "--target", "reference", "--live", "-n", "2", "tests/test_cases.py", "tests/test_properties.py")
    results["xdist_speedup_offline"] = results["offline_n0_s"] / results["offline_n2_s"]
    results["xdist_speedup_live"] = results["live_reference_n0_s"] / results["live_reference_n2_s"]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
