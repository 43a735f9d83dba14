"""Faults as edits of a recorded exchange: the fault catalogue applied to answers nobody here wrote.

A fault of :mod:`.faults` transforms one stage of the reference server's pipeline. The stages that
come after the answer exists (``document``, ``items``, ``chunks``, ``reply``) transform what a
recording holds too: :func:`edit` replays the transform on a recorded :class:`~..exchange.Exchange`
(its body, its SSE items, its framed chunks or its status and headers) and returns the exchange as
if the server had made that defect. A fault of an earlier stage (``auth``, ``violations``,
``prompt``, ``answer``) changes what the server decides or generates; the ones a recording can
still show are re-expressed as edits of the recorded answer here (:data:`EDITS`), the others are
listed in :data:`LIVE_ONLY` with the reason. An edit that does not apply to an exchange (its shape
lacks what the fault breaks) gives None.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any, Callable

from starlette.responses import Response, StreamingResponse

from .. import sse
from ..exchange import Exchange
from . import wire
from .faults import CUT, Context, Fault, Pause, get

__all__ = ["EDITS", "LIVE_ONLY", "edit", "editable"]

Edit = Callable[[Exchange], "Exchange | None"]
# Faults of the generation stages that a recording cannot show, and why.
LIVE_ONLY = {
    "openai.key_not_required": "a recording of a keyless request holds the refusal, not an answer to edit",
    "anthropic.key_not_required": "a recording of a keyless request holds the refusal, not an answer to edit",
    "openai.range_not_enforced": "a recording of an out-of-range request holds the refusal, not an answer",
    "anthropic.range_not_enforced": "a recording of an out-of-range request holds the refusal, not an answer",
    "openai.unknown_model_served": "a recording of an unknown model id holds the refusal, not an answer",
    "anthropic.unknown_model_served": "a recording of an unknown model id holds the refusal, not an answer",
    "openai.retired_model_served": "a recording of a retired model holds the refusal, not an answer",
    "anthropic.retired_model_served": "a recording of a retired model holds the refusal, not an answer",
    "responses.key_not_required": "a recording of a keyless request holds the refusal, not an answer to edit",
    "responses.range_not_enforced": "a recording of an out-of-range request holds the refusal, not an answer",
    "responses.unknown_model_served": "a recording of an unknown model id holds the refusal, not an answer",
    "openai.stream_disagrees": "a pair fault: it needs the plain and the streamed answer generated apart",
    "anthropic.stream_disagrees": "a pair fault: it needs the plain and the streamed answer generated apart",
    "openai.stream_audio_dropped": "a pair fault: its check compares a streamed answer with the plain one",
}
EDITS: dict[str, Edit] = {}
NOT_APPLICABLE = (IndexError, KeyError, TypeError, AttributeError, StopIteration, ValueError)


def editable(name: str) -> bool:
    """The fault can be applied to a recorded exchange."""
    return name in EDITS or (get(name).stage in ("document", "items", "chunks", "reply") and name not in LIVE_ONLY)


IDLE = 2.0  # seconds: a pause longer than this ends an edited stream, as conformance.mutation.TIMEOUTS.idle does live


def edit(name: str, exchange: Exchange) -> Exchange | None:
    """``exchange`` as if the server had injected fault ``name``; None when the fault does not apply to it."""
    fault = get(name)
    if fault.protocol != exchange.protocol or not editable(name):
        return None
    try:
        edited = EDITS[name](exchange) if name in EDITS else _STAGES[fault.stage](fault, exchange)
    except NOT_APPLICABLE:  # the recording lacks what the fault breaks (no usage chunk, no tool call, ...)
        return None
    return edited if edited is not None and _changed(edited, exchange) else None


def _changed(a: Exchange, b: Exchange) -> bool:
    return (a.status, a.headers, a.text, a.error, a.undecodable_at) != (b.status, b.headers, b.text, b.error, b.undecodable_at)


def _context(exchange: Exchange) -> Context:
    return Context(exchange.protocol, copy.deepcopy(exchange.request.body), dict(exchange.request.headers))


def _document(fault: Fault, exchange: Exchange) -> Exchange | None:
    """A plain 2xx body, transformed as the rendered document."""
    if exchange.streamed or not exchange.ok or not isinstance(exchange.body, dict):
        return None
    doc = fault.transform(copy.deepcopy(exchange.body), _context(exchange))
    return replace(exchange, text=wire.json_bytes(doc).decode("utf-8"))


def _items(fault: Fault, exchange: Exchange) -> Exchange | None:
    """A 2xx stream's SSE items, transformed as the rendered item list."""
    if not exchange.streamed or not exchange.ok or exchange.transcript is None:
        return None
    items = fault.transform(list(exchange.transcript), _context(exchange))
    return _reframed(exchange, items)


