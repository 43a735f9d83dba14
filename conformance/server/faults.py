"""Fault injection: a catalogue of single protocol defects the reference server can be told to make.

Each fault is one subtle deviation of the kind real servers and gateways ship, registered by name
with the id of the check that must catch it (the mutation test, ``tests/test_mutation.py``, holds
the suite to that). A fault is a small transform applied at one stage of the server's pipeline:

========== =============================================== ====================================
stage      value transformed                               where
========== =============================================== ====================================
auth       the key check's verdict (bool)                  before the contract
violations the request's contract violations (list)        before the answer
prompt     the :class:`~.prompt.Prompt`                    request handling
answer     the :class:`~.answer.Answer`                    before rendering
document   the non-streaming JSON document (dict)          after rendering
items      the SSE item list                               after rendering
chunks     the framed byte chunks (may get Pause or CUT)   on the wire
reply      the Starlette response (status, headers, body)  last
========== =============================================== ====================================

The server never imports a check: a fault names its check by id only. A fault breaks a server of one
dialect (``xiaomi`` unless it says otherwise): the mutation test serves that dialect to catch it. The
faults of the other dialects' checks are in :mod:`.dialect_faults`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from starlette.responses import HTMLResponse, Response, StreamingResponse

from .. import models
from ..sse import Item, SSEEvent
from .answer import Answer, ToolCall
from .prompt import Prompt

__all__ = ["STAGES", "Context", "Fault", "Faults", "NO_FAULTS", "Pause", "CUT", "FAULTS", "fault", "get", "catalogue"]

STAGES = ("auth", "violations", "prompt", "answer", "document", "items", "chunks", "reply")


@dataclass(frozen=True)
class Context:
    """The request a transform runs for: its protocol, parsed body (None when not JSON) and headers."""

    protocol: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        """The request asked for a stream."""
        return isinstance(self.body, dict) and self.body.get("stream") is True


@dataclass(frozen=True)
class Pause:
    """A chunk-list marker: the server sends nothing for ``seconds`` (a stalled upstream)."""

    seconds: float


class _Cut:
    """A chunk-list marker: the server drops the connection here, mid-body."""

    def __repr__(self) -> str:
        return "CUT"


CUT = _Cut()


@dataclass(frozen=True)
class Fault:
    """One registered defect: its name, the check that must catch it, the stage and the transform."""

    name: str
    check: str
    stage: str
    transform: Callable[[Any, Context], Any]
    dialect: str = "xiaomi"  # the dialect of the server that makes the defect

    @property
    def protocol(self) -> str:
        """The protocol whose endpoint the fault breaks: the first word of its check id."""
        return self.check.split(".")[0]

    @property
    def description(self) -> str:
        """The first line of the transform's docstring: the defect, in the present tense."""
        return (self.transform.__doc__ or "").strip().splitlines()[0]


FAULTS: dict[str, Fault] = {}


def fault(name: str, *, check: str, stage: str, dialect: str = "xiaomi") -> Callable[[Callable], Callable]:
    """Register ``transform(value, context) -> value`` as fault ``name`` of a ``dialect`` server, caught by ``check``."""
    if stage not in STAGES or name in FAULTS or not name.startswith(check.split(".")[0] + "."):
        raise ValueError(f"fault {name!r}: a new name on its check's protocol, and a stage of {STAGES}")

    def register(transform: Callable) -> Callable:
        FAULTS[name] = Fault(name, check, stage, transform, dialect)
        return transform

    return register


def get(name: str) -> Fault:
    """The fault registered as ``name``; a ValueError names the known ones when it is not."""
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
    return FAULTS[name]


def catalogue() -> list[Fault]:
    """Every registered fault, by name."""
    return [FAULTS[name] for name in sorted(FAULTS)]


class Faults:
    """The faults one server injects, applied in the order given at each stage."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.chosen = tuple(get(name) for name in names)

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def apply(self, stage: str, value: Any, ctx: Context) -> Any:
        """``value`` after every chosen fault of ``stage`` on ``ctx.protocol`` transformed it."""
        for f in self.chosen:
            if f.stage == stage and f.protocol == ctx.protocol:
                value = f.transform(value, ctx)
        return value


NO_FAULTS = Faults()  # what a correct server injects


# --- helpers over SSE items ----------------------------------------------------------------------

Change = Callable[[int, dict], "dict | None"]


def _payload(item: Item) -> dict | None:
    """The JSON object an event carries, or None (comments, ``[DONE]``)."""
    if not isinstance(item, SSEEvent):
        return None
    try:
        payload = json.loads(item.data)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _event(payload: dict, like: SSEEvent) -> SSEEvent:
    """``payload`` as compact JSON in an event named like ``like``."""
    return SSEEvent(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), event=like.event)


def _map(items: list[Item], change: Change) -> list[Item]:
    """The items with ``change(n, payload)`` applied to the n-th JSON event; a None result drops it."""
    out: list[Item] = []
    n = 0
    for item in items:
        payload = _payload(item)
        if payload is None:
            out.append(item)
            continue
        new, n = change(n, copy.deepcopy(payload)), n + 1
        out += [] if new is None else [_event(new, item)]
    return out


def _where(items: list[Item], test: Callable[[dict], bool]) -> list[int]:
    """Positions of the items whose JSON payload passes ``test``."""
    return [i for i, item in enumerate(items) if (p := _payload(item)) is not None and test(p)]


def _kind(kind: str) -> Callable[[dict], bool]:
    """A test for Anthropic events of data type ``kind``."""
    return lambda p: p.get("type") == kind


def _choice(p: dict) -> dict:
    """The first choice of an OpenAI chunk, or {}."""
    return p["choices"][0] if p.get("choices") else {}


def _with_choice(p: dict, **fields: Any) -> dict:
    """The chunk with these fields set on its first choice."""
    return {**p, "choices": [{**_choice(p), **fields}]}


def _any(p: dict) -> bool:
    """Every JSON event."""
    return True


def _has_usage(p: dict) -> bool:
    """An OpenAI chunk that carries a usage object."""
    return isinstance(p.get("usage"), dict)


def _finishes(p: dict) -> bool:
    """An OpenAI chunk whose first choice sets finish_reason."""
    return _choice(p).get("finish_reason") is not None


def _fragments(p: dict) -> list[dict]:
    """The tool-call fragments of an OpenAI chunk's first choice."""
    return (_choice(p).get("delta") or {}).get("tool_calls") or []


