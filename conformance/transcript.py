"""One exchange as a JSON document: the format ``check`` reads and test data is written in.

The format (``schemas/transcript.schema.json``)::

    {
      "description": "optional: what this transcript is and where it comes from",
      "protocol": "openai" | "anthropic" | "responses",
      "dialect": "optional: how the server spoke (schemas/dialects/), default xiaomi",
      "model": "optional: the model the test meant to exercise (else the request's)",
      "request": {"method": "POST", "url": "...", "headers": {...}, "body": <JSON sent>,
                  "auth": "api-key" | "bearer" | "x-api-key" | "both" | "none", "credential": "valid" | "wrong" | "missing"},
      "status": 200,
      "headers": {"content-type": "..."},
      "body": <JSON value> or "<raw text>"      -- exactly one of body and sse
      "sse": "<raw event-stream text>" or ["<event block>", ...],
      "error": "optional: the transport failure that cut the response short"
    }

``request.raw_body`` (a string sent verbatim as UTF-8 bytes) replaces ``body`` for requests that
were not JSON. A response ``body`` that is a string is the raw text (an HTML page, an SSE-framed
error); any other JSON value is the parsed body. ``sse`` as a list holds one event block per item
(its lines, without the blank line that ends it): the loader joins them with blank lines, which
keeps hand-written streams readable and lets a JSON Patch touch one event. Header names are
case-insensitive and loaded lower-cased; a transcript never holds a key.
"""

from __future__ import annotations

import json
from typing import Any

from . import sse
from .exchange import NOT_JSON, Exchange, Request, parse_json

__all__ = ["SCHEMA", "TranscriptError", "load_exchange", "dump_exchange", "sse_text"]

SCHEMA = "transcript.schema.json"


class TranscriptError(ValueError):
    """A document that is not a valid transcript; the message lists each violation by JSON pointer."""


def sse_text(value: str | list[str]) -> str:
    """The raw event-stream text of an ``sse`` value: a string as is, a list of event blocks joined."""
    return value if isinstance(value, str) else "".join(block + "\n\n" for block in value)


def load_exchange(doc: dict[str, Any]) -> Exchange:
    """The Exchange a transcript describes; raises TranscriptError when it breaks the schema."""
    from .schemas import errors  # the schema file is read on first use

    problems = errors(SCHEMA, doc)
    if problems:
        raise TranscriptError("not a transcript: " + "; ".join(map(str, problems)))
    text = sse_text(doc["sse"]) if "sse" in doc else _text(doc["body"])
    return Exchange(
        protocol=doc["protocol"],
        request=_request(doc["request"]),
        status=doc["status"],
        headers={k.lower(): v for k, v in doc["headers"].items()},
        text=text,
        transcript=tuple(sse.parse(text)) if "sse" in doc else None,
        error=doc.get("error"),
        model=doc.get("model"),
        undecodable_at=doc.get("undecodable_at"),
        dialect=doc.get("dialect", "xiaomi"),
    )


def _text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def _request(doc: dict[str, Any]) -> Request:
    body = doc["raw_body"].encode() if "raw_body" in doc else doc.get("body")
    return Request(
        doc["method"], doc["url"], {k.lower(): v for k, v in doc["headers"].items()}, body,
        auth=doc.get("auth", "api-key"), credential=doc.get("credential", "valid"),
    )


def dump_exchange(exchange: Exchange) -> dict[str, Any]:
    """The transcript of ``exchange``: a JSON body is kept parsed (its whitespace is not), SSE as raw text."""
    doc: dict[str, Any] = {"protocol": exchange.protocol, "request": _dump_request(exchange.request)}
    if exchange.model is not None:
        doc["model"] = exchange.model
    if exchange.dialect != "xiaomi":
        doc["dialect"] = exchange.dialect
    doc.update(status=exchange.status, headers=dict(exchange.headers))
    if exchange.transcript is not None:
        doc["sse"] = exchange.text
    else:
        parsed = parse_json(exchange.text)
        doc["body"] = exchange.text if parsed is NOT_JSON or isinstance(parsed, str) else parsed
    if exchange.error is not None:
        doc["error"] = exchange.error
    return doc


def _dump_request(request: Request) -> dict[str, Any]:
    doc = {"method": request.method, "url": request.url, "headers": dict(request.headers)}
    if isinstance(request.body, bytes):
        doc["raw_body"] = request.body.decode("utf-8", errors="replace")
    else:
        doc["body"] = request.body
    doc.update(auth=request.auth, credential=request.credential)
    return doc
