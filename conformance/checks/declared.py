"""Undeclared fields (info): keys a response carries that the schema for it never names."""

from __future__ import annotations

from typing import Any, Iterator

from ..exchange import NOT_JSON, Exchange
from ._common import at, schema_of, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
OPEN = ("the response schemas are open to extra keys (docs/observed.md § Resellers and gateways: some gateways add "
        "fields); a key no schema names is news, never a failure")

# The schema each kind of document is held to, per protocol: (plain body, stream event, error body).
# Xiaomi's; an exchange is held to its dialect's (_common.schema_of).
SCHEMAS = {
    "openai": ("openai/chat_completions.response.json", "openai/chat_completions.chunk.json", "openai/error.json"),
    "anthropic": ("anthropic/messages.response.json", "anthropic/messages.event.json", "anthropic/error.json"),
    "responses": ("responses/responses.response.json", "responses/responses.event.json", "openai/error.json"),
}
_KINDS = {"openai": ("response", "chunk", "error"), "anthropic": ("response", "event", "error"),
          "responses": ("response", "event", "error")}


def _undeclared(schema: str, document: Any, prefix: str = "") -> Violations:
    from ..declared import undeclared  # the schema files load at call time, not at import

    if document is NOT_JSON:
        return  # not JSON at all: the *.schema.* checks report it
    for pointer in undeclared(schema, document):
        yield f"{prefix} {pointer}".strip(), f"key {pointer.rsplit('/', 1)[-1]!r} is not declared by schemas/{schema}"


@check("openai.schema.only_declared_fields", applies=where("openai"), basis="reference", source=OPEN)
@check("anthropic.schema.only_declared_fields", applies=where("anthropic"), basis="reference", source=OPEN)
@check("responses.schema.only_declared_fields", applies=where("responses"), basis="reference", source=OPEN)
def only_declared_fields(exchange: Exchange) -> Violations:
    """Every key of the body, each event and each error is one the schema (its dialect's) declares."""
    # Extra keys are legal (the schemas are open), but a new field is news: a gateway's "cost",
    # an undocumented feature, or a documented one the schema still lacks.
    plain, event, error = (schema_of(exchange, kind) for kind in _KINDS[exchange.protocol])
    if not exchange.ok:
        yield from _undeclared(error, exchange.error_body())
    elif not exchange.streamed:
        yield from _undeclared(plain, exchange.body)
    else:
        for i, payload in enumerate(exchange.payloads()):
            yield from _undeclared(event, payload, at(i))
