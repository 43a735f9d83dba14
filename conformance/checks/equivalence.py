"""Stream vs non-stream: the same request gives the same structure either way."""

from __future__ import annotations

from typing import Any, Iterator

from ..assemble import anthropic_answer, openai_answer
from ..exchange import Exchange
from ._common import pair_of
from .registry import pair_check

__all__: list[str] = []

Violations = Iterator[tuple[str, str]]
SAME = ("the docs do not promise that a streamed and a plain answer to one request agree (a sampled model may "
        "answer twice differently); agreement is this project's expectation of a deterministic server")

# Locations point into the plain (non-streamed) body.


def _same(location: str, what: str, streamed: Any, plain: Any) -> Violations:
    if streamed != plain:
        yield location, f"expected the same {what}, streamed gives {streamed!r:.80}, plain gives {plain!r:.80}"


@pair_check("openai.equivalence.structure", applies=pair_of("openai"), basis="reference", source=SAME)
def openai_structure(streamed: Exchange, plain: Exchange) -> Violations:
    """Both give the same finish_reason, tool call names and arguments, and reasoning or none."""
    s, p = openai_answer(streamed), openai_answer(plain)
    yield from _same("/choices", "number of choices", len(s.choices), len(p.choices))
    for sc, pc in zip(s.choices, p.choices):
        yield from _same(pc.finish_at, "finish_reason", sc.finish_reason, pc.finish_reason)
        calls = [[(c.name, c.parsed) for c in choice.tool_calls] for choice in (sc, pc)]
        yield from _same(f"{pc.at}/tool_calls", "tool calls (name, arguments)", *calls)
        yield from _same(f"{pc.at}/reasoning_content", "presence of reasoning", bool(sc.reasoning), bool(pc.reasoning))


@pair_check("anthropic.equivalence.structure", applies=pair_of("anthropic"), basis="reference", source=SAME)
def anthropic_structure(streamed: Exchange, plain: Exchange) -> Violations:
    """Both give the same stop_reason, tool_use names and inputs, and thinking or none."""
    s, p = anthropic_answer(streamed), anthropic_answer(plain)
    yield from _same(p.stop_at, "stop_reason", s.stop_reason, p.stop_reason)
    uses = [[(b.name, b.parsed_input) for b in a.blocks if b.type == "tool_use"] for a in (s, p)]
    yield from _same("/content", "tool_use blocks (name, input)", *uses)
    thinks = [any(b.type == "thinking" and b.thinking for b in a.blocks) for a in (s, p)]
    yield from _same("/content", "presence of thinking", *thinks)
