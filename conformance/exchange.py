"""An exchange: one request as sent and everything that came back, the unit every check reads."""

from __future__ import annotations

import functools
import json
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .sse import SSEComment, SSEEvent, Item

__all__ = ["Request", "Timings", "Exchange", "ENDPOINTS", "BASE_OF", "SCENARIO_HEADER", "NOT_JSON"]

# The endpoints, by protocol: (endpoint name, path below the protocol's base URL).
# Source: docs/sources.md#openai-api § Request Address and docs/sources.md#anthropic-api § Request Address; the
# Responses endpoint (EmpirioLabs' POST /v1/responses) is OpenAI's: docs/sources.md#openai-responses-api.
ENDPOINTS = {"openai": ("chat_completions", "/chat/completions"), "anthropic": ("messages", "/v1/messages"),
             "responses": ("responses", "/responses")}
# A protocol that lives under another's base URL: /v1/responses sits beside /v1/chat/completions.
BASE_OF = {"responses": "openai"}
# The request header that asks the suite's own reference server for a scenario (an answer of the error
# table, on purpose): the transport sends it only to that server, which alone reads it.
SCENARIO_HEADER = "x-mimo-conformance-scenario"


class _NotJSON:
    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJSON()  # the parsed form of a body or event data that is not JSON


@dataclass(frozen=True)
class Request:
    """What was sent: method, URL, the headers an allow-list keeps (never a key), and the body."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any  # the JSON document sent, or bytes when the test sent raw bytes
    auth: str = "api-key"  # how the key was sent: "api-key" | "bearer" | "both" | "none"
    credential: str = "valid"  # which key was sent: "valid" | "wrong" | "missing"

    @property
    def json(self) -> dict[str, Any]:
        """The body as a dict, or an empty dict when it was not a JSON object."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass(frozen=True)
class Timings:
    """Seconds from sending: to the response head, to the first event, to the end."""

    head: float | None = None
    first_event: float | None = None
    total: float | None = None
    event_times: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)  # compared by identity: checks cache what they derive per exchange
class Exchange:
    """A request and its response: status, lower-cased headers, raw text, and the SSE transcript."""

    protocol: str  # "openai" | "anthropic"
    request: Request
    status: int
    headers: dict[str, str]
    text: str
    transcript: tuple[Item, ...] | None = None  # set when the body was read as SSE
    timings: Timings = field(default_factory=Timings)
    error: str | None = None  # a transport failure (timeout, reset) that cut the response short
    model: str | None = None  # the model id the test meant to exercise (request's model by default)
    attempts: int = 1  # tries it took, retries included
    undecodable_at: int | None = None  # offset of the first byte that is not UTF-8, if any
    unavailable: bool = False  # retries ran out on overload, rate limiting or a dead connection
    recorded_at: datetime | None = None  # when it happened, as its capture says (HAR, cassette metadata, transport)
    dialect: str = "xiaomi"  # how the target speaks (schemas/dialects/): which schemas, codes and rules hold

    @property
    def endpoint(self) -> str:
        """``chat_completions``, ``messages`` or ``responses``."""
        return ENDPOINTS[self.protocol][0]

    @property
    def at_endpoint(self) -> bool:
        """The request went to its protocol's endpoint path (not a wrong path, on purpose or not)."""
        return urllib.parse.urlsplit(self.request.url).path.rstrip("/").endswith(ENDPOINTS[self.protocol][1])

    @property
    def streamed(self) -> bool:
        """The request asked for a stream."""
        return self.request.json.get("stream") is True

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300

    @property
    def events(self) -> list[SSEEvent]:
        """The dispatched SSE events, in order (comments left out)."""
        return list(self._events)

    @functools.cached_property
    def _events(self) -> tuple[SSEEvent, ...]:
        return tuple(i for i in self.transcript or () if isinstance(i, SSEEvent))

    @property
    def comments(self) -> list[SSEComment]:
        """The SSE comment lines, in order."""
        return [i for i in self.transcript or () if isinstance(i, SSEComment)]

    @property
    def content_type(self) -> str:
        """The media type of the response, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @functools.cached_property
    def body(self) -> Any:
        """The response text parsed as JSON, or ``NOT_JSON``."""
        return parse_json(self.text)

    def payloads(self) -> list[Any]:
        """Each event's data parsed as JSON (``NOT_JSON`` where it is not, e.g. ``[DONE]``)."""
        return list(self._payloads)  # a check may not edit what the next check reads

    @functools.cached_property
    def _payloads(self) -> tuple[Any, ...]:
        # parsed once per exchange: every stream check reads them (checks never mutate them)
        return tuple(parse_json(e.data) for e in self._events)

    @functools.cached_property
    def when(self) -> datetime | None:
        """When the exchange happened: the answer's ``created``, else its ``Date`` header, else the capture's time."""
        return _created(self) or _date_header(self.headers.get("date")) or self.recorded_at

    def error_body(self) -> Any:
        """The error document: the JSON body, or the first event's data for an SSE-framed error."""
        body = self.body
        if body is NOT_JSON and self.events:
            return parse_json(self.events[0].data)
        return body


def _created(exchange: Exchange) -> datetime | None:
    """The Unix ``created`` of a plain body or of the first stream event that carries one."""
    docs = exchange._payloads if exchange.transcript is not None else (exchange.body,)
    for doc in docs:
        created = doc.get("created") if isinstance(doc, dict) else None
        if isinstance(created, int) and not isinstance(created, bool) and 0 < created < 32_503_680_000:
            return datetime.fromtimestamp(created, timezone.utc)
    return None


def _date_header(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware datetime, or None when absent or unreadable."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def parse_json(text: str) -> Any:
    """``json.loads`` that answers ``NOT_JSON`` instead of raising."""
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return NOT_JSON
