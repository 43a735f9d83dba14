"""Schema conformance: bodies, chunks, events and error envelopes against schemas/."""

from __future__ import annotations

from typing import Any, Iterator

from ..basis import Rule
from ..exchange import NOT_JSON, Exchange
from ._common import at, schema_of, where
from .registry import check

__all__: list[str] = []



def _violations(schema: str, instance: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    from ..schemas import errors  # the schema files load at call time, not at import

    found = [(f"{prefix} {e.pointer}".strip() if prefix else e.pointer, e.message, e.rule) for e in errors(schema, instance)]
    yield from dict.fromkeys(found)  # an anyOf can report one leaf twice


def _body(schema: str, body: Any, what: str, exchange: Exchange) -> Iterator[tuple[str, str]]:
    if body is NOT_JSON:
        kind = exchange.content_type or "no content-type"
        yield "body", f"expected a JSON {what}, got {kind}: {' '.join(exchange.text.split())[:80]!r}"
        return
    yield from _violations(schema, body)


# A wrong path is no endpoint: no document gives its answer a body, and the live API answers an HTML page.
WRONG_PATH = Rule("reference", "docs/observed.md § Errors > HTML 404 for a wrong path (a path that is no endpoint "
                               "answers an HTML page; a JSON envelope there is our reading, not a rule)")


def _error(exchange: Exchange, what: str) -> Iterator[tuple]:
    """The error body against the dialect's error schema; on a wrong path each finding weighs as reference."""
    for found in _body(schema_of(exchange, "error"), exchange.error_body(), what, exchange):
        yield found if exchange.at_endpoint else (found[0], found[1], WRONG_PATH)


def _events(exchange: Exchange, schema: str) -> Iterator[tuple[str, str]]:
    for i, (event, payload) in enumerate(zip(exchange.events, exchange.payloads())):
        if payload is not NOT_JSON and event.data != "[DONE]":  # non-JSON data: *.stream.data_is_json
            yield from _violations(schema, payload, at(i))


@check("openai.schema.response", applies=where("openai", streamed=False, ok=True), basis="documented",
       source="docs/sources.md#openai-api § Chat response object (non-streaming output)")
def openai_response(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A 2xx non-stream body is JSON and matches the chat completion schema (its dialect's)."""
    return _body(schema_of(exchange, "response"), exchange.body, "chat completion", exchange)


@check("openai.schema.chunk", applies=where("openai", streamed=True, ok=True), basis="documented",
       source="docs/sources.md#openai-api § Chat response chunk object (streaming output)")
def openai_chunk(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """Every event's JSON data but [DONE] matches the chat completion chunk schema (its dialect's)."""
    return _events(exchange, schema_of(exchange, "chunk"))


@check("openai.schema.error", applies=where("openai", ok=False), basis="documented",
       source="docs/sources.md#model-hyperparameters § Error codes table (HTTP status and cause)")
def openai_error(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A non-2xx body is the documented error envelope (its dialect's)."""
    return _error(exchange, "error envelope")


@check("anthropic.schema.response", applies=where("anthropic", streamed=False, ok=True), basis="documented",
       source="docs/sources.md#anthropic-api § Non-streaming Response")
def anthropic_response(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A 2xx non-stream body is JSON and matches the message schema (its dialect's)."""
    return _body(schema_of(exchange, "response"), exchange.body, "message", exchange)


@check("anthropic.schema.event", applies=where("anthropic", streamed=True, ok=True), basis="documented",
       source="docs/sources.md#anthropic-api § Streaming Response")
def anthropic_event(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """Every event's JSON data matches the streaming event schema (its dialect's)."""
    return _events(exchange, schema_of(exchange, "event"))


@check("anthropic.schema.error", applies=where("anthropic", ok=False), basis="documented",
       source="docs/sources.md#model-hyperparameters § Error codes table (HTTP status and cause)")
def anthropic_error(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A non-2xx body matches the Anthropic endpoint's error schema (its dialect's)."""
    return _error(exchange, "error body")


RESPONSES = "docs/sources.md#openai-responses-api"


@check("responses.schema.response", applies=where("responses", streamed=False, ok=True), basis="documented",
       source=f"{RESPONSES} § The response object")
def responses_response(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A 2xx non-stream body is JSON and matches the response object schema."""
    return _body(schema_of(exchange, "response"), exchange.body, "response object", exchange)


@check("responses.schema.event", applies=where("responses", streamed=True, ok=True), basis="documented",
       source=f"{RESPONSES} § Streaming events")
def responses_event(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """Every event's JSON data matches the Responses stream event schema."""
    return _events(exchange, schema_of(exchange, "event"))


@check("responses.schema.error", applies=where("responses", ok=False), basis="documented",
       source="docs/sources.md#model-hyperparameters § Error codes table (HTTP status and cause)")
def responses_error(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A non-2xx body is the error envelope of its dialect."""
    return _error(exchange, "error envelope")
