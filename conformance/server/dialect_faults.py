"""Faults for the checks of error codes, answer shapes, relayed errors and the Responses API, each on its dialect.

Registered into :data:`.faults.FAULTS` like the rest of the catalogue (the mutation test serves the
fault's dialect: a Xiaomi server for the error codes and the answer shapes, the aggregator for its
wrapping and its schema, EmpirioLabs for the Responses endpoint).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..sse import Item
from .faults import Context, _map, _refusing, _where, fault

__all__: list[str] = []

_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _json_error(response: Response) -> dict[str, Any] | None:
    """The JSON error body of an answer that is one, else None."""
    if response.status_code < 400 or response.media_type != "application/json":
        return None
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("error"), dict) else None


def _rebodied(response: Response, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), status_code=response.status_code,
                    media_type="application/json")


# --- error codes, reasoning and model names (Xiaomi's dialect) ---------------------------------------


@fault("openai.error_code_numeric", check="openai.error.code_of_status", stage="reply")
@fault("anthropic.error_code_numeric", check="anthropic.error.code_of_status", stage="reply")
def error_code_numeric(response: Response, ctx: Context) -> Response:
    """An error's code is the status as an integer (400), where Xiaomi's is a string ("400")."""
    body = _json_error(response)
    code = body["error"].get("code") if body else None
    if not (isinstance(code, str) and code.isdigit()):
        return response
    return _rebodied(response, {**body, "error": {**body["error"], "code": int(code)}})


@fault("responses.error_code_generic", check="responses.error.code_of_status", stage="reply", dialect="empiriolabs")
def error_code_generic(response: Response, ctx: Context) -> Response:
    """An error's code is OpenAI's generic invalid_request_error instead of EmpirioLabs' own (model_not_found, ...)."""
    body = _json_error(response)
    if body is None or "code" not in body["error"]:
        return response
    return _rebodied(response, {**body, "error": {**body["error"], "code": "invalid_request_error"}})


def _renamed(doc: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The document with each choice's message field ``old`` named ``new``."""
    choices = []
    for choice in doc.get("choices", []):
        message = dict(choice.get("message") or {})
        if message.get(old):
            message[new] = message.pop(old)
        choices.append({**choice, "message": message})
    return {**doc, "choices": choices}


@fault("openai.reasoning_renamed", check="openai.thinking.reasoning_field", stage="document")
def reasoning_renamed(doc: dict, ctx: Context) -> dict:
    """The reasoning comes as message.reasoning (the aggregator's name) instead of reasoning_content."""
    return _renamed(doc, "reasoning_content", "reasoning")


@fault("openai.reasoning_as_xiaomi", check="openai.thinking.reasoning_field", stage="document", dialect="aggregator")
def reasoning_as_xiaomi(doc: dict, ctx: Context) -> dict:
    """The aggregator's reasoning comes as reasoning_content, Xiaomi's name, without reasoning_details."""
    doc = _renamed(doc, "reasoning", "reasoning_content")
    return {**doc, "choices": [{**c, "message": {k: v for k, v in c["message"].items() if k != "reasoning_details"}}
                               for c in doc["choices"]]}


@fault("openai.model_dated", check="openai.response.model_named", stage="document")
def model_dated(doc: dict, ctx: Context) -> dict:
    """The answer names the model with a date (mimo-v2.5-pro-20260101), as an aggregator does, not as asked."""
    return {**doc, "model": f"{doc['model']}-20260101"}


# --- the aggregator: its schema and its wrapped errors ----------------------------------------------


@fault("openai.native_finish_reason_dropped", check="openai.schema.response", stage="document", dialect="aggregator")
def native_finish_reason_dropped(doc: dict, ctx: Context) -> dict:
    """The aggregator's answer lacks native_finish_reason, which its shape has beside every finish_reason."""
    return {**doc, "choices": [{k: v for k, v in c.items() if k != "native_finish_reason"} for c in doc["choices"]]}


@fault("openai.provider_raw_as_text", check="openai.error.provider_body_relayed", stage="reply", dialect="aggregator")
def provider_raw_as_text(response: Response, ctx: Context) -> Response:
    """A wrapped provider error carries a line of text in metadata.raw, not the provider's JSON body."""
    body = _json_error(response)
    metadata = body["error"].get("metadata") if body else None
    if not isinstance(metadata, dict) or "raw" not in metadata:
        return response
    error = {**body["error"], "metadata": {**metadata, "raw": "upstream request failed"}}
    return _rebodied(response, {**body, "error": error})


# --- the Responses API (EmpirioLabs) ----------------------------------------------------------------


@fault("responses.object_chat_completion", check="responses.schema.response", stage="document", dialect="empiriolabs")
def object_chat_completion(doc: dict, ctx: Context) -> dict:
    """The response object says object "chat.completion", the Chat Completions word, not "response"."""
    return {**doc, "object": "chat.completion"}


@fault("responses.delta_type_renamed", check="responses.schema.event", stage="items", dialect="empiriolabs")
def delta_type_renamed(items: list[Item], ctx: Context) -> list[Item]:
    """Text deltas are typed response.text.delta, a name the reference does not have."""
    return _map(items, lambda n, p: {**p, "type": "response.text.delta"} if p.get("type") == "response.output_text.delta" else p)


@fault("responses.sequence_numbers_repeat", check="responses.stream.sequence_numbers", stage="items", dialect="empiriolabs")
def sequence_numbers_repeat(items: list[Item], ctx: Context) -> list[Item]:
    """Every event after response.created carries sequence_number 1."""
    return _map(items, lambda n, p: {**p, "sequence_number": min(n, 1)})


@fault("responses.terminal_missing", check="responses.stream.terminal_last", stage="items", dialect="empiriolabs")
def terminal_missing(items: list[Item], ctx: Context) -> list[Item]:
    """The stream ends without its terminal event (response.completed or response.incomplete)."""
    gone = set(_where(items, lambda p: p.get("type") in _TERMINAL))
    return [item for i, item in enumerate(items) if i not in gone]


@fault("responses.done_text_short", check="responses.stream.text_joins", stage="items", dialect="empiriolabs")
def done_text_short(items: list[Item], ctx: Context) -> list[Item]:
    """output_text.done carries the text without its last character, unlike the deltas before it."""
    def change(n: int, p: dict) -> dict:
        return {**p, "text": p["text"][:-1]} if p.get("type") == "response.output_text.done" and p.get("text") else p

    return _map(items, change)


@fault("responses.total_without_output", check="responses.usage.totals_add_up", stage="document", dialect="empiriolabs")
def total_without_output(doc: dict, ctx: Context) -> dict:
    """usage.total_tokens counts the input tokens only."""
    usage = doc.get("usage")
    return {**doc, "usage": {**usage, "total_tokens": usage["input_tokens"]}} if isinstance(usage, dict) else doc


@fault("responses.incomplete_unexplained", check="responses.response.status_consistent", stage="document",
       dialect="empiriolabs")
def incomplete_unexplained(doc: dict, ctx: Context) -> dict:
    """An incomplete response says nothing of why: incomplete_details is null."""
    return {**doc, "incomplete_details": None} if doc.get("status") == "incomplete" else doc


@fault("responses.instructions_refused", check="responses.error.valid_request_accepted", stage="violations",
       dialect="empiriolabs")
def instructions_refused(found: list, ctx: Context) -> list:
    """Documented, well-formed instructions are refused with 400."""
    return _refusing(found, ctx, "instructions")

