"""EmpirioLabs on the reference server: its parameter names read in Xiaomi's words, its own error bodies.

``enable_thinking`` becomes ``thinking`` (a ``thinking`` of Xiaomi's is ignored), ``max_tokens`` stays (Xiaomi's reference reads it too),
and the parameters Xiaomi has no word for (web search, video sampling, formatting) are dropped: the
reference answers no web search. Errors carry EmpirioLabs' codes (docs/observed.md § Resellers and
gateways > EmpirioLabs dialect) in OpenAI's envelope, whose rest is our choice: a refused key
``invalid_api_key``, an unknown model 404 ``model_not_found``.
"""

from __future__ import annotations

from typing import Any

from ..server import render_responses
from .xiaomi import document, items, upstream

__all__ = ["request", "document", "items", "refusal", "upstream", "unauthorized", "malformed"]

DROPPED = ("tool_web_search", "web_search_force", "web_search_max_keyword", "web_search_limit", "video_fps",
           "video_resolution", "disable_formatting")


def _xiaomi_words(body: dict[str, Any]) -> dict[str, Any]:
    """The body with enable_thinking as thinking and EmpirioLabs' own switches left out.

    Xiaomi's own ``thinking`` is not EmpirioLabs' word: like any field its page does not list, it is
    ignored (schemas/dialects/empiriolabs.json, unknown_fields), so it never turns thinking off here."""
    out = {k: v for k, v in body.items() if k not in DROPPED and k not in ("enable_thinking", "thinking")}
    if isinstance(body.get("enable_thinking"), bool):
        out["thinking"] = {"type": "enabled" if body["enable_thinking"] else "disabled"}
    return out


def request(protocol: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(protocol, body) the generator answers, in Xiaomi's words."""
    said = _xiaomi_words(body)
    return ("openai", render_responses.as_chat(said)) if protocol == "responses" else (protocol, said)


def _error(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind}
    error.update({k: v for k, v in (("param", param), ("code", code)) if v is not None})
    return {"error": error}


def refusal(violation: Any) -> tuple[int, dict[str, Any]]:
    """An unknown model is 404 model_not_found; any other refusal 400, naming the field."""
    if violation.scope == "model":
        model = violation.message.rsplit(" ", 1)[-1]
        return 404, _error(f"The model `{model}` does not exist or you do not have access to it.",
                           "invalid_request_error", "model_not_found")
    field = violation.pointer.strip("/").split("/")[0] or None
    return violation.status, _error(violation.message, "invalid_request_error", param=field)


def unauthorized() -> tuple[int, dict[str, Any]]:
    """401 invalid_api_key."""
    return 401, _error("Invalid API key provided.", "invalid_request_error", "invalid_api_key")


def malformed() -> tuple[int, dict[str, Any]]:
    """400 for a body that is not JSON."""
    return 400, _error("We could not parse the JSON body of your request.", "invalid_request_error")
