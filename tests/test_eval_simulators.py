"""Tool simulators: every tool works, a bad call never raises and changes nothing, runs repeat
exactly, and every multi_turn_tools item is solved by its scripted calls and failed without them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from conformance import schemas
from conformance.evals import simulators
from conformance.evals.graders.final_state import check_item, grade
from conformance.evals.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
ITEMS = json.loads((ROOT / "evals/items/multi_turn_tools.json").read_text(encoding="utf-8"))["items"]


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_multi_turn", ROOT / "evals/generate_multi_turn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
STATES = {name: GENERATOR.TASKS[name][0].state for name in simulators.SIMULATORS}


def _sim(name: str, **changes: Any) -> simulators.Simulator:
    return simulators.make({"name": name, "state": {**STATES[name], **changes}})


def _state_errors(name: str, state: dict[str, Any]) -> list[str]:
    return [str(e) for e in schemas.errors(f"evals/graders/final_state.schema.json#/$defs/{name}", state)]


# (simulator, tool, arguments, the result, or a subset of the state after the call)
WORKING_CALLS = [
    ("bank", "list_accounts", {"owner": "jonas"}, [
        {"account_id": "CHK-2001", "owner": "Jonas Berg", "kind": "checking", "balance": 310.5},
        {"account_id": "SAV-2002", "owner": "Jonas Berg", "kind": "savings", "balance": 1500.0}]),
    ("bank", "get_balance", {"account_id": "CHK-3001"}, {"account_id": "CHK-3001", "balance": 95.2}),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "CHK-3001", "amount": 0.8, "memo": "coffee"},
     {"ok": True, "from_balance": 2449.2}),
    ("todo", "list_tasks", {"include_done": False}, [
        {"task_id": 1, "title": "Renew passport", "done": False, "priority": "high"},
        {"task_id": 2, "title": "Book dentist appointment", "done": False, "priority": "normal"},
        {"task_id": 4, "title": "Pay electricity bill", "done": False, "priority": "normal"}]),
    ("todo", "add_task", {"title": " Feed the cat "}, {"task_id": 5}),
    ("todo", "complete_task", {"task_id": 1}, {"ok": True}),
    ("todo", "set_priority", {"task_id": 3, "priority": "high"}, {"ok": True}),
    ("todo", "delete_task", {"task_id": 4}, {"ok": True}),
    ("calendar", "list_rooms", {"min_capacity": 10}, [{"room": "Cedar", "capacity": 12, "floor": 2}, {"room": "Maple", "capacity": 20, "floor": 3}]),
    ("calendar", "find_free_rooms", {"date": "2026-03-10", "start": "10:00", "end": "14:30"}, [
        {"room": "Aspen", "capacity": 4, "floor": 1}, {"room": "Maple", "capacity": 20, "floor": 3}]),
    ("calendar", "list_bookings", {"date": "2026-03-11"}, [
        {"booking_id": "b3", "room": "Maple", "date": "2026-03-11", "start": "10:00", "end": "12:00", "title": "All hands", "attendees": 18}]),
    ("calendar", "book_room", {"room": "Birch", "date": "2026-03-10", "start": "10:30", "end": "11:00", "title": "Standup", "attendees": 8},
     {"booking_id": "b4"}),
    ("calendar", "cancel_booking", {"booking_id": "b2"}, {"ok": True}),
    ("shop", "search_products", {"query": "usb-c CABLE"}, [
        {"sku": "SKU-101", "name": "USB-C cable 1m", "price": 9.99, "stock": 25},
        {"sku": "SKU-102", "name": "USB-C cable 2m", "price": 7.99, "stock": 0}]),
    ("shop", "add_to_cart", {"sku": "SKU-104", "quantity": 3}, {"ok": True, "in_cart": 3}),
    ("shop", "remove_from_cart", {"sku": "SKU-101", "quantity": 1}, {"ok": True, "in_cart": 1}),
    ("shop", "view_cart", {}, {"items": [{"sku": "SKU-101", "name": "USB-C cable 1m", "quantity": 2}], "total": 19.98}),
    ("shop", "checkout", {}, {"order_id": "o1", "total": 19.98}),
    ("notes", "list_notes", {}, ["dentist", "door-code", "groceries", "wifi"]),
    ("notes", "get_note", {"key": "door-code"}, {"key": "door-code", "text": "4512"}),
    ("notes", "set_note", {"key": "bike", "text": "lock 0000"}, {"ok": True, "created": True}),
    ("notes", "delete_note", {"key": "wifi"}, {"ok": True}),
]
CART = {"SKU-101": 2}  # the shop's cart in the working calls, so that removing and checking out have something to do


def _working_sim(name: str) -> simulators.Simulator:
    return _sim(name, cart=dict(CART)) if name == "shop" else _sim(name)


@pytest.mark.parametrize(("name", "tool", "arguments", "result"), WORKING_CALLS, ids=[f"{c[0]}.{c[1]}" for c in WORKING_CALLS])
def test_tool_gives_its_result_and_keeps_the_state_valid(name: str, tool: str, arguments: dict[str, Any], result: Any) -> None:
    sim = _working_sim(name)
    assert sim.call(tool, arguments) == result
    assert _state_errors(name, sim.state()) == []


def test_every_tool_is_exercised() -> None:
    called = {(c[0], c[1]) for c in WORKING_CALLS}
    assert called == {(name, t["name"]) for name in simulators.SIMULATORS for t in simulators.tools(name)}


# (simulator, what changes in the state after the call that WORKING_CALLS makes)
EFFECTS = {
    ("bank", "transfer"): lambda s: (s["accounts"]["CHK-3001"]["balance"], s["transfers"]) == (96.0, [
        {"from": "CHK-1001", "to": "CHK-3001", "amount": 0.8, "memo": "coffee"}]),
    ("todo", "add_task"): lambda s: (s["tasks"]["5"], s["next_id"]) == ({"title": "Feed the cat", "done": False, "priority": "normal"}, 6),
    ("todo", "complete_task"): lambda s: s["tasks"]["1"]["done"] is True,
    ("todo", "set_priority"): lambda s: s["tasks"]["3"]["priority"] == "high",
    ("todo", "delete_task"): lambda s: "4" not in s["tasks"],
    ("calendar", "book_room"): lambda s: s["bookings"]["b4"]["room"] == "Birch" and s["next_id"] == 5,
    ("calendar", "cancel_booking"): lambda s: "b2" not in s["bookings"],
    ("shop", "add_to_cart"): lambda s: s["cart"] == {"SKU-101": 2, "SKU-104": 3},
    ("shop", "remove_from_cart"): lambda s: s["cart"] == {"SKU-101": 1},
    ("shop", "checkout"): lambda s: (s["cart"], s["orders"], s["products"]["SKU-101"]["stock"], s["next_order"]) == (
        {}, {"o1": {"items": {"SKU-101": 2}, "total": 19.98}}, 23, 2),
    ("notes", "set_note"): lambda s: s["notes"]["bike"] == "lock 0000",
    ("notes", "delete_note"): lambda s: "wifi" not in s["notes"],
}


@pytest.mark.parametrize(("name", "tool", "arguments", "result"), WORKING_CALLS, ids=[f"{c[0]}.{c[1]}" for c in WORKING_CALLS])
def test_tool_changes_the_state_only_when_it_acts(name: str, tool: str, arguments: dict[str, Any], result: Any) -> None:
    sim = _working_sim(name)
    before = sim.state()
    sim.call(tool, arguments)
    effect = EFFECTS.get((name, tool))
    assert effect(sim.state()) if effect else sim.state() == before


# (simulator, tool, arguments, words of the error): refused operations and bad arguments
REFUSED = [
    ("bank", "transfer", {"from_account": "CHK-3001", "to_account": "CHK-1001", "amount": 100}, "insufficient funds"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "CHK-1001", "amount": 5}, "same account"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "XYZ-0000", "amount": 5}, "no account 'XYZ-0000'"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "SAV-1002", "amount": -5}, "must be positive"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "SAV-1002", "amount": 1.005}, "at most 2 decimals"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "SAV-1002", "amount": float("nan")}, "expected number"),
    ("bank", "transfer", {"from_account": "CHK-1001", "to_account": "SAV-1002", "amount": "5"}, "expected number"),
    ("bank", "get_balance", {}, "account_id: missing"),
    ("bank", "get_balance", {"account_id": "CHK-1001", "pin": "0000"}, "pin: not a declared property"),
    ("todo", "add_task", {"title": "renew PASSPORT"}, "already used"),
    ("todo", "add_task", {"title": "  "}, "empty"),
    ("todo", "add_task", {"title": "X", "priority": "urgent"}, "is not one of"),
    ("todo", "complete_task", {"task_id": 3}, "already done"),
    ("todo", "complete_task", {"task_id": 99}, "no task 99"),
    ("todo", "delete_task", {"task_id": "2"}, "expected integer"),
    ("todo", "set_priority", {"task_id": 2.0, "priority": "low"}, "expected integer"),
    ("todo", "list_tasks", {"include_done": "no"}, "expected boolean"),
    ("calendar", "book_room", {"room": "Birch", "date": "2026-03-10", "start": "10:00", "end": "11:00", "title": "X", "attendees": 2},
     "already booked"),
    ("calendar", "book_room", {"room": "Aspen", "date": "2026-03-10", "start": "10:00", "end": "11:00", "title": "X", "attendees": 5},
     "seats 4, not 5"),
    ("calendar", "book_room", {"room": "Attic", "date": "2026-03-10", "start": "10:00", "end": "11:00", "title": "X", "attendees": 2},
     "no room 'Attic'"),
    ("calendar", "book_room", {"room": "Aspen", "date": "2026-02-30", "start": "10:00", "end": "11:00", "title": "X", "attendees": 2},
     "YYYY-MM-DD"),
    ("calendar", "find_free_rooms", {"date": "2026-03-10", "start": "11:00", "end": "10:00"}, "start before end"),
    ("calendar", "find_free_rooms", {"date": "2026-03-10", "start": "9:00", "end": "10:00"}, "HH:MM"),
    ("calendar", "cancel_booking", {"booking_id": "b9"}, "no booking 'b9'"),
    ("shop", "add_to_cart", {"sku": "SKU-102", "quantity": 1}, "0 in stock"),
    ("shop", "add_to_cart", {"sku": "SKU-101", "quantity": 0}, "cannot add 0"),
    ("shop", "add_to_cart", {"sku": "SKU-999", "quantity": 1}, "no product 'SKU-999'"),
    ("shop", "remove_from_cart", {"sku": "SKU-103"}, "not in the cart"),
    ("shop", "checkout", {}, "the cart is empty"),
    ("notes", "get_note", {"key": "WIFI"}, "no note 'WIFI'"),
    ("notes", "delete_note", {"key": "nothing"}, "no note 'nothing'"),
    ("notes", "set_note", {"key": " ", "text": "x"}, "the key is empty"),
    ("notes", "set_note", {"key": "a"}, "text: missing"),
]


@pytest.mark.parametrize(("name", "tool", "arguments", "words"), REFUSED, ids=[f"{r[0]}.{r[1]}.{r[3]}" for r in REFUSED])
def test_refused_call_returns_an_error_and_changes_nothing(name: str, tool: str, arguments: dict[str, Any], words: str) -> None:
    sim = _sim(name)
    before = sim.state()
    result = sim.call(tool, arguments)
    assert list(result) == ["error"] and words in result["error"]
    assert sim.state() == before


BAD_ARGUMENTS = [None, [], "{}", 3, {"": 1}, {"sku": None, "key": ["x"], "amount": {}, "task_id": True, "date": 20260310}]


@pytest.mark.parametrize("name", sorted(simulators.SIMULATORS))
def test_no_call_raises(name: str) -> None:
    sim = _sim(name)
    before = sim.state()
    tool_names = [t["name"] for t in simulators.tools(name)] + ["no_such_tool", "__init__", "state", "call"]
    for tool in tool_names:
        for arguments in BAD_ARGUMENTS:
            result = sim.call(tool, arguments)
            assert isinstance(result, dict) and "error" in result, (tool, arguments, result)
            json.dumps(result)
    assert sim.state() == before


def test_a_null_argument_counts_as_left_out() -> None:
    assert _sim("todo").call("add_task", {"title": "Feed the cat", "priority": None}) == {"task_id": 5}


def test_state_is_a_copy() -> None:
    sim = _sim("notes")
    sim.state()["notes"]["wifi"] = "changed"
    assert sim.state()["notes"]["wifi"] == STATES["notes"]["notes"]["wifi"]
    spec = {"name": "notes", "state": {"notes": {"a": "1"}}}
    simulators.make(spec).call("set_note", {"key": "a", "text": "2"})
    assert spec["state"] == {"notes": {"a": "1"}}


def test_unknown_simulator_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown simulator 'bakery'"):
        simulators.make({"name": "bakery", "state": {}})
    with pytest.raises(ValueError, match="known: bank, calendar, notes, shop, todo"):
        simulators.tools("bakery")


def test_schema_names_every_simulator_and_its_state() -> None:
    defs = schemas.load("evals/graders/final_state.schema.json")["$defs"]
    assert defs["simulator"]["properties"]["name"]["enum"] == sorted(simulators.SIMULATORS)
    assert all(_state_errors(name, state) == [] for name, state in STATES.items())
    assert _state_errors("bank", {"accounts": {"CHK-1001": {"owner": "A", "kind": "credit", "balance": 1}}, "transfers": []})


def _run(item: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], dict[str, Any]]:
    sim = simulators.make(item["simulator"])
    return [sim.call(name, arguments) for name, arguments in calls], sim.state()


def _last_acting(item: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> int:
    """The index of the last call in ``calls`` that changes the state."""
    states = [_run(item, calls[:n])[1] for n in range(len(calls) + 1)]
    return max(n for n in range(len(calls)) if states[n] != states[n + 1])


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_is_solved_by_its_scripted_calls(item: dict[str, Any]) -> None:
    calls = GENERATOR.SOLUTIONS[item["id"]]
    results, state = _run(item, calls)
    assert not [r for r in results if isinstance(r, dict) and "error" in r]
    score = grade(item, Outcome(text="", state=state))
    assert (score.score, score.passed) == (1.0, True), score.detail
    assert _run(item, calls) == (results, state)  # deterministic
    assert _state_errors(item["simulator"]["name"], state) == []


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_fails_without_its_last_acting_call_or_any_call(item: dict[str, Any]) -> None:
    calls = GENERATOR.SOLUTIONS[item["id"]]
    skip = _last_acting(item, calls)
    for wrong in (calls[:skip] + calls[skip + 1:], []):
        score = grade(item, Outcome(text="", state=_run(item, wrong)[1]))
        assert not score.passed and score.score < 1.0


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i["id"])
def test_item_is_sound(item: dict[str, Any]) -> None:
    assert check_item(item) == []
    assert 2 <= len(GENERATOR.SOLUTIONS[item["id"]]) <= 5 and 4 <= item["max_turns"] <= 8


def test_items_mix_languages_strata_and_alternate_protocols() -> None:
    assert len(ITEMS) >= 25
    assert [i["protocols"] for i in ITEMS] == [[("openai", "anthropic")[n % 2]] for n in range(len(ITEMS))]
    cells = {(i["lang"], i["stratum"], i["protocols"][0]) for i in ITEMS}
    assert cells == {(lang, s, p) for lang in ("en", "zh") for s in ("direct", "lookup") for p in ("openai", "anthropic")}
    assert {i["simulator"]["name"] for i in ITEMS} == set(simulators.SIMULATORS)


def test_generator_reproduces_the_file() -> None:
    assert GENERATOR.text() == (ROOT / "evals/items/multi_turn_tools.json").read_text(encoding="utf-8")
