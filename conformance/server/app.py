"""The Starlette app: the chat endpoints of a dialect, the model lists, and the live API's error order.

Order per request (docs/observed.md § Errors > Malformed JSON first): malformed JSON first (before the key), then the
key, then a scenario the request asks for, then the request contract, then the deterministic answer. A dialect
(``conformance.dialects``) says where each endpoint sits, which headers carry the key, its scenarios, and (its
adapter) the shape of its answers and errors.
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

from .. import dialects, models
from ..contract import parse_body, request_violations
from ..exchange import ENDPOINTS, SCENARIO_HEADER
from . import render_anthropic, render_openai, render_responses, triggers, wire
from .answer import generate
from .faults import CUT, NO_FAULTS, Context, Faults, Pause
from .prompt import REFERENCE_DAY, WORDINGS, from_request

__all__ = ["DIALECTS", "create_app", "authorized", "respond"]

DIALECTS = dialects.served()  # the dialects with an adapter module: schemas/dialects/ and conformance/dialects/
_RENDERERS = {"openai": render_openai, "anthropic": render_anthropic, "responses": render_responses}
_MODELS_CREATED = 1_767_225_600  # a fixed `created` for the model list: never the clock
_KEY_HEADERS = {"api-key": "api-key", "bearer": "authorization", "x-api-key": "x-api-key"}


def authorized(headers: Any, key: str, accepted: Sequence[str] = ("api-key", "bearer")) -> bool:
    """The request carries ``key`` in one of the ``accepted`` headers; the first of them present decides.

    Xiaomi's order: ``api-key`` wins over ``Authorization: Bearer`` when both come (see :func:`accepted_on`
    for the Anthropic endpoint's ``x-api-key``).
    """
    for style in accepted:
        if _KEY_HEADERS[style] in headers:
            return _matches(style, headers[_KEY_HEADERS[style]], key)
    return False


def _matches(style: str, value: str, key: str) -> bool:
    if style != "bearer":
        return _same(value, key)
    scheme, _, token = value.partition(" ")
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


def _rendered(protocol: str, answer: Any, body: dict[str, Any], streamed: bool) -> Any:
    """The answer in ``protocol``'s shape: a document, or the stream's items (the Responses API echoes its request)."""
    renderer = _RENDERERS[protocol]
    extra = (body,) if protocol == "responses" else ()
    return renderer.items(answer, *extra) if streamed else renderer.document(answer, *extra)


def respond(protocol: str, body: dict[str, Any], faults: Faults = NO_FAULTS, *, day: date = REFERENCE_DAY,
            wording: str = "reference", dialect: str = dialects.DEFAULT) -> Response:
    """The answer to a valid request in ``dialect``: a JSON document, or an SSE stream when ``stream`` is true."""
    ctx, speaks = Context(protocol, body), dialects.adapter(dialect)
    prompt = from_request(*speaks.request(protocol, body), day=day, wording=wording)
    answer = faults.apply("answer", generate(faults.apply("prompt", prompt, ctx)), ctx)
    if ctx.streamed:
        found = speaks.items(protocol, _rendered(protocol, answer, body, True), body)
        chunks = wire.sse_chunks(faults.apply("items", found, ctx))
        headers = {"cache-control": "no-cache"}
        return _Stream(_send(faults.apply("chunks", chunks, ctx)), media_type="text/event-stream", headers=headers)
    doc = speaks.document(protocol, _rendered(protocol, answer, body, False), body)
    return _json(200, faults.apply("document", doc, ctx))


def accepted_on(protocol: str, dialect: str) -> tuple[str, ...]:
    """The key headers a dialect's endpoint reads, in order: its own, and ``x-api-key`` on the Anthropic endpoint.

    The official anthropic SDK sends the key in ``x-api-key`` by default, and the docs' Anthropic SDK
    example uses that SDK, so the Anthropic endpoint reads it after ``api-key`` and before Bearer.
    """
    headers = list(dialects.get(dialect).auth_headers)
    if protocol == "anthropic" and "x-api-key" not in headers:
        headers.insert(1 if headers[:1] == ["api-key"] else 0, "x-api-key")
    return tuple(headers)


def _scenario(ctx: Context, dialect: str) -> Response | None:
    """The answer a request asks for with the scenario header (the suite's own cases only), or None."""
    name = ctx.headers.get(SCENARIO_HEADER)
    if name is None:
        return None
    found = dialects.get(dialect).scenario(name)
    if found is None:
        return _json(400, {"error": {"code": "400", "message": f"no scenario {name!r} in dialect {dialect}"}})
    return _json(found["status"], found["body"])


def _answer(ctx: Context, key: str, faults: Faults, day: date, wording: str, dialect: str) -> Response:
    """The key, a scenario, then the contract (as of the server's day), then the answer, for a body that parsed."""
    speaks = dialects.adapter(dialect)
    if not faults.apply("auth", authorized(ctx.headers, key, accepted_on(ctx.protocol, dialect)), ctx):
        return _json(*speaks.unauthorized())
    scenario = _scenario(ctx, dialect)
    if scenario is not None:
        return scenario
    found = faults.apply("violations", request_violations(ctx.protocol, ctx.body, when=day, dialect=dialect), ctx)
    # Errors are plain JSON even for stream: true; the live API's SSE-framed error is a defect.
    if found:
        return _json(*speaks.refusal(found[0]))
    if _plugin_off(ctx.body):  # Xiaomi's own refusal, as the dialect passes on the provider's errors
        return _json(*speaks.upstream(400, _PLUGIN_OFF))
    return respond(ctx.protocol, ctx.body, faults, day=day, wording=wording, dialect=dialect)


# docs/observed.md § OpenAI protocol > Web search tool needs the console: the live API answers 400 until the web search
# plugin is switched on; the reference's plugin is on unless a request carries the web_search_plugin_off trigger.
_PLUGIN_OFF = {"error": {"code": "400", "message": "Param Incorrect", "param": "the web search plugin is not enabled: "
                         "switch it on in the console", "type": ""}}


def _plugin_off(body: Any) -> bool:
    """The request uses the web search tool and asks, by trigger phrase, for the plugin to be off."""
    tools = body.get("tools") if isinstance(body, dict) else None
    uses = any(isinstance(t, dict) and t.get("type") == "web_search" for t in tools or [])
    return uses and "web_search_plugin_off" in triggers.of_request(body)


def _endpoint(protocol: str, key: str, faults: Faults, day: date, wording: str,
              dialect: str = dialects.DEFAULT) -> Callable[[Request], Any]:
    """The handler of one chat endpoint; ``faults`` may break any step on purpose."""
    async def chat(request: Request) -> Response:
        """JSON first, then the key, then the contract, then the answer."""
        try:
            body = parse_body(await request.body())
        except ValueError:
            refused = _json(*dialects.adapter(dialect).malformed())
            return faults.apply("reply", refused, Context(protocol, None, request.headers))
        ctx = Context(protocol, body, request.headers)
        return faults.apply("reply", _answer(ctx, key, faults, day, wording, dialect), ctx)

    return chat


def _listed(dialect: str, day: date) -> list[str]:
    """The model ids a dialect's model list names: its own, or the served models of schemas/models.json."""
    own = dialects.get(dialect).models
    if own:
        return [m for m in own if models.get(m).serves(models.get(m).protocols[0], day)]
    return [m.id for m in models.all_models() if m.serves("openai", day)]


def _model_list(key: str, dialect: str = dialects.DEFAULT, day: date = REFERENCE_DAY) -> Callable[[Request], Any]:
    """The handler of GET /v1/models and GET /models (docs/observed.md § Models move > Model list endpoint)."""
    async def model_list(request: Request) -> Response:
        """The models the dialect serves that are not retired on the server's day."""
        if not authorized(request.headers, key, dialects.get(dialect).auth_headers):
            return _json(*dialects.adapter(dialect).unauthorized())
        data = [{"id": m, "object": "model", "created": _MODELS_CREATED, "owned_by": "xiaomi"} for m in _listed(dialect, day)]
        return _json(200, {"object": "list", "data": data})

    return model_list


def _routes(key: str, faults: Faults, day: date, wording: str, dialect: str) -> list[Route]:
    """Each endpoint of the dialect under its base path, and its model lists."""
    speaks = dialects.get(dialect)
    routes = [Route(speaks.path(p) + ENDPOINTS[p][1], _endpoint(p, key, faults, day, wording, dialect), methods=["POST"])
              for p in speaks.protocols]
    return routes + [Route(path, _model_list(key, dialect, day), methods=["GET"]) for path in speaks.model_lists]


async def _not_found(request: Request, exc: Exception) -> Response:
    """An HTML 404, as the live API answers a wrong path."""
    return HTMLResponse(wire.NOT_FOUND_HTML, status_code=404)


def create_app(*, key: str, dialect: str = "xiaomi", faults: Sequence[str] = (), latency: float = 0.0,
               day: date = REFERENCE_DAY, wording: str = "reference") -> Any:
    """The reference server for ``dialect`` (one of :data:`DIALECTS`), accepting ``key`` in the dialect's headers.

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
    routes = _routes(key, injected, day, wording, dialect)
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