def _edit_at(items: list[Item], position: int, change: Callable[[dict], dict]) -> list[Item]:
    """The items with the JSON event at ``position`` changed."""
    return items[:position] + [_event(change(_payload(items[position])), items[position])] + items[position + 1 :]


def _drop(items: list[Item], positions: list[int]) -> list[Item]:
    """The items without those at ``positions``."""
    return [item for i, item in enumerate(items) if i not in set(positions)]


def _tool_schema(ctx: Context, name: str) -> dict:
    """The parameters (OpenAI) or input_schema (Anthropic) of the request's tool ``name``."""
    for tool in (ctx.body or {}).get("tools") or []:
        function = tool.get("function", tool)
        if function.get("name") == name:
            return function.get("parameters") or function.get("input_schema") or {}
    return {}


def _retold(call: ToolCall, ctx: Context) -> ToolCall:
    """The call with each free-text argument (no enum) told differently: still valid, not the same."""
    props, args = _tool_schema(ctx, call.name).get("properties") or {}, json.loads(call.arguments)
    changed = {k: f"{v} (streamed)" if isinstance(v, str) and "enum" not in props.get(k, {}) else v
               for k, v in args.items()}
    return replace(call, arguments=json.dumps(changed, ensure_ascii=False))


def _is_error(response: Response) -> bool:
    """A 400 answer with a JSON body (not a stream, not the HTML 404 of a wrong path)."""
    return response.status_code == 400 and response.media_type == "application/json"


def _has_key(ctx: Context) -> bool:
    """The request carries a key in either documented header."""
    return "api-key" in ctx.headers or "authorization" in ctx.headers


_HTML_400 = ("<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n"
             "<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
_RANGE_RULES = ("schema:maximum", "schema:minimum", "schema:exclusiveMaximum", "schema:exclusiveMinimum")
# How a gateway that speaks OpenAI underneath names Anthropic's stop reasons.
_OPENAI_WORDS = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}
# A delta of another block's kind, by the kind it replaces: (delta type, its text field).
_OTHER_DELTA = {"thinking_delta": ("text_delta", "text"), "text_delta": ("thinking_delta", "thinking"),
                "input_json_delta": ("text_delta", "text")}


# --- both protocols: errors, auth, request handling, framing ---------------------------------------


@fault("openai.key_not_required", check="openai.auth.key_required", stage="auth")
@fault("anthropic.key_not_required", check="anthropic.auth.key_required", stage="auth")
@fault("responses.key_not_required", check="responses.auth.key_required", stage="auth", dialect="empiriolabs")
def key_not_required(ok: bool, ctx: Context) -> bool:
    """A request with no key at all is answered as if it carried a valid one."""
    return ok or not _has_key(ctx)


@fault("openai.range_not_enforced", check="openai.error.invalid_request_rejected", stage="violations")
@fault("anthropic.range_not_enforced", check="anthropic.error.invalid_request_rejected", stage="violations")
@fault("responses.range_not_enforced", check="responses.error.invalid_request_rejected", stage="violations",
       dialect="empiriolabs")
def range_not_enforced(found: list, ctx: Context) -> list:
    """An out-of-range number (temperature 1.6, top_p 0) is accepted and answered 200."""
    return [v for v in found if v.rule not in _RANGE_RULES and not v.rule.endswith("_range")]


@fault("openai.error_as_500", check="openai.error.not_server_error", stage="reply")
@fault("anthropic.error_as_500", check="anthropic.error.not_server_error", stage="reply")
@fault("responses.error_as_500", check="responses.error.not_server_error", stage="reply", dialect="empiriolabs")
def error_as_500(response: Response, ctx: Context) -> Response:
    """A rejected request is answered 500 instead of 400, body unchanged."""
    if _is_error(response):
        response.status_code = 500
    return response


