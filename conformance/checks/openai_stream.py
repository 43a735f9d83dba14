"""OpenAI streaming rules a chunk schema cannot state: framing, identity, order, tool-call fragments."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import openai_answer
from ..exchange import Exchange
from ..basis import Rule
from ._common import at, choice_deltas, instance_violations, is_int, json_events, tool_schemas, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
STREAM = where("openai", streamed=True, ok=True)
CHUNK = "docs/sources.md#openai-api § Chat response chunk object (streaming output)"
SAME_IN_EVERY_CHUNK = CHUNK + " > id, created (each chunk has the same ID and timestamp)"
MODEL_CONSTANT = Rule("reference", "the docs say each chunk has the same id and created, not the same model")
ENDING = "docs/observed.md § OpenAI protocol > Usage chunk without include_usage: the end is a finish chunk, then a usage chunk with `\"choices\": []`, then `[DONE]`"
FIRST_DELTA = "docs/observed.md § OpenAI protocol > Usage chunk without include_usage: the first delta is `{\"content\": \"\", \"role\": \"assistant\", ...}`"
FRAGMENTS = "docs/observed.md § OpenAI protocol > Usage chunk without include_usage: Tool-call deltas: the first fragment of a call has `index`, `id`, `type`, `function.name`"
DONE = "docs/observed.md § OpenAI protocol > Usage chunk without include_usage: Streaming: `data: [DONE]` at the end"
USAGE_CHUNK = "docs/observed.md § OpenAI protocol > Usage chunk without include_usage: the usage chunk comes even without `stream_options.include_usage`"
# The docs warn that arguments may not be valid JSON nor fit the schema, unless the tool is strict.
ARGUMENTS_FREE = Rule("reference", "docs/sources.md#openai-api § Chat response object (non-streaming output) > choices > message > "
                      "tool_calls > Function tool call > function > arguments (the model does not always generate valid JSON)")
STRICT = "docs/sources.md#openai-api § Request body > tools > Function tool > function > strict"




@check("openai.stream.constant_identity", applies=STREAM, basis="documented", source=SAME_IN_EVERY_CHUNK)
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
        located = at(i, f"/{key}"), f"expected {value!r} as in event {j}, got {got!r}{also}"
        yield (*located, MODEL_CONSTANT) if key == "model" else located


@check("openai.stream.role_first", applies=STREAM, basis="observed", source=FIRST_DELTA)
def role_first(exchange: Exchange) -> Violations:
    """Each choice's first delta has role "assistant"."""
    seen = set()
    for i, k, choice in choice_deltas(exchange):
        if choice.get("index") not in seen:
            seen.add(choice.get("index"))
            role = (choice.get("delta") or {}).get("role")
            if role != "assistant":
                yield at(i, f"/choices/{k}/delta/role"), f"expected 'assistant' in the first delta, got {role!r}"


@check("openai.stream.finish_reason_once", applies=STREAM, basis="observed", source=ENDING)
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


@check("openai.stream.tool_call_fragments", applies=STREAM, basis="observed", source=FRAGMENTS)
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


@check("openai.stream.tool_call_fields_repeated", applies=STREAM, basis="observed",
       source=FRAGMENTS + "; later fragments have `id: null` and `name: null`")
def tool_call_fields_repeated(exchange: Exchange) -> Violations:
    """Later fragments leave id and function.name null rather than repeating them."""
    # Clients that concatenate every fragment's id get "call_xcall_x" (a gateway bug seen in the wild);
    # MiMo itself sends null (docs/observed.md § OpenAI protocol > Tool-call deltas).
    for loc, fragment, first in _fragments(exchange):
        for field, value in _id_and_name(fragment).items():
            if first is not None and value is not None and value == _id_and_name(first)[field]:
                yield f"{loc}/{field}", f"expected null in a later fragment, got the {field} {value!r} again"


