"""CI runs exactly the two commands the README opens with (after the Debian tools the tests need), then .ci/newest."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWEST = ".ci/newest"  # the installs-hold step: pyproject.toml's ranges in a fresh venv, quick lane
# The Debian tools the tests need (Chromium, espeak-ng), installed only when missing and without a question asked.
SYSTEM = ('missing=$(for tool in chromium espeak-ng; do command -v "$tool" >/dev/null || echo "$tool"; done); '
          '[ -z "$missing" ] || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; }')


def _ci_lines() -> list[str]:
    return [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith(("#", "set ", "cd "))]


def test_ci_runs_the_readme_commands():
    first_block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    commands = [line for line in first_block.splitlines() if line.strip()]
    ci = [line for line in _ci_lines() if line not in (SYSTEM, NEWEST)]
    assert commands == ci == ["python3 -m pip install -r requirements.txt", "python3 -m pytest -n auto"]


def test_ci_then_installs_the_package_alone_with_its_newest_allowed_versions():
    assert _ci_lines()[-1] == NEWEST
    script = (ROOT / ".ci" / "newest").read_text(encoding="utf-8")
    assert 'pip install -q .' in script and "requirements" not in script.split("set -euo")[1]
    assert 'pytest -m "not slow"' in script


def test_ci_installs_the_debian_tools_first_only_when_missing_and_without_a_question():
    assert _ci_lines()[0] == SYSTEM and _ci_lines().count(SYSTEM) == 1
    assert "DEBIAN_FRONTEND=noninteractive" in SYSTEM and " -y " in SYSTEM and "command -v" in SYSTEM
