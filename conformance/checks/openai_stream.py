"""OpenAI streaming rules a chunk schema cannot state: framing, identity, order, tool-call fragments."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import openai_answer
from ..exchange import Exchange
from ._common import at, choice_deltas, instance_violations, is_int, json_events, tool_schemas, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
STREAM = where("openai", streamed=True, ok=True)




@check("openai.stream.constant_identity", applies=STREAM)
def constant_identity(exchange: Exchange) -> Violations:
    """id, created and model are the same in every chunk."""
    # One finding per key, at its first change: a server that stamps each chunk with the current
    # second (llama-server does) would otherwise give one finding per event of a long stream.
    first: dict[str, tuple[int, Any]] = {}
    changed: dict[str, list[tuple[int, Any]]] = {}
    for i, payload in json_events(exchange):
        for key in ("id", "created", "model"):
            if key in payload:  # a missing key is the chunk schema's to report
                j, value = first.setdefault(key, (i, payload[key]))
                if payload[key] != value:
                    changed.setdefault(key, []).append((i, payload[key]))
    for key, [(i, got), *more] in changed.items():
        j, value = first[key]
        also = f" (and in {len(more)} later events)" if more else ""
        yield at(i, f"/{key}"), f"expected {value!r} as in event {j}, got {got!r}{also}"


@check("openai.stream.role_first", applies=STREAM)
def role_first(exchange: Exchange) -> Violations:
    """Each choice's first delta has role "assistant"."""
    seen = set()
    for i, k, choice in choice_deltas(exchange):
        if choice.get("index") not in seen:
            seen.add(choice.get("index"))
            role = (choice.get("delta") or {}).get("role")
            if role != "assistant":
                yield at(i, f"/choices/{k}/delta/role"), f"expected 'assistant' in the first delta, got {role!r}"


@check("openai.stream.finish_reason_once", applies=STREAM)
def finish_reason_once(exchange: Exchange) -> Violations:
    """Each choice's finish_reason is set exactly once, on its last chunk."""
    finished: dict[Any, int] = {}
    last: dict[Any, tuple[int, int]] = {}
    for i, k, choice in choice_deltas(exchange):
        index = choice.get("index")
        if index in finished:
            yield at(i, f"/choices/{k}"), f"expected nothing for choice {index} after its finish in event {finished[index]}"
        elif choice.get("finish_reason") is not None:
            finished[index] = i
        last[index] = (i, k)
    for index, (i, k) in last.items():
        if index not in finished:
            yield at(i, f"/choices/{k}/finish_reason"), f"expected a finish_reason for choice {index}, got none"


def _fragments(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(location, fragment, first fragment of the same call or None when this is the first)."""
    first: dict[tuple[Any, Any], dict[str, Any]] = {}
    for i, k, choice in choice_deltas(exchange):
        for t, fragment in enumerate((choice.get("delta") or {}).get("tool_calls") or []):
            if isinstance(fragment, dict):
                key = (choice.get("index"), fragment.get("index"))
                yield at(i, f"/choices/{k}/delta/tool_calls/{t}"), fragment, first.get(key)
                first.setdefault(key, fragment)


def _id_and_name(fragment: dict[str, Any]) -> dict[str, Any]:
    return {"id": fragment.get("id"), "function/name": (fragment.get("function") or {}).get("name")}


@check("openai.stream.tool_call_fragments", applies=STREAM)
def tool_call_fragments(exchange: Exchange) -> Violations:
    """Fragments have an integer index; id and function.name come in a call's first fragment and never change."""
    for loc, fragment, first in _fragments(exchange):
        if not is_int(fragment.get("index")):
            yield f"{loc}/index", f"expected an integer index, got {fragment.get('index')!r}"
        for field, value in _id_and_name(fragment).items():
            earlier = None if first is None else _id_and_name(first)[field]
            if first is None and not value:
                yield f"{loc}/{field}", f"expected the call's {field} in its first fragment, got {value!r}"
            elif first is not None and value is not None and value != earlier:
                yield f"{loc}/{field}", f"expected null (the call's {field} is {earlier!r}), got {value!r}"


@check("openai.stream.tool_call_fields_repeated", applies=STREAM, severity="compat")
def tool_call_fields_repeated(exchange: Exchange) -> Violations:
    """Later fragments leave id and function.name null rather than repeating them."""
    # Clients that concatenate every fragment's id get "call_xcall_x" (a gateway bug seen in the wild);
    # MiMo itself sends null (docs/observed.md § OpenAI protocol > Tool-call deltas).
    for loc, fragment, first in _fragments(exchange):
        for field, value in _id_and_name(fragment).items():
            if first is not None and value is not None and value == _id_and_name(first)[field]:
                yield f"{loc}/{field}", f"expected null in a later fragment, got the {field} {value!r} again"


@check("openai.stream.tool_arguments_json", applies=STREAM)
def tool_arguments_json(exchange: Exchange) -> Violations:
    """Each call's joined arguments are a JSON object that satisfies the tool's parameters schema."""
    schemas = tool_schemas(exchange.request.json)
    for choice in openai_answer(exchange).choices:
        if choice.finish_reason == "length":
            # a budget cut may leave a call half-written (docs/observed.md § OpenAI protocol > Truncated tool calls)
            continue
        for call in choice.tool_calls:
            loc = f"{call.at}/function/arguments"
            if not isinstance(call.parsed, dict):
                yield loc, f"expected a JSON object from call {call.index}'s arguments, got {call.arguments[:80]!r}"
                continue
            for pointer, message in instance_violations(schemas.get(call.name), call.parsed):
                yield loc, f"arguments {pointer or '/'} break the parameters of {call.name!r}: {message}"


@check("openai.stream.usage_chunk", applies=STREAM)
def usage_chunk(exchange: Exchange) -> Violations:
    """A chunk that carries a usage object has choices []."""
    # A finish chunk with "usage": null is fine (docs/observed.md § OpenAI protocol > Stream ending).
    for i, payload in json_events(exchange):
        if isinstance(payload.get("usage"), dict) and payload.get("choices") != []:
            yield at(i, "/choices"), f"expected [] beside a usage object, got {payload.get('choices')!r:.80}"


@check("openai.stream.done_is_last", applies=STREAM)
def done_is_last(exchange: Exchange) -> Violations:
    """The stream ends with data: [DONE] and nothing follows it."""
    events = exchange.events
    done = [i for i, e in enumerate(events) if e.data == "[DONE]"]
    if not done:
        yield at(len(events)), f"expected data: [DONE] after event {len(events) - 1}, the stream ends"
    elif done[0] != len(events) - 1:
        yield at(done[0] + 1), f"expected nothing after [DONE] (event {done[0]}), got {events[done[0] + 1].data[:60]!r}"
