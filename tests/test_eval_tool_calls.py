"""The tool_calls grader: each BFCL-style rule passes a right call and fails a wrong one, and every
function_calling item accepts its own expected calls and rejects a wrong first turn."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.evals.graders import grade as grade_any
from conformance.evals.graders.tool_calls import check_item, grade
from conformance.evals.outcome import Outcome, ToolCallOut

ROOT = Path(__file__).resolve().parent.parent
ITEMS = json.loads((ROOT / "evals/items/function_calling.json").read_text(encoding="utf-8"))["items"]

WEATHER = {"name": "get_weather", "description": "Weather in a city.", "parameters": {
    "type": "object", "required": ["city"],
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                   "days": {"type": "integer"}, "lat": {"type": "number"}, "alerts": {"type": "boolean"},
                   "tags": {"type": "array", "items": {"type": "string"}}}}}
STOCK = {"name": "get_stock_price", "description": "A stock price.", "parameters": {
    "type": "object", "required": ["symbol"], "properties": {"symbol": {"type": "string"}}}}


def _item(*expected: dict[str, Any], tools: tuple[dict[str, Any], ...] = (WEATHER, STOCK), stratum: str = "simple") -> dict[str, Any]:
    return {"id": "fc.test", "stratum": stratum, "tools": list(tools), "grader": {"type": "tool_calls", "expected": list(expected)}}


def _call(name: str | None, arguments: Any) -> ToolCallOut:
    return ToolCallOut(name, arguments, json.dumps(arguments))


def _score(item: dict[str, Any], *calls: ToolCallOut):
    return grade(item, Outcome(text="", tool_calls=calls))


PARIS = {"name": "get_weather", "arguments": {"city": ["Paris", "Paris, France"], "unit": ["celsius", None]}}

# (rule, expected call, a call that meets it, a call that breaks it, words the failure's detail names)
RULES = [
    ("name", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_stock_price", {"city": "Paris"}), "called 'get_stock_price'"),
    ("arguments parse", PARIS, _call("get_weather", {"city": "Paris"}), ToolCallOut("get_weather", None, '{"city": "Par'), "not JSON"),
    ("arguments are an object", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_weather", ["Paris"]), "expected an object"),
    ("required present", PARIS, _call("get_weather", {"city": "Paris", "unit": "celsius"}), _call("get_weather", {"unit": "celsius"}),
     "city: missing"),
    ("no unknown argument", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": "Paris", "country": "FR"}),
     "country: not a declared property"),
    ("no argument the call should not set", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": "Paris", "days": 2}),
     "days: sent, but"),
    ("string where string", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": 75}), "expected string"),
    ("enum spelled exactly", PARIS, _call("get_weather", {"city": "Paris", "unit": "celsius"}),
     _call("get_weather", {"city": "Paris", "unit": "Celsius"}), "is not one of"),
    ("strings strip and case-fold", PARIS, _call("get_weather", {"city": "  PARIS, france "}), _call("get_weather", {"city": "Lyon"}),
     "expected one of"),
    ("optional may be absent", PARIS, _call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": "Paris", "unit": "fahrenheit"}),
     "unit: got 'fahrenheit'"),
    ("null counts as absent", PARIS, _call("get_weather", {"city": "Paris", "unit": None}), _call("get_weather", {"city": None}),
     "city: missing"),
    ("listed without null is required", {"name": "get_weather", "arguments": {"city": ["Paris"], "days": [3]}},
     _call("get_weather", {"city": "Paris", "days": 3}), _call("get_weather", {"city": "Paris"}), "days: missing"),
    ("integer where number", {"name": "get_weather", "arguments": {"city": ["Oslo"], "lat": [60]}},
     _call("get_weather", {"city": "Oslo", "lat": 60}), _call("get_weather", {"city": "Oslo", "lat": "60"}), "expected number"),
    ("float never where integer", {"name": "get_weather", "arguments": {"city": ["Oslo"], "days": [3]}},
     _call("get_weather", {"city": "Oslo", "days": 3}), _call("get_weather", {"city": "Oslo", "days": 3.0}), "expected integer"),
    ("boolean is no integer", {"name": "get_weather", "arguments": {"city": ["Oslo"], "days": [1]}},
     _call("get_weather", {"city": "Oslo", "days": 1}), _call("get_weather", {"city": "Oslo", "days": True}), "expected integer"),
    ("number equals by value", {"name": "get_weather", "arguments": {"city": ["Oslo"], "lat": [60]}},
     _call("get_weather", {"city": "Oslo", "lat": 60.0}), _call("get_weather", {"city": "Oslo", "lat": 60.5}), "lat: got 60.5"),
    ("boolean by value", {"name": "get_weather", "arguments": {"city": ["Oslo"], "alerts": [False]}},
     _call("get_weather", {"city": "Oslo", "alerts": False}), _call("get_weather", {"city": "Oslo", "alerts": True}), "alerts: got True"),
    ("array items typed", {"name": "get_weather", "arguments": {"city": ["Oslo"], "tags": [["a", "b"]]}},
     _call("get_weather", {"city": "Oslo", "tags": ["a", "b"]}), _call("get_weather", {"city": "Oslo", "tags": ["a", 2]}),
     "tags[1]: expected string"),
    ("arrays in order", {"name": "get_weather", "arguments": {"city": ["Oslo"], "tags": [["a", "b"]]}},
     _call("get_weather", {"city": "Oslo", "tags": ["A ", "b"]}), _call("get_weather", {"city": "Oslo", "tags": ["b", "a"]}),
     "tags: got ['b', 'a']"),
]


@pytest.mark.parametrize(("rule", "expected", "good", "bad", "words"), RULES, ids=[r[0] for r in RULES])
def test_rule_passes_a_right_call_and_fails_a_wrong_one(rule: str, expected: dict[str, Any], good: ToolCallOut, bad: ToolCallOut, words: str) -> None:
    passed, failed = _score(_item(expected), good), _score(_item(expected), bad)
    assert (passed.score, passed.passed) == (1.0, True), passed.detail
    assert (failed.score, failed.passed) == (0.0, False)
    assert words in failed.detail


def test_parallel_calls_match_in_any_order() -> None:
    item = _item({"name": "get_weather", "arguments": {"city": ["Oslo"]}}, {"name": "get_stock_price", "arguments": {"symbol": ["AAPL"]}},
                 stratum="parallel")
    calls = (_call("get_stock_price", {"symbol": "aapl"}), _call("get_weather", {"city": "Oslo"}))
    assert _score(item, *calls).passed
    assert _score(item, *reversed(calls)).passed


def test_parallel_calls_must_match_one_to_one() -> None:
    oslo, rome_or_oslo = ({"name": "get_weather", "arguments": {"city": c}} for c in (["Oslo"], ["Rome", "Oslo"]))
    item = _item(oslo, oslo, rome_or_oslo)
    assert _score(item, *(_call("get_weather", {"city": c}) for c in ("Oslo", "Rome", "Oslo"))).passed
    score = _score(item, *(_call("get_weather", {"city": c}) for c in ("Oslo", "Rome", "Rome")))
    assert not score.passed and "no one-to-one assignment" in score.detail


def test_parallel_mismatch_names_the_unmatched_expected_call() -> None:
    item = _item({"name": "get_weather", "arguments": {"city": ["Oslo"]}}, {"name": "get_weather", "arguments": {"city": ["Rome"]}})
    score = _score(item, _call("get_weather", {"city": "Oslo"}), _call("get_weather", {"city": "Milan"}))
    assert not score.passed and score.detail.startswith("expected call 2 matches no call; against call 2") and "'Milan'" in score.detail


def test_parallel_mismatch_names_a_call_nothing_expects() -> None:
    item = _item({"name": "get_weather", "arguments": {"city": ["Oslo"]}}, {"name": "get_weather", "arguments": {"city": ["Oslo", "Rome"]}})
    score = _score(item, _call("get_weather", {"city": "Oslo"}), _call("get_stock_price", {"symbol": "AAPL"}))
    assert not score.passed and score.detail == "call 2 (get_stock_price) matches no expected call"


def test_call_count_must_be_exact() -> None:
    item = _item(PARIS)
    assert _score(item, _call("get_weather", {"city": "Paris"})).passed
    score = _score(item, _call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": "Paris"}))
    assert not score.passed and score.detail == "expected 1 tool call(s), got 2"
    assert _score(item).detail == "expected 1 tool call(s), got 0"


def test_irrelevance_passes_without_a_call_and_fails_with_one() -> None:
    item = _item(stratum="irrelevance")
    assert _score(item) == _score(item)  # pure
    assert _score(item).passed and _score(item).detail == "no tool call, as expected"
    score = _score(item, _call("get_weather", {"city": "Paris"}))
    assert (score.score, score.passed, score.detail) == (0.0, False, "expected no tool call, got 'get_weather'")


def test_grader_is_registered_under_its_type() -> None:
    assert grade_any(_item(PARIS), Outcome(text="", tool_calls=(_call("get_weather", {"city": "Paris"}),))).passed


# (what is wrong with the item, the item, words the problem names)
BAD_ITEMS = [
    ("expected tool not offered", _item({"name": "send_email", "arguments": {}}), "not among the item's tools"),
    ("required may be absent", _item({"name": "get_weather", "arguments": {"city": ["Paris", None]}}), "required 'city' is not always set"),
    ("required not listed", _item({"name": "get_weather", "arguments": {}}), "required 'city' is not always set"),
    ("unknown parameter", _item({"name": "get_weather", "arguments": {"city": ["Paris"], "zip": ["75001"]}}), "'zip' is not a parameter"),
    ("value breaks the schema", _item({"name": "get_weather", "arguments": {"city": ["Paris"], "unit": ["kelvin"]}}), "is not one of"),
    ("stratum's call count", _item(PARIS, stratum="irrelevance"), "1 calls expected"),
    ("stratum's tool count", _item(PARIS, tools=(WEATHER,), stratum="multiple"), "1 tools offered"),
    ("tool offered twice", _item(PARIS, tools=(WEATHER, WEATHER)), "offered twice"),
    ("required not a property", _item(tools=({**STOCK, "parameters": {**STOCK["parameters"], "required": ["ticker"]}},), stratum="irrelevance"),
     "required 'ticker' is not a property"),
]


@pytest.mark.parametrize(("wrong", "item", "words"), BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_check_item_names_the_problem(wrong: str, item: dict[str, Any], words: str) -> None:
    assert any(words in problem for problem in check_item(item)), check_item(item)


def test_check_item_accepts_a_sound_item() -> None:
    assert check_item(_item(PARIS, tools=(WEATHER,))) == []


def _first_acceptable(expected: dict[str, Any]) -> ToolCallOut:
    arguments = {k: next(v for v in values if v is not None) for k, values in expected["arguments"].items() if values != [None]}
    return _call(expected["name"], arguments)


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_is_sound_and_accepts_its_expected_calls(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    calls = tuple(_first_acceptable(e) for e in reversed(item["grader"]["expected"]))
    assert _score(item, *calls).passed


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_rejects_a_wrong_first_turn(item: dict[str, Any]) -> None:
    expected = item["grader"]["expected"]
    wrong = (_call(item["tools"][0]["name"], {}),) if not expected else tuple(_first_acceptable(e) for e in expected[1:])
    assert not _score(item, *wrong).passed


def test_items_cover_the_strata_in_both_languages() -> None:
    counts = {(s, lang): sum(i["stratum"] == s and i["lang"] == lang for i in ITEMS)
              for s in ("simple", "multiple", "parallel", "irrelevance") for lang in ("en", "zh")}
    assert len(ITEMS) >= 60 and min(counts.values()) >= 5
    assert 0.25 <= sum(i["lang"] == "zh" for i in ITEMS) / len(ITEMS) <= 0.45
    assert all(i["protocols"] == ["openai", "anthropic"] and "tool_choice" not in i for i in ITEMS)


def test_generator_reproduces_the_file() -> None:
    spec = importlib.util.spec_from_file_location("generate_function_calling", ROOT / "evals/generate_function_calling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.text() == (ROOT / "evals/items/function_calling.json").read_text(encoding="utf-8")
