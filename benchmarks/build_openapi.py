"""Write benchmarks/openapi.json: an OpenAPI 3.1 document around the suite's own schemas/.

Both chat endpoints, with the request, response and error schemas of schemas/openai/ and
schemas/anthropic/ as they are: every ``$defs`` entry is hoisted into ``components/schemas`` (as
``<schema>__<def>``) and every ``$ref`` rewritten to match, so a tool that resolves only
``#/components/...`` pointers reads the same rules the suite holds servers to. A stream answers
``text/event-stream``; before OpenAPI 3.2 its ``schema`` describes one event, ``{event, data}``,
whose data is JSON (``contentMediaType``) held to the chunk or event schema (``contentSchema``).

    python3 benchmarks/build_openapi.py        # rewrites benchmarks/openapi.json
"""

from __future__ import annotations

import json
import posixpath
import sys
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "OUTPUT", "SCHEMAS", "ENDPOINTS", "ERROR_STATUSES", "build", "main"]

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).resolve().parent / "openapi.json"
# component name -> schema file under schemas/
SCHEMAS = {
    "openai_request": "openai/chat_completions.request.json",
    "openai_response": "openai/chat_completions.response.json",
    "openai_chunk": "openai/chat_completions.chunk.json",
    "openai_error": "openai/error.json",
    "anthropic_request": "anthropic/messages.request.json",
    "anthropic_response": "anthropic/messages.response.json",
    "anthropic_event": "anthropic/messages.event.json",
    "anthropic_error": "anthropic/error.json",
}
# path -> (operation id, component prefix); paths as the reference server routes them
ENDPOINTS = {
    "/v1/chat/completions": ("chat_completions", "openai"),
    "/anthropic/v1/messages": ("messages", "anthropic"),
}
# Source: docs/sources.md#model-hyperparameters § Error codes table (as conformance.checks uses it).
ERROR_STATUSES = ("400", "401", "402", "403", "404", "421", "429", "500", "503")
_FILES = {path: name for name, path in SCHEMAS.items()}


def _ref(ref: str, name: str) -> str:
    """A schema-local or cross-file ``$ref`` as a pointer into components/schemas."""
    target, _, pointer = ref.partition("#")
    if target:  # "../openai/error.json": resolve against the referring file's folder
        name = _FILES[posixpath.normpath(posixpath.join(posixpath.dirname(SCHEMAS[name]), target))]
    if pointer.startswith("/$defs/"):
        return f"#/components/schemas/{name}__{pointer.removeprefix('/$defs/')}"
    return f"#/components/schemas/{name}"


def _rewritten(node: Any, name: str) -> Any:
    """``node`` with its refs rewritten and no ``$schema``, ``$id`` or ``$defs`` keys."""
    if isinstance(node, list):
        return [_rewritten(item, name) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _rewritten(v, name) for k, v in node.items() if k not in ("$schema", "$id", "$defs")}
    if isinstance(node.get("$ref"), str):
        out["$ref"] = _ref(node["$ref"], name)
    return out


def _components() -> dict[str, Any]:
    """Every schema file and each of its ``$defs`` entries as a named component."""
    found: dict[str, Any] = {}
    for name, path in SCHEMAS.items():
        schema = json.loads((ROOT / "schemas" / path).read_text(encoding="utf-8"))
        found[name] = _rewritten(schema, name)
        for key, definition in (schema.get("$defs") or {}).items():
            found[f"{name}__{key}"] = _rewritten(definition, name)
    return found


def _json(component: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


def _event(prefix: str) -> dict[str, Any]:
    """One SSE event of a stream: its data is a JSON chunk or event (OpenAI may also send [DONE])."""
    item = "chunk" if prefix == "openai" else "event"
    data: dict[str, Any] = {"type": "string", "contentMediaType": "application/json",
                            "contentSchema": {"$ref": f"#/components/schemas/{prefix}_{item}"}}
    if prefix == "openai":
        data = {"anyOf": [{"const": "[DONE]"}, data]}
    return {"type": "object", "required": ["data"], "properties": {"event": {"type": "string"}, "data": data}}


def _operation(operation_id: str, prefix: str) -> dict[str, Any]:
    """One POST operation: the request body, a 200 (JSON or a stream), and the documented errors."""
    ok = {**_json(f"{prefix}_response"), "text/event-stream": {"schema": _event(prefix)}}
    responses = {"200": {"description": "the answer, or its stream when stream is true", "content": ok}}
    responses.update({s: {"description": "an error", "content": _json(f"{prefix}_error")} for s in ERROR_STATUSES})
    return {"operationId": operation_id, "requestBody": {"required": True, "content": _json(f"{prefix}_request")},
            "responses": responses}


def build() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "MiMo API (as schemas/ states it)", "version": "1",
                 "description": "Generated by benchmarks/build_openapi.py from schemas/; do not edit."},
        "servers": [{"url": "http://127.0.0.1:8000"}],
        "security": [{"api_key": []}, {"bearer": []}],
        "paths": {path: {"post": _operation(*spec)} for path, spec in ENDPOINTS.items()},
        "components": {
            "securitySchemes": {"api_key": {"type": "apiKey", "in": "header", "name": "api-key"},
                                "bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _components(),
        },
    }


def main() -> int:
    """Write benchmarks/openapi.json."""
    OUTPUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