def _reframed(exchange: Exchange, items: list) -> Exchange:
    text = sse.serialize(items)
    return replace(exchange, text=text, transcript=tuple(sse.parse(text)))


def _chunks(fault: Fault, exchange: Exchange) -> Exchange | None:
    """A 2xx stream's framed chunks, transformed: a pause longer than the idle limit, or a cut, ends it there."""
    if not exchange.streamed or not exchange.ok or exchange.transcript is None:
        return None
    chunks = fault.transform(wire.sse_chunks(exchange.transcript), _context(exchange))
    kept: list[bytes] = []
    for chunk in chunks:
        if chunk is CUT or (isinstance(chunk, Pause) and chunk.seconds > IDLE):
            why = "RemoteProtocolError: the connection dropped mid-body" if chunk is CUT else (
                f"ReadTimeout: the stream stalled for {chunk.seconds:g} s")
            text = b"".join(kept).decode("utf-8")
            return replace(exchange, text=text, transcript=tuple(sse.parse(text)), error=f"{why} (edited recording)")
        if isinstance(chunk, bytes):
            kept.append(chunk)
    return None  # pauses within the idle limit: nothing a recording can show


def _reply(fault: Fault, exchange: Exchange) -> Exchange | None:
    """The status, headers and body, transformed as the Starlette response the server would send."""
    media = exchange.headers.get("content-type", "application/json").split(";")[0]
    body = exchange.text.encode("utf-8")
    if exchange.streamed and exchange.ok:
        response: Response = StreamingResponse(iter([body]), status_code=exchange.status, media_type=media)
    else:
        response = Response(body, status_code=exchange.status, media_type=media)
    before = response.headers.get("content-type")
    out = fault.transform(response, _context(exchange))
    raw = body if isinstance(out, StreamingResponse) else bytes(out.body)
    try:
        text, bad = raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text, bad = raw.decode("utf-8", errors="replace"), exc.start
    headers = dict(exchange.headers)
    if out is not response or out.headers.get("content-type") != before:  # the fault changed it
        headers["content-type"] = out.headers.get("content-type", media)
    streamed = exchange.streamed or headers.get("content-type", "").startswith("text/event-stream")
    transcript = tuple(sse.parse(text)) if streamed else None
    return replace(exchange, status=out.status_code, headers=headers, text=text, transcript=transcript, undecodable_at=bad)


_STAGES: dict[str, Callable[[Fault, Exchange], "Exchange | None"]] = {
    "document": _document, "items": _items, "chunks": _chunks, "reply": _reply,
}


# --- generation faults, re-expressed as edits of a recorded answer ---------------------------------


def edits(*names: str) -> Callable[[Edit], Edit]:
    """Register ``func(exchange) -> exchange or None`` as the recorded-answer form of faults ``names``."""
    def register(func: Edit) -> Edit:
        for name in names:
            EDITS[name] = func
        return func

    return register


def _payloads(exchange: Exchange) -> list[Any]:
    return [sse.SSEEvent(e.data, event=e.event) if isinstance(e, sse.SSEEvent) else e for e in exchange.transcript or ()]


def _rewrite(exchange: Exchange, change: Callable[[dict], dict | None]) -> Exchange | None:
    """``change`` applied to the plain body, or to every JSON event of a stream (None leaves it as it is)."""
    if not exchange.ok:
        return None
    if not exchange.streamed:
        doc = change(copy.deepcopy(exchange.body)) if isinstance(exchange.body, dict) else None
        return None if doc is None else replace(exchange, text=wire.json_bytes(doc).decode("utf-8"))
    items = []
    for item in exchange.transcript or ():
        payload = _json(item)
        changed = change(copy.deepcopy(payload)) if isinstance(payload, dict) else None
        items.append(item if changed is None else sse.SSEEvent(json.dumps(changed, separators=(",", ":"), ensure_ascii=False),
                                                                event=item.event))
    return _reframed(exchange, items)


