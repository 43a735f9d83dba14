"""Thinking: reasoning comes exactly when the request (or the model's default) turns it on."""

from __future__ import annotations

from typing import Iterator

from ..assemble import anthropic_answer, openai_answer
from ..exchange import Exchange
from ._common import thinking_expected, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]

# Source: docs/sources.md#openai-api § Request body > thinking > type and
# docs/sources.md#anthropic-api § Request Body > thinking: enabled, disabled; the default depends on the model.


@check("openai.thinking.matches_request", applies=where("openai", ok=True), basis="documented",
       source="docs/sources.md#openai-api § Request body > thinking > type")
def openai_matches_request(exchange: Exchange) -> Violations:
    """Thinking on gives non-empty reasoning_content unless cut by length; thinking off gives none."""
    expected = thinking_expected(exchange)
    for choice in openai_answer(exchange).choices:
        # A small budget can end while still reasoning, or before any
        # (docs/observed.md § OpenAI protocol > Budget spent on reasoning).
        if expected == "enabled" and not choice.reasoning and choice.finish_reason != "length":
            yield choice.at, f"expected reasoning_content with thinking enabled, choice {choice.index} has none"
        elif expected == "disabled" and choice.reasoning:
            # null, absent and "" all mean none (docs/observed.md § OpenAI protocol > Optional keys null or absent).
            loc = choice.reasoning_content.location_of(0)
            yield loc, f"expected no reasoning_content with thinking disabled, got {choice.reasoning[:60]!r}"


@check("anthropic.thinking.matches_request", applies=where("anthropic", ok=True), basis="documented",
       source="docs/sources.md#anthropic-api § Request Body > thinking")
def anthropic_matches_request(exchange: Exchange) -> Violations:
    """Thinking on gives a non-empty thinking block unless cut by max_tokens; thinking off gives none."""
    expected, answer = thinking_expected(exchange), anthropic_answer(exchange)
    thinking = [b for b in answer.blocks if b.type == "thinking"]
    if expected == "enabled" and not any(b.thinking for b in thinking) and answer.stop_reason != "max_tokens":
        yield answer.at, "expected a non-empty thinking block with thinking enabled, got none"
    for block in thinking if expected == "disabled" else ():
        yield block.at, f"expected no thinking block with thinking disabled, got block {block.index}"


def _has_thinking(exchange: Exchange) -> bool:
    """A successful Anthropic answer with a thinking block: where a signature is due."""
    ok = where("anthropic", ok=True)(exchange)
    return ok and any(b.type == "thinking" for b in anthropic_answer(exchange).blocks)


@check("anthropic.thinking.signature_present", applies=_has_thinking, basis="observed",
       source="docs/observed.md § Anthropic protocol > Empty thinking signatures: Thinking blocks carry `signature: \"\"` … clients that verify signatures fail on this")
def anthropic_signature_present(exchange: Exchange) -> Violations:
    """Every thinking block ends with a non-empty signature."""
    # The docs define the field; MiMo sends "" (docs/observed.md § Anthropic protocol > Empty thinking signatures), and
    # clients that verify signatures, or pass thinking back, fail on an empty one.
    for block in anthropic_answer(exchange).blocks:
        if block.type == "thinking" and not block.signature:
            yield block.at, f"expected a non-empty signature on thinking block {block.index}, got {block.signature!r}"
