"""Recording: a key never reaches a cassette, report or log, and re-recording changes nothing.

One subprocess re-records a slice of the suite against the reference server with a canary key
into a temporary folder (with a JUnit report and full logs), then every file it wrote is searched
for the key in several encodings and compared with the committed cassettes.
"""

import base64
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

CANARY = "sk-canary-7f3e9c1d5b2a4e6f8091a2b3c4d5e6f7"
ROOT = Path(__file__).resolve().parent.parent
SLICE = "auth or tools or stop"


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), urllib.parse.quote(secret).encode(),
            base64.b64encode(b"Bearer " + raw), raw[::-1]]


def _hits(folder: Path, secret: str) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(folder)} holds {form[:12]!r}…" for form in _forms(secret) if form in data]
    return found


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """A folder holding a fresh recording of SLICE made with the canary key, its JUnit and its output."""
    out = tmp_path_factory.mktemp("recording")
    env = {**os.environ, "MIMO_REFERENCE_KEY": CANARY}
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "-k", SLICE, "--target", "reference",
           "--record-mode=rewrite", f"--cassette-dir={out / 'cassettes'}", f"--junitxml={out / 'junit.xml'}",
           "-o", "junit_logging=all", "-rA", "-vv", "--showlocals"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600)
    (out / "output.txt").write_bytes(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout.decode()[-3000:]
    return out


def test_recording_with_a_canary_key_writes_it_nowhere(recording):
    assert len(list((recording / "cassettes").rglob("*.json"))) > 20, "the slice recorded too little to search"
    assert _hits(recording, CANARY) == []


def test_re_recording_the_reference_server_changes_nothing(recording):
    fresh = recording / "cassettes"
    changed = [p.relative_to(fresh) for p in sorted(fresh.rglob("*.json"))
               if (ROOT / "cassettes" / p.relative_to(fresh)).read_bytes() != p.read_bytes()]
    assert changed == [], f"re-recording changed {len(changed)} cassettes, e.g. {changed[:3]}"


def test_the_search_finds_a_planted_key(tmp_path):
    (tmp_path / "a.json").write_bytes(b'{"h": "' + base64.b64encode(CANARY.encode()) + b'"}')
    assert _hits(tmp_path, CANARY)
