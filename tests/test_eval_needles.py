"""The needles grader: a value counts only when it stands whole in the answer text, the score is
the fraction found, and check_item ties each value to exactly one needle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.evals.graders import grade as grade_any
from conformance.evals.graders.needles import check_item, found, grade
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
ITEMS = json.loads((ROOT / "evals/items/long_context.json").read_text(encoding="utf-8"))["items"]


def _item(*values: str, needles: list[str] | None = None, content: str = "Notes:\n{haystack}\nCodes?") -> dict[str, Any]:
    texts = needles if needles is not None else [f"The code for archive {i} is {v}." for i, v in enumerate(values)]
    return {"id": "lc.test", "lang": "en", "messages": [{"role": "user", "content": content}],
            "haystack": {"seed": 1, "tokens": 1000, "lang": "en", "needles": [{"text": t, "depth": 0.5} for t in texts]},
            "grader": {"type": "needles", "values": list(values)}}


# (rule, value, an answer where it is found, one where it is not)
RULES = [
    ("present", "482913", "Quillon: 482913", "Quillon: 482914"),
    ("not inside a longer number", "482913", "code 482913.", "code 1482913"),
    ("not followed by a digit", "482913", "(482913)", "4829130"),
    ("not glued to latin letters", "ab12", "code: AB12!", "code: xab12"),
    ("beside chinese characters", "482913", "青石镇档案馆：482913。", "青石镇档案馆：482-913。"),
    ("case-folded", "Kestrel-7", "the key is kestrel-7", "the key is kestrel 7"),
]


@pytest.mark.parametrize(("rule", "value", "good", "bad"), RULES, ids=[r[0] for r in RULES])
def test_value_is_found_only_whole(rule: str, value: str, good: str, bad: str) -> None:
    assert found(value, good)
    assert not found(value, bad)


def test_score_is_the_fraction_of_values_found() -> None:
    item = _item("111111", "222222", "333333")
    full = grade(item, Outcome(text="A: 111111\nB: 222222\nC: 333333"))
    assert (full.score, full.passed, full.detail) == (1.0, True, "all 3 values found")
    part = grade(item, Outcome(text="A: 111111\nC: 333333"))
    assert (part.score, part.passed, part.detail) == (2 / 3, False, "2 of 3 values found; missing 222222")
    assert grade(item, Outcome(text="")).score == 0.0


def test_reasoning_does_not_count() -> None:
    score = grade(_item("111111"), Outcome(text="I could not find it.", reasoning="The code is 111111."))
    assert not score.passed


def test_grader_is_registered_under_its_type() -> None:
    assert grade_any(_item("111111"), Outcome(text="111111")).passed


# (what is wrong, the item, words the problem names)
BAD_ITEMS = [
    ("value in no needle", _item("111111", needles=["The code is 222222."]), "'111111' is in 0 needles"),
    ("value in two needles", _item("111111", "222222", needles=["111111 or 222222", "222222"]), "'222222' is in 2 needles"),
    ("fewer values than needles", _item("111111", needles=["111111", "no value here"]), "1 values for 2 needles"),
    ("no placeholder", _item("111111", content="No haystack here."), "0 {haystack} placeholders"),
    ("two placeholders", _item("111111", content="{haystack} and {haystack}"), "2 {haystack} placeholders"),
    ("haystack language differs", {**_item("111111"), "lang": "zh"}, "haystack in 'en', item in 'zh'"),
]


@pytest.mark.parametrize(("wrong", "item", "words"), BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_check_item_names_the_problem(wrong: str, item: dict[str, Any], words: str) -> None:
    problems = check_item(item)
    assert len(problems) == 1 and words in problems[0], problems


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_is_sound_and_graded_on_its_needles(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    needles = "\n".join(n["text"] for n in item["haystack"]["needles"])
    assert grade(item, Outcome(text=needles)).passed
    assert not grade(item, Outcome(text=needles.split("\n", 1)[-1] if "\n" in needles else "")).passed
