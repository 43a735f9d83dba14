"""Choices: MiMo answers one choice per request, so its index is 0."""

from __future__ import annotations

from typing import Iterator

from ..exchange import Exchange
from ._common import choice_deltas, at, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
# "index: the index of the choice in the list of choices"; no request field asks for more than one.
INDEX = "docs/sources.md#openai-api § Chat response object (non-streaming output) > choices > index"


@check("openai.response.choice_index", applies=where("openai", ok=True), basis="documented", source=INDEX)
def choice_index(exchange: Exchange) -> Violations:
    """Each choice's index is its place in the list: 0 for the one choice a request gets."""
    if exchange.streamed:
        for i, k, choice in choice_deltas(exchange):
            if choice.get("index") != 0:
                yield at(i, f"/choices/{k}/index"), f"expected 0 (one choice per request), got {choice.get('index')!r}"
        return
    body = exchange.body
    choices = body.get("choices") if isinstance(body, dict) else None
    for k, choice in enumerate(choices if isinstance(choices, list) else []):
        if isinstance(choice, dict) and choice.get("index") != k:
            yield f"/choices/{k}/index", f"expected {k} (its place in choices), got {choice.get('index')!r}"
