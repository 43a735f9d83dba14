"""Grader ``thinking``: reasoning is there exactly when asked for, and the answer is right.

The reasoning rule: ``present`` wants non-blank ``outcome.reasoning``, ``absent`` wants it
blank. The answer is the number on the last line saying ``Answer: <n>`` (or ``答案：<n>``, either
colon, bold allowed), else the last number in the text; thousands separators are dropped, and
a minus sign counts only where no letter or digit comes right before it.
This is a local extractor on purpose: the arithmetic family's one (graders/numeric.py) may
change with that family's needs.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..outcome import Outcome, Score

__all__ = ["grade", "check_item", "extract_answer"]

_NUMBER = r"(?:(?<![\w.])[-\u2212])?\d[\d,]*(?:\.\d+)?"  # a minus right after a digit is "5-3", not -3
_ANSWER_LINE = re.compile(rf"(?:answer|答案)\W{{0,3}}[:：]\W{{0,3}}?({_NUMBER})", re.IGNORECASE)


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-"))


def _show(number: float | None) -> str:
    if number is None:
        return "missing"
    return str(int(number)) if float(number).is_integer() else str(number)


def extract_answer(text: str) -> float | None:
    """The number on the last ``Answer:`` line, else the last number in ``text``, else None."""
    marked = [m for line in text.splitlines() for m in _ANSWER_LINE.findall(line)]
    numbers = marked or re.findall(_NUMBER, text)
    return _number(numbers[-1].rstrip(",")) if numbers else None


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """Half for the reasoning rule, half for the answer; passed when both hold."""
    grader = item["grader"]
    wanted, reasoning = grader["reasoning"], bool(outcome.reasoning.strip())
    reasoning_ok = reasoning == (wanted == "present")
    expected, got = grader["answer"]["answer"], extract_answer(outcome.text)
    answer_ok = got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    why = [] if reasoning_ok else [f"reasoning should be {wanted}, is {'present' if reasoning else 'absent'}"]
    why += [] if answer_ok else [f"answer {_show(got)}, expected {_show(expected)}"]
    detail = "; ".join(why) or f"reasoning {wanted} and answer {_show(expected)} right"
    return Score((reasoning_ok + answer_ok) / 2, reasoning_ok and answer_ok, detail)


_ASKED = {"en": "Answer:", "zh": "答案："}  # the line each language's prompt asks for


def check_item(item: dict[str, Any]) -> list[str]:
    """The item asks for what it grades: the thinking option matching the reasoning rule, the answer line."""
    wanted, rule = {"enabled": "present", "disabled": "absent"}.get(item.get("thinking", "")), item["grader"]["reasoning"]
    problems = [] if wanted == rule else [f"thinking {item.get('thinking')!r} with reasoning {rule!r}"]
    if _ASKED[item["lang"]] not in item["messages"][-1]["content"]:
        problems.append(f"the last message does not ask for the {_ASKED[item['lang']]!r} line")
    return problems
