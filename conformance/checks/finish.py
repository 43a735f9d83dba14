"""Finish and stop reasons agree with what the answer holds."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import Spans, anthropic_answer, openai_answer
from ..basis import Rule
from ..exchange import Exchange
from ._common import is_int, openai_limit, where
from .registry import check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
OPENAI, ANTHROPIC = where("openai", ok=True), where("anthropic", ok=True)
OPENAI_FINISH = "docs/sources.md#openai-api § Chat response object (non-streaming output) > choices > finish_reason"
ANTHROPIC_STOP = "docs/sources.md#anthropic-api § Non-streaming Response > stop_reason"
# The Anthropic docs say a stop sequence stops generation; not whether its own text is left out
# (Anthropic's API leaves it out): text after it breaks the docs, the sequence itself only ours.
STOPS_GENERATION = "docs/sources.md#anthropic-api § Request Body > stop_sequences"
LEFT_OUT = Rule("reference", "the docs say a stop sequence stops generation, not whether its text is kept; "
                "Anthropic's own API leaves it out")


def _stops(value: Any) -> list[str]:
    """The requested stop strings: one string, a list of them, or none."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [s for s in values if isinstance(s, str) and s]


def _stop_found(spans: Spans, stops: list[str]) -> Iterator[tuple[str, str]]:
    for stop in stops:
        offset = spans.text.find(stop)
        if offset >= 0:
            yield spans.location_of(offset + len(stop) - 1), f"expected text without the stop sequence {stop!r}, got it"


@check("openai.finish.tool_calls_iff_reason", applies=OPENAI, basis="documented", source=OPENAI_FINISH)
def openai_tool_calls_iff_reason(exchange: Exchange) -> Violations:
    """A choice has tool calls exactly when its finish_reason is tool_calls."""
    for choice in openai_answer(exchange).choices:
        calls, reason = len(choice.tool_calls), choice.finish_reason
        if reason == "tool_calls" and not calls:
            yield choice.finish_at, "expected tool calls with finish_reason tool_calls, the choice has none"
        # length may cut a call short, leaving "tool_calls": [] or a fragment
        # (docs/observed.md § OpenAI protocol > Truncated tool calls).
        elif calls and reason not in ("tool_calls", "length", None):
            yield choice.finish_at, f"expected finish_reason tool_calls with {calls} tool call(s), got {reason!r}"


@check("openai.finish.length_at_budget", applies=OPENAI, basis="documented", source=OPENAI_FINISH)
def openai_length_at_budget(exchange: Exchange) -> Violations:
    """finish_reason length comes only when completion_tokens reached the requested limit."""
    answer, limit = openai_answer(exchange), openai_limit(exchange.request.json)
    completion = (answer.usage or {}).get("completion_tokens")
    if limit is None or not is_int(completion) or completion >= limit[1]:
        return
    for choice in answer.choices:
        if choice.finish_reason == "length":
            yield choice.finish_at, f"expected length only at {limit[0]} {limit[1]}, got it at {completion} tokens"


@check("openai.finish.stop_sequence_absent", applies=OPENAI, basis="documented",
       source="docs/sources.md#openai-api § Request body > stop")
def openai_stop_sequence_absent(exchange: Exchange) -> Violations:
    """No requested stop string appears in the output text."""
    # Source: docs/sources.md#openai-api § Request body > stop:
    # "The returned text will not contain the stop sequence."
    stops = _stops(exchange.request.json.get("stop"))
    for choice in openai_answer(exchange).choices if stops else ():
        yield from _stop_found(choice.content, stops)


@check("anthropic.finish.tool_use_iff_reason", applies=ANTHROPIC, basis="documented", source=ANTHROPIC_STOP)
def anthropic_tool_use_iff_reason(exchange: Exchange) -> Violations:
    """The content has a tool_use block exactly when stop_reason is tool_use."""
    answer = anthropic_answer(exchange)
    uses, reason = sum(b.type == "tool_use" for b in answer.blocks), answer.stop_reason
    if reason == "tool_use" and not uses:
        yield answer.stop_at, "expected a tool_use block with stop_reason tool_use, the content has none"
    elif uses and reason not in ("tool_use", "max_tokens", None):  # max_tokens may cut a call short
        yield answer.stop_at, f"expected stop_reason tool_use with {uses} tool_use block(s), got {reason!r}"


@check("anthropic.finish.max_tokens_at_budget", applies=ANTHROPIC, basis="documented", source=ANTHROPIC_STOP)
def anthropic_max_tokens_at_budget(exchange: Exchange) -> Violations:
    """stop_reason max_tokens comes only when output_tokens reached the requested max_tokens."""
    answer, limit = anthropic_answer(exchange), exchange.request.json.get("max_tokens")
    output = answer.usage.get("output_tokens")
    if answer.stop_reason == "max_tokens" and is_int(limit) and is_int(output) and output < limit:
        yield answer.stop_at, f"expected max_tokens only at the requested {limit}, got it at {output} output tokens"


@check("anthropic.finish.stop_sequence_absent", applies=ANTHROPIC, basis="documented", source=STOPS_GENERATION)
def anthropic_stop_sequence_absent(exchange: Exchange) -> Violations:
    """No requested stop sequence appears in a text block."""
    stops = _stops(exchange.request.json.get("stop_sequences"))
    for block in anthropic_answer(exchange).blocks if stops else ():
        text = block.pieces.text if block.type == "text" else ""
        for stop in stops:
            offset = text.find(stop)
            if offset < 0:
                continue
            location = block.pieces.location_of(offset + len(stop) - 1)
            if offset + len(stop) == len(text):  # it ends the text: generation did stop there
                yield location, f"expected text without the stop sequence {stop!r}, it ends the text", LEFT_OUT
            else:
                yield location, f"expected generation to stop at the stop sequence {stop!r}, text goes on after it"