@check("openai.stream.tool_arguments_json", applies=STREAM, basis="documented", source=STRICT)
def tool_arguments_json(exchange: Exchange) -> Violations:
    """Each call's joined arguments are a JSON object that satisfies the tool's parameters schema."""
    schemas, strict = tool_schemas(exchange.request.json), _strict_tools(exchange.request.json)
    for choice in openai_answer(exchange).choices:
        if choice.finish_reason == "length":
            # a budget cut may leave a call half-written (docs/observed.md § OpenAI protocol > Truncated tool calls)
            continue
        for call in choice.tool_calls:
            loc, rule = f"{call.at}/function/arguments", None if call.name in strict else ARGUMENTS_FREE
            if not isinstance(call.parsed, dict):
                yield loc, f"expected a JSON object from call {call.index}'s arguments, got {call.arguments[:80]!r}", rule
                continue
            for pointer, message in instance_violations(schemas.get(call.name), call.parsed):
                yield loc, f"arguments {pointer or '/'} break the parameters of {call.name!r}: {message}", rule


def _strict_tools(request: dict[str, Any]) -> set[str]:
    """The names of the function tools the request marks ``strict: true``."""
    functions = [t.get("function") for t in request.get("tools") or [] if isinstance(t, dict)]
    return {f.get("name") for f in functions if isinstance(f, dict) and f.get("strict") is True}


@check("openai.stream.usage_chunk", applies=STREAM, basis="observed", source=ENDING)
def usage_chunk(exchange: Exchange) -> Violations:
    """A chunk that carries a usage object has choices []."""
    # A finish chunk with "usage": null is fine (docs/observed.md § OpenAI protocol > Stream ending).
    for i, payload in json_events(exchange):
        if isinstance(payload.get("usage"), dict) and payload.get("choices") != []:
            yield at(i, "/choices"), f"expected [] beside a usage object, got {payload.get('choices')!r:.80}"


@check("openai.stream.done_is_last", applies=STREAM, basis="observed", source=DONE)
def done_is_last(exchange: Exchange) -> Violations:
    """The stream ends with data: [DONE] and nothing follows it."""
    events = exchange.events
    done = [i for i, e in enumerate(events) if e.data == "[DONE]"]
    if not done:
        yield at(len(events)), f"expected data: [DONE] after event {len(events) - 1}, the stream ends"
    elif done[0] != len(events) - 1:
        yield at(done[0] + 1), f"expected nothing after [DONE] (event {done[0]}), got {events[done[0] + 1].data[:60]!r}"


@check("openai.stream.usage_reported", applies=STREAM, basis="observed", source=USAGE_CHUNK)
def usage_reported(exchange: Exchange) -> Violations:
    """The stream reports its usage: a chunk with a usage object comes before [DONE]."""
    # MiMo sends the usage chunk unasked; a gateway that drops it leaves clients without token counts.
    if not any(isinstance(p.get("usage"), dict) for _, p in json_events(exchange)):
        yield at(len(exchange.events)), "expected a usage chunk (choices [] and a usage object), the stream has none"


@check("openai.stream.no_error_event", applies=STREAM, basis="documented", source=CHUNK)
def no_error_event(exchange: Exchange) -> Violations:
    """A 2xx stream carries chunks only: an error object in an event means the answer failed after the 200."""
    for i, payload in json_events(exchange):
        error = payload.get("error")
        if error is not None and "choices" not in payload:
            yield at(i, "/error"), f"the stream failed after HTTP {exchange.status}: {_quoted(error)}"


def _quoted(error: Any) -> str:
    """An error object as one short line: its message and type or code when it has them."""
    if isinstance(error, dict):
        said = [str(error.get(k)) for k in ("type", "code", "message") if error.get(k) not in (None, "")]
        return " / ".join(said)[:200] or "an empty error object"
    return f"{error!r:.200}"


PARALLEL = ("docs/observed.md § OpenAI protocol > Unrequested parallel tool calls: several calls in one turn come as "
            "index 0, 1, …; docs/observed.md § OpenAI protocol > Tool-call deltas")


@check("openai.stream.tool_call_indexes", applies=STREAM, basis="observed", source=PARALLEL)
def tool_call_indexes(exchange: Exchange) -> Violations:
    """A choice's tool calls are numbered 0, 1, 2, … in the order their first fragments come."""
    started: dict[Any, list[Any]] = {}
    for loc, fragment, first in _fragments(exchange):
        index = fragment.get("index")
        if first is not None or not is_int(index):
            continue  # later fragments of a started call, or no index at all (tool_call_fragments says so)
        seen = started.setdefault(loc.split("/delta/")[0].split(" ", 2)[-1], [])
        if index != len(seen):
            yield f"{loc}/index", f"expected call number {len(seen)} to have index {len(seen)}, got {index}"
        seen.append(index)
