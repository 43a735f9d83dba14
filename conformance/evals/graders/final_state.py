"""Grader ``final_state``: the simulator's final state holds the expected partial state.

Matching (schemas/evals/graders/final_state.schema.json): ``expected`` is a JSON subset of the
final state. Objects match key by key (keys the expected object does not name are free),
arrays element by element with the same length; strings compare after ``strip()`` and
``casefold()``, numbers by value, booleans only with booleans. ``null`` means "absent", and an
empty object or array matches only an empty one. Each pointer in ``unchanged`` must hold the
initial state's value exactly. Score: (leaves matched + pointers kept) / (leaves + pointers).
"""

from __future__ import annotations

from typing import Any, Iterator

from .. import simulators
from ..arguments import same
from ..outcome import Outcome, Score

__all__ = ["grade", "check_item", "resolve"]

MISSING: Any = object()  # what a pointer resolves to when nothing is there


def resolve(document: Any, pointer: str) -> Any:
    """The value at JSON pointer ``pointer`` (RFC 6901) in ``document``, or ``MISSING``."""
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and key in document:
            document = document[key]
        elif isinstance(document, list) and key.isascii() and key.isdigit() and int(key) < len(document):
            document = document[int(key)]
        else:
            return MISSING
    return document


def _child(at: str, key: str | int) -> str:
    return f"{at}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _leaves(expected: Any, at: str) -> Iterator[str]:
    if isinstance(expected, dict) and expected:
        for key, value in expected.items():
            yield from _leaves(value, _child(at, key))
    elif isinstance(expected, list) and expected:
        for index, value in enumerate(expected):
            yield from _leaves(value, _child(at, index))
    else:
        yield at


def _show(value: Any) -> str:
    return "nothing" if value is MISSING else repr(value)


def _leaf_mismatch(expected: Any, actual: Any, at: str) -> str | None:
    if expected is None:
        return None if actual is MISSING or actual is None else f"{at}: expected absent, got {actual!r}"
    if actual is not MISSING and same(actual, expected, fold=True):
        return None
    return f"{at}: expected {expected!r}, got {_show(actual)}"


def _compare(expected: Any, actual: Any, at: str) -> Iterator[str | None]:
    """For each leaf of ``expected``: ``None`` when ``actual`` matches it, else why not."""
    if isinstance(expected, dict) and expected:
        if not isinstance(actual, dict):
            yield from (f"{at or '/'}: expected an object, got {_show(actual)}" for _ in _leaves(expected, at))
            return
        for key, value in expected.items():
            yield from _compare(value, actual.get(key, MISSING), _child(at, key))
    elif isinstance(expected, list) and expected:
        if not isinstance(actual, list) or len(actual) != len(expected):
            yield from (f"{at}: expected an array of {len(expected)}, got {_show(actual)}" for _ in _leaves(expected, at))
            return
        for index, (want, got) in enumerate(zip(expected, actual)):
            yield from _compare(want, got, _child(at, index))
    else:
        yield _leaf_mismatch(expected, actual, at)


def _kept(initial: Any, final: Any, pointer: str) -> str | None:
    before, after = resolve(initial, pointer), resolve(final, pointer)
    kept = before is after if before is MISSING or after is MISSING else same(before, after)
    if kept:
        return None
    return f"{pointer}: changed from {_show(before)} to {_show(after)}, must stay unchanged"


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """The fraction of expected leaves and unchanged pointers that hold in the final state."""
    if outcome.state is None:
        return Score(0.0, False, "no final state: the simulator did not run")
    grader, initial = item["grader"], item["simulator"]["state"]
    results = list(_compare(grader["expected"], outcome.state, ""))
    results += [_kept(initial, outcome.state, p) for p in grader.get("unchanged", ())]
    failures = [r for r in results if r]
    score = (len(results) - len(failures)) / len(results)
    if failures:
        return Score(score, False, f"{len(failures)} of {len(results)} failed; first: {failures[0]}")
    return Score(1.0, True, f"all {len(results)} expected leaves and unchanged pointers hold")


def check_item(item: dict[str, Any]) -> list[str]:
    """The tools are the simulator's, expected and unchanged name known, separate parts, and the task is not done yet."""
    spec, grader = item["simulator"], item["grader"]
    found = [] if item.get("tools") == simulators.tools(spec["name"]) else [f"tools differ from simulator {spec['name']!r}'s"]
    found += [f"expected names {key!r}, not in the state" for key in grader["expected"] if key not in spec["state"]]
    found += [f"unchanged {p} is not in the initial state" for p in grader.get("unchanged", ()) if resolve(spec["state"], p) is MISSING]
    found += [f"unchanged {u} overlaps expected {p}" for u in grader.get("unchanged", ()) for p in _leaves(grader["expected"], "")
              if p == u or p.startswith(u + "/") or u.startswith(p + "/")]
    if grade(item, Outcome(text="", state=spec["state"])).passed:
        found.append("the initial state already passes: the task asks for nothing")
    return found
