"""Tool-call arguments against a tool's ``parameters`` schema, by BFCL's type rules.

Shared by the tool simulators (which refuse a bad call) and the ``tool_calls`` grader (which
fails it). The subset of JSON Schema a tool's parameters may use: ``type``, ``enum``,
``items``, ``properties``, ``required`` and ``additionalProperties``. The rules, from the
Berkeley Function-Calling Leaderboard's AST checker:

- an integer is accepted where a number is declared, a float never where an integer is
  (``3.0`` is not an integer), and a boolean is neither;
- numbers must be finite;
- ``enum`` values compare exactly (no case folding: the tool definition names the spelling);
- at the top level no argument outside ``properties`` is accepted;
- a ``null`` argument counts as left out (clients send unset optional parameters as ``null``).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["JSON_TYPES", "json_type", "same", "value_problem", "argument_problems", "present"]

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")


def json_type(value: Any) -> str:
    """The narrowest JSON type of a parsed value (``integer`` before ``number``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _fits(declared: str, value: Any) -> bool:
    actual = json_type(value)
    if actual == "number" and not math.isfinite(value):
        return False
    return actual == declared or (declared == "number" and actual == "integer")


def same(a: Any, b: Any, *, fold: bool = False) -> bool:
    """JSON equality: ``1 == 1.0`` but ``True != 1``, objects by keys, arrays in order.

    With ``fold``, strings compare after ``strip()`` and ``casefold()``, at any depth.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], fold=fold) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, fold=fold) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if fold and isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return type(a) is type(b) and a == b


def value_problem(schema: dict[str, Any], value: Any, at: str = "") -> str | None:
    """Why ``value`` breaks ``schema`` (the first reason, prefixed with where), or ``None``."""
    declared = schema.get("type")
    if declared is not None and not _fits(declared, value):
        return f"{at or 'value'}: expected {declared}, got {json_type(value)} {value!r}"
    if "enum" in schema and not any(same(value, option) for option in schema["enum"]):
        return f"{at or 'value'}: {value!r} is not one of {schema['enum']}"
    if isinstance(value, list) and "items" in schema:
        found = (value_problem(schema["items"], v, f"{at}[{i}]") for i, v in enumerate(value))
        return next((p for p in found if p), None)
    if isinstance(value, dict):
        return next(iter(_object_problems(schema, value, at)), None)
    return None


def _object_problems(schema: dict[str, Any], value: dict[str, Any], at: str) -> list[str]:
    properties, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
    found = [f"{at}.{k}: missing" if at else f"{k}: missing" for k in schema.get("required", ()) if k not in value]
    for key, item in value.items():
        where = f"{at}.{key}" if at else key
        if key in properties:
            found.append(value_problem(properties[key], item, where))
        elif extra is False:
            found.append(f"{where}: not a declared property")
        elif isinstance(extra, dict):
            found.append(value_problem(extra, item, where))
    return [p for p in found if p]


def present(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments without the ``null`` ones (a ``null`` argument counts as left out)."""
    return {k: v for k, v in arguments.items() if v is not None}


def argument_problems(parameters: dict[str, Any], arguments: Any) -> list[str]:
    """Every way ``arguments`` breaks a tool's ``parameters``: missing, unknown, mistyped."""
    if not isinstance(arguments, dict):
        return [f"arguments: expected an object, got {json_type(arguments)}"]
    closed = {**parameters, "additionalProperties": False}
    return _object_problems(closed, present(arguments), "")
