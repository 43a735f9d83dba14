"""Anthropic streaming rules an event schema cannot state: framing, event order, block structure."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import anthropic_answer
from ..exchange import Exchange
from ..basis import Rule
from ._common import at, instance_violations, json_events, tool_schemas, where
from .registry import check

__all__: list[str] = ["STOP_REASONS"]

Violations = Iterator[tuple[str, str]]
STREAM = where("anthropic", streamed=True, ok=True)
EVENTS = "docs/sources.md#anthropic-api § Streaming Response > type"
BLOCKS = "docs/sources.md#anthropic-api § Streaming Response > content_block (a block's header comes first; its content arrives via subsequent delta events)"
DELTAS = "docs/sources.md#anthropic-api § Streaming Response > delta > Content block delta"
ORDER = "docs/observed.md § Anthropic protocol: Events: `message_start`, then per block `content_block_start`, deltas, `content_block_stop`, then `message_delta`, `message_stop`"
DOCUMENTED_STOP = Rule("documented", "docs/sources.md#anthropic-api § Streaming Response > delta > Message delta > stop_reason")
ONCE = Rule("observed", ORDER)
INPUT_SCHEMA_FREE = Rule("reference", "the docs promise a JSON input object, not one that fits the tool's input_schema")

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




@check("anthropic.stream.event_name_matches_type", applies=STREAM, basis="documented", source=EVENTS)
def event_name_matches_type(exchange: Exchange) -> Violations:
    """Each event's `event:` line names the type in its data."""
    for i, (event, payload) in enumerate(zip(exchange.events, exchange.payloads())):
        if isinstance(payload, dict) and event.event != payload.get("type"):
            yield at(i, "/type"), f"expected {event.event!r} as the event: line says, got {payload.get('type')!r}"


@check("anthropic.stream.message_start_first", applies=STREAM, basis="observed", source=ORDER)
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


@check("anthropic.stream.block_order", applies=STREAM, basis="documented", source=BLOCKS)
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


@check("anthropic.stream.delta_matches_block", applies=STREAM, basis="documented", source=DELTAS)
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


@check("anthropic.stream.input_json_joins", applies=STREAM, basis="documented",
       source=DELTAS + " > partial_json (concatenate the fragments in order, then parse)")
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
            yield block.at, f"input {pointer or '/'} breaks the input_schema of {block.name!r}: {message}", INPUT_SCHEMA_FREE


@check("anthropic.stream.message_delta_once", applies=STREAM, basis="documented", source=DOCUMENTED_STOP.source)
def message_delta_once(exchange: Exchange) -> Violations:
    """Exactly one message_delta comes, with a documented stop_reason."""
    # The stop_reason values are documented; that one message_delta comes is what the wire shows.
    deltas = [(i, p) for i, p in json_events(exchange) if p.get("type") == "message_delta"]
    if not deltas:
        yield at(len(exchange.events)), "expected one message_delta, the stream ends without one", ONCE
    for i, _ in deltas[1:]:
        yield at(i), f"expected one message_delta, got another after event {deltas[0][0]}", ONCE
    for i, payload in deltas[:1]:
        reason = (payload.get("delta") or {}).get("stop_reason")
        if reason not in STOP_REASONS:
            yield at(i, "/delta/stop_reason"), f"expected one of {', '.join(STOP_REASONS)}, got {reason!r}"


@check("anthropic.stream.message_stop_last", applies=STREAM, basis="observed", source=ORDER)
def message_stop_last(exchange: Exchange) -> Violations:
    """Exactly one message_stop ends the stream; only pings may follow it."""
    typed = _typed(exchange)
    stops = [n for n, (_, kind) in enumerate(typed) if kind == "message_stop"]
    if not stops:
        yield at(len(exchange.events)), "expected message_stop at the end, the stream ends without one"
    for i, kind in typed[stops[0] + 1 :] if stops else ():
        yield at(i), f"expected nothing after message_stop (event {typed[stops[0]][0]}), got {kind or 'non-JSON'!r}"


@check("anthropic.stream.no_error_event", applies=STREAM, basis="documented", source=EVENTS)
def no_error_event(exchange: Exchange) -> Violations:
    """A 2xx stream carries the documented events only: an error event means the answer failed after the 200."""
    # Anthropic's own API may send `event: error` mid-stream (overloaded_error); the MiMo docs list no
    # such event, and either way the answer the client holds is cut short.
    for i, (event, payload) in enumerate(zip(exchange.events, exchange.payloads())):
        kind = payload.get("type") if isinstance(payload, dict) else None
        if event.event == "error" or kind == "error":
            error = payload.get("error") if isinstance(payload, dict) else event.data
            yield at(i), f"the stream failed after HTTP {exchange.status}: {_quoted(error)}"


def _quoted(error: Any) -> str:
    """An error object as one short line: its type and message when it has them."""
    if isinstance(error, dict):
        said = [str(error.get(k)) for k in ("type", "code", "message") if error.get(k) not in (None, "")]
        return " / ".join(said)[:200] or "an empty error object"
    return f"{error!r:.200}"
