"""The exact_number grader and the arithmetic generator: the final number is found however it is
written, every item takes its own answer and refuses a neighbour, and the file regenerates exactly."""

from __future__ import annotations

import ast
import json
import operator
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conformance import schemas
from conformance.evals.graders.numeric import check_item, extract, grade
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
FAMILY_PATH = ROOT / "evals/items/arithmetic.json"
FAMILY = json.loads(FAMILY_PATH.read_text(encoding="utf-8"))
ITEMS = FAMILY["items"]


def _item(answer: float, tolerance: float | None = None, lang: str = "en") -> dict[str, Any]:
    grader = {"type": "exact_number", "answer": answer} | ({"tolerance": tolerance} if tolerance is not None else {})
    return {"id": "arith.test", "lang": lang, "messages": [{"role": "user", "content": "1 + 1?"}], "grader": grader}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Answer: 42", "42"),
        ("3 + 4 = 7\nAnswer: 7", "7"),
        ("Answer: 1,234,567", "1234567"),
        ("Answer: -121", "-121"),
        ("Answer: \u2212121", "-121"),
        ("Answer: 55.19.", "55.19"),
        ("Answer: 12 × 4 = 48", "48"),
        ("Answer: 48 (12 × 4)", "48"),
        ("**Answer:** $12.50", "12.50"),
        ("The answer is: 9 apples", "9"),
        ("final answer: 3", "3"),
        ("答案：１２３", "123"),
        ("计算过程……\n答案: 83", "83"),
        ("答案：－１７", "-17"),
        ("答案是：1，250", "1250"),
        ("Answer: 5\nWait, I made a mistake.\nAnswer: 6", "6"),
        ("Answer: see below\nThe total is 18 dollars.", "18"),
        ("So 10 - 3 = 7", "7"),
        ("5-3", "3"),
        ("The result is \\boxed{64}", "64"),
        ("Total: 3.5 km, i.e. 3500", "3500"),
    ],
)
def test_extract_finds_the_final_number(text: str, number: str) -> None:
    assert extract(text) == Decimal(number)


def test_extract_finds_nothing_in_text_without_digits() -> None:
    assert extract("I cannot tell.\nAnswer: unknown") is None


def test_grade_passes_the_same_number_written_differently() -> None:
    assert grade(_item(12.5), Outcome(text="Answer: 12.50")).passed
    assert grade(_item(1234), Outcome(text="Answer: 1,234")).passed
    assert grade(_item(0.3), Outcome(text="0.1 + 0.2 = 0.3\nAnswer: 0.3")).passed


def test_grade_fails_a_different_number_and_says_both() -> None:
    score = grade(_item(42), Outcome(text="Answer: 41"))
    assert (score.score, score.passed, score.detail) == (0.0, False, "found 41, expected 42")


def test_grade_fails_an_answer_without_numbers() -> None:
    score = grade(_item(42), Outcome(text="I do not know."))
    assert not score.passed and score.detail == "no number found; expected 42"


def test_grade_fails_a_rounding_the_prompt_did_not_ask_for() -> None:
    assert not grade(_item(55.19), Outcome(text="Answer: 55.1885")).passed


def test_tolerance_is_an_absolute_difference() -> None:
    assert grade(_item(10, tolerance=0.5), Outcome(text="Answer: 10.5")).passed
    assert not grade(_item(10, tolerance=0.5), Outcome(text="Answer: 10.51")).passed


def test_check_item_wants_the_answer_line_asked_for() -> None:
    assert check_item(_item(2)) == ["the last message does not ask for the 'Answer:' line"]
    assert check_item(_item(2, lang="zh")) == ["the last message does not ask for the '答案：' line"]


@pytest.mark.parametrize(
    "grader",
    [{"type": "exact_number"}, {"type": "exact_number", "answer": "42"}, {"type": "exact_number", "answer": 1, "tolerance": -1},
     {"type": "exact_number", "answer": 1, "round": 2}],
    ids=["no answer", "answer as string", "negative tolerance", "extra field"],
)
def test_schema_rejects_malformed_graders(grader: dict[str, Any]) -> None:
    assert schemas.errors("evals/graders/exact_number.schema.json", grader)


def test_family_file_is_valid_against_the_items_schema() -> None:
    assert schemas.errors("evals/items.schema.json", FAMILY) == []


def test_items_are_many_unique_and_alternate_protocols() -> None:
    assert len({item["id"] for item in ITEMS}) == len(ITEMS) >= 45
    assert [item["protocols"] for item in ITEMS] == [[("openai", "anthropic")[i % 2]] for i in range(len(ITEMS))]
    assert all(96 <= item["max_tokens"] <= 200 for item in ITEMS)


def _answer_text(number: float, lang: str) -> str:
    return ("Answer: " if lang == "en" else "答案：") + repr(number)


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_item_takes_its_answer_and_refuses_the_next_number(item: dict[str, Any]) -> None:
    answer = item["grader"]["answer"]
    assert check_item(item) == []
    assert grade(item, Outcome(text=f"Some working.\nAnswer: {answer}")).passed
    assert grade(item, Outcome(text="步骤……\n" + _answer_text(answer, "zh"))).passed
    assert not grade(item, Outcome(text=f"Answer: {answer + 1}")).passed


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(node: ast.AST) -> Any:
    """An arithmetic expression's value, by its syntax tree (numbers and + - * / only)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError(f"unexpected {ast.dump(node)}")


@pytest.mark.parametrize("item", [i for i in ITEMS if i["stratum"] == "expression"], ids=lambda i: i["id"])
def test_expression_answers_are_the_expressions_values(item: dict[str, Any]) -> None:
    first_line = item["messages"][0]["content"].splitlines()[0]
    expression = re.sub(r"^(Compute|计算：)\s*|[.。]$", "", first_line).replace("×", "*").replace("÷", "/")
    assert _evaluate(ast.parse(expression, mode="eval").body) == item["grader"]["answer"]


def test_generator_rewrites_the_file_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "arithmetic.json"
    subprocess.run([sys.executable, str(ROOT / "evals/generate_arithmetic.py"), "--out", str(out)], check=True)
    assert out.read_bytes() == FAMILY_PATH.read_bytes()
