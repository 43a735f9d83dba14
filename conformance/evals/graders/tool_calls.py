"""Grader ``tool_calls``: the first turn's calls against BFCL-style possible answers.

Rules (schemas/evals/graders/tool_calls.schema.json): exactly as many calls as expected,
matched one-to-one in any order; each call has the expected name, arguments that parse to an
object fitting the tool's parameters (``conformance.evals.arguments``: required present, no
unknown argument, BFCL's type rules), no argument the expected call does not list, and every
listed argument equal to one of its acceptable values. Strings compare after ``strip()`` and
``casefold()`` ("Paris " matches "paris"), inside arrays and objects too; arrays compare in
order. ``null`` among the acceptable values lets the argument be left out.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any, Iterator

from ..arguments import argument_problems, present, same, value_problem
from ..outcome import Outcome, Score, ToolCallOut

__all__ = ["grade", "check_item"]

OPTIONAL = None  # among the acceptable values: the argument may be left out


def _value_mismatch(name: str, expected: dict[str, list[Any]], arguments: dict[str, Any]) -> str | None:
    for key in arguments:
        if key not in expected:
            return f"{name}.{key}: sent, but this call should not set it"
    for key, acceptable in expected.items():
        if key not in arguments and OPTIONAL not in acceptable:
            return f"{name}.{key}: missing"
        if key in arguments and not any(same(arguments[key], a, fold=True) for a in acceptable if a is not OPTIONAL):
            return f"{name}.{key}: got {arguments[key]!r}, expected one of {acceptable}"
    return None


def _call_mismatch(tools: dict[str, dict[str, Any]], expected: dict[str, Any], call: ToolCallOut) -> str | None:
    """Why ``call`` does not match the ``expected`` call (the first reason), or ``None``."""
    name = expected["name"]
    if call.name != name:
        return f"called {call.name!r}, expected {name!r}"
    if call.arguments is None:
        return f"{name}: arguments are not JSON: {call.raw[:80]!r}"
    problems = argument_problems(tools[name]["parameters"], call.arguments)
    if problems:
        return f"{name}.{problems[0]}"
    return _value_mismatch(name, expected["arguments"], present(call.arguments))


def _closest(table: list[list[str | None]], calls: tuple[ToolCallOut, ...], i: int, name: str) -> int:
    """The call to explain expected call ``i``'s failure against: same name first, then a call nothing matched."""
    unclaimed = [all(row[j] for row in table) for j in range(len(calls))]
    return min(range(len(calls)), key=lambda j: (calls[j].name != name, not unclaimed[j], j))


def _unmatched(tools: dict[str, dict[str, Any]], expected: list[dict[str, Any]], calls: tuple[ToolCallOut, ...]) -> str | None:
    table = [[_call_mismatch(tools, e, c) for c in calls] for e in expected]
    # At most four calls: trying every one-to-one assignment is cheap and never greedy-wrong.
    if any(all(table[i][j] is None for i, j in enumerate(order)) for order in permutations(range(len(calls)))):
        return None
    for i, row in enumerate(table):
        if all(row):
            j = _closest(table, calls, i, expected[i]["name"])
            return f"expected call {i + 1} matches no call; against call {j + 1}: {row[j]}"
    for j, call in enumerate(calls):
        if all(row[j] for row in table):
            return f"call {j + 1} ({call.name}) matches no expected call"
    return "every call matches an expected one, but no one-to-one assignment exists"


def _mismatch(item: dict[str, Any], calls: tuple[ToolCallOut, ...]) -> str | None:
    expected = item["grader"]["expected"]
    if not expected and calls:
        return f"expected no tool call, got {', '.join(repr(c.name) for c in calls)}"
    if len(calls) != len(expected):
        return f"expected {len(expected)} tool call(s), got {len(calls)}"
    tools = {t["name"]: t for t in item.get("tools", ())}
    return _call_mismatch(tools, expected[0], calls[0]) if len(calls) == 1 else _unmatched(tools, expected, calls)


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """1 when the first turn's calls match the expected ones one-to-one, else 0 and why."""
    mismatch = _mismatch(item, outcome.tool_calls)
    if mismatch:
        return Score(0.0, False, mismatch)
    count = len(outcome.tool_calls)
    return Score(1.0, True, f"{count} call(s) matched" if count else "no tool call, as expected")


# stratum -> (tools offered, calls expected), inclusive ranges
STRATA = {"simple": ((1, 1), (1, 1)), "multiple": ((2, 4), (1, 1)), "parallel": ((1, 4), (2, 3)), "irrelevance": ((1, 4), (0, 0))}


def _stratum_problems(item: dict[str, Any]) -> Iterator[str]:
    tools, calls = len(item.get("tools", ())), len(item["grader"]["expected"])
    bounds = STRATA.get(item["stratum"])
    if bounds and not bounds[0][0] <= tools <= bounds[0][1]:
        yield f"stratum {item['stratum']}: {tools} tools offered, allowed {bounds[0][0]}-{bounds[0][1]}"
    if bounds and not bounds[1][0] <= calls <= bounds[1][1]:
        yield f"stratum {item['stratum']}: {calls} calls expected, allowed {bounds[1][0]}-{bounds[1][1]}"


def _tool_problems(tool: dict[str, Any]) -> Iterator[str]:
    parameters = tool["parameters"]
    properties = parameters.get("properties", {})
    for key in parameters.get("required", ()):
        if key not in properties:
            yield f"tool {tool['name']}: required {key!r} is not a property"
    for key, schema in properties.items():
        if schema.get("type") not in ("string", "integer", "number", "boolean", "array", "object"):
            yield f"tool {tool['name']}: property {key!r} has no JSON type"


def _expected_problems(tool: dict[str, Any], call: dict[str, Any]) -> Iterator[str]:
    properties, required = tool["parameters"].get("properties", {}), tool["parameters"].get("required", ())
    for key in required:
        if OPTIONAL in call["arguments"].get(key, [OPTIONAL]):
            yield f"expected {call['name']}: required {key!r} is not always set"
    for key, acceptable in call["arguments"].items():
        if key not in properties:
            yield f"expected {call['name']}: {key!r} is not a parameter"
            continue
        for value in acceptable:
            problem = value is not OPTIONAL and value_problem(properties[key], value, f"{call['name']}.{key}")
            if problem:
                yield f"expected {problem}"


def check_item(item: dict[str, Any]) -> list[str]:
    """What the schema cannot say: tools well formed, expected calls valid under them, strata kept."""
    tools = {t["name"]: t for t in item.get("tools", ())}
    found = [f"tool {name!r} is offered twice" for name in tools if [t["name"] for t in item["tools"]].count(name) > 1]
    for tool in tools.values():
        found += _tool_problems(tool)
    for call in item["grader"]["expected"]:
        if call["name"] not in tools:
            found.append(f"expected {call['name']!r} is not among the item's tools")
        else:
            found += _expected_problems(tools[call["name"]], call)
    return found + list(_stratum_problems(item))
