"""The Starlette app: two chat endpoints, the model list, and the live API's error order.

Order per request (OBSERVED.md, "Errors"): malformed JSON first (before the key), then the key,
then the request contract, then the deterministic answer.
"""

from __future__ import annotations

import asyncio
import calendar
import hmac
from datetime import date
from email.utils import formatdate
from typing import Any, AsyncIterator, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Send

from .. import models
from ..contract import parse_body, request_violations
from . import render_anthropic, render_openai, wire
from .answer import generate
from .faults import CUT, NO_FAULTS, Context, Faults, Pause
from .prompt import REFERENCE_DAY, WORDINGS, from_request

__all__ = ["DIALECTS", "create_app", "authorized", "respond"]

DIALECTS = ("xiaomi",)  # the documented MiMo dialect; other dialects may be added as data later
_RENDERERS = {"openai": render_openai, "anthropic": render_anthropic}
_MODELS_CREATED = 1_767_225_600  # a fixed `created` for the model list: never the clock


def authorized(headers: Any, key: str, protocol: str = "openai") -> bool:
    """The request carries ``key``: ``api-key`` wins over ``Authorization: Bearer`` when both come.

    The Anthropic endpoint also reads ``x-api-key``, after ``api-key`` and before Bearer: the official
    anthropic SDK sends the key there by default, and the docs' Anthropic SDK example uses that SDK.
    """
    if "api-key" in headers:
        return _same(headers["api-key"], key)
    if protocol == "anthropic" and "x-api-key" in headers:
        return _same(headers["x-api-key"], key)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and _same(token.strip(), key)


def _same(sent: str, key: str) -> bool:
    """A constant-time comparison, so the reference does not leak the key through timing."""
    return hmac.compare_digest(sent.encode("utf-8"), key.encode("utf-8"))


def _json(status: int, doc: Any) -> Response:
    """A compact JSON response with ``status``."""
    return Response(wire.json_bytes(doc), status_code=status, media_type="application/json")


async def _send(chunks: list[Any]) -> AsyncIterator[Any]:
    """Yield the framed chunks one at a time; a fault's Pause holds the stream like a stalled upstream."""
    for chunk in chunks:
        if isinstance(chunk, Pause):
            await asyncio.sleep(chunk.seconds)  # cancelled as soon as the client hangs up
        else:
            yield chunk


class _Stream(StreamingResponse):
    """A StreamingResponse that a fault's CUT ends without its final chunk: the connection drops."""

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            if chunk is CUT:
                return  # uvicorn closes a response left unfinished, as a crashed upstream's proxy does
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def respond(protocol: str, body: dict[str, Any], faults: Faults = NO_FAULTS, *, day: date = REFERENCE_DAY,
            wording: str = "reference") -> Response:
    """The answer to a valid request: a JSON document, or an SSE stream when ``stream`` is true."""
    ctx = Context(protocol, body)
    prompt = from_request(protocol, body, day=day, wording=wording)
    answer = faults.apply("answer", generate(faults.apply("prompt", prompt, ctx)), ctx)
    renderer = _RENDERERS[protocol]
    if ctx.streamed:
        chunks = wire.sse_chunks(faults.apply("items", renderer.items(answer), ctx))
        headers = {"cache-control": "no-cache"}
        return _Stream(_send(faults.apply("chunks", chunks, ctx)), media_type="text/event-stream", headers=headers)
    return _json(200, faults.apply("document", renderer.document(answer), ctx))


def _answer(ctx: Context, key: str, faults: Faults, day: date, wording: str) -> Response:
    """The key, then the contract (as of the server's day), then the answer, for a request whose body parsed as JSON."""
    if not faults.apply("auth", authorized(ctx.headers, key, ctx.protocol), ctx):
        return _json(401, wire.invalid_key())
    found = faults.apply("violations", request_violations(ctx.protocol, ctx.body, when=day), ctx)
    # Errors are plain JSON even for stream: true; the live API's SSE-framed error is a defect.
    if found:
        return _json(found[0].status, wire.violation_error(found[0]))
    return respond(ctx.protocol, ctx.body, faults, day=day, wording=wording)


def _endpoint(protocol: str, key: str, faults: Faults, day: date, wording: str) -> Callable[[Request], Any]:
    """The handler of one chat endpoint; ``faults`` may break any step on purpose."""
    async def chat(request: Request) -> Response:
        """JSON first, then the key, then the contract, then the answer."""
        try:
            body = parse_body(await request.body())
        except ValueError:
            return faults.apply("reply", _json(400, wire.invalid_json()), Context(protocol, None, request.headers))
        ctx = Context(protocol, body, request.headers)
        return faults.apply("reply", _answer(ctx, key, faults, day, wording), ctx)

    return chat


def _model_list(key: str) -> Callable[[Request], Any]:
    """The handler of GET /v1/models."""
    async def model_list(request: Request) -> Response:
        """The models that serve the OpenAI protocol and are not retired."""
        if not authorized(request.headers, key):
            return _json(401, wire.invalid_key())
        data = [{"id": m.id, "object": "model", "created": _MODELS_CREATED, "owned_by": "xiaomi"}
                for m in models.all_models() if m.serves("openai")]
        return _json(200, {"object": "list", "data": data})

    return model_list


async def _not_found(request: Request, exc: Exception) -> Response:
    """An HTML 404, as the live API answers a wrong path."""
    return HTMLResponse(wire.NOT_FOUND_HTML, status_code=404)


def create_app(*, key: str, dialect: str = "xiaomi", faults: Sequence[str] = (), latency: float = 0.0,
               day: date = REFERENCE_DAY, wording: str = "reference") -> Any:
    """The reference server for ``dialect``, accepting ``key`` in either documented header.

    ``faults`` names defects of :mod:`.faults` to inject (none by default): a server that breaks
    the contract on purpose, for proving that the suite catches each defect. ``latency`` delays
    every answer by that many seconds without holding the event loop, as a remote target's network
    and model time would (benchmarks/live_xdist.py). ``day`` is the day the server lives on (which
    models are retired, when answers are ``created``); ``wording`` how it words answers (``paraphrase``:
    a second server whose answers share no words with the reference's).
    """
    if wording not in WORDINGS:
        raise ValueError(f"unknown wording {wording!r}; known: {', '.join(WORDINGS)}")
    if latency < 0:
        raise ValueError(f"latency must be 0 or more seconds, not {latency}")
    if not key:
        raise ValueError("the reference server needs a non-empty key")
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    injected = Faults(faults)  # raises ValueError naming the known faults on an unknown one
    routes = [
        Route("/v1/chat/completions", _endpoint("openai", key, injected, day, wording), methods=["POST"]),
        Route("/anthropic/v1/messages", _endpoint("anthropic", key, injected, day, wording), methods=["POST"]),
        Route("/v1/models", _model_list(key), methods=["GET"]),
    ]
    app = _Dated(Starlette(routes=routes, exception_handlers={404: _not_found}), day)
    return _Latency(app, latency) if latency else app


class _Dated:
    """ASGI middleware: a ``Date`` header on every response, at the start of the server's day."""

    def __init__(self, app: Any, day: date) -> None:
        self.app, self.date = app, formatdate(calendar.timegm(day.timetuple()), usegmt=True).encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def dated(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", self.date)]}
            await send(message)

        await self.app(scope, receive, dated if scope["type"] == "http" else send)


class _Latency:
    """ASGI middleware: wait ``seconds`` before handing each HTTP request to the app."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)