def _json(item: Any) -> Any:
    try:
        return json.loads(item.data) if isinstance(item, sse.SSEEvent) else None
    except ValueError:
        return None


def _choices(doc: dict) -> list[dict]:
    return [c for c in doc.get("choices") or [] if isinstance(c, dict)]


@edits("openai.length_before_budget")
def _length_early(exchange: Exchange) -> Exchange | None:
    """A complete answer's finish_reason says length."""
    def change(doc: dict) -> dict | None:
        hit = [c for c in _choices(doc) if c.get("finish_reason") == "stop"]
        for c in hit:
            c["finish_reason"] = "length"
        return doc if hit else None
    return _rewrite(exchange, change)


@edits("anthropic.max_tokens_before_budget")
def _max_tokens_early(exchange: Exchange) -> Exchange | None:
    """A complete message's stop_reason says max_tokens."""
    def change(doc: dict) -> dict | None:
        holder = doc.get("delta") if doc.get("type") == "message_delta" else doc if doc.get("type") == "message" else None
        if not isinstance(holder, dict) or holder.get("stop_reason") != "end_turn":
            return None
        holder["stop_reason"] = "max_tokens"
        return doc
    return _rewrite(exchange, change)


@edits("openai.tool_calls_finish_stop")
def _calls_end_with_stop(exchange: Exchange) -> Exchange | None:
    """An answer that calls a tool says finish_reason stop."""
    def change(doc: dict) -> dict | None:
        hit = [c for c in _choices(doc) if c.get("finish_reason") == "tool_calls"]
        for c in hit:
            c["finish_reason"] = "stop"
        return doc if hit else None
    return _rewrite(exchange, change)


@edits("anthropic.tool_use_end_turn")
def _tool_use_end_turn(exchange: Exchange) -> Exchange | None:
    """A message with a tool_use block says stop_reason end_turn."""
    def change(doc: dict) -> dict | None:
        holder = doc.get("delta") if doc.get("type") == "message_delta" else doc if doc.get("type") == "message" else None
        if not isinstance(holder, dict) or holder.get("stop_reason") != "tool_use":
            return None
        holder["stop_reason"] = "end_turn"
        return doc
    return _rewrite(exchange, change)


@edits("openai.budget_ignored")
def _over_budget(exchange: Exchange) -> Exchange | None:
    """The usage reports more completion tokens than the request allowed."""
    body = exchange.request.json
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if not isinstance(limit, int):
        return None

    def change(doc: dict) -> dict | None:
        usage = doc.get("usage")
        if not isinstance(usage, dict) or not isinstance(usage.get("completion_tokens"), int):
            return None
        usage["total_tokens"] = usage.get("prompt_tokens", 0) + limit + 100
        usage["completion_tokens"] = limit + 100
        return doc
    return _rewrite(exchange, change)


@edits("anthropic.budget_ignored")
def _over_budget_anthropic(exchange: Exchange) -> Exchange | None:
    """The usage reports more output tokens than max_tokens allowed."""
    limit = exchange.request.json.get("max_tokens")
    if not isinstance(limit, int):
        return None

    def change(doc: dict) -> dict | None:
        usage = doc.get("usage")
        if doc.get("type") not in ("message", "message_delta") or not isinstance(usage, dict) or "output_tokens" not in usage:
            return None
        usage["output_tokens"] = limit + 100
        return doc
    return _rewrite(exchange, change)


@edits("openai.stop_ignored")
def _past_stop(exchange: Exchange) -> Exchange | None:
    """The text runs on past a requested stop string."""
    stop = exchange.request.json.get("stop")
    stop = stop[0] if isinstance(stop, list) and stop else stop
    if not isinstance(stop, str) or not stop:
        return None
    done = []

    def change(doc: dict) -> dict | None:
        for c in _choices(doc):
            holder = c.get("message") if "message" in c else c.get("delta")
            if isinstance(holder, dict) and isinstance(holder.get("content"), str) and holder["content"] and not done:
                holder["content"] += f"{stop} and more"
                done.append(True)
                return doc
        return None
    return _rewrite(exchange, change)