@fault("openai.error_as_422", check="openai.error.status_documented", stage="reply")
@fault("anthropic.error_as_422", check="anthropic.error.status_documented", stage="reply")
@fault("responses.error_as_422", check="responses.error.status_documented", stage="reply", dialect="empiriolabs")
def error_as_422(response: Response, ctx: Context) -> Response:
    """A rejected request is answered 422, a status the docs do not list, body unchanged."""
    if _is_error(response):
        response.status_code = 422
    return response


@fault("openai.error_as_html", check="openai.schema.error", stage="reply")
@fault("anthropic.error_as_html", check="anthropic.schema.error", stage="reply")
@fault("responses.error_as_html", check="responses.schema.error", stage="reply", dialect="empiriolabs")
def error_as_html(response: Response, ctx: Context) -> Response:
    """A rejected request gets a gateway's HTML error page instead of the JSON envelope."""
    return HTMLResponse(_HTML_400, status_code=400) if _is_error(response) else response


@fault("openai.error_sse_framed", check="openai.error.plain_json_framing", stage="reply")
@fault("anthropic.error_sse_framed", check="anthropic.error.plain_json_framing", stage="reply")
def error_sse_framed(response: Response, ctx: Context) -> Response:
    """A rejected stream request gets its error body framed as ``data:{...}``, as the live API sends it."""
    if not (ctx.streamed and _is_error(response)):
        return response
    return Response(b"data:" + bytes(response.body) + b"\n\n", status_code=400, media_type="text/event-stream")


@fault("openai.stream_as_text_plain", check="openai.stream.content_type", stage="reply")
@fault("anthropic.stream_as_text_plain", check="anthropic.stream.content_type", stage="reply")
@fault("responses.stream_as_text_plain", check="responses.stream.content_type", stage="reply", dialect="empiriolabs")
def stream_as_text_plain(response: Response, ctx: Context) -> Response:
    """A stream is served as text/plain; the events themselves are unchanged."""
    if isinstance(response, StreamingResponse):
        response.headers["content-type"] = "text/plain; charset=utf-8"
    return response


@fault("openai.body_in_gbk", check="openai.response.utf8", stage="reply")
def body_in_gbk(response: Response, ctx: Context) -> Response:
    """A JSON answer is encoded in GBK, not UTF-8: its Chinese text arrives as bytes no UTF-8 decoder takes."""
    if response.status_code != 200 or response.media_type != "application/json":
        return response
    text = bytes(response.body).decode("utf-8")
    return Response(text.encode("gbk", errors="replace"), status_code=200, media_type="application/json")


@fault("openai.cost_field_added", check="openai.schema.only_declared_fields", stage="document")
@fault("anthropic.cost_field_added", check="anthropic.schema.only_declared_fields", stage="document")
@fault("responses.cost_field_added", check="responses.schema.only_declared_fields", stage="document", dialect="empiriolabs")
def cost_field_added(doc: dict, ctx: Context) -> dict:
    """The answer carries a field no schema declares, a gateway's ``"cost": "0"``."""
    return {**doc, "cost": "0"}


@fault("openai.budget_ignored", check="openai.usage.within_limit", stage="prompt")
@fault("anthropic.budget_ignored", check="anthropic.usage.within_limit", stage="prompt")
def budget_ignored(p: Prompt, ctx: Context) -> Prompt:
    """The requested token limit is ignored: the answer runs to the model's own maximum."""
    return replace(p, budget=models.get(p.model).range("max_tokens").max)


@fault("openai.stop_ignored", check="openai.finish.stop_sequence_absent", stage="prompt")
@fault("anthropic.stop_ignored", check="anthropic.finish.stop_sequence_absent", stage="prompt")
def stop_ignored(p: Prompt, ctx: Context) -> Prompt:
    """Stop sequences are ignored: the text runs past them."""
    return replace(p, stops=())


@fault("openai.thinking_not_disabled", check="openai.thinking.matches_request", stage="prompt")
@fault("anthropic.thinking_not_disabled", check="anthropic.thinking.matches_request", stage="prompt")
def thinking_not_disabled(p: Prompt, ctx: Context) -> Prompt:
    """Reasoning comes back although the request turned thinking off."""
    return replace(p, thinking=models.get(p.model).thinking["supported"])


@fault("openai.length_before_budget", check="openai.finish.length_at_budget", stage="answer")
@fault("anthropic.max_tokens_before_budget", check="anthropic.finish.max_tokens_at_budget", stage="answer")
def length_before_budget(a: Answer, ctx: Context) -> Answer:
    """A complete answer claims it was cut by the token limit (length / max_tokens)."""
    return replace(a, finish="length") if a.finish == "stop" else a


@fault("openai.tool_calls_finish_stop", check="openai.finish.tool_calls_iff_reason", stage="answer")
@fault("anthropic.tool_use_end_turn", check="anthropic.finish.tool_use_iff_reason", stage="answer")
def tool_calls_finish_stop(a: Answer, ctx: Context) -> Answer:
    """An answer that calls a tool ends with the plain stop reason (stop / end_turn)."""
    return replace(a, finish="stop") if a.tool_calls else a


