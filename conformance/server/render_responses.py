"""An :class:`~.answer.Answer` as OpenAI's Responses API answers: a response object or its stream of events.

The shapes are docs/sources.md#openai-responses-api § The response object and § Streaming events; a
request of that API becomes a Chat Completions request (:func:`as_chat`) for the generator, which
knows no protocol. Output items: a ``reasoning`` item when thinking is on, then the ``message`` or
the ``function_call`` items. A budget that runs out makes the response ``incomplete`` with reason
``max_output_tokens``. Events carry ``event: <type>`` lines and a ``sequence_number`` from 0; the
stream has no ``[DONE]``.
"""

from __future__ import annotations

import json
from typing import Any

from ..sse import Item, SSEEvent
from . import tokens
from .answer import Answer, ToolCall, digest

__all__ = ["as_chat", "document", "items", "response_id"]


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The Responses ``instructions`` and ``input`` as Chat Completions messages."""
    found = [{"role": "system", "content": body["instructions"]}] if body.get("instructions") else []
    given = body.get("input")
    for item in [{"role": "user", "content": given}] if isinstance(given, str) else given or []:
        found.append(_message(item))
    return found


def _message(item: dict[str, Any]) -> dict[str, Any]:
    """One input item as a chat message: a message, a passed-back function call, or its output."""
    kind = item.get("type", "message")
    if kind == "function_call":
        call = {"id": item["call_id"], "type": "function", "function": {"name": item["name"], "arguments": item["arguments"]}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    if kind == "function_call_output":
        return {"role": "tool", "tool_call_id": item["call_id"], "content": str(item.get("output", ""))}
    content = item.get("content")
    if isinstance(content, list):
        content = [{"type": "text", "text": p.get("text", "")} for p in content if p.get("type") in ("input_text", "output_text")]
    return {"role": item.get("role", "user"), "content": content}


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A flat Responses function tool as a Chat Completions one."""
    function = {"name": tool["name"], "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
    return {"type": "function", "function": function}


def as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions request that asks what a Responses request asks (for the generator)."""
    chat = {"model": body["model"], "messages": _messages(body)}
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    if body.get("tools"):
        chat["tools"] = [_tool(t) for t in body["tools"] if t.get("type") == "function"]
    for key in ("stream", "thinking", "temperature", "top_p"):
        if key in body:
            chat[key] = body[key]
    return chat


def response_id(a: Answer) -> str:
    """``resp_`` and 48 hex digits from the request hash."""
    return "resp_" + digest(a.seed, "response")[:48]


def _item_id(a: Answer, kind: str, n: int = 0) -> str:
    """``<kind>_`` and 48 hex digits: the id of one output item."""
    return f"{kind}_" + digest(a.seed, f"{kind}/{n}")[:48]


def _usage(a: Answer) -> dict[str, Any]:
    """The usage object: output tokens include reasoning, no cache in the reference."""
    u = a.usage
    return {"input_tokens": u.prompt_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": u.completion_tokens, "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": u.total_tokens}


def _call(a: Answer, n: int, c: ToolCall, done: bool = True) -> dict[str, Any]:
    """A function_call output item (arguments empty while it is in progress)."""
    return {"type": "function_call", "id": _item_id(a, "fc", n), "call_id": c.id, "name": c.name,
            "arguments": c.arguments if done else "", "status": "completed" if done else "in_progress"}


def _text(a: Answer, text: str) -> dict[str, Any]:
    """An output_text content part."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _reasoning_item(a: Answer, text: str, done: bool = True) -> dict[str, Any]:
    """A reasoning output item, its text as one reasoning_text part."""
    return {"type": "reasoning", "id": _item_id(a, "rs"), "summary": [],
            "content": [{"type": "reasoning_text", "text": text}] if done else [], "status": "completed" if done else "in_progress"}


def _message_item(a: Answer, text: str, done: bool = True) -> dict[str, Any]:
    """The assistant's message output item (incomplete when the budget cut it)."""
    status = ("incomplete" if a.finish == "length" else "completed") if done else "in_progress"
    return {"type": "message", "id": _item_id(a, "msg"), "role": "assistant", "status": status,
            "content": [_text(a, text)] if done else []}


def _output(a: Answer) -> list[dict[str, Any]]:
    """The output items: reasoning when thinking is on, then the function calls or the message."""
    found = [_reasoning_item(a, a.reasoning)] if a.reasoning is not None else []
    if a.tool_calls:
        return found + [_call(a, n, c) for n, c in enumerate(a.tool_calls)]
    return found + [_message_item(a, a.text)]


def _echo(body: dict[str, Any]) -> dict[str, Any]:
    """What a response object repeats of its request."""
    return {"parallel_tool_calls": body.get("parallel_tool_calls", True), "tool_choice": body.get("tool_choice", "auto"),
            "tools": [t for t in body.get("tools") or [] if isinstance(t, dict)], "temperature": body.get("temperature"),
            "top_p": body.get("top_p"), "max_output_tokens": body.get("max_output_tokens"),
            "instructions": body.get("instructions"), "metadata": body.get("metadata") or {},
            "previous_response_id": body.get("previous_response_id"), "store": body.get("store", False)}


def document(a: Answer, body: dict[str, Any] | None = None, *, done: bool = True) -> dict[str, Any]:
    """The response object; ``done`` False: the snapshot a stream starts with (in progress, no output yet)."""
    incomplete = a.finish == "length"
    status = ("incomplete" if incomplete else "completed") if done else "in_progress"
    return {"id": response_id(a), "object": "response", "created_at": a.created, "status": status, "model": a.model,
            "output": _output(a) if done else [], "usage": _usage(a) if done else None,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete and done else None, "error": None,
            **_echo(body or {})}


class _Events:
    """Numbered events: each gets the next sequence_number and an ``event:`` line with its type."""

    def __init__(self) -> None:
        self.out: list[Item] = []

    def add(self, kind: str, **fields: Any) -> None:
        """Append one event of type ``kind``."""
        payload = {"type": kind, "sequence_number": len(self.out), **fields}
        self.out.append(SSEEvent(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), event=kind))


