"""Errors and auth: documented statuses, invalid requests rejected, keys required, error framing."""

from __future__ import annotations

from typing import Any, Iterator

from ..exchange import NOT_JSON, Exchange
from ._common import DOCUMENTED_STATUSES, status_location, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]


def _first_violation(exchange: Exchange) -> Any:
    """The first rule the request body breaks by the contract, or None."""
    from ..contract import request_violations  # written alongside these checks; loaded when one runs

    violations = request_violations(exchange.protocol, exchange.request.body)
    return violations[0] if violations else None


def _credential(exchange: Exchange) -> str:
    return getattr(exchange.request, "credential", "valid")


@check("openai.error.status_documented", applies=where("openai", ok=False))
@check("anthropic.error.status_documented", applies=where("anthropic", ok=False))
def status_documented(exchange: Exchange) -> Violations:
    """A non-2xx status is one of the documented error codes."""
    # Source: docs/sources.md#model-hyperparameters § Error codes table.
    if exchange.status not in DOCUMENTED_STATUSES:
        documented = ", ".join(map(str, sorted(DOCUMENTED_STATUSES)))
        yield status_location, f"expected one of {documented}, got {exchange.status}"


@check("openai.error.invalid_request_rejected", applies=where("openai"))
@check("anthropic.error.invalid_request_rejected", applies=where("anthropic"))
def invalid_request_rejected(exchange: Exchange) -> Violations:
    """A request the contract rejects gets the status of its first violation."""
    if _credential(exchange) != "valid":
        return  # which comes first, the key or the body, is not documented: *.auth.key_required decides
    first = _first_violation(exchange)
    if first is not None and exchange.status != first.status:
        why = f"{first.rule} at {first.pointer or '/'}: {first.message}"
        yield status_location, f"expected {first.status} ({why}), got {exchange.status}"


@check("openai.error.not_server_error", applies=where("openai"))
@check("anthropic.error.not_server_error", applies=where("anthropic"))
def not_server_error(exchange: Exchange) -> Violations:
    """No request, accepted or rejected by the contract, gets a 5xx."""
    if exchange.status >= 500:
        yield status_location, f"expected a 2xx or a 4xx, got {exchange.status}"


@check("openai.auth.key_required", applies=where("openai"))
@check("anthropic.auth.key_required", applies=where("anthropic"))
def key_required(exchange: Exchange) -> Violations:
    """A missing or wrong key gets 401."""
    if _credential(exchange) not in ("missing", "wrong") or not isinstance(exchange.request.body, dict):
        # malformed JSON is answered before the key is checked (docs/observed.md § Errors > Malformed JSON first)
        return
    first = _first_violation(exchange)
    allowed = {401} if first is None else {401, first.status}  # the check order is not documented
    if exchange.status not in allowed:
        yield status_location, f"expected 401 for a {_credential(exchange)} key, got {exchange.status}"


@check("openai.error.plain_json_framing", applies=where("openai", ok=False), severity="compat")
@check("anthropic.error.plain_json_framing", applies=where("anthropic", ok=False), severity="compat")
def plain_json_framing(exchange: Exchange) -> Violations:
    """An error body is plain JSON, not an SSE-framed data: line."""
    # A failing stream request answers `data:{"error": …}`
    # (docs/observed.md § OpenAI protocol > SSE-framed stream errors), which JSON parsers reject.
    if exchange.body is NOT_JSON and exchange.text.lstrip().startswith("data:"):
        yield "body", f"expected a plain JSON body, got SSE framing: {exchange.text.strip()[:60]!r}"


@check("anthropic.error.anthropic_shape", applies=where("anthropic", ok=False), severity="compat")
def anthropic_shape(exchange: Exchange) -> Violations:
    """An error on the Anthropic endpoint is {"type": "error", "error": {"type", "message"}}."""
    # The live endpoint answers with the OpenAI envelope instead
    # (docs/observed.md § Anthropic protocol > OpenAI-style error envelope).
    body = exchange.error_body()
    if not isinstance(body, dict):
        return  # not JSON at all: anthropic.schema.error reports it
    if body.get("type") != "error":
        yield "/type", f"expected 'error', got {body.get('type')!r}"
    error = body.get("error")
    for key in ("type", "message") if isinstance(error, dict) else ():
        if not isinstance(error.get(key), str):
            yield f"/error/{key}", f"expected a string, got {error.get(key)!r}"
    if not isinstance(error, dict):
        yield "/error", f"expected an object, got {error!r:.60}"
