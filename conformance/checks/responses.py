"""The Responses API (POST /v1/responses): the stream's order and numbering, texts that join, usage, status.

What OpenAI's reference says beyond the schemas (docs/sources.md#openai-responses-api): a stream
opens with ``response.created`` and ends with the response's terminal event (``response.completed``,
``response.incomplete`` or ``response.failed``), every event numbered in order; the deltas of a text
join to its ``done`` event and to the final response; usage adds up; ``incomplete`` comes with the
reason why.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from ..basis import Rule
from ..exchange import Exchange
from ._common import at, is_int, json_events, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[Any]
SRC = "docs/sources.md#openai-responses-api"
TERMINAL = ("response.completed", "response.incomplete", "response.failed")
COUNTED = Rule("reference", "OpenAI's streams number their events 0, 1, 2, … (docs/sources.md#openai-responses-api "
               "§ Streaming events > sequence_number names only the number of each event)")
# The text each delta event of a kind fills, and the done event and field that finalize it.
JOINS = {"response.output_text.delta": ("response.output_text.done", "text"),
         "response.reasoning_text.delta": ("response.reasoning_text.done", "text"),
         "response.function_call_arguments.delta": ("response.function_call_arguments.done", "arguments")}


def _typed(exchange: Exchange) -> list[tuple[int, dict[str, Any]]]:
    """(event index, payload) of every JSON event that names its type."""
    return [(i, p) for i, p in json_events(exchange) if isinstance(p.get("type"), str)]


@check("responses.stream.sequence_numbers", applies=where("responses", streamed=True, ok=True), basis="documented",
       source=f"{SRC} § Streaming events > sequence_number")
def sequence_numbers(exchange: Exchange) -> Violations:
    """Every event carries a sequence_number, each greater than the one before (0, 1, 2, … as OpenAI counts)."""
    last = None
    for i, payload in _typed(exchange):
        number = payload.get("sequence_number")
        if not is_int(number):
            yield at(i, "/sequence_number"), f"expected an integer sequence_number, got {number!r}"
            continue
        if last is not None and number <= last:
            yield at(i, "/sequence_number"), f"expected a number above {last}, got {number}"
        elif number != (0 if last is None else last + 1):
            yield at(i, "/sequence_number"), f"expected {0 if last is None else last + 1}, got {number}", COUNTED
        last = number


@check("responses.stream.terminal_last", applies=where("responses", streamed=True, ok=True), basis="documented",
       source=f"{SRC} § Streaming events > response.created; {SRC} § Streaming events > response.completed")
def terminal_last(exchange: Exchange) -> Violations:
    """The stream opens with response.created and ends with one terminal event (completed, incomplete, failed)."""
    typed = _typed(exchange)
    if not typed:
        yield at(0), "expected response.created, got no typed event"
        return
    if typed[0][1]["type"] != "response.created":
        yield at(typed[0][0], "/type"), f"expected response.created first, got {typed[0][1]['type']!r}"
    ends = [(i, p) for i, p in typed if p["type"] in TERMINAL]
    if not ends:
        yield at(typed[-1][0] + 1), f"expected a terminal event ({', '.join(TERMINAL)}), got none"
    elif ends[0][0] != typed[-1][0] or len(ends) > 1:
        yield at(ends[0][0]), f"expected {ends[0][1]['type']} last and once, got {typed[-1][1]['type']!r} at the end"


def _final(exchange: Exchange) -> tuple[str, Any]:
    """(location, the response object): the plain body, or the terminal event's ``response``."""
    if not exchange.streamed:
        return "", exchange.body
    for i, payload in reversed(_typed(exchange)):
        if payload["type"] in TERMINAL:
            return at(i, "/response"), payload.get("response")
    return "", None


def _output_texts(response: Any) -> dict[tuple[str, int], str]:
    """(item id, content index) -> the text of every output_text and reasoning_text part of the response."""
    found = {}
    for item in (response or {}).get("output") or [] if isinstance(response, dict) else []:
        for k, part in enumerate(item.get("content") or [] if isinstance(item, dict) else []):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                found[(item.get("id"), k)] = part["text"]
    return found