def _part_events(ev: _Events, at: dict[str, Any], kind: str, text: str) -> None:
    """content_part.added, the text's deltas and done, content_part.done, for one content part."""
    empty = {"type": "reasoning_text", "text": ""} if kind == "reasoning_text" else _text_part("")
    ev.add("response.content_part.added", **at, content_index=0, part=empty)
    stem = "response.reasoning_text" if kind == "reasoning_text" else "response.output_text"
    extra = {} if kind == "reasoning_text" else {"logprobs": []}
    for piece in tokens.pieces(text):
        ev.add(f"{stem}.delta", **at, content_index=0, delta=piece, **extra)
    ev.add(f"{stem}.done", **at, content_index=0, text=text, **extra)
    full = {"type": "reasoning_text", "text": text} if kind == "reasoning_text" else _text_part(text)
    ev.add("response.content_part.done", **at, content_index=0, part=full)


def _text_part(text: str) -> dict[str, Any]:
    """An output_text part as the content_part events carry it."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _item_events(ev: _Events, a: Answer, index: int, item: dict[str, Any], started: dict[str, Any]) -> None:
    """output_item.added, what fills the item, output_item.done."""
    ev.add("response.output_item.added", output_index=index, item=started)
    at = {"output_index": index, "item_id": item["id"]}
    if item["type"] == "reasoning":
        _part_events(ev, at, "reasoning_text", item["content"][0]["text"])
    elif item["type"] == "message":
        _part_events(ev, at, "output_text", item["content"][0]["text"])
    else:
        for piece in tokens.fragments(item["arguments"]):
            ev.add("response.function_call_arguments.delta", **at, delta=piece)
        ev.add("response.function_call_arguments.done", **at, arguments=item["arguments"], name=item["name"])
    ev.add("response.output_item.done", output_index=index, item=item)


def _started(a: Answer, item: dict[str, Any]) -> dict[str, Any]:
    """An output item as output_item.added announces it: in progress, nothing in it yet."""
    if item["type"] == "reasoning":
        return _reasoning_item(a, "", done=False)
    if item["type"] == "message":
        return _message_item(a, "", done=False)
    return {**item, "arguments": "", "status": "in_progress"}


def items(a: Answer, body: dict[str, Any] | None = None) -> list[Item]:
    """The stream: created, in_progress, each output item's events, then completed (or incomplete)."""
    ev = _Events()
    ev.add("response.created", response=document(a, body, done=False))
    ev.add("response.in_progress", response=document(a, body, done=False))
    for index, item in enumerate(_output(a)):
        _item_events(ev, a, index, item, _started(a, item))
    final = document(a, body)
    ev.add("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
    return ev.out
