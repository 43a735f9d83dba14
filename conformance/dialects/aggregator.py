"""The aggregator on the reference server: Xiaomi's answer in OpenRouter's shape, Xiaomi's errors wrapped.

Shapes from docs/observed.md § Resellers and gateways > Aggregator response shape: ids ``gen-``,
the model named with a date, ``reasoning`` and ``reasoning_details`` in place of
``reasoning_content``, a ``native_finish_reason`` beside each ``finish_reason``, credits counted
in ``meta.usage`` (one a token: our choice). Errors from docs/observed.md § Resellers and gateways
> OpenRouter error wrapping: a refusal by a rule of Xiaomi's comes as "Provider returned error"
with Xiaomi's body in ``metadata.raw``; the aggregator's own refusals (its page's rules, the key,
the model id, JSON) come in its own ``{"error": {"message", "code"}}``, an integer code.
"""

from __future__ import annotations

import json
from typing import Any

from .. import dialects
from ..sse import SSEEvent
from ..server import wire
from .xiaomi import request as _xiaomi_request

__all__ = ["request", "document", "items", "refusal", "upstream", "unauthorized", "malformed"]

OWN_PAGE = "docs/sources.md#aggregator-mimo-v2-5-pro"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def request(protocol: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(protocol, body) the generator answers. Xiaomi's ``thinking`` is not on the aggregator's page: like
    any field the page does not list, it is ignored (schemas/dialects/aggregator.json, unknown_fields)."""
    return _xiaomi_request(protocol, {k: v for k, v in body.items() if k != "thinking"})


def _dated(model: str) -> str:
    """The model id with the date the aggregator names it with."""
    return f"{model}-{dialects.get('aggregator').answer('dated_as')[0]}"


def _generation_id(xiaomi_id: str, created: int) -> str:
    """``gen-<created>-<20 letters and digits>``, taken from the Xiaomi id so both forms of one answer agree."""
    digits = int("".join(c for c in xiaomi_id if c in "0123456789abcdef") or "0", 16)
    letters = "".join(_ALPHABET[(digits >> (6 * i)) % len(_ALPHABET)] for i in range(20))
    return f"gen-{created}-{letters}"


def _reasoning(where: dict[str, Any]) -> dict[str, Any]:
    """``reasoning_content`` as ``reasoning``, with its ``reasoning_details`` when it holds text."""
    out = {k: v for k, v in where.items() if k != "reasoning_content"}
    if "reasoning_content" in where:
        text = where["reasoning_content"]
        out["reasoning"] = text
        if text:
            out["reasoning_details"] = [{"type": "reasoning.text", "text": text, "format": "unknown", "index": 0}]
    return out


def _credits(usage: Any) -> dict[str, Any]:
    return {"usage": {"credits_used": usage.get("total_tokens", 0) if isinstance(usage, dict) else 0}}


def _choice(choice: dict[str, Any], key: str) -> dict[str, Any]:
    out = {**choice, key: _reasoning(choice[key])} if isinstance(choice.get(key), dict) else dict(choice)
    if "finish_reason" in choice:
        out["native_finish_reason"] = choice["finish_reason"]
    return out


def document(protocol: str, doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The chat completion in OpenRouter's shape."""
    choices = [_choice(c, "message") for c in doc.get("choices", [])]
    return {**doc, "id": _generation_id(doc["id"], doc["created"]), "model": _dated(doc["model"]), "choices": choices,
            "meta": _credits(doc.get("usage"))}


def _chunk(payload: dict[str, Any]) -> dict[str, Any]:
    out = {**payload, "id": _generation_id(payload["id"], payload["created"]), "model": _dated(payload["model"]),
           "choices": [_choice(c, "delta") for c in payload.get("choices", [])]}
    if isinstance(payload.get("usage"), dict):
        out["meta"] = _credits(payload["usage"])
    return out


def items(protocol: str, found: list[Any], body: dict[str, Any]) -> list[Any]:
    """Each chunk in OpenRouter's shape; comments and [DONE] as they are."""
    out = []
    for item in found:
        payload = _payload(item)
        out.append(item if payload is None else SSEEvent(json.dumps(_chunk(payload), separators=(",", ":"),
                                                                    ensure_ascii=False)))
    return out


def _payload(item: Any) -> dict[str, Any] | None:
    """The JSON object an event carries, or None (a comment, [DONE])."""
    if not isinstance(item, SSEEvent) or item.data == "[DONE]":
        return None
    return json.loads(item.data)


def _own(message: str, status: int) -> dict[str, Any]:
    return {"error": {"message": message, "code": status}}


def _wrapped(status: int, provider_body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(provider_body, separators=(",", ":"), ensure_ascii=False)
    return {"error": {"message": "Provider returned error", "code": status,
                      "metadata": {"raw": raw, "provider_name": "Xiaomi"}}}


def refusal(violation: Any) -> tuple[int, dict[str, Any]]:
    """The aggregator's own rules and the model id answer in its body; Xiaomi's rules come wrapped."""
    if violation.scope == "model":
        return 400, _own(f"{violation.message.rsplit(' ', 1)[-1]} is not a valid model ID", 400)
    if OWN_PAGE in violation.grounds.source:
        return violation.status, _own(violation.message, violation.status)
    return violation.status, _wrapped(violation.status, wire.violation_error(violation))


def upstream(status: int, provider_body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A refusal of Xiaomi's that no rule of ours makes (the web search plugin off): wrapped like the rest."""
    return status, _wrapped(status, provider_body)


def unauthorized() -> tuple[int, dict[str, Any]]:
    """401 in the aggregator's own body."""
    return 401, _own("No auth credentials found", 401)


def malformed() -> tuple[int, dict[str, Any]]:
    """400 in the aggregator's own body."""
    return 400, _own("Invalid JSON in request body", 400)
