"""The reference server's word tokenizer: a token is a run of word characters or one other symbol.

``"Hello, world!"`` is four tokens (``Hello`` ``,`` ``world`` ``!``); whitespace is never a token.
It is not the model's tokenizer and does not try to be: it only has to make usage add up, so
that a prefix cut after ``n`` tokens counts exactly ``n`` tokens again.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

__all__ = ["count", "truncate", "pieces", "fragments", "text_leaves"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def _ends(text: str) -> list[int]:
    """The character offset just after each token."""
    return [m.end() for m in _TOKEN.finditer(text)]


def count(text: str) -> int:
    """The number of tokens in ``text``."""
    return sum(1 for _ in _TOKEN.finditer(text))


def truncate(text: str, limit: int) -> str:
    """The shortest prefix of ``text`` that holds its first ``limit`` tokens."""
    ends = _ends(text)
    if limit >= len(ends):
        return text
    return text[: ends[limit - 1]] if limit > 0 else ""


def pieces(text: str, parts: int = 3) -> list[str]:
    """``text`` cut at token ends into at most ``parts`` non-empty pieces that join back to it."""
    ends = _ends(text)
    step = max(1, -(-len(ends) // parts))
    cuts = [ends[i] for i in range(step - 1, len(ends) - 1, step)] + [len(text)]
    starts = [0] + cuts[:-1]
    return [text[a:b] for a, b in zip(starts, cuts) if b > a]


def fragments(text: str, parts: int = 3) -> list[str]:
    """``text`` cut at evenly spaced characters, not token ends, into at most ``parts`` non-empty pieces."""
    cuts = sorted({len(text) * k // parts for k in range(parts + 1)})
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def text_leaves(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, depth first (keys left out)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from text_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_leaves(item)
