"""Xiaomi's dialect on the reference server: the documented shapes as they are.

Every adapter answers the same five questions: the request in Xiaomi's words (for the generator),
the rendered answer in the dialect's shape (a document, or a stream's items), and the error bodies
of a refused request, a rejected key and a body that is not JSON. This one changes nothing; the
others are read against it.
"""

from __future__ import annotations

from typing import Any

from ..server import render_responses, wire

__all__ = ["request", "document", "items", "refusal", "upstream", "unauthorized", "malformed"]


def request(protocol: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(protocol, body) the generator answers: a Responses request becomes a Chat Completions one."""
    return ("openai", render_responses.as_chat(body)) if protocol == "responses" else (protocol, body)


def document(protocol: str, doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The non-streaming answer as the dialect shapes it."""
    return doc


def items(protocol: str, found: list[Any], body: dict[str, Any]) -> list[Any]:
    """The stream's items as the dialect shapes them."""
    return found


def refusal(violation: Any) -> tuple[int, dict[str, Any]]:
    """(status, body) for a request the contract refuses: its first violation."""
    return violation.status, wire.violation_error(violation)


def upstream(status: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, body) for a refusal of Xiaomi's own that no contract rule makes (the web search plugin off): as it is."""
    return status, body


def unauthorized() -> tuple[int, dict[str, Any]]:
    """(status, body) for a missing or wrong key (docs/observed.md § Errors > Auth and limit error bodies)."""
    return 401, wire.invalid_key()


def malformed() -> tuple[int, dict[str, Any]]:
    """(status, body) for a body that is not JSON (docs/observed.md § Errors > Malformed JSON first)."""
    return 400, wire.invalid_json()
