"""Errors and auth: documented statuses, invalid requests rejected, keys required, error framing, error codes."""

from __future__ import annotations

import functools
from typing import Any, Iterator

from ..basis import BASES, Rule
from ..exchange import NOT_JSON, Exchange
from ._common import DOCUMENTED_STATUSES, dialect_of, status_location, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[Any]
ERROR_TABLE = "docs/sources.md#model-hyperparameters § Error codes table (HTTP status and cause)"
OPENAI_BODY = "docs/sources.md#openai-api § Request body"
ANTHROPIC_BODY = "docs/sources.md#anthropic-api § Request Body"
RESPONSES_BODY = "docs/sources.md#openai-responses-api § Create a model response > Request body"
AUTH = ("docs/sources.md#openai-api § Request Headers (api-key or Authorization: Bearer); "
        + "docs/sources.md#model-hyperparameters § Error codes table (401 - Authentication Fails)")
NO_5XX = ("the error table lists 500 and 503 as the server's own trouble, so a 5xx breaks no documented rule; "
          "the suite still reports one, as news")
SSE_ERROR = "docs/observed.md § OpenAI protocol > SSE-framed stream errors: \"A failing `stream: true` request answers HTTP 400 whose body is SSE-framed\""
# Statuses that say something about the account, the traffic or the content, not about the request body
# (docs/sources.md#model-hyperparameters § Error codes table: 402 balance, 403 region or risk control, 421
# content moderation, 429 rate or quota).
ACCOUNT_STATUSES = frozenset({401, 402, 403, 408, 409, 421, 429})
CODES = ("the error codes of each dialect (schemas/dialects/<name>.json error_codes): Xiaomi's code is the status "
         "as a string (docs/observed.md § Errors > Parameter error body), EmpirioLabs names its own "
         "(docs/observed.md § Resellers and gateways > EmpirioLabs dialect)")


@functools.lru_cache(maxsize=64)  # three checks ask about the same exchange in a row
def _all_violations(exchange: Exchange) -> tuple[Any, ...]:
    from ..contract import request_violations  # written alongside these checks; loaded when one runs

    return tuple(request_violations(exchange.protocol, exchange.request.body, when=exchange.when, dialect=exchange.dialect))


def _violations(exchange: Exchange) -> list[Any]:
    """The rules the request body breaks at the time of the exchange, but those about the model id itself."""
    return [v for v in _all_violations(exchange) if v.scope == "request"]


def _model_rules(exchange: Exchange) -> list[Any]:
    """The rules about the model id (unknown, retired at the time), and a stricter host's refusals, the request meets."""
    return [v for v in _all_violations(exchange) if v.scope in ("model", "may")]


def _first_violation(exchange: Exchange) -> Any:
    """The first rule the request body breaks by the contract, or None."""
    found = _violations(exchange)
    return found[0] if found else None


def _strongest(violations: list[Any]) -> Any:
    """The violation whose rule has the strongest basis (the first of those on a tie)."""
    return min(violations, key=lambda v: BASES.index(v.grounds.basis))


def _credential(exchange: Exchange) -> str:
    return getattr(exchange.request, "credential", "valid")


@check("openai.error.status_documented", applies=where("openai", ok=False),
       basis="documented", source=ERROR_TABLE)
@check("anthropic.error.status_documented", applies=where("anthropic", ok=False),
       basis="documented", source=ERROR_TABLE)
@check("responses.error.status_documented", applies=where("responses", ok=False),
       basis="documented", source=ERROR_TABLE)
def status_documented(exchange: Exchange) -> Violations:
    """A non-2xx status is one of the documented error codes."""
    # Source: docs/sources.md#model-hyperparameters § Error codes table.
    if exchange.status not in DOCUMENTED_STATUSES:
        documented = ", ".join(map(str, sorted(DOCUMENTED_STATUSES)))
        yield status_location, f"expected one of {documented}, got {exchange.status}"


