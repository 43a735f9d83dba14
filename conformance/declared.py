"""Which object keys a schema declares: the keys of an instance that no (sub)schema names.

Our response schemas are open to extra keys (a server may add fields:
docs/observed.md § Resellers and gateways > Gateway additions), so validation never reports them; this walk does, as
JSON pointers. It follows ``$ref``, ``allOf``/``anyOf``/``oneOf`` (declared anywhere counts) and
``if``/``then``/``else`` (the branch the instance takes). An object schema that declares no ``properties`` is free-form
(tool arguments, a tool's ``input``): nothing below it is reported. A schema's ``additionalProperties`` object makes
every key declared (a map).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterator

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from .schemas import _refs, load, registry, rs_validator, uri

__all__ = ["undeclared", "applied"]

Scope = tuple[Any, Any]  # a subschema and the referencing.Resolver its $refs resolve against


def undeclared(name: str, instance: Any) -> list[str]:
    """JSON pointers of the keys in ``instance`` that schema ``name`` never declares, in document order."""
    if _closed(name).is_valid(instance):
        return []  # the fast answer for the usual case: valid under the closed schema, nothing undeclared
    return _walk_all(name, instance)


def applied(name: str, instance: Any) -> Iterator[tuple[str, list[Any]]]:
    """(pointer, the subschemas that apply there) for ``instance`` and each value inside it, in document order.

    The same walk as :func:`undeclared`: ``$ref``, the combinators and the ``if`` branch the
    instance takes. A key no subschema names, or anything below a free-form object, is left out.
    """
    resolved = registry().resolver().lookup(uri(name))
    yield from _applied([(resolved.contents, resolved.resolver)], instance, "")


def _applied(scopes: list[Scope], instance: Any, pointer: str) -> Iterator[tuple[str, list[Any]]]:
    flat = _expand(scopes, instance)
    yield pointer, [schema for schema, _ in flat]
    if isinstance(instance, dict) and any("properties" in s or "patternProperties" in s for s, _ in flat):
        for key, value in instance.items():
            children = _children(flat, key)
            if children:
                yield from _applied(children, value, f"{pointer}/{_escape(key)}")
    elif isinstance(instance, list):
        for i, item in enumerate(instance):
            yield from _applied(_items(flat, i), item, f"{pointer}/{i}")


def _walk_all(name: str, instance: Any) -> list[str]:
    """The definition: walk ``instance`` and schema ``name`` together (see the module docstring)."""
    resolved = registry().resolver().lookup(uri(name))
    return list(_walk([(resolved.contents, resolved.resolver)], instance, ""))


@functools.cache
def _closed(name: str) -> Any:
    """A jsonschema-rs validator of ``name`` with every declaring object closed to other keys.

    Each subschema that declares ``properties`` or ``patternProperties`` (and is not a map) gets
    ``unevaluatedProperties: false``, an open ``additionalProperties`` removed. The closed schema is
    stricter than the walk below, never laxer: where the walk counts a key declared by any branch of
    a combinator, the closed schema counts only the branches the instance satisfies. So "valid"
    means the walk would find nothing (tests/test_checks.py holds the two to the same answer on a
    sample of recorded documents with and without extra keys; on all 23,790 JSON documents of the
    committed cassettes and test data they never disagreed); "invalid" sends the instance to the
    walk, which names the keys.
    """
    return rs_validator(name, _closed_file)


@functools.cache
def _closed_file(path: str) -> dict[str, Any]:
    return _close(load(path))


def _close(node: Any) -> Any:
    if isinstance(node, list):
        return [_close(n) for n in node]
    if not isinstance(node, dict):
        return node
    # "if" and "not" hold tests, not declarations: closing them would change what they test
    out = {k: (v if k in ("const", "enum", "default", "examples", "if", "not") else _close(v)) for k, v in node.items()}
    declares = isinstance(node.get("properties"), dict) or isinstance(node.get("patternProperties"), dict)
    extra = node.get("additionalProperties")
    if declares and not (isinstance(extra, dict) and extra):  # a map declares every key: leave it open
        out.pop("additionalProperties", None)
        out["unevaluatedProperties"] = False
    return out


def _walk(scopes: list[Scope], instance: Any, pointer: str) -> Iterator[str]:
    flat = _expand(scopes, instance)
    if isinstance(instance, dict):
        yield from _object(flat, instance, pointer)
    elif isinstance(instance, list):
        for i, item in enumerate(instance):
            yield from _walk(_items(flat, i), item, f"{pointer}/{i}")


_EXPANDED: dict[tuple[int, ...], tuple[list[Any], list[Scope]]] = {}


def _expand(scopes: list[Scope], instance: Any) -> list[Scope]:
    """Every subschema that applies to ``instance`` here, through $ref, the combinators and if/then/else.

    Without an ``if`` on the way the answer depends on the scopes alone: it is kept (keyed by the
    schemas' ids, the schemas kept alive with it), so the thousands of events of a stream, which
    meet the same subschemas again and again, expand each once.
    """
    key = tuple(id(schema) for schema, _ in scopes)
    cached = _EXPANDED.get(key)
    if cached is not None and all(a is b for a, (b, _) in zip(cached[0], scopes)):
        return cached[1]
    out, conditional = _expand_now(scopes, instance)
    if not conditional:
        _EXPANDED[key] = ([schema for schema, _ in scopes], out)
    return out


def _expand_now(scopes: list[Scope], instance: Any) -> tuple[list[Scope], bool]:
    out, stack, seen, conditional = [], list(scopes), set(), False
    while stack:
        schema, resolver = stack.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        out.append((schema, resolver))
        if "$ref" in schema:
            stack.extend(_ref(schema["$ref"], resolver))
        stack.extend((s, resolver) for kw in ("allOf", "anyOf", "oneOf") for s in schema.get(kw, []))
        if "if" in schema:
            conditional = True
            stack.extend((schema[k], resolver) for k in _branches(schema, instance) if k in schema)
    return out, conditional


def _ref(ref: str, resolver: Any) -> list[Scope]:
    try:
        resolved = resolver.lookup(ref)
    except Unresolvable:
        return []
    return [(resolved.contents, resolved.resolver)]


def _branches(schema: dict[str, Any], instance: Any) -> tuple[str, ...]:
    """``then`` or ``else``, as the instance meets ``if``; both when ``if`` cannot be evaluated here."""
    try:
        met = _validator(schema["if"]).is_valid(instance)
    except Unresolvable:
        return ("then", "else")
    return ("then",) if met else ("else",)


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _validator(schema: Any) -> Any:
    """One validator per ``if`` subschema, built once (the schema is kept alive alongside it).

    jsonschema-rs when the subschema stands alone (no ``$ref``: ours are const/type tests), about
    100x faster on the thousands of events of a long stream; jsonschema otherwise.
    """
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        standalone = next(_refs(schema), None) is None
        built = jsonschema_rs.validator_for(schema) if standalone else Draft202012Validator(schema, registry=registry())
        cached = _VALIDATORS[id(schema)] = (schema, built)
    return cached[1]


def _object(flat: list[Scope], instance: dict[str, Any], pointer: str) -> Iterator[str]:
    if not any("properties" in s or "patternProperties" in s for s, _ in flat):
        return  # a free-form object: nothing is declared, so nothing is undeclared
    if any(isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"] for s, _ in flat):
        return  # a map: every key is declared by additionalProperties
    for key, value in instance.items():
        here = f"{pointer}/{_escape(key)}"
        children = _children(flat, key)
        if children:
            yield from _walk(children, value, here)
        else:
            yield here


def _children(flat: list[Scope], key: str) -> list[Scope]:
    found = [(s["properties"][key], r) for s, r in flat if key in (s.get("properties") or {})]
    found += [(sub, r) for s, r in flat for pattern, sub in (s.get("patternProperties") or {}).items()
              if re.search(pattern, key)]
    return found


def _items(flat: list[Scope], i: int) -> list[Scope]:
    found = []
    for schema, resolver in flat:
        prefix = schema.get("prefixItems") or []
        item = prefix[i] if i < len(prefix) else schema.get("items")
        if item is not None:
            found.append((item, resolver))
    return found


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
