"""The pytest plugin's user-facing errors: each is one clear message naming the fix."""

import json
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


ONE_CASE = "openai.chat_completions.basic.user_only-mimo-v2.5-pro-plain"
NODE = f"tests/test_cases.py::test_case[{ONE_CASE}]"


def _record(command: str) -> subprocess.CompletedProcess:
    """Run a printed record command as a user pastes it."""
    clean = {k: v for k, v in os.environ.items() if k not in ("MIMO_API_KEY", "MIMO_TARGET")}
    return subprocess.run(command, shell=True, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_missing_recording_prints_the_command_that_records_it_with_every_option_that_selected_it(tmp_path):
    targets = tmp_path / "targets.json"
    targets.write_text('{"targets": {"gw": {"description": "mine", "server": "gw", "dialect": "xiaomi", "base_urls": null, '
                       '"auth": "api-key", "key_env": "GW_KEY", "models": ["mimo-v2.5", "mimo-v2.5-pro"], "source": "me"}}}')
    cassettes = tmp_path / "cassettes"
    run = _pytest("tests/test_cases.py", "-k", ONE_CASE, "--targets-file", str(targets), "--target", "gw",
                  "--model", "mimo-v2.5-pro", "--cassette-dir", str(cassettes))
    assert run.returncode == 1
    command = (f"python3 -m pytest --target gw --targets-file {targets} --model mimo-v2.5-pro --cassette-dir {cassettes} "
               f"--record-mode=once '{NODE}'")
    assert f"Record it with:\n  {command}\n" in run.stdout
    assert "record mode 'none'" in run.stdout and "(the default)" not in run.stdout  # vcrpy's default is not ours
    assert _record(command).returncode == 0
    assert (cassettes / "gw" / "xiaomi" / "test_cases" / f"test_case[{ONE_CASE}].json").is_file()


@pytest.mark.slow
def test_a_changed_request_prints_the_command_that_records_the_test_again(tmp_path):
    name = f"test_case[{ONE_CASE}].json"
    cassette = tmp_path / "reference" / "xiaomi" / "test_cases" / name
    cassette.parent.mkdir(parents=True)
    doc = json.loads((ROOT / "cassettes" / "reference" / "xiaomi" / "test_cases" / name).read_text(encoding="utf-8"))
    doc["interactions"][0]["request"]["body"] = json.dumps({"model": "mimo-v2.5-pro", "messages": []})
    cassette.write_text(json.dumps(doc), encoding="utf-8")
    run = _pytest("tests/test_cases.py", "-k", ONE_CASE, "--cassette-dir", str(tmp_path))
    command = f"python3 -m pytest --target reference --cassette-dir {tmp_path} --record-mode=rewrite '{NODE}'"
    assert run.returncode == 1 and f"Record it with:\n  {command}\n" in run.stdout
    assert "the closest differ in json_body" in run.stdout
    assert _record(command).returncode == 0
    assert json.loads(cassette.read_text(encoding="utf-8"))["interactions"][0]["request"]["body"] != doc["interactions"][0]["request"]["body"]


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