@check("openai.error.invalid_request_rejected", applies=where("openai"), basis="documented", source=OPENAI_BODY)
@check("anthropic.error.invalid_request_rejected", applies=where("anthropic"), basis="documented", source=ANTHROPIC_BODY)
@check("responses.error.invalid_request_rejected", applies=where("responses"), basis="documented", source=RESPONSES_BODY)
def invalid_request_rejected(exchange: Exchange) -> Violations:
    """A request the contract rejects gets the status of one of its violations."""
    if _credential(exchange) != "valid" or not exchange.at_endpoint:
        return  # the key or the path comes first: *.auth.key_required decides, a wrong path says nothing of the body
    found = _violations(exchange)
    if found and exchange.status not in {v.status for v in found}:
        unmet = _strongest(found)  # a documented rule left unenforced weighs as a documented rule
        why = f"{unmet.rule} at {unmet.pointer or '/'}: {unmet.message}"
        yield status_location, f"expected {unmet.status} ({why}), got {exchange.status}", unmet.grounds


@check("openai.error.valid_request_accepted", applies=where("openai", ok=False), basis="documented", source=OPENAI_BODY)
@check("anthropic.error.valid_request_accepted", applies=where("anthropic", ok=False), basis="documented",
       source=ANTHROPIC_BODY)
@check("responses.error.valid_request_accepted", applies=where("responses", ok=False), basis="documented",
       source=RESPONSES_BODY)
def valid_request_accepted(exchange: Exchange) -> Violations:
    """A request that breaks no rule of the contract is not refused with a 4xx."""
    # Weighed by the weakest rule the request leans on: a refused field the docs promise is a contract
    # finding, one only seen accepted on the wire (max_tokens on OpenAI) compat. Account and traffic
    # statuses (401, 402, 403, 429, ...) say nothing about the request, and a model the data does not
    # know, or retired at the time, may be refused: the *.models checks speak for those.
    from ..contract import request_grounds

    status = exchange.status
    if not 400 <= status < 500 or status in ACCOUNT_STATUSES or _credential(exchange) != "valid" or not exchange.at_endpoint:
        return  # a wrong path is refused whatever the body says
    if not isinstance(exchange.request.body, dict) or _violations(exchange) or _model_rules(exchange):
        return
    grounds = request_grounds(exchange.protocol, exchange.request.body, exchange.dialect)
    if status == 400 and _web_search_tool(exchange):
        grounds = PLUGIN_OFF  # the suite cannot see the console: a refusal may be the plugin switched off
    said = " ".join(str(exchange.error_body())[:160].split())
    yield status_location, f"expected 200 for a request the contract allows, got {status}: {said}", grounds


# docs/sources.md#openai-api § Request body > tools > Web search tool: "Web Search plugin must be activated before use";
# docs/observed.md § OpenAI protocol > Web search tool needs the console: until then the live API answers 400.
PLUGIN_OFF = Rule("reference", "docs/sources.md#openai-api § Request body > tools > Web search tool (the plugin must be "
                  "activated before use); docs/observed.md § OpenAI protocol > Web search tool needs the console")


def _web_search_tool(exchange: Exchange) -> bool:
    tools = exchange.request.json.get("tools")
    return any(isinstance(t, dict) and t.get("type") == "web_search" for t in tools if isinstance(tools, list)) \
        if isinstance(tools, list) else False


@check("openai.error.not_server_error", applies=where("openai"), basis="reference", source=NO_5XX)
@check("anthropic.error.not_server_error", applies=where("anthropic"), basis="reference", source=NO_5XX)
@check("responses.error.not_server_error", applies=where("responses"), basis="reference", source=NO_5XX)
def not_server_error(exchange: Exchange) -> Violations:
    """No request, accepted or rejected by the contract, gets a 5xx."""
    if exchange.status >= 500:
        yield status_location, f"expected a 2xx or a 4xx, got {exchange.status}"