@edits("anthropic.stop_ignored")
def _past_stop_sequence(exchange: Exchange) -> Exchange | None:
    """The text runs on past a requested stop sequence."""
    stops = exchange.request.json.get("stop_sequences")
    if not isinstance(stops, list) or not stops or not isinstance(stops[0], str):
        return None
    done = []

    def change(doc: dict) -> dict | None:
        if done:
            return None
        blocks = doc.get("content") if doc.get("type") == "message" else None
        for b in blocks or []:
            if isinstance(b, dict) and b.get("type") == "text":
                b["text"] += f"{stops[0]} and more"
                done.append(True)
                return doc
        delta = doc.get("delta") if doc.get("type") == "content_block_delta" else None
        if isinstance(delta, dict) and delta.get("type") == "text_delta":
            delta["text"] += f"{stops[0]} and more"
            done.append(True)
            return doc
        return None
    return _rewrite(exchange, change)


@edits("openai.thinking_not_disabled")
def _reasoning_anyway(exchange: Exchange) -> Exchange | None:
    """Reasoning comes back although the request turned thinking off."""
    if (exchange.request.json.get("thinking") or {}).get("type") != "disabled":
        return None
    done = []

    def change(doc: dict) -> dict | None:
        for c in _choices(doc):
            holder = c.get("message") if "message" in c else c.get("delta")
            if isinstance(holder, dict) and not done:
                holder["reasoning_content"] = "Thinking, although the request said not to."
                done.append(True)
                return doc
        return None
    return _rewrite(exchange, change)


@edits("anthropic.thinking_not_disabled")
def _thinking_block_anyway(exchange: Exchange) -> Exchange | None:
    """A thinking block comes back although the request turned thinking off (plain answers)."""
    if (exchange.request.json.get("thinking") or {}).get("type") != "disabled" or exchange.streamed:
        return None

    def change(doc: dict) -> dict | None:
        if doc.get("type") != "message" or not isinstance(doc.get("content"), list):
            return None
        doc["content"] = [{"type": "thinking", "thinking": "Thinking anyway.", "signature": ""}, *doc["content"]]
        return doc
    return _rewrite(exchange, change)


@edits("openai.json_object_fenced")
def _fenced(exchange: Exchange) -> Exchange | None:
    """In json_object mode the content comes wrapped in a Markdown code fence (plain answers)."""
    if (exchange.request.json.get("response_format") or {}).get("type") != "json_object" or exchange.streamed:
        return None

    def change(doc: dict) -> dict | None:
        hit = [c for c in _choices(doc) if isinstance((c.get("message") or {}).get("content"), str)]
        for c in hit:
            c["message"]["content"] = "```json\n" + c["message"]["content"] + "\n```"
        return doc if hit else None
    return _rewrite(exchange, change)


@edits("openai.tool_call_id_bare")
def _bare_call_ids(exchange: Exchange) -> Exchange | None:
    """Tool call ids lose their call_ prefix."""
    def change(doc: dict) -> dict | None:
        hit = False
        for c in _choices(doc):
            holder = c.get("message") if "message" in c else c.get("delta")
            for call in (holder or {}).get("tool_calls") or []:
                if isinstance(call, dict) and isinstance(call.get("id"), str) and call["id"].startswith("call_"):
                    call["id"], hit = call["id"].removeprefix("call_"), True
        return doc if hit else None
    return _rewrite(exchange, change)


@edits("openai.stop_refused")
def _stop_refused(exchange: Exchange) -> Exchange | None:
    """A request with a stop string is answered 400 "Param Incorrect" instead."""
    return _refused(exchange, "stop")


@edits("responses.instructions_refused")
def _instructions_refused(exchange: Exchange) -> Exchange | None:
    """A Responses request with instructions is answered 400 instead."""
    return _refused(exchange, "instructions")


@edits("anthropic.stop_sequences_refused")
def _stop_sequences_refused(exchange: Exchange) -> Exchange | None:
    """A request with stop_sequences is answered 400 "Param Incorrect" instead."""
    return _refused(exchange, "stop_sequences")


def _refused(exchange: Exchange, field: str) -> Exchange | None:
    if not exchange.ok or exchange.request.json.get(field) in (None, [], ""):
        return None
    error = {"error": {"code": "400", "message": "Param Incorrect", "param": f"{field} is not supported", "type": ""}}
    return replace(exchange, status=400, headers={**exchange.headers, "content-type": "application/json"},
                   text=json.dumps(error), transcript=None)
