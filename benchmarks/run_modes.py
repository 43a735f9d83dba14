"""What each way of running the suite costs, measured in one run so that the ratios compare like with like.

Run: python3 benchmarks/run_modes.py   (writes benchmarks/results/run_modes.json; about 30 minutes
on two quiet cores, much more on a busy machine; every number is a wall time)

The modes are the README's commands:
- the default offline run, ``pytest -n auto`` (cassettes replayed, the network blocked);
- the quick lane, ``pytest -m "not slow"``, in one process and with ``-n auto``;
- a live run against the reference server the suite starts on 127.0.0.1, ``pytest --target
  reference --live -n auto``, and its quick lane.

Each mode runs twice, the modes taking turns, so that a burst of load elsewhere on the machine does
not fall on one mode alone; a mode keeps its best wall time (both are recorded), its exit status
and outcome counts (a work-in-progress branch may have failures: they are counted, not hidden), and
its best time as a ratio of the default run's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("results") / "run_modes.json"
LIVE = ("--target", "reference", "--live")
MODES = {
    "default": ("-n", "auto"),
    "quick": ("-m", "not slow", "-n", "auto"),
    "quick_one_process": ("-m", "not slow"),
    "live_reference": (*LIVE, "-n", "auto"),
    "live_reference_quick": (*LIVE, "-m", "not slow", "-n", "auto"),
}
OUTCOMES = ("passed", "failed", "xfailed", "xpassed", "skipped", "error")
ROUNDS = 2


def counts(summary: str) -> dict[str, int]:
    """Outcome counts from pytest's last line, e.g. ``1 failed, 3277 passed, 91 xfailed in 59.00s``."""
    found = {word.rstrip("s"): int(n) for n, word in re.findall(r"(\d+) (passed|failed|xfailed|xpassed|skipped|errors?)", summary)}
    return {name: found.get(name, 0) for name in OUTCOMES}


def measure(args: tuple[str, ...]) -> dict:
    """One pytest run of the suite: its command, wall seconds, exit status, outcome counts and tests run."""
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_API_KEY")}
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    found = counts(lines[-1] if lines else "")
    return {"command": shlex.join(["python3", "-m", "pytest", *args]), "wall_s": round(took, 2), "exit_status": run.returncode,
            "outcomes": found, "tests": sum(found.values())}


def best(runs: list[dict]) -> dict:
    """The fastest of a mode's runs, with every run's wall time."""
    return {**min(runs, key=lambda r: r["wall_s"]), "walls_s": [r["wall_s"] for r in runs]}


def main() -> None:
    """Measure every mode ROUNDS times, taking turns, then the ratios to the default run; write and print the JSON."""
    result: dict = {"machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                                "load_average_at_start": os.getloadavg()},
                    "command": "python3 benchmarks/run_modes.py", "rounds": ROUNDS, "modes": {}}
    runs: dict[str, list[dict]] = {name: [] for name in MODES}
    for _ in range(ROUNDS):
        for name, args in MODES.items():
            runs[name].append(measure(args))
            print(name, json.dumps(runs[name][-1]), flush=True)
    result["modes"] = {name: best(found) for name, found in runs.items()}
    default = result["modes"]["default"]["wall_s"]
    result["time_vs_default"] = {name: round(m["wall_s"] / default, 3) for name, m in result["modes"].items()}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    # No options: --help explains what a run costs before it starts one.
    argparse.ArgumentParser(prog="python3 benchmarks/run_modes.py", description=__doc__.split("\n\n")[0],
                            epilog=f"Writes {OUT.relative_to(ROOT)}; takes about 30 minutes.").parse_args()
    main()