@check("openai.auth.key_required", applies=where("openai"), basis="documented", source=AUTH)
@check("anthropic.auth.key_required", applies=where("anthropic"), basis="documented", source=AUTH)
@check("responses.auth.key_required", applies=where("responses"), basis="documented", source=AUTH)
def key_required(exchange: Exchange) -> Violations:
    """A missing or wrong key gets 401."""
    if _credential(exchange) not in ("missing", "wrong") or not isinstance(exchange.request.body, dict):
        # malformed JSON is answered before the key is checked (docs/observed.md § Errors > Malformed JSON first)
        return
    first = _first_violation(exchange)
    allowed = {401} if first is None else {401, first.status}  # the check order is not documented
    if exchange.status not in allowed:
        yield status_location, f"expected 401 for a {_credential(exchange)} key, got {exchange.status}"


@check("openai.error.plain_json_framing", applies=where("openai", ok=False), basis="observed", source=SSE_ERROR)
@check("anthropic.error.plain_json_framing", applies=where("anthropic", ok=False), basis="observed", source=SSE_ERROR)
def plain_json_framing(exchange: Exchange) -> Violations:
    """An error body is plain JSON, not an SSE-framed data: line."""
    # A failing stream request answers `data:{"error": …}`
    # (docs/observed.md § OpenAI protocol > SSE-framed stream errors), which JSON parsers reject.
    if exchange.body is NOT_JSON and exchange.text.lstrip().startswith("data:"):
        yield "body", f"expected a plain JSON body, got SSE framing: {exchange.text.strip()[:60]!r}"


@check("anthropic.error.anthropic_shape", applies=where("anthropic", ok=False), basis="observed",
       source="docs/observed.md § Anthropic protocol > OpenAI-style error envelope: \"Errors on this endpoint use the same OpenAI-style envelope\"")
def anthropic_shape(exchange: Exchange) -> Violations:
    """An error on the Anthropic endpoint is {"type": "error", "error": {"type", "message"}}."""
    # The live endpoint answers with the OpenAI envelope instead
    # (docs/observed.md § Anthropic protocol > OpenAI-style error envelope).
    body = exchange.error_body()
    if not isinstance(body, dict):
        return  # not JSON at all: anthropic.schema.error reports it
    error = body.get("error")
    if "type" not in body and isinstance(error, dict) and "message" in error and ("code" in error or "param" in error):
        yield "/type", "expected Anthropic's {type: error, error: {type, message}}, got the OpenAI-style envelope {error: {...}}"
        return
    if body.get("type") != "error":
        yield "/type", f"expected 'error', got {body.get('type')!r}"
    error = body.get("error")
    for key in ("type", "message") if isinstance(error, dict) else ():
        if not isinstance(error.get(key), str):
            yield f"/error/{key}", f"expected a string, got {error.get(key)!r}"
    if not isinstance(error, dict):
        yield "/error", f"expected an object, got {error!r:.60}"


def _error_code(exchange: Exchange) -> tuple[bool, Any]:
    """(the error body has an ``error`` object with a ``code``, that code)."""
    body = exchange.error_body()
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(error, dict) and "code" in error), (error or {}).get("code") if isinstance(error, dict) else None


@check("openai.error.code_of_status", applies=where("openai", ok=False), basis="observed", source=CODES)
@check("anthropic.error.code_of_status", applies=where("anthropic", ok=False), basis="observed", source=CODES)
@check("responses.error.code_of_status", applies=where("responses", ok=False), basis="observed", source=CODES)
def code_of_status(exchange: Exchange) -> Violations:
    """An error's code is the one its dialect gives the status (Xiaomi: the status as a string)."""
    # A body with no error.code is the schema checks' to report; this one holds a code to its status.
    expected = dialect_of(exchange).error_code(exchange.status)
    present, code = _error_code(exchange)
    if expected is not None and present and (code != expected[0] or type(code) is not type(expected[0])):
        yield "/error/code", f"expected {expected[0]!r} for status {exchange.status}, got {code!r}", expected[1]
