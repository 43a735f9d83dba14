"""The pytest plugin's user-facing errors: each is one clear message naming the fix."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.plugin import network_mode

ROOT = Path(__file__).resolve().parent.parent


def _pytest(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("MIMO_API_KEY", "MIMO_TARGET")}
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_live_run_without_a_key_is_one_usage_error():
    run = _pytest("--target", "xiaomi", "--live", "tests/test_cases.py")
    assert run.returncode == 4  # pytest's usage-error exit code: nothing ran
    assert "set $MIMO_API_KEY" in run.stderr and "passed" not in run.stdout


@pytest.mark.slow
def test_unknown_target_lists_the_known_ones():
    run = _pytest("--target", "nonesuch", "tests/test_sse.py")
    assert run.returncode == 4
    assert "unknown target 'nonesuch'" in run.stderr and "xiaomi-token-plan" in run.stderr


@pytest.mark.slow
def test_invalid_targets_file_names_the_file_and_field(tmp_path):
    bad = tmp_path / "targets.json"
    bad.write_text('{"targets": {"gw": {"description": "x", "server": "gw", "dialect": "xiaomi", "base_urls": null, '
                   '"auth": "cookie", "key_env": "GW_KEY", "models": ["mimo-v2.5-pro"], "source": "me"}}}')
    run = _pytest("--targets-file", str(bad), "--target", "gw", "tests/test_sse.py")
    assert run.returncode == 4
    assert str(bad) in run.stderr and "/targets/gw/auth" in run.stderr


@pytest.mark.slow
def test_missing_recording_says_how_to_record_it(tmp_path):
    run = _pytest("tests/test_cases.py", "-k", "openai.chat_completions.basic.user_only-mimo-v2.5-pro-plain",
                  f"--cassette-dir={tmp_path}")
    assert run.returncode == 1
    assert "no recording for this request" in run.stdout
    assert "pytest --target reference --record-mode=once" in run.stdout


def test_the_network_is_blocked_exactly_in_replay(pytestconfig):
    blocked = network_mode(pytestconfig) == "replay"
    with socket.socket() as sock, pytest.raises(RuntimeError if blocked else OSError) as caught:
        sock.settimeout(1)
        sock.connect(("127.0.0.1", 9))  # port 9 (discard) is closed here
    assert ("Network is disabled" in str(caught.value)) == blocked


@pytest.mark.slow
def test_header_names_target_mode_and_models():
    run = _pytest("tests/test_sse.py", "--model", "mimo-v2.5")
    assert "target reference (reference/xiaomi), mode replay, models mimo-v2.5" in run.stdout
