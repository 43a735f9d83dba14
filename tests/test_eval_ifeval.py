"""The ifeval grader: every constraint kind can pass and can fail, in English and Chinese, and
every instruction_following item accepts a hand-written ideal answer and rejects an empty one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import schemas
from conformance.evals.graders import grade as grade_any
from conformance.evals.graders.ifeval import CONSTRAINTS, check_item, grade
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
FAMILY = json.loads((ROOT / "evals/items/instruction_following.json").read_text(encoding="utf-8"))
IDEAL = json.loads((Path(__file__).parent / "data/ifeval_ideal_answers.json").read_text(encoding="utf-8"))["answers"]
ITEMS = FAMILY["items"]


def _item(*constraints: dict[str, Any], max_tokens: int = 200) -> dict[str, Any]:
    return {"id": "ifeval.test", "lang": "en", "max_tokens": max_tokens, "grader": {"type": "ifeval", "constraints": list(constraints)}}


def _score(text: str, *constraints: dict[str, Any]):
    return grade(_item(*constraints), Outcome(text=text))


# (constraint, an answer that meets it, an answer that does not)
CASES = [
    ({"kind": "word_count", "max": 5}, "One two three four five.", "One two three four five six."),
    ({"kind": "word_count", "min": 3}, "Don't stop now.", "Don't stop."),
    ({"kind": "word_count", "min": 1, "max": 1}, "yes.", "yes sir"),
    ({"kind": "word_count", "max": 10}, "长城是中国的古代工程。", "长城是中国古代修建的军事防御工程。"),
    ({"kind": "word_count", "min": 3}, "我用Python。", "用Python。"),
    ({"kind": "sentence_count", "min": 2, "max": 2}, "It rains. We stay in!", "It rains. We stay in. We read."),
    ({"kind": "sentence_count", "min": 3, "max": 3}, "下雨了。我们待在家里！你呢？", "下雨了，我们待在家里。"),
    ({"kind": "sentence_count", "min": 1, "max": 1}, "Pi is about 3.14 today.", "Pi is 3. Really."),
    ({"kind": "paragraph_count", "min": 2, "max": 2}, "First part.\n\nSecond part.", "First part.\nStill first."),
    ({"kind": "paragraph_count", "min": 3, "max": 3}, "一\n***\n二\n\n\n三", "一\n\n二"),
    ({"kind": "bullet_count", "min": 3, "max": 3}, "* a\n* b\n- c", "* a\n* b\n**not a bullet**"),
    ({"kind": "bullet_count", "min": 2, "max": 2}, "- 红色\n- 蓝色", "- 红色\n- 蓝色\n- 绿色"),
    ({"kind": "numbered_count", "min": 3, "max": 3}, "1. a\n2) b\n3、c", "1. a\n2. b\n1.5 is a number"),
    ({"kind": "highlight_count", "min": 2}, "Keep *this* and **that**.", "Keep *this* and 2 * 3 * 4."),
    ({"kind": "highlight_count", "min": 1}, "* 列表项\n*重点*", "* 列表项\n* 另一项"),
    ({"kind": "placeholder_count", "min": 2}, "Dear [name], see you at [place].", "Dear [name], see you at [ ]."),
    ({"kind": "placeholder_count", "min": 3}, "[姓名][日期][地点]", "[姓名][日期]"),
    ({"kind": "letter_frequency", "letter": "z", "min": 3}, "Zebras zigzag lazily.", "Zebras run."),
    ({"kind": "letter_frequency", "letter": "e", "max": 2}, "A big cat.", "The eel ate."),
    ({"kind": "include_keywords", "keywords": ["cat", "dog"]}, "A cat and a Dog.", "A category of dogs."),
    ({"kind": "include_keywords", "keywords": ["blue"], "min": 2}, "Blue sky, blue sea.", "Blue sky, bluest sea."),
    ({"kind": "include_keywords", "keywords": ["接口"], "min": 2}, "API是接口，也叫编程接口。", "API是接口。"),
    ({"kind": "include_keywords", "keywords": ["machine learning"]}, "Machine\nlearning helps.", "Machines learning."),
    ({"kind": "forbidden_words", "words": ["wheel"]}, "Wheels turn.", "The wheel turns."),
    ({"kind": "forbidden_words", "words": ["可爱"]}, "熊猫吃竹子。", "熊猫很可爱。"),
    ({"kind": "lowercase"}, "all lowercase, 中文也行.", "Not lowercase."),
    ({"kind": "lowercase"}, "yes", "123 456"),
    ({"kind": "uppercase"}, "JUPITER, 木星!", "Jupiter"),
    ({"kind": "uppercase"}, "HELLO", "你好"),
    ({"kind": "start_with", "phrase": "My answer is"}, '  "my answer is yes."', "I think my answer is yes."),
    ({"kind": "start_with", "phrase": "我的回答是"}, "我的回答是：蓝色。", "回答：蓝色。"),
    ({"kind": "end_with", "phrase": "Is there anything else I can help with?"}, "Tip. Is there anything else I can help with?\n", "Tip. Is there anything else I can help with? Bye."),
    ({"kind": "end_with", "phrase": "Goodbye"}, '"Hello. goodbye"', "Hello. Goodbye."),
    ({"kind": "end_with", "phrase": "祝阅读愉快！"}, "推荐《活着》。祝阅读愉快！", "推荐《活着》。祝阅读愉快"),
    ({"kind": "quoted"}, ' "Tokyo." ', '"Tokyo."!'),
    ({"kind": "quoted"}, "“北京。”", "北京。"),
    ({"kind": "json"}, '{"a": [1, 2]}', '{"a": [1, 2]'),
    ({"kind": "json"}, '```json\n["spring", "winter"]\n```', "Here it is: [1]"),
    ({"kind": "json"}, "```\n{}\n```", "42"),
    ({"kind": "title"}, "<<Soft Rain>>\nIt rains.", "<Soft Rain>\nIt rains."),
    ({"kind": "title"}, "<<月光>>\n月亮。", "<< >>\n月亮。"),
    ({"kind": "no_comma"}, "No commas here.", "One, two."),
    ({"kind": "no_comma"}, "红、黄、蓝都是颜色。", "红色，黄色。"),
    ({"kind": "postscript", "marker": "P.S."}, "Hi.\n\np. s. see you", "Hi. P.S. inline is not a postscript line"),
    ({"kind": "postscript", "marker": "P.S."}, "你好。\n**P.S.** 周末见。", "你好。\n附言：周末见。"),
    ({"kind": "language", "lang": "zh"}, "Python 的 list 和 tuple 都是序列，list 可变。", "The word 你好 means hello."),
    ({"kind": "language", "lang": "en"}, "The word 你好 means hello.", "我最喜欢秋天。"),
    ({"kind": "language", "lang": "en"}, "Hi", "123 ..."),
]


def _case_id(case: tuple[dict[str, Any], str, str]) -> str:
    return "-".join(str(v) for v in case[0].values())


@pytest.mark.parametrize(("constraint", "good", "bad"), CASES, ids=map(_case_id, CASES))
def test_constraint_accepts_a_following_answer(constraint: dict[str, Any], good: str, bad: str) -> None:
    score = _score(good, constraint)
    assert score.passed, score.detail


@pytest.mark.parametrize(("constraint", "good", "bad"), CASES, ids=map(_case_id, CASES))
def test_constraint_rejects_a_breaking_answer_and_names_itself(constraint: dict[str, Any], good: str, bad: str) -> None:
    score = _score(bad, constraint)
    assert not score.passed and score.score == 0.0
    assert f"failed {constraint['kind']}: " in score.detail


def test_every_constraint_kind_has_cases_and_a_schema_definition() -> None:
    schema = schemas.load("evals/graders/ifeval.schema.json")
    in_schema = {ref["$ref"].rsplit("/", 1)[1] for ref in schema["$defs"]["constraint"]["oneOf"]}
    assert {case[0]["kind"] for case in CASES} == set(CONSTRAINTS) == in_schema


def test_score_is_the_fraction_met_and_detail_names_each_failure() -> None:
    score = _score("Hello, World", {"kind": "lowercase"}, {"kind": "no_comma"}, {"kind": "word_count", "max": 5})
    assert (score.score, score.passed) == (pytest.approx(1 / 3), False)
    assert score.detail == "1/3 constraints met; failed lowercase: has capital letters; no_comma: has 1 commas"


def test_counts_report_what_was_found_and_wanted() -> None:
    score = _score("a b c", {"kind": "word_count", "min": 4, "max": 6})
    assert "found 3 words, want 4 to 6" in score.detail


def test_title_line_is_neither_paragraph_nor_sentence() -> None:
    text = "<<The Key>>\n\nShe lost it.\n\n# Later\nShe found it."
    assert _score(text, {"kind": "paragraph_count", "min": 2, "max": 2}, {"kind": "sentence_count", "min": 2, "max": 2}).passed


def test_graders_registry_dispatches_ifeval() -> None:
    assert grade_any(_item({"kind": "uppercase"}), Outcome(text="OK")).passed


@pytest.mark.parametrize(
    ("constraints", "problem"),
    [
        ([{"kind": "word_count", "min": 9, "max": 3}], "word_count: min 9 > max 3"),
        ([{"kind": "lowercase"}, {"kind": "uppercase"}], "lowercase and uppercase contradict each other"),
        ([{"kind": "json"}, {"kind": "quoted"}], "json and quoted contradict each other"),
        ([{"kind": "include_keywords", "keywords": ["Door"]}, {"kind": "forbidden_words", "words": ["door"]}], "'Door' is both required and forbidden"),
        ([{"kind": "end_with", "phrase": "yes, done"}, {"kind": "no_comma"}], "'yes, done' has a comma but commas are forbidden"),
        ([{"kind": "word_count", "min": 500}], "word_count min 500 is more than max_tokens 200 can hold"),
        ([{"kind": "title"}, {"kind": "title"}], "constraint {'kind': 'title'} appears twice"),
    ],
)
def test_check_item_finds_contradictions(constraints: list[dict[str, Any]], problem: str) -> None:
    assert problem in check_item(_item(*constraints))


@pytest.mark.parametrize(
    "grader",
    [
        {"type": "ifeval", "constraints": []},
        {"type": "ifeval", "constraints": [{"kind": "word_count"}]},
        {"type": "ifeval", "constraints": [{"kind": "shout"}]},
        {"type": "ifeval", "constraints": [{"kind": "title", "min": 1}]},
        {"type": "ifeval", "constraints": [{"kind": "letter_frequency", "letter": "ab", "min": 1}]},
        {"type": "ifeval", "constraints": [{"kind": "language", "lang": "fr"}]},
    ],
    ids=["no constraints", "count without bounds", "unknown kind", "extra field", "two letters", "unknown language"],
)
def test_schema_rejects_malformed_constraints(grader: dict[str, Any]) -> None:
    assert schemas.errors("evals/graders/ifeval.schema.json", grader)


def test_family_file_is_valid_against_the_items_schema() -> None:
    assert schemas.errors("evals/items.schema.json", FAMILY) == []


def test_items_have_unique_ids_and_alternate_protocols() -> None:
    assert len({item["id"] for item in ITEMS}) == len(ITEMS) >= 70
    assert [item["protocols"] for item in ITEMS] == [[("openai", "anthropic")[i % 2]] for i in range(len(ITEMS))]


def test_items_are_half_english_half_chinese() -> None:
    langs = [item["lang"] for item in ITEMS]
    assert langs.count("en") == langs.count("zh")


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_item_accepts_its_ideal_answer_and_rejects_the_empty_one(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    ideal = grade(item, Outcome(text=IDEAL[item["id"]]))
    assert ideal.passed, ideal.detail
    assert not grade(item, Outcome(text="")).passed


def test_every_ideal_answer_belongs_to_an_item() -> None:
    assert set(IDEAL) == {item["id"] for item in ITEMS}
