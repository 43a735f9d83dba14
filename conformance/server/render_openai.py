"""An :class:`~.answer.Answer` in the OpenAI Chat Completions shape: a document or a list of SSE items.

Field lists: docs/sources.md#openai-api § Chat response object (non-streaming output) and
docs/sources.md#openai-api § Chat response chunk object (streaming output); the stream framing follows
docs/observed.md § OpenAI protocol > Stream framing.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from ..sse import Item, SSEEvent
from . import tokens
from .answer import Answer, Speech, ToolCall
from .wire import PROCESSING

__all__ = ["completion_id", "document", "items"]


def completion_id(a: Answer) -> str:
    """``chatcmpl-<uuid>``, the uuid taken from the request hash."""
    return f"chatcmpl-{uuid.UUID(hex=a.seed[:32])}"


def _usage(a: Answer) -> dict[str, Any]:
    """The usage object, reasoning tokens inside completion tokens; no cache in the reference."""
    u = a.usage
    usage = {
        "completion_tokens": u.completion_tokens, "prompt_tokens": u.prompt_tokens, "total_tokens": u.total_tokens,
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "prompt_tokens_details": {"cached_tokens": 0, **{f"{kind}_tokens": n for kind, n in u.media}},
    }
    return {**usage, **_web_search_usage(a)}


def _call(c: ToolCall) -> dict[str, Any]:
    """A function tool call of the message."""
    return {"function": {"arguments": c.arguments, "name": c.name}, "id": c.id, "type": "function"}


def _audio(s: Speech, data: bytes) -> dict[str, Any]:
    """The audio object: expires_at and transcript are "currently always null" (docs/sources.md#openai-api)."""
    return {"id": s.id, "data": base64.b64encode(data).decode("ascii"), "expires_at": None, "transcript": None}


def _message(a: Answer) -> dict[str, Any]:
    """The assistant message; ``reasoning_content`` only when thinking is on, like the docs' example."""
    message: dict[str, Any] = {"content": a.text}
    if a.reasoning is not None:
        message["reasoning_content"] = a.reasoning
    message["role"] = "assistant"
    message["tool_calls"] = [_call(c) for c in a.tool_calls] or None
    if a.annotations:
        message["annotations"] = list(a.annotations)
    if a.speech is not None:
        message["audio"] = _audio(a.speech, a.speech.data)
    if a.speech is not None and a.speech.preview is not None:
        # docs/sources.md#openai-api: only when optimize_text_preview is true
        message["final_text_preview"] = a.speech.preview
    return message


def document(a: Answer) -> dict[str, Any]:
    """The non-streaming chat completion object."""
    choice = {"finish_reason": a.finish, "index": 0, "message": _message(a)}
    return {"id": completion_id(a), "choices": [choice], "created": a.created, "model": a.model,
            "object": "chat.completion", "usage": _usage(a)}


def _chunk(a: Answer, choices: list[dict[str, Any]], **extra: Any) -> SSEEvent:
    """A chat.completion.chunk event with these choices, as compact JSON."""
    doc = {"id": completion_id(a), "choices": choices, "created": a.created, "model": a.model,
           "object": "chat.completion.chunk", **extra}
    return SSEEvent(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))


def _delta(a: Answer, **fields: Any) -> SSEEvent:
    """A chunk whose delta carries all four keys, unused ones null (docs/observed.md § OpenAI protocol > Delta keys)."""
    delta = {"content": None, "role": None, "tool_calls": None, "reasoning_content": None, **fields}
    return _chunk(a, [{"delta": delta, "finish_reason": None, "index": 0}])


def _call_deltas(a: Answer, index: int, c: ToolCall) -> list[SSEEvent]:
    """The first fragment names the call; later ones repeat ``type`` and carry argument pieces."""
    head = {"index": index, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}}
    rest = [{"index": index, "id": None, "type": "function", "function": {"name": None, "arguments": piece}}
            for piece in tokens.fragments(c.arguments)]
    return [_delta(a, tool_calls=[fragment]) for fragment in [head, *rest]]


def _audio_deltas(a: Answer) -> list[SSEEvent]:
    """Audio in a few pieces, each base64-encoded on its own, split on sample boundaries."""
    if a.speech is None:
        return []
    data, step = a.speech.data, max(2, (len(a.speech.data) // 3) & ~1)
    found = [_delta(a, audio=_audio(a.speech, data[i : i + step])) for i in range(0, len(data), step)]
    if a.speech.preview is not None:  # the polished text rides on a delta of its own, before the audio
        found.insert(0, _delta(a, final_text_preview=a.speech.preview))
    return found


def items(a: Answer) -> list[Item]:
    """The stream: role delta, reasoning, content, tool calls, audio, finish, usage, ``[DONE]``."""
    # docs/sources.md#news-v2-flash-2026-03-03 § Core Capabilities > Early search source return: "the first packet
    # will return all search sources".
    body = [_delta(a, content="", role="assistant", **({"annotations": list(a.annotations)} if a.annotations else {}))]
    body += [_delta(a, reasoning_content=piece) for piece in tokens.pieces(a.reasoning or "")]
    body += [_delta(a, content=piece) for piece in tokens.pieces(a.text)]
    for index, call in enumerate(a.tool_calls):
        body += _call_deltas(a, index, call)
    body += _audio_deltas(a)
    finish = _chunk(a, [{"delta": {}, "finish_reason": a.finish, "index": 0}], usage=None)
    usage = _chunk(a, [], usage=_usage(a))
    return [PROCESSING, *body, finish, usage, SSEEvent("[DONE]")]


def _web_search_usage(a: Answer) -> dict[str, Any]:
    """``web_search_usage`` when the request had the web search tool: search calls and pages returned."""
    if a.usage.web_search is None:
        return {}
    calls, pages = a.usage.web_search
    return {"web_search_usage": {"tool_usage": calls, "page_usage": pages}}
