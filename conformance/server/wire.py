"""Framing: documents and SSE items to bytes, and the error bodies the live API sends.

Error bodies copy the live API's envelopes (docs/observed.md § Errors); the Anthropic endpoint uses the
same OpenAI-style envelope (docs/observed.md § Anthropic protocol > OpenAI-style error envelope).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..contract import BARE_RULES, INVALID_JSON, Violation
from ..sse import Item, SSEComment, serialize

__all__ = [
    "PROCESSING", "NOT_FOUND_HTML", "json_bytes", "sse_chunks",
    "invalid_json", "invalid_key", "violation_error",
]

# The live API sends ": PROCESSING" before the first event on both protocols
# (docs/observed.md § OpenAI protocol > PROCESSING comment); legal SSE.
# sse.serialize writes ":" + text, so the text carries the space the wire shows.
PROCESSING = SSEComment(" PROCESSING")

# A wrong path answers an HTML 404 (docs/observed.md § Errors > HTML 404 for a wrong path), not a JSON error.
NOT_FOUND_HTML = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n"
)


def json_bytes(doc: Any) -> bytes:
    """``doc`` as compact UTF-8 JSON, keys in the order they were built."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sse_chunks(items: Iterable[Item]) -> list[bytes]:
    """Each item serialized on its own, so a response can send them one at a time."""
    return [serialize([item]).encode("utf-8") for item in items]


def invalid_json() -> dict[str, Any]:
    """The body for a request body that is not JSON (answered before the key is checked)."""
    return {"error": {"code": "400", "message": INVALID_JSON}}


def invalid_key() -> dict[str, Any]:
    """The 401 body for a missing or wrong key."""
    return {"error": {"message": "Invalid API Key", "param": "Please provide valid API Key", "code": "401", "type": "invalid_key"}}


def violation_error(v: Violation) -> dict[str, Any]:
    """The error body for a contract violation: bare for model errors, "Param Incorrect" otherwise."""
    if v.rule in BARE_RULES:
        return {"error": {"code": str(v.status), "message": v.message}}
    return {"error": {"code": str(v.status), "message": "Param Incorrect", "param": v.message, "type": ""}}
