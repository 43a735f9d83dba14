"""An :class:`~.answer.Answer` in the Anthropic Messages shape: a document or a list of SSE items.

Field lists: docs/sources.md#anthropic-api § Non-streaming Response and
docs/sources.md#anthropic-api § Streaming Response; the event order and the zero usage in ``message_start``
follow docs/observed.md § Anthropic protocol > Event sequence and
docs/observed.md § Anthropic protocol > Usage only in message_delta.
"""

from __future__ import annotations

import json
from typing import Any

from ..sse import Item, SSEEvent
from . import tokens
from .answer import Answer, ToolCall, digest
from .wire import PROCESSING

__all__ = ["STOP_REASONS", "message_id", "document", "items"]

# docs/sources.md#anthropic-api § Non-streaming Response > stop_reason enumerates end_turn, max_tokens,
# tool_use, content_filter, repetition_truncation: there is no "stop_sequence", and the
# stop_sequences description says a stop gives "stop_reason of end_turn". So a stop sequence
# ends the turn with end_turn, and no `stop_sequence` key is sent (the docs list none).
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "content_filter": "content_filter", "repetition_truncation": "repetition_truncation"}


def message_id(a: Answer) -> str:
    """``msg_`` and 24 hex digits from the request hash, streaming or not."""
    return "msg_" + digest(a.seed, "message")[:24]


def _usage(a: Answer) -> dict[str, Any]:
    """The usage object: output tokens include thinking."""
    return {"input_tokens": a.usage.prompt_tokens, "output_tokens": a.usage.completion_tokens,
            "cache_read_input_tokens": 0}


def _tool_use(c: ToolCall, *, streaming: bool = False) -> dict[str, Any]:
    """A tool_use block; when streaming, ``input`` starts empty and arrives as input_json_delta."""
    return {"type": "tool_use", "id": c.id, "name": c.name, "input": {} if streaming else json.loads(c.arguments)}


def _blocks(a: Answer) -> list[dict[str, Any]]:
    """Thinking (signature "" as observed), then text unless the answer calls tools, then tool_use."""
    blocks: list[dict[str, Any]] = []
    if a.reasoning is not None:
        blocks.append({"type": "thinking", "thinking": a.reasoning, "signature": ""})
    if not a.tool_calls:
        blocks.append({"type": "text", "text": a.text})
    return blocks + [_tool_use(c) for c in a.tool_calls]


def document(a: Answer) -> dict[str, Any]:
    """The non-streaming message object."""
    return {"id": message_id(a), "type": "message", "role": "assistant", "model": a.model,
            "content": _blocks(a), "stop_reason": STOP_REASONS[a.finish], "usage": _usage(a)}


def _event(payload: dict[str, Any]) -> SSEEvent:
    """``event: <type>`` with the payload as compact JSON."""
    return SSEEvent(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), event=payload["type"])


def _start(a: Answer) -> SSEEvent:
    """message_start with all-zero usage; real counts come in message_delta
    (docs/observed.md § Anthropic protocol > Usage only in message_delta)."""
    zeros = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0}
    message = {"id": message_id(a), "type": "message", "role": "assistant", "model": a.model,
               "content": [], "stop_reason": None, "usage": zeros}
    return _event({"type": "message_start", "message": message})


def _deltas(index: int, block: dict[str, Any], calls: dict[str, ToolCall]) -> list[dict[str, Any]]:
    """The delta payloads that fill one block."""
    if block["type"] == "thinking":
        found = [{"type": "thinking_delta", "thinking": p} for p in tokens.pieces(block["thinking"])]
        found.append({"type": "signature_delta", "signature": ""})
    elif block["type"] == "text":
        found = [{"type": "text_delta", "text": p} for p in tokens.pieces(block["text"])]
    else:
        found = [{"type": "input_json_delta", "partial_json": p} for p in tokens.fragments(calls[block["id"]].arguments)]
    return [{"type": "content_block_delta", "index": index, "delta": d} for d in found]


def _empty(block: dict[str, Any], calls: dict[str, ToolCall]) -> dict[str, Any]:
    """The block as content_block_start announces it: text and thinking empty, tool input ``{}``."""
    if block["type"] == "tool_use":
        return _tool_use(calls[block["id"]], streaming=True)
    return {**block, block["type"]: ""}


def _block_events(index: int, block: dict[str, Any], calls: dict[str, ToolCall]) -> list[SSEEvent]:
    """content_block_start with an empty block, its deltas, content_block_stop."""
    payloads = [{"type": "content_block_start", "index": index, "content_block": _empty(block, calls)},
                *_deltas(index, block, calls), {"type": "content_block_stop", "index": index}]
    return [_event(p) for p in payloads]


def items(a: Answer) -> list[Item]:
    """The stream: message_start, each block, message_delta with the usage, message_stop."""
    calls = {c.id: c for c in a.tool_calls}
    body = [_start(a)]
    for index, block in enumerate(_blocks(a)):
        body += _block_events(index, block, calls)
    end = {"type": "message_delta", "delta": {"stop_reason": STOP_REASONS[a.finish]}, "usage": _usage(a)}
    return [PROCESSING, *_pinged(a, [*body, _event(end), _event({"type": "message_stop"})])]


def _pinged(a: Answer, events: list[SSEEvent]) -> list[SSEEvent]:
    """With the ping trigger, a ping first, after every event and last: Anthropic's protocol allows them anywhere."""
    if not a.pings:
        return events
    ping = _event({"type": "ping"})
    return [ping, *(e for event in events for e in (event, ping))]
