"""JSON object mode: the answer is a JSON object, valid against the stated schema, with the facts.

OpenAI's ``response_format: {"type": "json_object"}`` (which MiMo documents) promises that the
message content *is* valid JSON, so the answer is parsed bare: surrounding whitespace is allowed,
a Markdown code fence or any other text around the object is not (it means the mode did not hold).
NaN and Infinity are not JSON and fail. Three parts, a third of the score each, all needed to pass:

- parses: the whole answer is one JSON object;
- schema: it is valid against the item's schema (Draft 2020-12, ``format`` checked);
- values: each expected value is at its place (a ``/pointer`` or a top-level key). Numbers compare
  by value (1 = 1.0), booleans only with booleans, arrays in order; strings exactly, or with the
  item's ``normalize`` after NFKC, case-folding and collapsing whitespace.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from ..outcome import Outcome, Score

__all__ = ["parse", "validator", "assembled", "grade", "check_item"]

_MISSING = object()
# Left out when checking an item's expected values against its schema: the expected values may
# name only some of the required keys or array entries.
_PARTIAL = {"required", "minItems", "minProperties", "dependentRequired"}


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse(text: str) -> dict[str, Any]:
    """The answer as a JSON object; a ValueError says why it is not one."""
    try:
        value = json.loads(text, parse_constant=_reject)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value


@functools.lru_cache(maxsize=512)
def _validator(schema_text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A format-checking Draft 2020-12 validator for ``schema``, built once per distinct schema."""
    return _validator(json.dumps(schema, sort_keys=True))


def _tokens(place: str) -> list[str]:
    """A place as reference tokens: a top-level key is one, a pointer is unescaped (RFC 6901)."""
    if not place.startswith("/"):
        return [place]
    return [t.replace("~1", "/").replace("~0", "~") for t in place[1:].split("/")]


def _at(document: Any, place: str) -> Any:
    node = document
    for token in _tokens(place):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node


def _normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _same(want: Any, got: Any, normalize: bool) -> bool:
    """JSON equality: numbers by value, booleans apart from numbers, strings as the item says."""
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return want == got
    if isinstance(want, str) and isinstance(got, str):
        return _normalized(want) == _normalized(got) if normalize else want == got
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_same(w, g, normalize) for w, g in zip(want, got))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_same(w, got[k], normalize) for k, w in want.items())
    return want is None and got is None


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _wrong_values(document: dict[str, Any], grader: dict[str, Any]) -> list[str]:
    normalize = grader.get("normalize", False)
    wrong = []
    for place, want in grader["expected"].items():
        got = _at(document, place)
        if got is _MISSING:
            wrong.append(f"{place} missing")
        elif not _same(want, got, normalize):
            wrong.append(f"{place} = {_shown(got)}, want {_shown(want)}")
    return wrong


def grade(item: dict[str, Any], outcome: Outcome) -> Score:
    """A third each for parsing as an object, fitting the schema and holding the expected values."""
    grader = item["grader"]
    try:
        document = parse(outcome.text)
    except ValueError as exc:
        return Score(0.0, False, str(exc))
    error = best_match(validator(grader["schema"]).iter_errors(document))
    wrong = _wrong_values(document, grader)
    problems = [f"schema: {error.json_path}: {error.message}"] if error else []
    problems += [f"values: {'; '.join(wrong)}"] if wrong else []
    met = 3 - (error is not None) - bool(wrong)
    return Score(met / 3, met == 3, "; ".join(problems) or "parses, fits the schema, values match")


def _put(node: Any, tokens: list[str], value: Any) -> None:
    """Set ``value`` at ``tokens`` under ``node``, making objects (or arrays, for digits) on the way."""
    head, rest = tokens[0], tokens[1:]
    key: Any = head
    if isinstance(node, list):
        key = int(head)
        node.extend([None] * (key + 1 - len(node)))
    if not rest:
        node[key] = value
        return
    if not isinstance(node[key] if isinstance(node, list) else node.get(key), (dict, list)):
        node[key] = [] if rest[0].isdigit() else {}
    _put(node[key], rest, value)


def assembled(expected: dict[str, Any]) -> dict[str, Any]:
    """The expected values put together into one object, as an ideal answer would hold them."""
    document: dict[str, Any] = {}
    for place, value in expected.items():
        _put(document, _tokens(place), value)
    return document


def check_item(item: dict[str, Any]) -> list[str]:
    """The schema is valid, the expected values fit it, and the prompt names JSON and every required key."""
    grader = item["grader"]
    try:
        Draft202012Validator.check_schema(grader["schema"])
    except SchemaError as exc:
        return [f"schema is not valid Draft 2020-12: {exc.message}"]
    errors = [e for e in validator(grader["schema"]).iter_errors(assembled(grader["expected"])) if e.validator not in _PARTIAL]
    problems = [f"expected value breaks the schema at {e.json_path}: {e.message}" for e in errors]
    prompt = " ".join([item.get("system", "")] + [m["content"] for m in item["messages"]])
    # OpenAI rejects json_object requests whose messages never say "JSON"
    if "json" not in prompt.casefold():
        problems.append("the messages never mention JSON")
    unnamed = [key for key in grader["schema"].get("required", []) if key not in prompt]
    return problems + [f"the prompt never names required key {key!r}" for key in unnamed]
