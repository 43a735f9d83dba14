"""Token accounting: totals add up, budgets hold, and a stream reports its usage."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import anthropic_answer
from ..exchange import Exchange
from ._common import at, is_int, json_events, openai_limit, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
OPENAI_USAGE = "docs/sources.md#openai-api § Chat response object (non-streaming output) > usage"


def _openai_usages(exchange: Exchange) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, usage) for the body's usage or every chunk's usage object."""
    if not exchange.streamed:
        body = exchange.body
        if isinstance(body, dict) and isinstance(body.get("usage"), dict):
            yield "/usage", body["usage"]
        return
    for i, payload in json_events(exchange):
        if isinstance(payload.get("usage"), dict):
            yield at(i, "/usage"), payload["usage"]


def _detail(usage: dict[str, Any], group: str, name: str) -> Any:
    # null, {} and a full object all occur (docs/observed.md § OpenAI protocol > Prompt token details shapes)
    details = usage.get(group)
    return details.get(name) if isinstance(details, dict) else None


def _accounting(usage: dict[str, Any]) -> Violations:
    """(pointer below usage, message) for each count that does not add up."""
    prompt, completion, total = (usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
    if all(map(is_int, (prompt, completion, total))) and prompt + completion != total:
        yield "/total_tokens", f"expected prompt + completion = {prompt + completion}, got {total}"
    parts = [
        ("/completion_tokens_details/reasoning_tokens", "completion_tokens", completion),
        ("/prompt_tokens_details/cached_tokens", "prompt_tokens", prompt),
    ]
    for pointer, whole_name, whole in parts:
        part = _detail(usage, *pointer.strip("/").split("/"))
        if is_int(part) and is_int(whole) and part > whole:
            yield pointer, f"expected at most {whole_name} ({whole}), got {part}"


@check("openai.usage.totals_add_up", applies=where("openai", ok=True), basis="documented", source=OPENAI_USAGE)
def openai_totals_add_up(exchange: Exchange) -> Violations:
    """prompt + completion = total; reasoning ≤ completion; cached ≤ prompt."""
    # reasoning_tokens are counted inside completion_tokens
    # (docs/observed.md § OpenAI protocol > Reasoning tokens inside completion tokens).
    for loc, usage in _openai_usages(exchange):
        for pointer, message in _accounting(usage):
            yield loc + pointer, message


@check("openai.usage.within_limit", applies=where("openai", ok=True), basis="documented",
       source="docs/sources.md#openai-api § Request body > max_completion_tokens")
def openai_within_limit(exchange: Exchange) -> Violations:
    """completion_tokens stays within the requested max_completion_tokens or max_tokens."""
    limit = openai_limit(exchange.request.json)
    for loc, usage in _openai_usages(exchange) if limit else ():
        completion = usage.get("completion_tokens")
        if is_int(completion) and completion > limit[1]:
            yield f"{loc}/completion_tokens", f"expected at most {limit[1]} ({limit[0]}), got {completion}"


@check("anthropic.usage.within_limit", applies=where("anthropic", ok=True), basis="documented",
       source="docs/sources.md#anthropic-api § Request Body > max_tokens")
def anthropic_within_limit(exchange: Exchange) -> Violations:
    """output_tokens stays within the requested max_tokens."""
    limit, answer = exchange.request.json.get("max_tokens"), anthropic_answer(exchange)
    output = answer.usage.get("output_tokens")
    if is_int(limit) and is_int(output) and output > limit:
        yield f"{answer.usage_at}/output_tokens", f"expected at most {limit} (the requested max_tokens), got {output}"


@check("anthropic.usage.reported", applies=where("anthropic", streamed=True, ok=True), basis="observed",
       source="docs/observed.md § Anthropic protocol > Usage only in message_delta: real counts arrive only in `message_delta.usage`")
def anthropic_reported(exchange: Exchange) -> Violations:
    """The stream's final usage (message_delta over message_start) counts input_tokens and output_tokens."""
    # message_start carries zeros and message_delta the real counts
    # (docs/observed.md § Anthropic protocol > Usage only in message_delta), so zero output tokens beside a non-empty
    # answer is message_start's placeholder left standing.
    answer = anthropic_answer(exchange)
    loc = answer.usage_at or at(len(exchange.events))
    for name in ("input_tokens", "output_tokens"):
        if not is_int(answer.usage.get(name)):
            yield loc, f"expected an integer {name} in the final usage, got {answer.usage.get(name)!r}"
    if answer.usage.get("output_tokens") == 0 and any(_said(b) for b in answer.blocks):
        yield loc, "expected the output_tokens of a non-empty answer, got 0 (message_start's placeholder)"


def _said(block: Any) -> bool:
    return bool(block.text or block.thinking or block.input_json.strip() or block.type == "tool_use")
