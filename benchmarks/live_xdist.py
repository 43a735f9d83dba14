"""What pytest-xdist buys on a live run, by how long the target takes to answer.

Run: python3 benchmarks/live_xdist.py            (about 3 minutes; writes benchmarks/results/live_xdist.json)
     python3 benchmarks/live_xdist.py --llama    (adds llama-server: needs its build, about 8 minutes more)

The same live run (tests/test_cases.py and tests/test_properties.py against one model, 147
requests) with one pytest process and with two workers, against the reference server started
apart with ``--latency`` 0 and 0.25 s: an answer that takes a quarter of a second without using this
machine's CPU is what a remote target looks like. With ``--llama``, also the arithmetic eval
family live against llama-server (two slots, two threads): a target that answers with this
machine's own two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance import llama_server  # noqa: E402 (after the path is set)

OUT = Path(__file__).with_name("results") / "live_xdist.json"
# The reference server's models carry Xiaomi's documented rate limits (100 requests a minute), which
# pace any live run against a base URL given on the command line: here they would be all one measures.
LIVE_RUN = ("tests/test_cases.py", "tests/test_properties.py", "--model", "mimo-v2.5-pro", "--no-rate-limit")


def pytest_wall(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    last = [ln for ln in done.stdout.splitlines() if ln.strip()][-1]
    return took, last


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def reference_server(latency: float) -> Iterator[tuple[list[str], dict[str, str]]]:
    """A reference server of its own (``--latency``), as the pytest options and environment that reach it."""
    port, key = free_port(), f"sk-bench-{secrets.token_hex(8)}"
    server = subprocess.Popen([sys.executable, "-m", "conformance.server", "--port", str(port), "--key", key,
                               "--latency", str(latency)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # the first base URL line: it is listening
        yield (["--target", "reference", "--live", "--openai-base-url", f"http://127.0.0.1:{port}/v1",
                "--anthropic-base-url", f"http://127.0.0.1:{port}/anthropic"], {"MIMO_REFERENCE_KEY": key})
    finally:
        server.terminate()
        server.wait(timeout=10)


def by_workers(target: str, args: list[str], env: dict[str, str], digits: int) -> dict:
    """The same run with one process and with two workers, and the ratio."""
    row: dict = {"target": target}
    for workers in ("0", "2"):
        took, row["tests"] = pytest_wall([*args, "-n", workers], env)
        row[f"n{workers}_s"] = round(took, digits)
    row["xdist_speedup"] = round(row["n0_s"] / row["n2_s"], 2)
    return row


def reference(latency: float) -> dict:
    with reference_server(latency) as (args, env):
        return by_workers(f"reference server, --latency {latency}", [*args, *LIVE_RUN], env, 2)


def paced() -> dict:
    """The same run paced by the model's documented rate limit (100 rpm): what a Xiaomi key would meet."""
    with reference_server(0.0) as (args, env):
        took, last = pytest_wall([*args, "-n", "0", *LIVE_RUN[:-1]], env)
    return {"target": "reference server, --latency 0.0, paced at the documented 100 rpm (no --no-rate-limit)",
            "n0_s": round(took, 2), "tests": last}


def llama() -> dict:
    cache = llama_server.cache_dir()
    exe, gguf = llama_server.binary(cache), llama_server.model(cache)
    port, key = llama_server.free_port(18090), f"sk-bench-{secrets.token_hex(8)}"
    server = subprocess.Popen(llama_server.server_command(exe, gguf, port, key, threads=2, parallel=2),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        llama_server.wait_healthy(port, server)
        urls = llama_server.base_urls(port)
        args = ["evals", "--target", "llama-server", "--live", "--family", "arithmetic", "--openai-base-url", urls["openai"],
                "--anthropic-base-url", urls["anthropic"], "--first-byte-timeout", "600",
                "--eval-results", str(ROOT / "evals" / "results" / "bench" / "{date}.json")]
        return by_workers("llama-server --parallel 2 --threads 2, Gemma 3 270M, evals --family arithmetic",
                          args, {llama_server.KEY_ENV: key}, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama", action="store_true", help="also measure against llama-server")
    args = parser.parse_args()
    rows = [reference(0.0), reference(0.25), paced()]
    if args.llama:
        rows.append(llama())
    elif OUT.exists():  # keep an earlier llama-server row
        rows += [r for r in json.loads(OUT.read_text()).get("rows", []) if r["target"].startswith("llama-server")]
    result = {"cpu_count": os.cpu_count(), "command": "python3 benchmarks/live_xdist.py [--llama]", "rows": rows}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
