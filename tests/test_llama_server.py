"""The llama-server launcher and its profile agree: pins, port, model data and the recording label."""

import os
import socket
from pathlib import Path

import pytest

from conformance import llama_server, models, targets
from conformance.contract import request_violations


def test_the_profile_points_at_the_launchers_default_port():
    profile = targets.get("llama-server")
    assert profile.base_urls == llama_server.base_urls(llama_server.DEFAULT_PORT)
    assert profile.key_env == llama_server.KEY_ENV and profile.models == (llama_server.MODEL_ID,)


def test_the_profile_labels_recordings_with_the_launchers_pins():
    assert targets.get("llama-server").recorded_from == llama_server.recorded_from()


def test_the_model_data_gives_the_context_the_server_starts_with():
    model = models.get(llama_server.MODEL_ID)
    assert model.context_tokens == llama_server.CTX_SIZE == model.range("max_tokens").max
    assert not model.in_captured_docs and "NOT a MiMo model" in model.notes


def test_the_server_listens_on_loopback_and_requires_the_key():
    argv = llama_server.server_command(Path("/x/llama-server"), Path("/m.gguf"), 9, "sk-k")
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and argv[argv.index("--api-key") + 1] == "sk-k"
    assert argv[argv.index("--ctx-size") + 1] == str(llama_server.CTX_SIZE) and "--jinja" in argv


def test_a_taken_port_gives_way_to_a_free_one():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert llama_server.free_port(taken) != taken


def test_the_build_is_cached_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.setenv("MIMO_CONFORMANCE_CACHE", str(tmp_path))
    built = tmp_path / "llama-server" / llama_server.LLAMA_CPP_PYTHON / "bin" / "llama-server"
    built.parent.mkdir(parents=True)
    built.touch()
    assert llama_server.binary(llama_server.cache_dir()) == built  # found: nothing is downloaded or built


def test_a_model_that_never_thinks_accepts_being_asked_not_to():
    body = {"model": llama_server.MODEL_ID, "max_tokens": 16, "messages": [{"role": "user", "content": "Hi."}],
            "thinking": {"type": "disabled"}}
    assert request_violations("anthropic", body) == []
    enabled = request_violations("anthropic", {**body, "thinking": {"type": "enabled"}})
    assert [v.rule for v in enabled] == ["parameter_supported"]
    tts = {"model": "mimo-v2.5-tts", "messages": [{"role": "assistant", "content": "Hi."}], "thinking": {"type": "disabled"}}
    assert "parameter_supported" in [v.rule for v in request_violations("openai", tts)]  # the docs refuse it there


def test_a_case_expectation_is_judged_like_a_check(tmp_path):
    import json

    from conformance import deviations, known
    from conformance.checks import Finding
    from conformance.transcript import load_exchange

    entry = {"check": "expect.status", "selector": {"status": 200}, "reason": "accepts what it should refuse",
             "evidence": "a cassette"}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"target": "t", "deviations": [entry]}))
    judge = known.Judge(deviations.load(path, "t"), ("contract",), "test_x")
    good = Path(__file__).parent / "data" / "exchanges" / "good" / "openai_plain.json"
    exchange = load_exchange(json.loads(good.read_text(encoding="utf-8")))
    unmet = [Finding("expect.status", "", "status 200, expected 400")]
    assert judge.failing_of(unmet, (exchange,), {"expect.status"}) == [] and judge.known


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_llama_server_recordings_replay_green_through_its_deviation_table(pytestconfig):
    # The default run replays target reference; this runs the same case and property tests over the
    # committed cassettes/llama-server/ (offline), where deviations/llama-server.json makes the known
    # differences strict xfails. A re-recording that fixes one turns it into XPASS and fails here.
    import subprocess
    import sys

    if pytestconfig.getoption("--target") == "llama-server":
        pytest.skip("this run tests llama-server itself")
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    argv = [sys.executable, "-m", "pytest", "--target", "llama-server", "-q",
            "tests/test_cases.py", "tests/test_properties.py"]
    run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " xfailed" in run.stdout, run.stdout[-2000:]


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # a stand-in server of the test's own
def test_serve_says_how_to_test_once_the_server_is_healthy(capsys):
    # A stand-in for llama-server: answers GET /health once with 200, then exits.
    import sys

    port = llama_server.free_port(0)
    fake = ("import http.server, sys\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self): self.send_response(200); self.end_headers()\n"
            "    def log_message(self, *a): pass\n"
            f"http.server.HTTPServer(('127.0.0.1', {port}), H).handle_request()\n")
    assert llama_server.serve([sys.executable, "-c", fake], port, "sk-test") == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{port}/v1" in out and f"--openai-base-url http://127.0.0.1:{port}/v1" in out
    assert "LLAMA_SERVER_API_KEY=sk-test python3 -m pytest --target llama-server --live" in out
