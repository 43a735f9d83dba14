"""The final number of an answer, compared with the expected one: GSM8K-style exact match.

Modelled on the GSM8K answer check (Cobbe et al. 2021, https://arxiv.org/abs/2110.14168), which
compares the number after the final-answer marker. The answer is read from the last line carrying
an ``Answer:`` or ``答案：`` marker (the prompts ask for it): its first number, or the first after its
last ``=`` ("Answer: 12 × 4 = 48"); when no such line holds a number, the last number anywhere in
the text. Full-width digits and punctuation are folded to ASCII (NFKC) first, thousands separators
are dropped (``1,234`` is 1234), and a minus sign counts only where it does not follow a digit or
letter (``5-3`` holds 5 and 3). Numbers compare as decimals, so 0.1 + 0.2 is exactly 0.3; the
tolerance is an absolute difference, 0 by default.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from ..outcome import Outcome, Score

__all__ = ["extract", "grade", "check_item"]

_NUMBER = re.compile(r"(?:(?<![\w.])-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_MARKER = re.compile(r"(?:answer|答案)[*_ \t]*(?:is|是|为)?[ \t]*:[*_ \t]*([^\n]*)", re.I)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})
_INSTRUCTION = {"en": "Answer:", "zh": "答案："}


def _folded(text: str) -> str:
    """Full-width forms as ASCII (NFKC maps ０-９, ：, ， and －) and minus signs as hyphens."""
    return unicodedata.normalize("NFKC", text).translate(_MINUS)


def _first_number(text: str) -> Decimal | None:
    found = _NUMBER.search(text)
    return Decimal(found.group().replace(",", "")) if found else None


def extract(text: str) -> Decimal | None:
    """The answer's final number: after the last ``Answer:`` marker, else the last number."""
    folded = _folded(text)
    for tail in reversed(_MARKER.findall(folded)):
        if (number := _first_number(tail.rpartition("=")[2])) is not None:
            return number
    numbers = _NUMBER.findall(folded)
    return Decimal(numbers[-1].replace(",", "")) if numbers else None


def _expected(grader: dict[str, Any]) -> Decimal:
    # str() first: Decimal(0.1) is 0.1000000000000000055..., Decimal("0.1") is what the item says
    return Decimal(str(grader["answer"]))


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """1 when the answer's final number is within tolerance of the expected one, else 0."""
    grader = item["grader"]
    expected, got = _expected(grader), extract(outcome.text)
    if got is None:
        return Score(0.0, False, f"no number found; expected {expected}")
    ok = abs(got - expected) <= Decimal(str(grader.get("tolerance", 0)))
    return Score(float(ok), ok, f"found {got}, expected {expected}")


def check_item(item: dict[str, Any]) -> list[str]:
    """The prompt asks for the answer line the grader reads first."""
    marker = _INSTRUCTION[item["lang"]]
    if marker not in item["messages"][-1]["content"]:
        return [f"the last message does not ask for the {marker!r} line"]
    return []
