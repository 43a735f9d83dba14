"""Small helpers the check modules share: scope predicates for ``applies=`` and event walkers."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from ..assemble import at
from ..exchange import NOT_JSON, Exchange

__all__ = [
    "at", "where", "pair_of", "json_events", "choice_deltas", "is_int", "instance_violations",
    "tool_schemas", "thinking_expected", "openai_limit", "status_location", "DOCUMENTED_STATUSES",
    "BASE_SCHEMAS", "schema_of", "dialect_of",
]

# Source: docs/sources.md#model-hyperparameters § Error codes table.
DOCUMENTED_STATUSES = frozenset({400, 401, 402, 403, 404, 421, 429, 500, 503})

status_location = "status"  # where a finding about the HTTP status line points
# The schema each kind of document is held to, per protocol, where a dialect names none of its own.
BASE_SCHEMAS = {
    "openai": {"response": "openai/chat_completions.response.json", "chunk": "openai/chat_completions.chunk.json",
               "error": "openai/error.json"},
    "anthropic": {"response": "anthropic/messages.response.json", "event": "anthropic/messages.event.json",
                  "error": "anthropic/error.json"},
    "responses": {"response": "responses/responses.response.json", "event": "responses/responses.event.json",
                  "error": "openai/error.json"},
}


def dialect_of(exchange: Exchange) -> Any:
    """The dialect the exchange was spoken in (conformance.dialects)."""
    from .. import dialects  # data: read when a check first needs it

    return dialects.get(exchange.dialect)


def schema_of(exchange: Exchange, kind: str) -> str:
    """The schema a ``kind`` of document (response, chunk, event, error) of this exchange is held to: its dialect's."""
    speaks = dialect_of(exchange)
    if exchange.protocol in speaks.protocols and kind in speaks.data["schemas"].get(exchange.protocol, {}):
        return speaks.schema(exchange.protocol, kind)
    return BASE_SCHEMAS[exchange.protocol][kind]


def where(protocol: str, *, streamed: bool | None = None, ok: bool | None = None) -> Callable[[Exchange], bool]:
    """An ``applies=`` predicate: this protocol and, when given, this stream mode and success."""

    def applies(exchange: Exchange) -> bool:
        return exchange.protocol == protocol and streamed in (None, exchange.streamed) and ok in (None, exchange.ok)

    return applies


def pair_of(protocol: str) -> Callable[[Exchange, Exchange], bool]:
    """An ``applies=`` predicate for (streamed, plain) successful answers on ``protocol``."""

    def applies(streamed: Exchange, plain: Exchange) -> bool:
        same = streamed.protocol == plain.protocol == protocol
        return same and streamed.streamed and not plain.streamed and streamed.ok and plain.ok

    return applies


def json_events(exchange: Exchange) -> Iterator[tuple[int, dict[str, Any]]]:
    """(event index, payload) for every event whose data is a JSON object."""
    return ((i, p) for i, p in enumerate(exchange.payloads()) if isinstance(p, dict))


def choice_deltas(exchange: Exchange) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(event index, position in choices, choice) for every choice object of every chunk."""
    for i, payload in json_events(exchange):
        choices = payload.get("choices")
        for k, choice in enumerate(choices if isinstance(choices, list) else []):
            if isinstance(choice, dict):
                yield i, k, choice


def is_int(value: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def instance_violations(schema: Any, instance: Any) -> list[tuple[str, str]]:
    """(pointer, message) for each way ``instance`` breaks a request-supplied ``schema``."""
    if not isinstance(schema, dict) or instance is NOT_JSON:
        return []
    try:
        found = list(Draft202012Validator(schema).iter_errors(instance))
    except (SchemaError, Unresolvable):
        return []  # the request's own schema is broken or refers elsewhere: nothing to hold the answer to
    return [("".join(f"/{p}" for p in e.absolute_path), e.message) for e in found]


def tool_schemas(request: dict[str, Any]) -> dict[str, Any]:
    """Tool name -> its parameter schema: OpenAI ``function.parameters`` or Anthropic ``input_schema``."""
    found = {}
    for tool in request.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        found[function.get("name")] = function.get("parameters", function.get("input_schema"))
    return found


def thinking_expected(exchange: Exchange) -> str | None:
    """``enabled`` or ``disabled`` as the request asks (in its dialect's field), else the known model's default, else None."""
    asked = dialect_of(exchange).thinking_asked(exchange.request.json)
    if asked is not None:
        return asked
    from .. import models  # the models data is read only when a request leaves thinking unset

    model_id = exchange.model or exchange.request.json.get("model")
    try:
        if not dialect_of(exchange).knows(model_id):
            return None  # another dialect's own id: this one knows no default for it
        model = models.get(model_id)
    except (KeyError, TypeError):
        return None
    if model.stub:
        return None  # a listed id whose defaults nobody knows
    return "enabled" if model.thinking_by_default else "disabled"


def openai_limit(request: dict[str, Any]) -> tuple[str, int] | None:
    """(field, value) of the output budget asked for: max_completion_tokens, else max_tokens."""
    # Both fields are accepted (docs/observed.md § OpenAI protocol > Token limit fields); the documented one wins when
    # both come.
    for name in ("max_completion_tokens", "max_tokens"):
        if is_int(request.get(name)):
            return name, request[name]
    return None
