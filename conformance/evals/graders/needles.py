"""Grader ``needles``: the answer repeats every value hidden in the haystack.

A value is found when it occurs in ``outcome.text`` (the answer, not the reasoning), both
case-folded, with no ASCII letter or digit right before or after it: ``482913`` is not found
in ``1482913``, but is in ``是482913。`` (a ``\\b`` would fail there, CJK being word characters).
"""

from __future__ import annotations

import re
from typing import Any

from ..haystack import PLACEHOLDER
from ..outcome import Outcome, Score

__all__ = ["grade", "check_item", "found"]


def found(value: str, text: str) -> bool:
    """Whether ``value`` occurs in ``text`` as a whole token (see the module docstring)."""
    pattern = rf"(?<![0-9A-Za-z]){re.escape(value.casefold())}(?![0-9A-Za-z])"
    return re.search(pattern, text.casefold()) is not None


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """The fraction of the needles' values the answer text contains; passed when all."""
    values = item["grader"]["values"]
    missing = [v for v in values if not found(v, outcome.text)]
    score = (len(values) - len(missing)) / len(values)
    if missing:
        return Score(score, False, f"{len(values) - len(missing)} of {len(values)} values found; missing {', '.join(missing)}")
    return Score(1.0, True, f"all {len(values)} values found")


def check_item(item: dict[str, Any]) -> list[str]:
    """One placeholder, one value per needle found in that needle only, the item's language."""
    spec, values = item["haystack"], item["grader"]["values"]
    placeholders = sum(m["content"].count(PLACEHOLDER) for m in item["messages"])
    found_in = {v: [n["text"] for n in spec["needles"] if found(v, n["text"])] for v in values}
    problems = [f"{placeholders} {PLACEHOLDER} placeholders, expected 1"] if placeholders != 1 else []
    problems += [f"value {v!r} is in {len(texts)} needles, expected 1" for v, texts in found_in.items() if len(texts) != 1]
    if len(values) != len(spec["needles"]):
        problems.append(f"{len(values)} values for {len(spec['needles'])} needles")
    if spec["lang"] != item["lang"]:
        problems.append(f"haystack in {spec['lang']!r}, item in {item['lang']!r}")
    return problems
