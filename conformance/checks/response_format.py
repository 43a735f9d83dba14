"""Output formats a request asks for: json_object mode gives a JSON object."""

from __future__ import annotations

import json
from typing import Any, Iterator

from ..assemble import openai_answer
from ..exchange import Exchange
from ._common import where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]


def _asks_json(request: dict[str, Any]) -> bool:
    """response_format json_object, with a message that asks for JSON."""
    # Source: docs/sources.md#openai-api § Request body > response_format > JSON object:
    # "the model will not generate JSON without a system or user message instructing it to do so".
    if (request.get("response_format") or {}).get("type") != "json_object":
        return False
    return "json" in json.dumps(request.get("messages"), ensure_ascii=False).lower()


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


@check("openai.response_format.json_object", applies=where("openai", ok=True), basis="documented",
       source="docs/sources.md#openai-api § Request body > response_format")
def json_object(exchange: Exchange) -> Violations:
    """With response_format json_object (and a message asking for JSON), the content is a JSON object unless cut by length."""
    if not _asks_json(exchange.request.json):
        return
    for choice in openai_answer(exchange).choices:
        if choice.finish_reason != "length" and not choice.tool_calls and not _is_object(choice.text):
            loc = choice.content.location_of(0) or choice.at
            yield loc, f"expected a JSON object in json_object mode, got {choice.text[:60]!r}"
