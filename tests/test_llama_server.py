"""The llama-server launcher and its profile agree: pins, port, model data and the recording label."""

import socket
from pathlib import Path

from conformance import llama_server, models, targets


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
