"""Build the next turn of a tool-using conversation from an answer: what a well-behaved client sends."""

from __future__ import annotations

import copy
from typing import Any, Sequence

from .assemble import anthropic_answer, openai_answer
from .exchange import Exchange

__all__ = ["next_turn"]


def next_turn(body: dict[str, Any], answer: Exchange, tool_result: str | Sequence[str]) -> dict[str, Any]:
    """``body`` plus the assistant's answer (reasoning kept, as the docs recommend) and one result per call.

    ``tool_result`` is the result text of every call, or one text per call in order.
    """
    follow = copy.deepcopy(body)
    maker = _openai_turn if answer.protocol == "openai" else _anthropic_turn
    follow["messages"] = follow["messages"] + maker(answer, tool_result)
    return follow


def _result(results: str | Sequence[str], position: int) -> str:
    return results if isinstance(results, str) else results[position]


def _openai_turn(answer: Exchange, result: str | Sequence[str]) -> list[dict[str, Any]]:
    # docs/sources.md#first-call-excerpt § Quick Integration Examples > Make Multi-turn Tool Calls in Thinking Mode:
    # keep reasoning_content
    choice = openai_answer(answer).choices[0]
    calls = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in choice.tool_calls]
    message: dict[str, Any] = {"role": "assistant", "content": choice.text or None, "tool_calls": calls}
    if choice.reasoning:
        message["reasoning_content"] = choice.reasoning
    return [message] + [{"role": "tool", "tool_call_id": c["id"], "content": _result(result, i)} for i, c in enumerate(calls)]


def _anthropic_turn(answer: Exchange, result: str | Sequence[str]) -> list[dict[str, Any]]:
    # docs/sources.md#anthropic-api § Request Body > tools: keep every thinking block in later turns
    blocks, results = [], []
    for b in anthropic_answer(answer).blocks:
        if b.type == "thinking":
            blocks.append({"type": "thinking", "thinking": b.thinking, "signature": b.signature or ""})
        elif b.type == "text" and b.text:
            blocks.append({"type": "text", "text": b.text})
        elif b.type == "tool_use":
            tool_input = b.parsed_input if isinstance(b.parsed_input, dict) else {}
            blocks.append({"type": "tool_use", "id": b.id, "name": b.name, "input": tool_input})
            results.append({"type": "tool_result", "tool_use_id": b.id, "content": _result(result, len(results))})
    return [{"role": "assistant", "content": blocks}, {"role": "user", "content": results}]
