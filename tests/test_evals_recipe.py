"""The eval gate's recipe in docs/evals.md runs as written: record a baseline, promote it, run a candidate, compare."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "evals.md"


def recipe() -> str:
    """The bash block under "Trying the gate on this machine"."""
    section = DOC.read_text(encoding="utf-8").split("## Trying the gate on this machine", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def test_the_recipe_records_promotes_and_compares_two_runs(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_REFERENCE_KEY")},
           "TMPDIR": str(tmp_path), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-e", "-c", recipe()], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)  # a safety timeout: about 10 seconds here
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [runs] = tmp_path.iterdir()  # the recipe's mktemp -d
    assert sorted(p.name for p in runs.iterdir()) == ["baseline.json", "candidate.json", "promoted.json"]
    assert f"promoted {runs}/baseline.json to {runs}/promoted.json" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("PASS: ")


def test_the_recipe_uses_the_commands_the_readme_names():
    lines = recipe().strip().splitlines()
    assert [line.split()[:3] for line in lines[1:]] == [
        ["python3", "-m", "pytest"], ["mimo-conformance", "evals", "promote"], ["python3", "-m", "pytest"],
        ["mimo-conformance", "evals", "compare"]]
    assert all("--target reference --live" in line for line in lines if "pytest evals" in line)