@fault("openai.stream_disagrees", check="openai.equivalence.structure", stage="answer")
@fault("anthropic.stream_disagrees", check="anthropic.equivalence.structure", stage="answer")
def stream_disagrees(a: Answer, ctx: Context) -> Answer:
    """The streamed tool call carries other (still valid) arguments than the plain answer to the same request."""
    return replace(a, tool_calls=tuple(_retold(c, ctx) for c in a.tool_calls)) if ctx.streamed else a


@fault("openai.stream_stalls", check="openai.stream.complete", stage="chunks")
def stream_stalls(chunks: list, ctx: Context) -> list:
    """The stream stalls for an hour after its first deltas, the connection held open."""
    return chunks[:3] + [Pause(3600.0)] + chunks[3:]


@fault("anthropic.stream_crawls", check="anthropic.stream.complete", stage="chunks")
def stream_crawls(chunks: list, ctx: Context) -> list:
    """Events come 30 seconds apart after message_start."""
    return chunks[:2] + [part for chunk in chunks[2:] for part in (Pause(30.0), chunk)]


@fault("openai.stream_cut", check="openai.stream.complete", stage="chunks")
@fault("anthropic.stream_cut", check="anthropic.stream.complete", stage="chunks")
def stream_cut(chunks: list, ctx: Context) -> list:
    """The connection drops halfway through the stream."""
    return chunks[: len(chunks) // 2] + [CUT]


# --- OpenAI Chat Completions ---------------------------------------------------------------------


@fault("openai.done_missing", check="openai.stream.done_is_last", stage="items")
def done_missing(items: list[Item], ctx: Context) -> list[Item]:
    """The stream ends after the usage chunk, without data: [DONE]."""
    return [i for i in items if not (isinstance(i, SSEEvent) and i.data == "[DONE]")]


@fault("openai.data_after_done", check="openai.stream.done_is_last", stage="items")
def data_after_done(items: list[Item], ctx: Context) -> list[Item]:
    """The last chunk (the usage chunk, where there is one) is sent again after data: [DONE], as some gateways do."""
    return items + [items[(_where(items, _has_usage) or _where(items, _any))[-1]]]


@fault("openai.id_per_chunk", check="openai.stream.constant_identity", stage="items")
def id_per_chunk(items: list[Item], ctx: Context) -> list[Item]:
    """Each chunk carries a fresh id (the last two hex digits count the chunks)."""
    return _map(items, lambda n, p: {**p, "id": f"{p['id'][:-2]}{n:02x}"})


@fault("openai.created_per_chunk", check="openai.stream.constant_identity", stage="items")
def created_per_chunk(items: list[Item], ctx: Context) -> list[Item]:
    """Each chunk's created is read from a clock that ticks a second a chunk."""
    return _map(items, lambda n, p: {**p, "created": p["created"] + n})


@fault("openai.role_missing", check="openai.stream.role_first", stage="items")
def role_missing(items: list[Item], ctx: Context) -> list[Item]:
    """The first delta has role null instead of "assistant"."""
    first = _where(items, _any)[0]
    return _edit_at(items, first, lambda p: _with_choice(p, delta={**_choice(p)["delta"], "role": None}))


@fault("openai.finish_reason_twice", check="openai.stream.finish_reason_once", stage="items")
def finish_reason_twice(items: list[Item], ctx: Context) -> list[Item]:
    """The last delta chunk already sets finish_reason, and the finish chunk sets it again."""
    at = _where(items, _finishes)[0]
    before = max(i for i in _where(items, _any) if i < at)
    finish = _choice(_payload(items[at]))["finish_reason"]
    return _edit_at(items, before, lambda p: _with_choice(p, finish_reason=finish))


@fault("openai.finish_reason_missing", check="openai.stream.finish_reason_once", stage="items")
def finish_reason_missing(items: list[Item], ctx: Context) -> list[Item]:
    """The finish chunk has finish_reason null: the stream never says why it ended."""
    return _map(items, lambda n, p: _with_choice(p, finish_reason=None) if _finishes(p) else p)


@fault("openai.usage_on_finish_chunk", check="openai.stream.usage_chunk", stage="items")
def usage_on_finish_chunk(items: list[Item], ctx: Context) -> list[Item]:
    """The usage object rides on the finish chunk (choices not empty) instead of a chunk of its own."""
    usage = _payload(items[_where(items, _has_usage)[0]])["usage"]
    merged = _map(items, lambda n, p: {**p, "usage": usage} if _finishes(p) else p)
    return _drop(merged, _where(merged, lambda p: p.get("choices") == []))


@fault("openai.data_python_repr", check="openai.stream.data_is_json", stage="items")
def data_python_repr(items: list[Item], ctx: Context) -> list[Item]:
    """One delta chunk's data is a Python dict repr (single quotes, None) instead of JSON."""
    second = _where(items, _any)[1]
    return items[:second] + [SSEEvent(repr(_payload(items[second])))] + items[second + 1 :]


@fault("openai.chunk_object_wrong", check="openai.schema.chunk", stage="items")
def chunk_object_wrong(items: list[Item], ctx: Context) -> list[Item]:
    """Chunks say object "chat.completion" (the non-stream word) instead of "chat.completion.chunk"."""
    return _map(items, lambda n, p: {**p, "object": "chat.completion"})


@fault("openai.tool_call_id_repeated", check="openai.stream.tool_call_fields_repeated", stage="items")
def tool_call_id_repeated(items: list[Item], ctx: Context) -> list[Item]:
    """Later fragments of a tool call repeat its id and name; clients that concatenate get call_xcall_x."""
    first: dict[Any, dict] = {}

    def change(n: int, p: dict) -> dict:
        for fragment in _fragments(p):
            head = first.setdefault(fragment["index"], fragment)
            fragment["id"], fragment["function"]["name"] = head["id"], head["function"]["name"]
        return p

    return _map(items, change)


@fault("openai.tool_call_id_changes", check="openai.stream.tool_call_fragments", stage="items")
def tool_call_id_changes(items: list[Item], ctx: Context) -> list[Item]:
    """Later fragments of a tool call carry an id of their own (a new call_… each time)."""
    def change(n: int, p: dict) -> dict:
        for fragment in _fragments(p):
            if fragment["id"] is None:
                fragment["id"] = f"call_{n:024x}"
        return p

    return _map(items, change)


@fault("openai.tool_call_name_changes", check="openai.stream.tool_call_fragments", stage="items")
def tool_call_name_changes(items: list[Item], ctx: Context) -> list[Item]:
    """Later fragments of a tool call name the function again, prefixed "functions." as some gateways do."""
    names: dict[Any, str] = {}

    def change(n: int, p: dict) -> dict:
        for fragment in _fragments(p):
            name = names.setdefault(fragment["index"], fragment["function"]["name"])
            if fragment["function"]["name"] is None:
                fragment["function"]["name"] = f"functions.{name}"
        return p

    return _map(items, change)


@fault("openai.tool_arguments_cut", check="openai.stream.tool_arguments_json", stage="items")
def tool_arguments_cut(items: list[Item], ctx: Context) -> list[Item]:
    """A tool call's last argument fragment is lost, so the joined arguments are not JSON."""
    pieces = _where(items, lambda p: any(f["function"]["arguments"] for f in _fragments(p)))
    return _drop(items, pieces[-1:])


@fault("openai.reasoning_outside_completion", check="openai.usage.totals_add_up", stage="items")
def reasoning_outside_completion(items: list[Item], ctx: Context) -> list[Item]:
    """The usage chunk's completion_tokens leave the reasoning tokens out, total_tokens keeps them."""
    def change(n: int, p: dict) -> dict:
        if isinstance(p.get("usage"), dict):
            u = p["usage"]
            u["completion_tokens"] -= u["completion_tokens_details"]["reasoning_tokens"]
        return p

    return _map(items, change)


@fault("openai.total_counts_reasoning_twice", check="openai.usage.totals_add_up", stage="document")
def total_counts_reasoning_twice(doc: dict, ctx: Context) -> dict:
    """total_tokens adds the reasoning tokens a second time."""
    doc["usage"]["total_tokens"] += doc["usage"]["completion_tokens_details"]["reasoning_tokens"]
    return doc


@fault("openai.created_as_string", check="openai.schema.response", stage="document")
def created_as_string(doc: dict, ctx: Context) -> dict:
    """created is an ISO 8601 string instead of Unix seconds."""
    return {**doc, "created": datetime.fromtimestamp(doc["created"], timezone.utc).isoformat()}


@fault("openai.id_bare_hex", check="openai.ids.response_prefix", stage="document")
def id_bare_hex(doc: dict, ctx: Context) -> dict:
    """The completion id is 32 bare hex digits, as the live API's first format was, not chatcmpl-…."""
    return {**doc, "id": doc["id"].removeprefix("chatcmpl-").replace("-", "")}


@fault("openai.tool_call_id_bare", check="openai.ids.tool_call_prefix", stage="answer")
def tool_call_id_bare(a: Answer, ctx: Context) -> Answer:
    """Tool call ids are 24 bare hex digits, without call_."""
    return replace(a, tool_calls=tuple(replace(c, id=c.id.removeprefix("call_")) for c in a.tool_calls))


@fault("openai.json_object_fenced", check="openai.response_format.json_object", stage="answer")
def json_object_fenced(a: Answer, ctx: Context) -> Answer:
    """In json_object mode the JSON comes wrapped in a Markdown code fence, so the content is not JSON."""
    wanted = ((ctx.body or {}).get("response_format") or {}).get("type") == "json_object"
    return replace(a, text=f"```json\n{a.text}\n```") if wanted and a.text else a


# --- Anthropic Messages --------------------------------------------------------------------------


@fault("anthropic.message_stop_missing", check="anthropic.stream.message_stop_last", stage="items")
def message_stop_missing(items: list[Item], ctx: Context) -> list[Item]:
    """The stream ends after message_delta, without message_stop."""
    return _drop(items, _where(items, _kind("message_stop")))


@fault("anthropic.message_stop_twice", check="anthropic.stream.message_stop_last", stage="items")
def message_stop_twice(items: list[Item], ctx: Context) -> list[Item]:
    """message_stop comes twice."""
    return items + [items[_where(items, _kind("message_stop"))[0]]]


@fault("anthropic.message_start_twice", check="anthropic.stream.message_start_first", stage="items")
def message_start_twice(items: list[Item], ctx: Context) -> list[Item]:
    """message_start is sent again right after itself, as a gateway that retried upstream does."""
    at = _where(items, _kind("message_start"))[0]
    return items[: at + 1] + items[at:]


@fault("anthropic.message_delta_twice", check="anthropic.stream.message_delta_once", stage="items")
def message_delta_twice(items: list[Item], ctx: Context) -> list[Item]:
    """message_delta comes twice before message_stop."""
    at = _where(items, _kind("message_delta"))[0]
    return items[: at + 1] + items[at:]


@fault("anthropic.stop_reason_openai_words", check="anthropic.stream.message_delta_once", stage="items")
def stop_reason_openai_words(items: list[Item], ctx: Context) -> list[Item]:
    """message_delta's stop_reason uses OpenAI's words (stop, length, tool_calls), outside the enum."""
    def change(n: int, p: dict) -> dict:
        if p["type"] == "message_delta":
            p["delta"]["stop_reason"] = _OPENAI_WORDS[p["delta"]["stop_reason"]]
        return p

    return _map(items, change)


@fault("anthropic.event_names_missing", check="anthropic.stream.event_name_matches_type", stage="items")
def event_names_missing(items: list[Item], ctx: Context) -> list[Item]:
    """Events come without their event: line (data only, as OpenAI frames them)."""
    return [SSEEvent(i.data) if isinstance(i, SSEEvent) else i for i in items]


@fault("anthropic.block_indexes_skip", check="anthropic.stream.block_order", stage="items")
def block_indexes_skip(items: list[Item], ctx: Context) -> list[Item]:
    """Content block indexes go 0, 2, 4 instead of 0, 1, 2."""
    return _map(items, lambda n, p: {**p, "index": 2 * p["index"]} if "index" in p else p)


@fault("anthropic.block_not_stopped", check="anthropic.stream.block_order", stage="items")
def block_not_stopped(items: list[Item], ctx: Context) -> list[Item]:
    """The last content block gets no content_block_stop before message_delta."""
    return _drop(items, _where(items, _kind("content_block_stop"))[-1:])


@fault("anthropic.delta_of_other_block", check="anthropic.stream.delta_matches_block", stage="items")
def delta_of_other_block(items: list[Item], ctx: Context) -> list[Item]:
    """The first delta has another block's type (thinking in a text_delta, text in a thinking_delta)."""
    def swapped(p: dict) -> dict:
        old = p["delta"]
        kind, key = _OTHER_DELTA[old["type"]]
        text = next(v for k, v in old.items() if k != "type")
        return {**p, "delta": {"type": kind, key: text}}

    return _edit_at(items, _where(items, _kind("content_block_delta"))[0], swapped)


@fault("anthropic.input_json_cut", check="anthropic.stream.input_json_joins", stage="items")
def input_json_cut(items: list[Item], ctx: Context) -> list[Item]:
    """A tool_use block's last input_json_delta is lost, so the joined partial_json is not JSON."""
    pieces = _where(items, lambda p: (p.get("delta") or {}).get("type") == "input_json_delta")
    return _drop(items, pieces[-1:])


@fault("anthropic.final_usage_missing", check="anthropic.usage.reported", stage="items")
def final_usage_missing(items: list[Item], ctx: Context) -> list[Item]:
    """message_delta carries no usage, leaving message_start's zeros as the final counts."""
    return _map(items, lambda n, p: {k: v for k, v in p.items() if k != "usage"} if p["type"] == "message_delta" else p)


@fault("anthropic.data_cut_short", check="anthropic.stream.data_is_json", stage="items")
def data_cut_short(items: list[Item], ctx: Context) -> list[Item]:
    """One delta event's data is cut off mid-JSON, as a proxy with a small buffer sends it."""
    at = _where(items, _kind("content_block_delta"))[0]
    event = items[at]
    return items[:at] + [SSEEvent(event.data[: len(event.data) // 2], event=event.event)] + items[at + 1 :]


@fault("anthropic.start_role_model", check="anthropic.schema.event", stage="items")
def start_role_model(items: list[Item], ctx: Context) -> list[Item]:
    """message_start's message has role "model" (Gemini's word) instead of "assistant"."""
    return _edit_at(items, _where(items, _kind("message_start"))[0],
                    lambda p: {**p, "message": {**p["message"], "role": "model"}})


@fault("anthropic.message_id_bare", check="anthropic.ids.message_prefix", stage="document")
def message_id_bare(doc: dict, ctx: Context) -> dict:
    """The non-streaming message id has no msg_ prefix, as the live API's has none."""
    return {**doc, "id": doc["id"].removeprefix("msg_")}


@fault("anthropic.stop_sequence_reason", check="anthropic.schema.response", stage="document")
def stop_sequence_reason(doc: dict, ctx: Context) -> dict:
    """A stop sequence ends the message with stop_reason "stop_sequence", which the docs do not list."""
    stopped = (ctx.body or {}).get("stop_sequences") and doc["stop_reason"] == "end_turn"
    return {**doc, "stop_reason": "stop_sequence"} if stopped else doc


@fault("anthropic.usage_as_strings", check="anthropic.schema.response", stage="document")
def usage_as_strings(doc: dict, ctx: Context) -> dict:
    """Usage counts are strings ("12") instead of integers."""
    return {**doc, "usage": {k: str(v) for k, v in doc["usage"].items()}}


# --- request validity, models in time, choices, the end of a stream --------------------------------


@fault("openai.stop_refused", check="openai.error.valid_request_accepted", stage="violations")
def stop_refused(found: list, ctx: Context) -> list:
    """A documented, well-formed stop string is refused with 400 "Param Incorrect"."""
    return _refusing(found, ctx, "stop")


@fault("anthropic.stop_sequences_refused", check="anthropic.error.valid_request_accepted", stage="violations")
def stop_sequences_refused(found: list, ctx: Context) -> list:
    """Documented, well-formed stop_sequences are refused with 400 "Param Incorrect"."""
    return _refusing(found, ctx, "stop_sequences")


def _refusing(found: list, ctx: Context, field: str) -> list:
    """The violations, and one more for ``field`` when the request sets it."""
    from ..basis import Rule
    from ..contract import Violation

    if found or not isinstance(ctx.body, dict) or ctx.body.get(field) in (None, [], ""):
        return found
    return [Violation(f"/{field}", f"{field}_refused", f"{field} is not supported", Rule("reference", "a fault"))]


@fault("openai.unknown_model_served", check="openai.models.unknown", stage="violations")
@fault("anthropic.unknown_model_served", check="anthropic.models.unknown", stage="violations")
@fault("responses.unknown_model_served", check="responses.models.unknown", stage="violations", dialect="empiriolabs")
def unknown_model_served(found: list, ctx: Context) -> list:
    """A model id nobody documents is answered (by the first model's rules) instead of refused."""
    return [v for v in found if v.rule != "model_supported" or v.scope != "model"]


@fault("openai.retired_model_served", check="openai.models.served_after_retirement", stage="violations")
@fault("anthropic.retired_model_served", check="anthropic.models.served_after_retirement", stage="violations")
def retired_model_served(found: list, ctx: Context) -> list:
    """A model retired by the server's day is still answered 200."""
    return [v for v in found if v.rule != "model_not_retired"]


@fault("openai.choice_index_one", check="openai.response.choice_index", stage="document")
def choice_index_one(doc: dict, ctx: Context) -> dict:
    """The one choice of a completion says index 1, as a gateway counting from one does."""
    return {**doc, "choices": [{**c, "index": c.get("index", 0) + 1} for c in doc["choices"]]}


@fault("openai.usage_chunk_dropped", check="openai.stream.usage_reported", stage="items")
def usage_chunk_dropped(items: list[Item], ctx: Context) -> list[Item]:
    """The usage chunk is dropped, as a gateway that forwards only choices does."""
    return _drop(items, _where(items, _has_usage))


@fault("openai.error_event_in_stream", check="openai.stream.no_error_event", stage="items")
def error_event_in_stream(items: list[Item], ctx: Context) -> list[Item]:
    """After HTTP 200, the stream ends with an error object in place of its finish and usage chunks."""
    at = _where(items, _finishes)[0]
    error = {"error": {"code": "500", "message": "upstream connection lost", "type": "server_error"}}
    return items[:at] + [SSEEvent(json.dumps(error, separators=(",", ":")))] + items[-1:]


@fault("anthropic.error_event_in_stream", check="anthropic.stream.no_error_event", stage="items")
def anthropic_error_event_in_stream(items: list[Item], ctx: Context) -> list[Item]:
    """After message_start and HTTP 200, an overloaded_error event arrives in place of message_delta."""
    at = _where(items, _kind("message_delta"))[0]
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    return items[:at] + [SSEEvent(json.dumps(error, separators=(",", ":")), event="error")]


# --- speech, media tokens, web search, parallel calls -----------------------------------------------


def _audio_parts(doc: dict) -> list[dict]:
    """The audio objects of a document's messages or of a chunk's deltas."""
    holders = [c.get("message") or c.get("delta") or {} for c in doc.get("choices") or []]
    return [h["audio"] for h in holders if isinstance(h.get("audio"), dict) and h["audio"].get("data")]


def _rebased(part: dict, change: Callable[[bytes], bytes]) -> None:
    import base64

    part["data"] = base64.b64encode(change(base64.b64decode(part["data"]))).decode("ascii")


@fault("openai.audio_corrupted", check="openai.audio.decodes_as_requested", stage="document")
def audio_corrupted(doc: dict, ctx: Context) -> dict:
    """The audio's first 16 bytes are zeroed and its last byte lost, as a proxy that mangles binary data does."""
    doc = copy.deepcopy(doc)
    for part in _audio_parts(doc):
        _rebased(part, lambda data: bytes(16) + data[16:-1])
    return doc


@fault("openai.audio_chunk_cut", check="openai.audio.decodes_as_requested", stage="items")
def audio_chunk_cut(items: list[Item], ctx: Context) -> list[Item]:
    """The first streamed audio chunk loses its last byte, so the joined pcm16 splits a sample."""
    found = _where(items, lambda p: bool(_audio_parts(p)))

    def cut(p: dict) -> dict:
        _rebased(_audio_parts(p)[0], lambda data: data[:-1])
        return p

    return _edit_at(items, found[0], cut) if found else items


@fault("openai.audio_too_short", check="openai.audio.plausible_duration", stage="document")
def audio_too_short(doc: dict, ctx: Context) -> dict:
    """The speech is cut to its first twentieth, far shorter than the text takes to say."""
    doc = copy.deepcopy(doc)
    for part in _audio_parts(doc):
        _rebased(part, _shortened)
    return doc


def _shortened(data: bytes) -> bytes:
    """A WAV, MP3 or raw pcm16 payload cut to a twentieth of its samples (MP3: of its bytes)."""
    import io
    import wave

    if data[:4] != b"RIFF":
        return data[: max(2, len(data) // 40 * 2)]
    with wave.open(io.BytesIO(data), "rb") as w:
        params, frames = w.getparams(), w.readframes(max(1, w.getnframes() // 20))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setparams(params)
        w.writeframes(frames)
    return out.getvalue()


@fault("openai.stream_audio_dropped", check="openai.equivalence.audio", stage="items")
def stream_audio_dropped(items: list[Item], ctx: Context) -> list[Item]:
    """A stream sends only its first audio chunk and drops the rest."""
    return _drop(items, _where(items, lambda p: bool(_audio_parts(p)))[1:])


@fault("openai.media_tokens_over_prompt", check="openai.usage.media_within_prompt", stage="document")
def media_tokens_over_prompt(doc: dict, ctx: Context) -> dict:
    """prompt_tokens_details.image_tokens counts more tokens than the whole prompt."""
    usage = doc["usage"]
    details = {**(usage.get("prompt_tokens_details") or {}), "image_tokens": usage["prompt_tokens"] + 1}
    return {**doc, "usage": {**usage, "prompt_tokens_details": details}}


@fault("openai.media_tokens_missing", check="openai.usage.media_counted", stage="document")
def media_tokens_missing(doc: dict, ctx: Context) -> dict:
    """The media token counts are left out of prompt_tokens_details although media was sent."""
    usage = doc["usage"]
    details = {k: v for k, v in (usage.get("prompt_tokens_details") or {}).items() if not k.endswith(("image_tokens",
               "audio_tokens", "video_tokens"))}
    return {**doc, "usage": {**usage, "prompt_tokens_details": details}}


@fault("openai.pages_over_limit", check="openai.web_search.pages_within_limit", stage="document")
def pages_over_limit(doc: dict, ctx: Context) -> dict:
    """web_search_usage reports more pages than the searches could return under the tool's limit."""
    counts = doc["usage"].get("web_search_usage")
    if counts is None:
        return doc
    limit = next(t for t in ctx.body["tools"] if t.get("type") == "web_search").get("limit", 5)
    counts = {**counts, "tool_usage": 1, "page_usage": limit + 1}
    return {**doc, "usage": {**doc["usage"], "web_search_usage": counts}}


@fault("openai.forced_search_skipped", check="openai.web_search.forced_search_ran", stage="document")
def forced_search_skipped(doc: dict, ctx: Context) -> dict:
    """A forced search does not search: web_search_usage counts no call and no annotations come."""
    if "web_search_usage" not in doc.get("usage", {}):
        return doc
    doc = copy.deepcopy(doc)
    doc["usage"]["web_search_usage"] = {"tool_usage": 0, "page_usage": 0}
    for c in doc["choices"]:
        c["message"].pop("annotations", None)
    return doc


@fault("openai.sources_late", check="openai.stream.sources_first", stage="items")
def sources_late(items: list[Item], ctx: Context) -> list[Item]:
    """The search sources come with the finish chunk instead of the first one."""
    sources = _where(items, lambda p: bool(_choice(p).get("delta", {}).get("annotations")))
    if not sources:
        return items
    first, finish = sources[0], _where(items, _finishes)[0]
    found = _payload(items[first])["choices"][0]["delta"]["annotations"]
    items = _edit_at(items, first, lambda p: _with_choice(p, delta={**_choice(p)["delta"], "annotations": None}))
    return _edit_at(items, finish, lambda p: _with_choice(p, delta={**_choice(p)["delta"], "annotations": found}))


@fault("openai.tool_call_indexes_from_one", check="openai.stream.tool_call_indexes", stage="items")
def tool_call_indexes_from_one(items: list[Item], ctx: Context) -> list[Item]:
    """Streamed tool calls are numbered from 1, as a gateway counting from one does."""
    def change(n: int, p: dict) -> dict:
        for fragment in _fragments(p):
            fragment["index"] += 1
        return p

    return _map(items, change)


from . import dialect_faults  # noqa: E402,F401 - registers the faults of the other dialects' checks