@check("responses.stream.text_joins", applies=where("responses", streamed=True, ok=True), basis="documented",
       source=f"{SRC} § Streaming events > response.output_text.done; {SRC} § Streaming events > response.function_call_arguments.done")
def text_joins(exchange: Exchange) -> Violations:
    """The deltas of each text (and of a call's arguments) join to its done event and to the final response."""
    joined: dict[tuple[str, Any, Any], str] = defaultdict(str)
    for i, p in _typed(exchange):
        key = (p["type"], p.get("item_id"), p.get("content_index"))
        if p["type"] in JOINS and isinstance(p.get("delta"), str):
            joined[(JOINS[p["type"]][0], *key[1:])] += p["delta"]
        done = next((field for kind, field in JOINS.values() if kind == p["type"]), None)
        if done is not None and p.get(done) != joined.get(key, ""):
            said = joined.get(key, "")
            yield at(i, f"/{done}"), f"expected the {len(said)} characters its deltas joined to, got {p.get(done)!r:.60}"
    where_, final = _final(exchange)
    texts = _output_texts(final)
    for (kind, item, index), text in joined.items():
        if kind != "response.function_call_arguments.done" and (item, index) in texts and texts[(item, index)] != text:
            yield f"{where_}/output", f"item {item} part {index}: the final text differs from its deltas"


def _usage(exchange: Exchange) -> tuple[str, Any]:
    where_, final = _final(exchange)
    return f"{where_}/usage", final.get("usage") if isinstance(final, dict) else None


@check("responses.usage.totals_add_up", applies=where("responses", ok=True), basis="documented",
       source=f"{SRC} § The response object > usage")
def totals_add_up(exchange: Exchange) -> Violations:
    """total_tokens is input plus output tokens; reasoning tokens lie within output, cached within input."""
    where_, usage = _usage(exchange)
    if not isinstance(usage, dict) or not all(is_int(usage.get(k)) for k in ("input_tokens", "output_tokens", "total_tokens")):
        return  # absent or mistyped: the schema checks' to report
    if usage["total_tokens"] != usage["input_tokens"] + usage["output_tokens"]:
        yield f"{where_}/total_tokens", (f"expected {usage['input_tokens']} + {usage['output_tokens']} = "
                                         f"{usage['input_tokens'] + usage['output_tokens']}, got {usage['total_tokens']}")
    reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    if is_int(reasoning) and reasoning > usage["output_tokens"]:
        yield f"{where_}/output_tokens_details/reasoning_tokens", f"{reasoning} reasoning tokens exceed {usage['output_tokens']} output tokens"
    cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
    if is_int(cached) and cached > usage["input_tokens"]:
        yield f"{where_}/input_tokens_details/cached_tokens", f"{cached} cached tokens exceed {usage['input_tokens']} input tokens"


@check("responses.response.status_consistent", applies=where("responses", ok=True), basis="documented",
       source=f"{SRC} § The response object > status; {SRC} § The response object > incomplete_details")
def status_consistent(exchange: Exchange) -> Violations:
    """An incomplete response says why (incomplete_details.reason); any other has no incomplete_details."""
    where_, final = _final(exchange)
    if not isinstance(final, dict):
        return
    details = final.get("incomplete_details")
    if final.get("status") == "incomplete" and not (isinstance(details, dict) and details.get("reason")):
        yield f"{where_}/incomplete_details", f"expected the reason of an incomplete response, got {details!r}"
    elif final.get("status") != "incomplete" and details is not None:
        yield f"{where_}/incomplete_details", f"a {final.get('status')} response says it is incomplete: {details!r}"
    if exchange.streamed and where_:
        i, kind = next((i, p["type"]) for i, p in reversed(_typed(exchange)) if p["type"] in TERMINAL)
        wanted = {"incomplete": "response.incomplete", "failed": "response.failed"}.get(final.get("status"), "response.completed")
        if kind != wanted:
            yield at(i, "/type"), f"a {final.get('status')} response ends with {kind}, expected {wanted}"
