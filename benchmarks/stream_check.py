"""How long it takes to fully check a 300-chunk stream, and what each schema validator costs.

Run: python3 benchmarks/stream_check.py   (writes benchmarks/results/stream_check.json)
All ratios come from one run on one machine; the numbers in the README were produced by this script.
"""

from __future__ import annotations

import copy
import json
import platform
import time
from pathlib import Path

import fastjsonschema
import jsonschema_rs

from conformance import checks, schemas
from conformance.exchange import Exchange, Request
from conformance.sse import parse, serialize, SSEEvent

OUT = Path(__file__).with_name("results") / "stream_check.json"
CHUNK_SCHEMA = "openai/chat_completions.chunk.json"


def stream_text(n: int) -> str:
    """A stream shaped as observed (docs/observed.md § OpenAI protocol > Stream ending): role delta, n-3 content deltas,
    finish chunk, usage chunk, [DONE]."""
    base = {"id": "chatcmpl-bench", "created": 1767225600, "model": "mimo-v2.5-pro", "object": "chat.completion.chunk"}
    delta = lambda **d: {"content": None, "role": None, "tool_calls": None, "reasoning_content": None, **d}  # noqa: E731
    chunks = [{**base, "choices": [{"index": 0, "delta": delta(content="", role="assistant"), "finish_reason": None}]}]
    chunks += [{**base, "choices": [{"index": 0, "delta": delta(content=f"word{i} "), "finish_reason": None}]} for i in range(n - 3)]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None})
    usage = {"prompt_tokens": 5, "completion_tokens": n - 3, "total_tokens": n + 2}
    chunks.append({**base, "choices": [], "usage": usage})
    events = [SSEEvent(json.dumps(c, separators=(",", ":"))) for c in chunks] + [SSEEvent("[DONE]")]
    return serialize(events)


def exchange(text: str) -> Exchange:
    """The stream as an exchange answering a plain streamed request."""
    body = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "thinking": {"type": "disabled"}}
    request = Request("POST", "http://bench.invalid/v1/chat/completions", {}, body)
    return Exchange("openai", request, 200, {"content-type": "text/event-stream"}, text, tuple(parse(text)))


def best_of(fn, repeat: int = 30) -> float:
    """Milliseconds of the fastest of ``repeat`` runs of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def resolved_chunk_schema() -> dict:
    """A private copy of the chunk schema (local $refs only); fastjsonschema.compile edits what it gets."""
    return copy.deepcopy(schemas.load(CHUNK_SCHEMA))


def full_check(text: str, severities: tuple[str, ...] = ("contract", "compat", "info")) -> None:
    """What the suite does with a streamed body it received: parse it, then run every applicable check
    (of the given severities)."""
    ex = exchange(text)
    checks.run(ex, only=[c.id for c in checks.applicable(ex) if c.severity in severities])


def main() -> None:
    text = stream_text(300)
    payloads = exchange(text).payloads()[:-1]
    js = schemas.validator(CHUNK_SCHEMA)
    rs = jsonschema_rs.validator_for(resolved_chunk_schema())
    fj = fastjsonschema.compile(resolved_chunk_schema())
    full_check(text)  # warm-up: loads the check modules and builds the validators once
    results = {
        "chunks": len(payloads) + 1,
        "bytes": len(text.encode()),
        "ms_sse_parse": best_of(lambda: parse(text)),
        "ms_json_decode": best_of(lambda: exchange(text).payloads()),
        "ms_schema_jsonschema": best_of(lambda: [list(js.iter_errors(p)) for p in payloads], 5),
        "ms_schema_jsonschema_rs": best_of(lambda: [rs.is_valid(p) for p in payloads]),
        "ms_schema_fastjsonschema": best_of(lambda: [fj(p) for p in payloads]),
        "ms_full_check": best_of(lambda: full_check(text)),
        # parse, schema, order, assembly and every other contract and compat check: the "fully checked"
        "ms_contract_and_compat_checks": best_of(lambda: full_check(text, ("contract", "compat"))),
        # the info checks alone: mostly *.schema.only_declared_fields, a walk of every event against the schema
        "ms_info_checks_alone": best_of(lambda: full_check(text, ("info",))),
        "goal_ms_full_check": 5.0,
        "findings": [str(f) for f in checks.run(exchange(text))],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    results["jsonschema_rs_speedup"] = round(results["ms_schema_jsonschema"] / results["ms_schema_jsonschema_rs"])
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
