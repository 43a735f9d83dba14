"""The json_object grader: bare JSON objects only, schema and values each worth a third, and every
json_mode item accepts its expected values put together into an object."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance import schemas
from conformance.evals.graders.json_object import assembled, check_item, grade, parse, validator
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
FAMILY = json.loads((ROOT / "evals/items/json_mode.json").read_text(encoding="utf-8"))
ITEMS = FAMILY["items"]
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "born": {"type": "string", "format": "date"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
# Required keys the expected values leave out (their value is not pinned down by the text).
COMPLETIONS = {
    "json.en.contact": {"phone": "+44 20 7946 0321"},
    "json.en.shipping_address": {"/address/street": "12 Linden Street"},
    "json.en.event": {"event": "robotics fair"},
    "json.zh.train": {"from": "北京南", "to": "上海虹桥"},
    "json.zh.team": {"team": "北斗小组"},
}


def _item(expected: dict[str, Any], schema: dict[str, Any] = PERSON, normalize: bool | None = None, prompt: str | None = None) -> dict[str, Any]:
    grader = {"type": "json_object", "schema": schema, "expected": expected} | ({"normalize": normalize} if normalize is not None else {})
    content = prompt if prompt is not None else f"Return a JSON object with keys name and age. {json.dumps(schema)}"
    return {"id": "json.test", "messages": [{"role": "user", "content": content}], "grader": grader}


def _grade(text: str, expected: dict[str, Any], **options: Any):
    return grade(_item(expected, **options), Outcome(text=text))


@pytest.mark.parametrize("text", ['{"a": 1}', '\n  {"a": 1}\n', "{}"])
def test_parse_accepts_a_bare_object(text: str) -> None:
    assert isinstance(parse(text), dict)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('```json\n{"a": 1}\n```', "not JSON"),
        ('Here you go: {"a": 1}', "not JSON"),
        ('{"a": 1} Hope that helps!', "not JSON"),
        ('{"a": NaN}', "NaN is not JSON"),
        ("[1, 2]", "a JSON list, not an object"),
        ('"text"', "a JSON str, not an object"),
        ("", "not JSON"),
    ],
    ids=["fenced", "prefixed", "suffixed", "nan", "array", "string", "empty"],
)
def test_parse_rejects_anything_but_one_bare_object(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse(text)


def test_answer_that_parses_fits_and_matches_passes() -> None:
    score = _grade('{"name": "Ann", "age": 30}', {"name": "Ann", "age": 30})
    assert (score.score, score.passed, score.detail) == (1.0, True, "parses, fits the schema, values match")


def test_unparsable_answer_scores_zero() -> None:
    score = _grade('```json\n{"name": "Ann", "age": 30}\n```', {"name": "Ann"})
    assert (score.score, score.passed) == (0.0, False) and score.detail.startswith("not JSON")


def test_schema_violation_costs_a_third_and_is_located() -> None:
    score = _grade('{"name": "Ann", "age": "30"}', {"name": "Ann"})
    assert (score.score, score.passed) == (pytest.approx(2 / 3), False)
    assert score.detail == "schema: $.age: '30' is not of type 'integer'"


def test_extra_key_breaks_a_closed_schema() -> None:
    assert "schema: $: Additional properties" in _grade('{"name": "Ann", "age": 30, "x": 1}', {"name": "Ann"}).detail


def test_format_is_checked() -> None:
    assert not _grade('{"name": "Ann", "age": 30, "born": "2025-13-40"}', {"name": "Ann"}).passed
    assert _grade('{"name": "Ann", "age": 30, "born": "2025-03-14"}', {"name": "Ann"}).passed


def test_wrong_and_missing_values_cost_a_third_and_are_named() -> None:
    score = _grade('{"name": "Bob", "age": 30}', {"name": "Ann", "/born": "2000-01-01"})
    assert (score.score, score.passed) == (pytest.approx(2 / 3), False)
    assert score.detail == 'values: name = "Bob", want "Ann"; /born missing'


def test_schema_and_values_both_wrong_leave_a_third() -> None:
    assert _grade('{"name": "Bob"}', {"name": "Ann"}).score == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("document", "expected", "normalize", "passes"),
    [
        ({"n": 1.0}, {"n": 1}, False, True),
        ({"n": True}, {"n": 1}, False, False),
        ({"n": 1}, {"n": True}, False, False),
        ({"n": None}, {"n": None}, False, True),
        ({"s": "Paris"}, {"s": "paris"}, False, False),
        ({"s": "  PARIS \n"}, {"s": "paris"}, True, True),
        ({"s": "ＡＢＣ  d"}, {"s": "abc d"}, True, True),
        ({"s": "北京"}, {"s": "北京市"}, True, False),
        ({"l": ["a", "b"]}, {"l": ["a", "b"]}, False, True),
        ({"l": ["b", "a"]}, {"l": ["a", "b"]}, False, False),
        ({"l": ["A", "b"]}, {"l": ["a", "B"]}, True, True),
        ({"o": {"x": 1, "y": 2}}, {"o": {"x": 1}}, False, False),
        ({"a": {"b": [{"c": "x"}]}}, {"/a/b/0/c": "x"}, False, True),
        ({"a": {"b": []}}, {"/a/b/0/c": "x"}, False, False),
        ({"a/b": {"m~n": 2}}, {"/a~1b/m~0n": 2}, False, True),
        ({"/x": 1}, {"/x": 1}, False, False),
    ],
    ids=["int equals float", "bool is not int", "int is not bool", "null", "case counts", "normalized case and space",
         "normalized full-width", "normalize keeps characters", "array in order", "array out of order", "array normalized",
         "object exact keys", "pointer into array", "pointer past array end", "pointer escapes", "slash starts a pointer"],
)
def test_values_compare_as_json(document: dict[str, Any], expected: dict[str, Any], normalize: bool, passes: bool) -> None:
    schema = {"type": "object"}
    assert _grade(json.dumps(document), expected, schema=schema, normalize=normalize).passed is passes


def test_validator_is_built_once_per_distinct_schema() -> None:
    assert validator(PERSON) is validator(copy.deepcopy(PERSON))
    assert validator(PERSON) is not validator({**PERSON, "required": ["name"]})


def test_assembled_puts_pointers_into_objects_and_arrays() -> None:
    expected = {"a": 1, "/b/c": 2, "/d/0": "x", "/d/1": "y", "/e/0/f": 3}
    assert assembled(expected) == {"a": 1, "b": {"c": 2}, "d": ["x", "y"], "e": [{"f": 3}]}


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (_item({"age": "thirty"}), "expected value breaks the schema at $.age: 'thirty' is not of type 'integer'"),
        (_item({"nick": "A"}), "expected value breaks the schema at $: Additional properties are not allowed ('nick' was unexpected)"),
        (_item({"name": "Ann"}, prompt="Give name and age as an object."), "the messages never mention JSON"),
        (_item({"name": "Ann"}, prompt="Return JSON with the name."), "the prompt never names required key 'age'"),
        (_item({"name": "Ann"}, schema={"type": "object", "required": 3}), "schema is not valid Draft 2020-12: 3 is not of type 'array'"),
    ],
    ids=["wrong type", "key outside the schema", "no JSON in messages", "required key unnamed", "invalid schema"],
)
def test_check_item_finds_inconsistent_items(item: dict[str, Any], problem: str) -> None:
    assert problem in check_item(item)


def test_check_item_accepts_expected_values_that_name_only_some_required_keys() -> None:
    assert check_item(_item({"name": "Ann"})) == []


@pytest.mark.parametrize(
    "grader",
    [
        {"type": "json_object", "schema": {"type": "object"}},
        {"type": "json_object", "schema": {"type": "object"}, "expected": {}},
        {"type": "json_object", "schema": {"type": "array"}, "expected": {"a": 1}},
        {"type": "json_object", "schema": {"type": "object"}, "expected": {"a": 1}, "normalize": "yes"},
        {"type": "json_object", "schema": {"type": "object"}, "expected": {"a": 1}, "strict": True},
    ],
    ids=["no expected", "empty expected", "schema not for an object", "normalize not boolean", "extra field"],
)
def test_schema_rejects_malformed_graders(grader: dict[str, Any]) -> None:
    assert schemas.errors("evals/graders/json_object.schema.json", grader)


def test_family_file_is_valid_against_the_items_schema() -> None:
    assert schemas.errors("evals/items.schema.json", FAMILY) == []


def test_items_are_json_mode_requests_over_openai() -> None:
    assert len({item["id"] for item in ITEMS}) == len(ITEMS) >= 30
    assert {item["lang"] for item in ITEMS} == {"en", "zh"}
    for item in ITEMS:
        assert (item["protocols"], item["requires"], item["response_format"]) == (["openai"], ["json_object"], "json_object")
        assert item["max_tokens"] <= 200


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_item_accepts_its_expected_values_as_an_object(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    ideal = assembled(item["grader"]["expected"] | COMPLETIONS.get(item["id"], {}))
    score = grade(item, Outcome(text=json.dumps(ideal, ensure_ascii=False, indent=2)))
    assert score.passed, score.detail


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_item_refuses_a_fenced_answer(item: dict[str, Any]) -> None:
    ideal = assembled(item["grader"]["expected"] | COMPLETIONS.get(item["id"], {}))
    assert not grade(item, Outcome(text=f"```json\n{json.dumps(ideal)}\n```")).passed
