"""Framing both protocols share: UTF-8 bodies, the stream media type, and JSON in every event's data."""

from __future__ import annotations

from typing import Iterator

from ..exchange import NOT_JSON, Exchange
from ._common import at, where
from .registry import check


__all__: list[str] = []

SSE = ("docs/sources.md#openai-api § Request body > stream (server-sent events); "
       + "docs/sources.md#anthropic-api § Streaming Response > type (each server-sent event has a named type and JSON data)")
JSON_UTF8 = "docs/sources.md#openai-api § Request Headers (Content-Type: application/json; RFC 8259 § 8.1: JSON is UTF-8)"


@check("openai.stream.content_type", applies=where("openai", streamed=True, ok=True), basis="documented", source=SSE)
@check("anthropic.stream.content_type", applies=where("anthropic", streamed=True, ok=True), basis="documented",
       source=SSE)
@check("responses.stream.content_type", applies=where("responses", streamed=True, ok=True), basis="documented",
       source="docs/sources.md#openai-responses-api § Create a model response > Request body > stream (server-sent events)")
def content_type(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """A 2xx stream is served as text/event-stream."""
    if exchange.content_type != "text/event-stream":
        yield "header content-type", f"expected text/event-stream, got {exchange.content_type or 'none'!r}"


@check("openai.stream.data_is_json", applies=where("openai", streamed=True, ok=True), basis="documented", source=SSE)
@check("anthropic.stream.data_is_json", applies=where("anthropic", streamed=True, ok=True), basis="documented",
       source=SSE)
def data_is_json(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """Every event's data is a JSON document, but OpenAI's final [DONE] sentinel."""
    for i, (event, payload) in enumerate(zip(exchange.events, exchange.payloads())):
        if payload is NOT_JSON and not (exchange.protocol == "openai" and event.data == "[DONE]"):
            yield at(i), f"expected JSON data, got {event.data[:60]!r}"


@check("openai.response.utf8", applies=lambda ex: ex.protocol == "openai", basis="documented", source=JSON_UTF8)
@check("anthropic.response.utf8", applies=lambda ex: ex.protocol == "anthropic", basis="documented", source=JSON_UTF8)
def utf8(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """The response body is UTF-8, as JSON and SSE require (RFC 8259 § 8.1; WHATWG SSE)."""
    if exchange.undecodable_at is not None:
        yield "body", f"byte {exchange.undecodable_at} is not UTF-8: fix the server's encoding (JSON must be UTF-8)"


@check("openai.stream.complete", applies=where("openai", streamed=True), basis="documented", source=SSE)
@check("anthropic.stream.complete", applies=where("anthropic", streamed=True), basis="documented", source=SSE)
def complete(exchange: Exchange) -> Iterator[tuple[str, str]]:
    """The stream runs to its end: no read timeout or dropped connection cuts it short."""
    # The transport records a timeout (no byte within --read-timeout, also between events) or a
    # reset as exchange.error; the location is the event that never came.
    if exchange.error is not None:
        reached = len(exchange.events)
        yield at(reached), f"expected event {reached} or the end of the stream, got {exchange.error}"
