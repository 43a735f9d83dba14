"""What a grader sees of a model's answer, whatever protocol carried it, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ToolCallOut", "Outcome", "Score"]


@dataclass(frozen=True)
class ToolCallOut:
    """One tool call the model made: its function name and its arguments.

    ``arguments`` is the parsed JSON value when the arguments string (OpenAI) parsed, the input
    object itself (Anthropic), or ``None`` when it did not parse; ``raw`` is the text as sent.
    """

    name: str | None
    arguments: Any
    raw: str


@dataclass(frozen=True)
class Outcome:
    """A model's answer to one item, protocol-neutral.

    ``text``: the final assistant text (every text block / the message content, joined).
    ``reasoning``: reasoning_content or thinking blocks joined ("" when there were none).
    ``tool_calls``: the calls of the first assistant turn (what single-turn graders score).
    ``finish``: "stop", "length", "tool_calls", "content_filter" or the raw reason otherwise.
    ``state``: the tool simulator's final state for multi-turn items, else None.
    ``turns``: assistant turns taken; ``calls``: every tool call over all turns, in order.
    """

    text: str
    reasoning: str = ""
    tool_calls: tuple[ToolCallOut, ...] = ()
    finish: str = "stop"
    state: Any = None
    turns: int = 1
    calls: tuple[ToolCallOut, ...] = ()


@dataclass(frozen=True)
class Score:
    """A grader's verdict: ``score`` in [0, 1], ``passed`` (the item's pass/fail), and why."""

    score: float
    passed: bool
    detail: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside [0, 1]")
