"""The thinking grader: reasoning must follow the thinking option and the numeric answer must be
right, each rule able to fail alone; the thinking items come in identical enabled/disabled pairs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.evals.graders import grade as grade_any
from conformance.evals.graders.thinking import check_item, extract_answer, grade
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
ITEMS = json.loads((ROOT / "evals/items/thinking.json").read_text(encoding="utf-8"))["items"]


def _item(reasoning: str, answer: float = 42, thinking: str | None = None, prompt: str = "6 x 7?\nEnd with \"Answer: <number>\".") -> dict[str, Any]:
    item = {"id": "think.test", "lang": "en", "messages": [{"role": "user", "content": prompt}],
            "grader": {"type": "thinking", "reasoning": reasoning, "answer": {"answer": answer}}}
    return {**item, "thinking": thinking} if thinking else item


# (rule, grader's reasoning, an outcome that meets it, one that does not)
REASONING = [
    ("present wants reasoning", "present", Outcome(text="Answer: 42", reasoning="6 * 7 = 42"), Outcome(text="Answer: 42")),
    ("present wants non-blank reasoning", "present", Outcome(text="Answer: 42", reasoning="so"), Outcome(text="Answer: 42", reasoning=" \n")),
    ("absent wants none", "absent", Outcome(text="Answer: 42"), Outcome(text="Answer: 42", reasoning="6 * 7 = 42")),
    ("absent accepts blank", "absent", Outcome(text="Answer: 42", reasoning="\n"), Outcome(text="Answer: 42", reasoning="x")),
]


@pytest.mark.parametrize(("rule", "wanted", "good", "bad"), REASONING, ids=[r[0] for r in REASONING])
def test_reasoning_rule_passes_and_fails(rule: str, wanted: str, good: Outcome, bad: Outcome) -> None:
    passed, failed = grade(_item(wanted), good), grade(_item(wanted), bad)
    assert (passed.score, passed.passed) == (1.0, True), passed.detail
    assert (failed.score, failed.passed) == (0.5, False)
    assert failed.detail.startswith(f"reasoning should be {wanted}")


# (rule, text, the number read)
ANSWERS = [
    ("marker line wins over later numbers", "Answer: 42\nChecked with 6 and 7.", 42),
    ("last marker line wins", "Answer: 40\nWait, I slipped.\nAnswer: 42", 42),
    ("chinese marker", "所以共有 8 只。\n答案：42", 42),
    ("ascii colon after the chinese marker", "答案: 42 元", 42),
    ("bold marker", "**Answer:** 42", 42),
    ("else the last number", "6 times 7 makes 42", 42),
    ("thousands separators dropped", "Answer: 1,042", 1042),
    ("decimals", "Answer: 4.5", 4.5),
    ("negative", "Answer: -3", -3),
    ("a minus after a digit is a range", "between 5-3", 3),
    ("full-width digits", "答案：４２", 42),
]


@pytest.mark.parametrize(("rule", "text", "number"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_answer_is_read(rule: str, text: str, number: float) -> None:
    assert extract_answer(text) == number


def test_no_number_is_no_answer() -> None:
    assert extract_answer("I do not know.") is None
    score = grade(_item("absent"), Outcome(text="I do not know."))
    assert (score.score, score.passed, score.detail) == (0.5, False, "answer missing, expected 42")


def test_answer_rule_passes_and_fails() -> None:
    assert grade(_item("absent", 42), Outcome(text="Answer: 42")).passed
    score = grade(_item("absent", 42), Outcome(text="Answer: 41"))
    assert (score.score, score.passed, score.detail) == (0.5, False, "answer 41, expected 42")
    both = grade(_item("present", 42), Outcome(text="Answer: 41"))
    assert (both.score, both.passed) == (0.0, False) and both.detail.count(";") == 1


def test_grader_is_registered_under_its_type() -> None:
    assert grade_any(_item("present"), Outcome(text="Answer: 42", reasoning="...")).passed


@pytest.mark.parametrize(("thinking", "reasoning", "ok"), [
    ("enabled", "present", True), ("disabled", "absent", True), ("enabled", "absent", False), ("disabled", "present", False), (None, "present", False)])
def test_check_item_ties_the_option_to_the_rule(thinking: str | None, reasoning: str, ok: bool) -> None:
    assert (check_item(_item(reasoning, thinking=thinking)) == []) is ok


def test_check_item_wants_the_prompt_to_ask_for_the_answer_line() -> None:
    assert check_item(_item("present", thinking="enabled", prompt="6 x 7?")) == ["the last message does not ask for the 'Answer:' line"]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_is_sound_and_passes_a_right_answer(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    answer = item["grader"]["answer"]["answer"]
    reasoning = "worked it out" if item["thinking"] == "enabled" else ""
    assert grade(item, Outcome(text=f"Answer: {answer}", reasoning=reasoning)).passed
    assert not grade(item, Outcome(text=f"Answer: {answer + 1}", reasoning=reasoning)).passed


def test_items_come_in_pairs_that_differ_only_in_thinking() -> None:
    pairs = [ITEMS[i:i + 2] for i in range(0, len(ITEMS), 2)]
    assert len(ITEMS) >= 20 and all(len(p) == 2 for p in pairs)
    for on, off in pairs:
        assert (on["thinking"], off["thinking"], on["stratum"], off["stratum"]) == ("enabled", "disabled", "enabled", "disabled")
        same = ("messages", "protocols", "lang", "max_tokens", "requires")
        assert [on[k] for k in same] == [off[k] for k in same]
        assert on["grader"]["answer"] == off["grader"]["answer"]
    assert {p[0]["protocols"][0] for p in pairs if p[0]["lang"] == "en"} == {p[0]["protocols"][0] for p in pairs if p[0]["lang"] == "zh"} == {
        "openai", "anthropic"}


def test_generator_reproduces_the_file() -> None:
    spec = importlib.util.spec_from_file_location("generate_thinking", ROOT / "evals/generate_thinking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.text() == (ROOT / "evals/items/thinking.json").read_text(encoding="utf-8")
