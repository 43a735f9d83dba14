"""The SDK lane: the official ``openai`` and ``anthropic`` SDKs read a recorded exchange, and we compare.

Each SDK client gets an ``httpx2.MockTransport`` that answers with the exchange's recorded response:
fully offline, with no interception to patch in and nothing that depends on how a cassette matches
requests (the SDKs send through httpx2, which the suite's transport and vcrpy setup do not use).
Clients validate strictly (``_strict_response_validation=True``), never retry, and read streams
through the SDKs' own helpers (``chat.completions.stream`` and ``messages.stream``, then the final
accumulated object). Their reading, normalised, is compared with :mod:`conformance.assemble`'s:
text, reasoning, tool calls and arguments, finish or stop reason, usage; for an error, the status of
the SDK's ``APIStatusError``. An SDK that rejects the exchange, or reads it differently, gives a
``compat`` finding carrying the SDK's own words. Our own code around the SDKs (normalising what they
return, our own reading) raising is the suite's error (:class:`~.failures.SuiteError`), never a
finding. The SDKs are imported only when the lane reads.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from .assemble import anthropic_answer, openai_answer
from .checks import Finding
from .exchange import Exchange
from .failures import SuiteError

__all__ = ["CHECK_IDS", "findings", "sdk_reading", "our_reading"]

# One id per protocol, used in findings, reports and deviation tables like a check's.
CHECK_IDS = {"openai": "openai.sdk.reads_alike", "anthropic": "anthropic.sdk.reads_alike",
             "responses": "responses.sdk.reads_alike"}
BASE_URLS = {"openai": "http://replay.invalid/v1", "anthropic": "http://replay.invalid/anthropic",
             "responses": "http://replay.invalid/v1"}
ENDPOINT_PATHS = {"openai": "/v1/chat/completions", "anthropic": "/anthropic/v1/messages", "responses": "/v1/responses"}
SDKS = {"openai": "openai", "anthropic": "anthropic", "responses": "openai"}  # which SDK reads each protocol
REPLAY_KEY = "sk-replay-no-key-needed"


def findings(exchange: Exchange) -> list[Finding]:
    """Compat findings: the SDK's error when it rejects the exchange, else each value it reads differently."""
    check, sdk = CHECK_IDS[exchange.protocol], SDKS[exchange.protocol]
    try:
        theirs = sdk_reading(exchange)
    except SuiteError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the SDK itself raises is the finding
        return [_finding(check, "", f"the {sdk} SDK rejects it: {type(exc).__name__}: {_short(exc)}")]
    ours = _ours(our_reading, exchange)
    return [_finding(check, where, f"the {sdk} SDK reads {a!r:.120}, conformance.assemble {b!r:.120}")
            for where, a, b in _differences(theirs, ours, "")]


# The docs promise that existing SDKs work against both endpoints; how an SDK reads a given answer
# is what the lane observes, so a disagreement weighs as compat.
BASIS = "docs/sources.md#first-api-call § Supported API Types (you can use existing SDKs)"


def _finding(check: str, where: str, message: str) -> Finding:
    return Finding(check, where, message, "compat", "observed", BASIS)


def _ours(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)``, our own code: anything it raises is a SuiteError naming it."""
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - re-raised as the suite's own error
        raise SuiteError(f"suite error: {func.__name__} raised {type(exc).__name__}: {exc}") from exc


def _short(exc: BaseException) -> str:
    """The SDK's message, with the validation error behind it (its "invalid for expected schema" says no more)."""
    words = " ".join(f"{exc or repr(exc)} {exc.__cause__ or ''}".split())
    return words[:400]


