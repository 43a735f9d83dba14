"""Recording: a key never reaches a cassette, report or log, and re-recording changes nothing.

One subprocess re-records a slice of the suite against the reference server, with two xdist
workers and a canary key, into a temporary folder (with a JUnit report and full logs); then every
file it wrote is searched for the key in several encodings and compared with the committed cassettes.
"""

import base64
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # seconds a test: servers, subprocesses or long simulations

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
           "-o", "junit_logging=all", "-rA", "-vv", "--showlocals", "-n", "2"]
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


def _record(out: Path, *extra: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "-k", SLICE, "--target", "reference",
           "--record-mode=rewrite", f"--cassette-dir={out}", "-q", *extra]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, timeout=timeout)


def test_recording_with_two_workers_drops_no_cassette_and_leaves_no_temporary_file(recording):
    tests = (recording / "junit.xml").read_text().count("<testcase ")
    assert len(list((recording / "cassettes").rglob("*.json"))) == tests > 20
    assert not list(recording.rglob("*.tmp")), "a temporary file was left behind"


def test_an_interrupted_recording_leaves_every_cassette_whole(tmp_path):
    import json
    import shutil
    import signal

    shutil.copytree(ROOT / "cassettes", tmp_path, dirs_exist_ok=True)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.json")}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "--target", "reference", "--record-mode=rewrite",
           f"--cassette-dir={tmp_path}", "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    rewritten = lambda: sum(p.stat().st_mtime_ns != t for p, t in mtimes.items())  # noqa: E731
    while rewritten() < 5 and time.monotonic() < deadline:  # kill it in the middle of recording
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    for path, old in before.items():
        data = path.read_bytes()
        assert data == old or json.loads(data)["interactions"], f"{path} was damaged"
    assert set(tmp_path.rglob("*.json")) == set(before), "a cassette disappeared"


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # this test starts the reference server itself
def test_a_key_in_the_base_url_query_writes_it_nowhere(tmp_path):
    from conformance.server import serve_in_thread

    with serve_in_thread(key=CANARY) as server:
        urls = {p: f"{u}?api-key={CANARY}" for p, u in server.base_urls.items()}
        targets = tmp_path / "targets.json"
        targets.write_text(
            '{"targets": {"canary": {"description": "a gateway taking its key in the URL", "server": "canary", '
            '"dialect": "xiaomi", "base_urls": %s, "auth": "bearer", "key_env": "CANARY_KEY", '
            '"models": ["mimo-v2.5-pro"], "source": "test"}}}' % __import__("json").dumps(urls))
        run = _record(tmp_path / "cassettes", "--targets-file", str(targets), "--target", "canary",
                      f"--junitxml={tmp_path / 'junit.xml'}", env={"CANARY_KEY": CANARY})
    (tmp_path / "output.txt").write_bytes(run.stdout + run.stderr)
    targets.unlink()  # the one file that holds the key on purpose: the test's own input
    assert list((tmp_path / "cassettes").rglob("*.json")), run.stdout.decode()[-2000:]
    assert _hits(tmp_path, CANARY) == []


def test_committed_cassettes_keep_only_allowed_headers():
    import json

    from conformance.cassettes import RESPONSE_HEADER_ALLOW_LIST
    from conformance.transport import REQUEST_HEADER_ALLOW_LIST

    for path in (ROOT / "cassettes").rglob("*.json"):
        for interaction in json.loads(path.read_text())["interactions"]:
            assert set(interaction["request"]["headers"]) <= set(REQUEST_HEADER_ALLOW_LIST), path
            assert set(interaction["response"]["headers"]) <= set(RESPONSE_HEADER_ALLOW_LIST), path


def test_a_corrupted_cassette_is_one_clear_error(tmp_path):
    name = "test_case[openai.chat_completions.basic.user_only-mimo-v2.5-pro-plain].json"
    src = ROOT / "cassettes" / "reference" / "xiaomi" / "test_cases" / name
    dst = tmp_path / "reference" / "xiaomi" / "test_cases" / name
    dst.parent.mkdir(parents=True)
    dst.write_bytes(src.read_bytes()[: len(src.read_bytes()) // 2])  # truncated mid-write
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "-k", "basic.user_only-mimo-v2.5-pro-plain",
           f"--cassette-dir={tmp_path}", "-q"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert f"{dst}: not a readable cassette" in run.stdout and "record it again" in run.stdout
