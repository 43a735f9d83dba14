"""What a dialect's answers look like where a schema cannot say it: the reasoning field, the model named, relayed errors.

Each rule is the dialect's data (``schemas/dialects/<name>.json`` ``answers``), so the same check
holds Xiaomi's answers to Xiaomi's form and the aggregator's to OpenRouter's.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ..assemble import at
from ..exchange import NOT_JSON, Exchange
from ._common import dialect_of, json_events, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[Any]
REASONING = ("docs/sources.md#first-call-excerpt § Quick Integration Examples > Make Multi-turn Tool Calls in Thinking Mode"
             " (the model returns a reasoning_content field); "
             "docs/observed.md § Resellers and gateways > Aggregator response shape"
             " (reasoning and reasoning_details where Xiaomi has reasoning_content)")
MODEL = ("no document says which id an answer names; the docs' example answers with the requested one "
         "(docs/sources.md#openai-excerpt § response), the aggregator with a dated one "
         "(docs/observed.md § Resellers and gateways > Aggregator response shape): each dialect's form is its data")
RELAYED = ("docs/observed.md § Resellers and gateways > OpenRouter error wrapping: the provider's body comes as a string "
           "in metadata.raw")
FIELDS = ("reasoning_content", "reasoning")


def _places(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, message or delta) of every choice of the answer."""
    if not exchange.streamed:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        for k, choice in enumerate(body.get("choices") or []):
            if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                yield f"/choices/{k}/message", choice["message"]
        return
    for i, payload in json_events(exchange):
        for k, choice in enumerate(payload.get("choices") or []):
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                yield at(i, f"/choices/{k}/delta"), choice["delta"]


@check("openai.thinking.reasoning_field", applies=where("openai", ok=True), basis="documented", source=REASONING)
def reasoning_field(exchange: Exchange) -> Violations:
    """Reasoning comes in the dialect's field: reasoning_content (Xiaomi), reasoning with reasoning_details (aggregator)."""
    found = dialect_of(exchange).answer("reasoning_field")
    if found is None:
        return
    field, rule = found
    for where_, part in _places(exchange):
        for other in (f for f in FIELDS if f != field):
            if isinstance(part.get(other), str) and part[other]:
                yield f"{where_}/{other}", f"expected the reasoning in {field!r}, got it in {other!r}", rule
        if field == "reasoning" and isinstance(part.get("reasoning"), str) and part["reasoning"] and not part.get("reasoning_details"):
            yield f"{where_}/reasoning_details", "expected reasoning_details beside the reasoning text, got none", rule


def _answer_model(exchange: Exchange) -> tuple[str, Any]:
    """(location, the model id the answer names): the body's, or the first event's."""
    if not exchange.streamed:
        return "/model", exchange.body.get("model") if isinstance(exchange.body, dict) else None
    for i, payload in json_events(exchange):
        if "model" in payload:
            return at(i, "/model"), payload["model"]
    return "", None


def _named(form: str, asked: str, named: Any) -> bool:
    """The answer names the asked model in the dialect's form: the same id, or it with -YYYYMMDD."""
    if not isinstance(named, str):
        return False
    return named == asked if form == "same" else re.fullmatch(re.escape(asked) + r"-\d{8}", named) is not None


@check("openai.response.model_named", applies=where("openai", ok=True), basis="reference", source=MODEL)
def model_named(exchange: Exchange) -> Violations:
    """The answer names the requested model in the dialect's form (the same id; the aggregator's with a date)."""
    found, asked = dialect_of(exchange).answer("model"), exchange.request.json.get("model")
    location, named = _answer_model(exchange)
    if found is None or not isinstance(asked, str) or named is None:
        return  # a missing model is the schema checks' to report
    if not _named(found[0], asked, named):
        form = "the same id" if found[0] == "same" else f"{asked}-YYYYMMDD"
        yield location, f"expected {form} for the requested {asked!r}, got {named!r}", found[1]


def _relayed(exchange: Exchange) -> bool:
    """An error answer that says a provider returned it (OpenRouter's wrapping)."""
    body = exchange.error_body()
    error = body.get("error") if isinstance(body, dict) else None
    return not exchange.ok and isinstance(error, dict) and error.get("message") == "Provider returned error"


@check("openai.error.provider_body_relayed", applies=lambda ex: ex.protocol == "openai" and _relayed(ex),
       basis="observed", source=RELAYED)
def provider_body_relayed(exchange: Exchange) -> Violations:
    """A wrapped provider error carries the provider's own error body, as JSON text, for the same status."""
    from ..schemas import errors  # the schema files load at call time, not at import

    metadata = exchange.error_body()["error"].get("metadata")
    raw = metadata.get("raw") if isinstance(metadata, dict) else None
    provider = json.loads(raw) if isinstance(raw, str) and _is_json(raw) else NOT_JSON
    if provider is NOT_JSON:
        yield "/error/metadata/raw", f"expected the provider's error body as JSON text, got {raw!r:.80}"
        return
    for problem in errors("openai/error.json", provider)[:1]:
        yield f"/error/metadata/raw {problem.pointer}".strip(), f"the provider's body is no error envelope: {problem.message}"
    code = provider.get("error", {}).get("code") if isinstance(provider.get("error"), dict) else None
    if code is not None and str(code) != str(exchange.status):
        yield "/error/metadata/raw /error/code", f"the provider said {code!r}, the relay answers {exchange.status}"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
