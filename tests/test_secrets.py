"""A key never reaches a cassette, a report or a log: record with a canary key and search everything."""

import base64
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

CANARY = "sk-canary-7f3e9c1d5b2a4e6f8091a2b3c4d5e6f7"
ROOT = Path(__file__).resolve().parent.parent


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), urllib.parse.quote(secret).encode(),
            base64.b64encode(b"Bearer " + raw)]


def _hits(folder: Path, secret: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(folder)} holds {form[:12]!r}…" for form in _forms(secret) if form in data]
    return found


def test_recording_with_a_canary_key_writes_it_nowhere(tmp_path):
    env = {**os.environ, "MIMO_REFERENCE_KEY": CANARY}
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "-k", "auth or tools", "-p", "no:randomly",
           "--target", "reference", "--record-mode=rewrite", f"--cassette-dir={tmp_path / 'cassettes'}",
           f"--junitxml={tmp_path / 'junit.xml'}", "-o", "junit_logging=all", "-rA", "-q"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600)
    (tmp_path / "stdout.txt").write_bytes(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    assert list((tmp_path / "cassettes").rglob("*.json")), "the run recorded nothing to search"
    assert _hits(tmp_path, CANARY) == []


def test_the_search_finds_a_planted_key(tmp_path):
    (tmp_path / "a.json").write_bytes(b'{"h": "' + base64.b64encode(CANARY.encode()) + b'"}')
    assert _hits(tmp_path, CANARY)
