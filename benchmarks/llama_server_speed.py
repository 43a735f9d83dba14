"""Time to first token and tokens per second of llama-server with the Gemma 3 270M model.

    python3 benchmarks/llama_server_speed.py [--runs 5] [--tokens 64] [--threads N]

Starts llama-server from the cache that ``python3 -m conformance.llama_server --setup-only`` fills
(the same binary, model and flags as the conformance target), on a free loopback port with a fresh
key; sends ``--runs`` streamed chat completions of exactly ``--tokens`` tokens (``ignore_eos``, a
llama-server extension) after one warm-up; prints the medians; stops the server. Client-side times
are measured from sending the request; llama-server's own ``timings`` are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conformance import llama_server  # noqa: E402

PROMPT = "Count from 1 to 100, separated by spaces."


def one_run(url: str, key: str, tokens: int) -> dict[str, float]:
    """One streamed request on a new connection: seconds to the first content token, the decode rates."""
    body = {"model": llama_server.MODEL_ID, "messages": [{"role": "user", "content": PROMPT}], "stream": True,
            "max_tokens": tokens, "ignore_eos": True, "temperature": 0}
    start, first, last, timings = time.perf_counter(), None, None, {}
    # A new connection each time: llama-server drops a kept-alive connection after a long stream
    # (docs/llama-server-compatibility.md), which would fail the next request on it.
    with httpx.Client(headers={"authorization": f"Bearer {key}"}, timeout=300) as client, \
            client.stream("POST", url, json=body) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            timings = chunk.get("timings") or timings
            if any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
                first = first or time.perf_counter() - start
                last = time.perf_counter() - start
    n = timings.get("predicted_n", tokens)
    return {"ttft_s": first, "client_tok_s": (n - 1) / (last - first) if last > first else float("nan"),
            "server_decode_tok_s": timings.get("predicted_per_second", float("nan")),
            "server_prompt_tok_s": timings.get("prompt_per_second", float("nan")), "total_s": last}


def serve(threads: int | None) -> tuple[subprocess.Popen, int, str]:
    """llama-server from the cache on a free port, healthy."""
    cache = llama_server.cache_dir()
    port, key = llama_server.free_port(0), f"sk-bench-{secrets.token_hex(8)}"
    argv = llama_server.server_command(llama_server.binary(cache), llama_server.model(cache), port, key, threads=threads)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    llama_server.wait_healthy(port, process)
    return process, port, key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="llama-server --threads (default: the launcher's)")
    args = parser.parse_args(argv)
    process, port, key = serve(args.threads)
    try:
        url = llama_server.base_urls(port)["openai"] + "/chat/completions"
        one_run(url, key, 8)  # warm-up: first-request allocations are not the steady state
        runs = [one_run(url, key, args.tokens) for _ in range(args.runs)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"llama-server {llama_server.LLAMA_CPP_COMMIT}, {llama_server.MODEL_FILE}, threads {args.threads or llama_server.THREADS}, "
          f"{args.runs} runs of {args.tokens} tokens, medians:")
    for name in runs[0]:
        print(f"  {name:22} {statistics.median(r[name] for r in runs):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
