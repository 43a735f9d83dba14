"""Id formats (info): ids carry the prefixes the protocols' own clients and servers use."""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..assemble import anthropic_answer, openai_answer
from ..exchange import Exchange
from ._common import dialect_of, json_events, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
NO_FORMAT = "no id format is documented; the prefixes are the ones OpenAI's and Anthropic's own servers use"

# Response ids changed format three times (docs/observed.md § OpenAI protocol > Response id formats): a finding names
# the shape it saw, so the next change is news, never a failure. No id format is documented.
SHAPES = (
    (r"[0-9a-f]{32}", "32 hex digits"),
    (r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}_[0-9a-f]{32}", "<uuid>_<32 hex>"),
    (r"chatcmpl-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "chatcmpl-<uuid>"),
    (r"call_[0-9a-f]{24}", "call_<24 hex>"),
    (r"msg_[0-9A-Za-z]+", "msg_<alphanumerics>"),
    (r"toolu_[0-9A-Za-z]+", "toolu_<alphanumerics>"),
)


def shape(value: Any) -> str:
    """A name for the format of an id: one of the shapes seen so far, or "other"."""
    if not isinstance(value, str):
        return f"not a string: {value!r:.40}"
    return next((name for pattern, name in SHAPES if re.fullmatch(pattern, value)), "other")


def _prefixed(value: Any, prefix: str, location: str, what: str) -> Violations:
    # A missing id is the schema checks' to report; this one only names the format of those present.
    if value is not None and not (isinstance(value, str) and value.startswith(prefix)):
        yield location, f"expected a {what} id starting with {prefix}, got {value!r:.60} ({shape(value)})"


def _message_id(exchange: Exchange) -> tuple[str, Any]:
    """(location, id) of the message or completion: the body's, or the first event's that has one."""
    if not exchange.streamed:
        body = exchange.body
        return "/id", body.get("id") if isinstance(body, dict) else None
    for i, payload in json_events(exchange):
        message = payload.get("message")
        if "id" in payload:
            return f"event {i} /id", payload["id"]
        if isinstance(message, dict) and "id" in message:
            return f"event {i} /message/id", message["id"]
    return "", None


@check("openai.ids.response_prefix", applies=where("openai", ok=True), basis="reference", source=NO_FORMAT)
def openai_response_prefix(exchange: Exchange) -> Violations:
    """The completion id starts with its dialect's prefix: chatcmpl-, as OpenAI's do (the aggregator's gen-)."""
    location, value = _message_id(exchange)
    prefix, rule = dialect_of(exchange).answer("id_prefix") or ("chatcmpl-", None)
    for found in _prefixed(value, prefix, location, "completion"):
        yield (*found, rule) if rule is not None else found


def _calls_tools(exchange: Exchange) -> bool:
    """A successful answer with a tool call or tool_use block: where a tool id is due."""
    if not exchange.ok:
        return False
    if exchange.protocol == "openai":
        return any(c.tool_calls for c in openai_answer(exchange).choices)
    return any(b.type == "tool_use" for b in anthropic_answer(exchange).blocks)


@check("openai.ids.tool_call_prefix", applies=lambda ex: ex.protocol == "openai" and _calls_tools(ex),
       basis="reference", source=NO_FORMAT)
def openai_tool_call_prefix(exchange: Exchange) -> Violations:
    """Tool call ids start with call_, as OpenAI's do."""
    for choice in openai_answer(exchange).choices:
        for call in choice.tool_calls:
            yield from _prefixed(call.id, "call_", f"{call.at}/id", "tool call")


@check("anthropic.ids.message_prefix", applies=where("anthropic", ok=True), basis="reference", source=NO_FORMAT)
def anthropic_message_prefix(exchange: Exchange) -> Violations:
    """The message id starts with msg_, as Anthropic's do."""
    location, value = _message_id(exchange)
    yield from _prefixed(value, "msg_", location, "message")


@check("anthropic.ids.tool_use_prefix", applies=lambda ex: ex.protocol == "anthropic" and _calls_tools(ex),
       basis="reference", source=NO_FORMAT)
def anthropic_tool_use_prefix(exchange: Exchange) -> Violations:
    """tool_use block ids start with toolu_, as Anthropic's do."""
    for block in anthropic_answer(exchange).blocks:
        if block.type == "tool_use":
            yield from _prefixed(block.id, "toolu_", f"{block.at}/id", "tool_use")
