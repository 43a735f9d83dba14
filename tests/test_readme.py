"""CI runs exactly the two commands the README opens with."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_commands():
    first_block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    commands = [line for line in first_block.splitlines() if line.strip()]
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd ")) and not _system_package(line)]
    assert commands == ci == ["python3 -m pip install -r requirements.txt", "python3 -m pytest -n auto"]


def _system_package(line: str) -> bool:
    """A line of an `if ! command -v TOOL; then apt-get install ...; fi` block: a Debian tool installed when missing."""
    return line.startswith("if ! command -v ") or line == "fi" or line.strip().startswith("apt-get update -qq && ")


def test_ci_installs_debian_tools_only_when_missing_and_non_interactively():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    installs = [line for line in lines if "apt-get install" in line]
    assert installs and all("DEBIAN_FRONTEND=noninteractive" in line and " -y " in line for line in installs)
    assert all(lines[lines.index(line) - 1].startswith("if ! command -v ") for line in installs)