def _differences(theirs: Any, ours: Any, where: str) -> list[tuple[str, Any, Any]]:
    """(pointer, theirs, ours) for each leaf where the two readings differ."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        keys = list(dict.fromkeys([*ours, *theirs]))
        return [d for k in keys for d in _differences(theirs.get(k), ours.get(k), f"{where}/{k}")]
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        return [d for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) for d in _differences(a, b, f"{where}/{i}")]
    return [] if theirs == ours else [(where or "/", theirs, ours)]


# --- our reading ------------------------------------------------------------------------------


def our_reading(exchange: Exchange) -> dict[str, Any]:
    """What conformance.assemble reads, in the normalised shape both sides are compared in."""
    if not exchange.ok:
        return {"status": exchange.status}
    ours = {"openai": _our_openai, "anthropic": _our_anthropic, "responses": _our_responses}[exchange.protocol]
    return ours(exchange)


def _our_openai(exchange: Exchange) -> dict[str, Any]:
    answer = openai_answer(exchange)
    choices = [{"index": c.index, "text": c.text, "reasoning": c.reasoning, "finish_reason": c.finish_reason,
                "tool_calls": [{"id": t.id, "name": t.name, "arguments": t.arguments} for t in c.tool_calls]}
               for c in answer.choices]
    return {"choices": choices, "usage": answer.usage}


def _our_anthropic(exchange: Exchange) -> dict[str, Any]:
    answer = anthropic_answer(exchange)
    blocks = [_block(b.type, b.text, b.thinking, b.signature, b.id, b.name, b.parsed_input if b.type == "tool_use" else None)
              for b in answer.blocks]
    usage = {k: v for k, v in answer.usage.items() if v is not None}
    return {"blocks": blocks, "stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence, "usage": usage}


def _our_responses(exchange: Exchange) -> dict[str, Any]:
    from .expect import summarize  # the Responses reading cases use: the final response object's facts

    response = _final(exchange)
    calls = [{"call_id": i.get("call_id"), "name": i.get("name"), "arguments": i.get("arguments")}
             for i in response.get("output") or [] if isinstance(i, dict) and i.get("type") == "function_call"]
    said = summarize(exchange)
    return {"status": response.get("status"), "text": said.text, "reasoning": said.reasoning, "calls": calls,
            "usage": response.get("usage")}


def _final(exchange: Exchange) -> dict[str, Any]:
    if exchange.transcript is None:
        return exchange.body if isinstance(exchange.body, dict) else {}
    found = [p["response"] for p in exchange.payloads() if isinstance(p, dict) and isinstance(p.get("response"), dict)]
    return found[-1] if found else {}


def _block(kind: Any, text: Any, thinking: Any, signature: Any, id_: Any, name: Any, input_: Any) -> dict[str, Any]:
    # "" and None mean the same to a client (no text, no signature): compare them as "".
    return {"type": kind, "text": text or "", "thinking": thinking or "", "signature": signature or "",
            "id": id_, "name": name, "input": input_}


# --- the SDKs' reading ------------------------------------------------------------------------


def sdk_reading(exchange: Exchange) -> dict[str, Any]:
    """What the official SDK reads from the recorded response, in the same normalised shape."""
    client, answering = _client(exchange.protocol)
    read = {"openai": _read_openai, "anthropic": _read_anthropic, "responses": _read_responses}[exchange.protocol]
    answering[:] = [exchange]
    try:
        return read(client, exchange)
    except _status_error(exchange.protocol) as exc:  # the SDK's exception mapping: an error's expected reading
        return {"status": exc.status_code}
    finally:
        answering.clear()


def _answer(answering: list[Exchange]) -> Callable[[Any], Any]:
    """A MockTransport handler that answers with the recorded response of the exchange being read."""
    import httpx2

    def handler(request: Any) -> Any:
        exchange = answering[0]
        if not request.url.path.endswith(ENDPOINT_PATHS[exchange.protocol]):
            raise AssertionError(f"the SDK sent to {request.url.path}, the recording is of {exchange.endpoint}")
        return httpx2.Response(exchange.status, headers=_response_headers(exchange), content=exchange.text.encode())

    return handler


def _response_headers(exchange: Exchange) -> dict[str, str]:
    # The recorded text is already decoded (vcrpy decodes compressed bodies), so drop the encoding.
    return {k: v for k, v in exchange.headers.items() if k not in ("content-encoding", "content-length")}


@functools.cache
def _client(protocol: str) -> tuple[Any, list[Exchange]]:
    """One SDK client per protocol and process, and the list holding the exchange it answers with."""
    import httpx2

    answering: list[Exchange] = []
    http = httpx2.Client(transport=httpx2.MockTransport(_answer(answering)))
    # An explicit timeout: the anthropic SDK's own, estimated from max_tokens, may refuse to send.
    options = {"api_key": REPLAY_KEY, "base_url": BASE_URLS[protocol], "http_client": http, "max_retries": 0,
               "timeout": 60.0, "_strict_response_validation": True}
    if SDKS[protocol] == "openai":
        import openai

        return openai.OpenAI(**options), answering
    import anthropic

    return anthropic.Anthropic(**options), answering


def _status_error(protocol: str) -> type[Exception]:
    if SDKS[protocol] == "openai":
        import openai

        return openai.APIStatusError
    import anthropic

    return anthropic.APIStatusError


def _extra_body(body: Any) -> dict[str, Any]:
    """The recorded request body but ``stream`` (the SDK method sets it), to send as extra_body."""
    # The recorded body goes out whole as extra_body, which overrides the placeholder arguments: the
    # SDK's request-side transform is not what the lane tests, and walking every message costs more
    # than the reading.
    return {k: v for k, v in body.items() if k != "stream"} if isinstance(body, dict) else {}


def _read_openai(client: Any, exchange: Exchange) -> dict[str, Any]:
    named, extra = {"model": "", "messages": []}, _extra_body(exchange.request.body)
    if not exchange.streamed:
        return _ours(_openai_shape, client.chat.completions.create(**named, extra_body=extra))
    from openai.lib.streaming.chat import ChatCompletionStreamState

    # The accumulator behind chat.completions.stream(), without its final parse step, which raises
    # LengthFinishReasonError on any finish_reason "length" whatever the server sent.
    state = ChatCompletionStreamState()
    with client.chat.completions.create(**named, stream=True, extra_body=extra) as stream:
        for chunk in stream:
            state.handle_chunk(chunk)
    return _ours(_openai_shape, state.current_completion_snapshot)


def _openai_shape(completion: Any) -> dict[str, Any]:
    choices = [{"index": c.index, "text": c.message.content or "", "finish_reason": c.finish_reason,
                # MiMo's extra field; the aggregator's name for it (docs/observed.md § Resellers and gateways)
                "reasoning": getattr(c.message, "reasoning_content", None) or getattr(c.message, "reasoning", None) or "",
                "tool_calls": [{"id": t.id, "name": t.function.name, "arguments": t.function.arguments}
                               for t in c.message.tool_calls or []]}
               for c in completion.choices]
    return {"choices": choices, "usage": completion.usage.to_dict() if completion.usage else None}


def _read_anthropic(client: Any, exchange: Exchange) -> dict[str, Any]:
    named, extra = {"model": "", "messages": [], "max_tokens": 1}, _extra_body(exchange.request.body)
    if not exchange.streamed:
        return _ours(_anthropic_shape, client.messages.create(**named, extra_body=extra))
    with client.messages.stream(**named, extra_body=extra) as stream:
        final = stream.get_final_message()
    return _ours(_anthropic_shape, final)


def _anthropic_shape(message: Any) -> dict[str, Any]:
    blocks = [_block(b.type, getattr(b, "text", None), getattr(b, "thinking", None), getattr(b, "signature", None),
                     getattr(b, "id", None), getattr(b, "name", None), _input(b)) for b in message.content]
    usage = {k: v for k, v in message.usage.to_dict().items() if v is not None}
    return {"blocks": blocks, "stop_reason": message.stop_reason, "stop_sequence": message.stop_sequence,
            "usage": usage}


def _input(block: Any) -> Any:
    return json.loads(json.dumps(block.input)) if block.type == "tool_use" else None


def _read_responses(client: Any, exchange: Exchange) -> dict[str, Any]:
    named, extra = {"model": "", "input": ""}, _extra_body(exchange.request.body)
    if not exchange.streamed:
        return _ours(_responses_shape, client.responses.create(**named, extra_body=extra))
    # The raw event stream, each event read by the SDK's own types: its stream helper's final step wants a
    # response.completed event and refuses a response.incomplete one, whatever the server sent.
    final = None
    with client.responses.create(**named, stream=True, extra_body=extra) as stream:
        for event in stream:
            final = event.response if event.type in ("response.completed", "response.incomplete", "response.failed") else final
    if final is None:
        raise RuntimeError("the stream has no terminal response event")
    return _ours(_responses_shape, final)


def _responses_shape(response: Any) -> dict[str, Any]:
    items = list(response.output)
    texts = [p.text for i in items if i.type == "message" for p in i.content if p.type == "output_text"]
    reasoning = [c.text for i in items if i.type == "reasoning" for c in i.content or []]
    calls = [{"call_id": i.call_id, "name": i.name, "arguments": i.arguments} for i in items if i.type == "function_call"]
    usage = response.usage.to_dict() if response.usage else None
    return {"status": response.status, "text": "".join(texts), "reasoning": "".join(reasoning), "calls": calls, "usage": usage}
