"""Anthropic streaming rules an event schema cannot state: framing, event order, block structure."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import anthropic_answer
from ..exchange import Exchange
from ._common import at, instance_violations, json_events, tool_schemas, where
from .registry import check

__all__: list[str] = ["STOP_REASONS"]

Violations = Iterator[tuple[str, str]]
STREAM = where("anthropic", streamed=True, ok=True)

# Source: docs/sources.md#anthropic-api § Streaming Response > delta > Message delta > stop_reason.
STOP_REASONS = ("end_turn", "max_tokens", "tool_use", "content_filter", "repetition_truncation")

# Source: same section, "Content block delta > type": text_delta, thinking_delta, input_json_delta;
# signature_delta closes a thinking block (docs/observed.md § Anthropic protocol > Empty thinking signatures).
DELTAS_BY_BLOCK = {
    "text": ("text_delta",),
    "thinking": ("thinking_delta", "signature_delta"),
    "tool_use": ("input_json_delta",),
}


def _typed(exchange: Exchange) -> list[tuple[int, Any]]:
    """(event index, data type) for every event but ping, which may come anywhere."""
    kinds = [p.get("type") if isinstance(p, dict) else None for p in exchange.payloads()]
    return [(i, kind) for i, kind in enumerate(kinds) if kind != "ping"]




@check("anthropic.stream.event_name_matches_type", applies=STREAM)
def event_name_matches_type(exchange: Exchange) -> Violations:
    """Each event's `event:` line names the type in its data."""
    for i, (event, payload) in enumerate(zip(exchange.events, exchange.payloads())):
        if isinstance(payload, dict) and event.event != payload.get("type"):
            yield at(i, "/type"), f"expected {event.event!r} as the event: line says, got {payload.get('type')!r}"


@check("anthropic.stream.message_start_first", applies=STREAM)
def message_start_first(exchange: Exchange) -> Violations:
    """The first event is the one message_start; pings aside."""
    for n, (i, kind) in enumerate(_typed(exchange)):
        if n == 0 and kind != "message_start":
            yield at(i, "/type"), f"expected message_start first, got {kind!r}"
        elif n > 0 and kind == "message_start":
            yield at(i, "/type"), "expected one message_start, got another"


def _start(i: int, index: Any, open_: Any, expected: int) -> Violations:
    if open_ is not None:
        yield at(i, "/index"), f"expected block {open_} to stop before block {index!r} starts"
    if index != expected:
        yield at(i, "/index"), f"expected block index {expected}, got {index!r}"


@check("anthropic.stream.block_order", applies=STREAM)
def block_order(exchange: Exchange) -> Violations:
    """Blocks 0, 1, 2, … each go start, deltas, stop, one at a time, all before message_delta."""
    open_, expected, last = None, 0, -1
    for last, payload in json_events(exchange):
        kind, index = payload.get("type"), payload.get("index")
        if kind == "content_block_start":
            yield from _start(last, index, open_, expected)
            open_, expected = index, (index if isinstance(index, int) else expected) + 1
        elif kind in ("content_block_delta", "content_block_stop") and index != open_:
            state = "no block" if open_ is None else f"block {open_}"
            yield at(last, "/index"), f"expected the open block's index, got {index!r} while {state} is open"
        elif kind == "message_delta" and open_ is not None:
            yield at(last), f"expected block {open_} to stop before message_delta"
        if kind in ("content_block_stop", "message_delta"):
            open_ = None
    if open_ is not None:
        yield at(last), f"expected block {open_} to stop, the stream ends first"


@check("anthropic.stream.delta_matches_block", applies=STREAM)
def delta_matches_block(exchange: Exchange) -> Violations:
    """Deltas fit their block: text_delta in text, thinking or signature_delta in thinking, input_json_delta in tool_use."""
    kinds: dict[Any, Any] = {}
    for i, payload in json_events(exchange):
        if payload.get("type") == "content_block_start":
            kinds[payload.get("index")] = (payload.get("content_block") or {}).get("type")
        elif payload.get("type") == "content_block_delta":
            kind = kinds.get(payload.get("index"))
            allowed, delta_type = DELTAS_BY_BLOCK.get(kind), (payload.get("delta") or {}).get("type")
            if allowed and delta_type not in allowed:
                yield at(i, "/delta/type"), f"expected {' or '.join(allowed)} in a {kind} block, got {delta_type!r}"


@check("anthropic.stream.input_json_joins", applies=STREAM)
def input_json_joins(exchange: Exchange) -> Violations:
    """Each tool_use block's joined partial_json is a JSON object satisfying the tool's input_schema."""
    answer = anthropic_answer(exchange)
    if answer.stop_reason == "max_tokens":
        return  # a budget cut may leave the input half-written
    schemas = tool_schemas(exchange.request.json)
    for block in (b for b in answer.blocks if b.type == "tool_use"):
        if not isinstance(block.parsed_input, dict):
            yield block.at, f"expected a JSON object from block {block.index}'s partial_json, got {block.input_json[:80]!r}"
            continue
        for pointer, message in instance_violations(schemas.get(block.name), block.parsed_input):
            yield block.at, f"input {pointer or '/'} breaks the input_schema of {block.name!r}: {message}"


@check("anthropic.stream.message_delta_once", applies=STREAM)
def message_delta_once(exchange: Exchange) -> Violations:
    """Exactly one message_delta comes, with a documented stop_reason."""
    deltas = [(i, p) for i, p in json_events(exchange) if p.get("type") == "message_delta"]
    if not deltas:
        yield at(len(exchange.events)), "expected one message_delta, the stream ends without one"
    for i, _ in deltas[1:]:
        yield at(i), f"expected one message_delta, got another after event {deltas[0][0]}"
    for i, payload in deltas[:1]:
        reason = (payload.get("delta") or {}).get("stop_reason")
        if reason not in STOP_REASONS:
            yield at(i, "/delta/stop_reason"), f"expected one of {', '.join(STOP_REASONS)}, got {reason!r}"


@check("anthropic.stream.message_stop_last", applies=STREAM)
def message_stop_last(exchange: Exchange) -> Violations:
    """Exactly one message_stop ends the stream; only pings may follow it."""
    typed = _typed(exchange)
    stops = [n for n, (_, kind) in enumerate(typed) if kind == "message_stop"]
    if not stops:
        yield at(len(exchange.events)), "expected message_stop at the end, the stream ends without one"
    for i, kind in typed[stops[0] + 1 :] if stops else ():
        yield at(i), f"expected nothing after message_stop (event {typed[stops[0]][0]}), got {kind or 'non-JSON'!r}"
