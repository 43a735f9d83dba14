"""The final_state grader: each matching rule passes a right state and fails a wrong one, the score
counts leaves and pointers, and check_item catches items that cannot mean what they say."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.evals import simulators
from conformance.evals.graders import grade as grade_any
from conformance.evals.graders.final_state import MISSING, check_item, grade, resolve
from conformance.evals.outcome import Outcome

INITIAL = {"notes": {"a": "one", "b/c": "two", "list": ["x", "y"]}, "count": 1, "flag": False, "cart": {"SKU-1": 2}}


def _item(expected: dict[str, Any], unchanged: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"id": "mt.test", "simulator": {"name": "notes", "state": INITIAL},
            "grader": {"type": "final_state", "expected": expected, "unchanged": list(unchanged)}}


def _state(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(INITIAL), **changes}


def _score(item: dict[str, Any], state: Any):
    return grade(item, Outcome(text="", state=state))


# (rule, expected, a final state that meets it, one that does not, words the failure names)
RULES = [
    ("object keys not named are free", {"notes": {"a": "new"}}, _state(notes={"a": "new", "z": "extra"}), _state(), "/notes/a: expected 'new'"),
    ("a named key must exist", {"notes": {"d": "four"}}, _state(notes={"d": "four"}), _state(), "/notes/d: expected 'four', got nothing"),
    ("strings strip and case-fold", {"notes": {"a": "One"}}, _state(notes={"a": " ONE "}), _state(notes={"a": "one!"}), "got 'one!'"),
    ("numbers by value", {"count": 2}, _state(count=2.0), _state(count=3), "/count: expected 2, got 3"),
    ("booleans only with booleans", {"count": 1}, _state(count=1), _state(count=True), "got True"),
    ("false is not zero", {"flag": False}, _state(flag=False), _state(flag=0), "/flag: expected False, got 0"),
    ("null means absent", {"notes": {"a": None}}, _state(notes={"b/c": "two"}), _state(), "/notes/a: expected absent"),
    ("empty object only matches empty", {"cart": {}}, _state(cart={}), _state(), "/cart: expected {}"),
    ("arrays element by element", {"notes": {"list": ["X", "y"]}}, _state(notes={"list": ["x", "y"]}), _state(notes={"list": ["y", "x"]}),
     "/notes/list/0: expected 'X', got 'y'"),
    ("arrays of the same length", {"notes": {"list": ["x", "y"]}}, _state(), _state(notes={"list": ["x", "y", "z"]}),
     "/notes/list: expected an array of 2"),
    ("objects where objects are expected", {"cart": {"SKU-1": 2}}, _state(), _state(cart=["SKU-1"]), "/cart: expected an object"),
    ("keys escape in pointers", {"notes": {"b/c": "three"}}, _state(notes={"b/c": "three"}), _state(), "/notes/b~1c: expected 'three'"),
]


@pytest.mark.parametrize(("rule", "expected", "good", "bad", "words"), RULES, ids=[r[0] for r in RULES])
def test_rule_passes_a_right_state_and_fails_a_wrong_one(rule: str, expected: dict[str, Any], good: Any, bad: Any, words: str) -> None:
    passed, failed = _score(_item(expected), good), _score(_item(expected), bad)
    assert (passed.score, passed.passed) == (1.0, True), passed.detail
    assert not failed.passed and failed.score < 1.0 and words in failed.detail, failed.detail


def test_unchanged_pointer_must_keep_the_initial_value() -> None:
    item = _item({"count": 2}, unchanged=("/notes/a", "/notes/missing"))
    assert _score(item, _state(count=2)).passed
    score = _score(item, _state(count=2, notes={"a": "ONE"}))  # exact: no case folding for unchanged parts
    assert (score.score, score.passed) == (2 / 3, False)
    assert "/notes/a: changed from 'one' to 'ONE'" in score.detail
    score = _score(item, _state(count=2, notes={"a": "one", "missing": "now here"}))
    assert not score.passed and "changed from nothing to 'now here'" in score.detail


def test_score_is_the_fraction_of_leaves_and_pointers_that_hold() -> None:
    item = _item({"count": 2, "flag": True, "notes": {"a": "one", "list": ["x", "y"]}}, unchanged=("/cart",))
    score = _score(item, _state(count=2, cart={}))  # count, a, x, y hold; flag and /cart do not
    assert (score.score, score.passed) == (4 / 6, False)
    assert score.detail.startswith("2 of 6 failed; first: /flag")
    score = _score(item, _state(notes={"a": "one", "list": ["x"]}, count=2, flag=True))  # a short array fails both its leaves
    assert (score.score, score.detail) == (4 / 6, "2 of 6 failed; first: /notes/list: expected an array of 2, got ['x']")


def test_no_final_state_scores_zero() -> None:
    score = _score(_item({"count": 2}), None)
    assert (score.score, score.passed) == (0.0, False) and "no final state" in score.detail


def test_grader_is_registered_under_its_type() -> None:
    assert grade_any(_item({"count": 2}), Outcome(text="", state=_state(count=2))).passed


def test_resolve_follows_rfc_6901() -> None:
    assert resolve(INITIAL, "/notes/b~1c") == "two"
    assert resolve(INITIAL, "/notes/list/1") == "y"
    assert resolve(INITIAL, "") is INITIAL
    assert resolve(INITIAL, "/notes/list/2") is MISSING and resolve(INITIAL, "/notes/list/²") is MISSING
    assert resolve(INITIAL, "/count/x") is MISSING


def _notes_item(**grader: Any) -> dict[str, Any]:
    state = {"notes": {"a": "one", "b": "two"}}
    return {"id": "mt.test", "tools": simulators.tools("notes"), "simulator": {"name": "notes", "state": state},
            "grader": {"type": "final_state", **grader}}


# (what is wrong, the item, words the problem names)
BAD_ITEMS = [
    ("tools not the simulator's", {**_notes_item(expected={"notes": {"a": "two"}}), "tools": simulators.tools("todo")}, "tools differ"),
    ("expected part not in the state", _notes_item(expected={"todos": {"a": "two"}}), "expected names 'todos'"),
    ("unchanged pointer not in the state", _notes_item(expected={"notes": {"a": "two"}}, unchanged=["/notes/c"]), "unchanged /notes/c"),
    ("nothing to do", _notes_item(expected={"notes": {"a": "ONE"}}), "already passes"),
    ("unchanged overlaps expected", _notes_item(expected={"notes": {"a": "two"}}, unchanged=["/notes"]), "overlaps expected /notes/a"),
]


@pytest.mark.parametrize(("wrong", "item", "words"), BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_check_item_names_the_problem(wrong: str, item: dict[str, Any], words: str) -> None:
    problems = check_item(item)
    assert len(problems) == 1 and words in problems[0], problems


def test_check_item_accepts_a_sound_item() -> None:
    assert check_item(_notes_item(expected={"notes": {"a": "two"}}, unchanged=["/notes/b"])) == []
