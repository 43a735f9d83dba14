"""Load the JSON Schemas under ``schemas/`` once and validate instances against them."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .basis import UNKNOWN, Rule, of_node

__all__ = [
    "SCHEMA_DIR", "BASE_URI", "SchemaError", "registry", "validator", "fast_validator", "rs_validator", "errors",
    "load", "uri", "rule_at",
]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE_URI = "https://mimo-conformance.invalid/schemas/"


@dataclass(frozen=True)
class SchemaError:
    """One violation: where in the instance, what rule, and the validator's message."""

    pointer: str
    keyword: str
    message: str
    rule: Rule = UNKNOWN  # the basis of the keyword that failed, from the schema's annotations

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


def uri(name: str) -> str:
    """The absolute URI of a schema file (``openai/error.json``), with any ``#fragment`` kept."""
    return name if name.startswith("http") else BASE_URI + name


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The parsed schema file ``schemas/<name>``."""
    path = SCHEMA_DIR / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from exc


@functools.cache
def registry() -> Registry:
    """Every schema under ``schemas/``, keyed by its ``$id``, so ``$ref`` resolves across files."""
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        name = path.relative_to(SCHEMA_DIR).as_posix()
        contents = load(name)
        if "$schema" in contents:
            resources.append((contents.get("$id", uri(name)), Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """A validator for ``schemas/<name>`` or ``<name>#/$defs/x``, built once per process."""
    return Draft202012Validator({"$ref": uri(name)}, registry=registry())


def _pointer(path: Iterator[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@functools.cache
def fast_validator(name: str) -> Any:
    """A jsonschema-rs validator for ``name``: about 200x faster, used to skip valid instances."""
    return rs_validator(name, load)


def rs_validator(name: str, loader: Callable[[str], dict[str, Any]]) -> Any:
    """A jsonschema-rs validator for ``name`` (``file`` or ``file#/$defs/x``), each file from ``loader``.

    References to other files under schemas/ (relative to the file's ``$id``) go through ``loader``
    too, so a transformed copy of the schemas (conformance.declared closes them) stays consistent.
    """
    path, _, fragment = name.partition("#")
    root = loader(path)
    schema = {"$defs": root.get("$defs", {}), "$ref": "#" + fragment} if fragment else root

    def retrieve(address: str) -> Any:
        if not address.startswith(BASE_URI):
            raise ValueError(f"{address}: only schemas under {BASE_URI} are resolvable")
        return loader(address.removeprefix(BASE_URI).partition("#")[0])

    return jsonschema_rs.validator_for(schema, base_uri=root.get("$id", uri(path)), retriever=retrieve)


def errors(name: str, instance: Any) -> list[SchemaError]:
    """Every violation of schema ``name`` by ``instance``, deepest first, with JSON pointers."""
    # jsonschema-rs answers "valid?" fast; jsonschema (the reference implementation) explains why
    # not. tests/test_schemas.py holds the two to the same verdict on every schema case.
    if fast_validator(name).is_valid(instance):
        return []
    found = []
    for err in validator(name).iter_errors(instance):
        leaves = _leaves(err)
        found.extend(SchemaError(_pointer(e.absolute_path), str(e.validator), e.message,
                                 rule_at(name, tuple(e.absolute_schema_path))) for e in leaves)
    return found


@functools.cache
def rule_at(name: str, schema_path: tuple[Any, ...]) -> Rule:
    """The rule of the keyword at ``schema_path`` in schema ``name``: the nearest node that states one.

    ``schema_path`` is jsonschema's ``absolute_schema_path``, which steps through a ``$ref`` without
    naming it; the walk resolves a ``$ref`` wherever the next step is not a key of the node. The
    keyword's own node is asked first (``x-basis`` may name the keyword), then each enclosing node.
    """
    chain = _chain(name, schema_path)
    keyword = str(schema_path[-1]) if schema_path else None
    for node in reversed(chain[:-1] if schema_path else chain):
        rule = of_node(node, keyword)
        if rule is not None:
            return rule
    return UNKNOWN


def _chain(name: str, schema_path: tuple[Any, ...]) -> list[Any]:
    """The nodes from the schema file's root down ``schema_path``, every ``$ref`` resolved on the way."""
    resolved = registry().resolver().lookup(uri(name))
    node, resolver, chain = resolved.contents, resolved.resolver, [resolved.contents]
    for step in schema_path:
        while isinstance(node, dict) and step not in node and isinstance(node.get("$ref"), str):
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            chain.append(node)
        node = node[step] if isinstance(node, (dict, list)) else None
        chain.append(node)
    return chain


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _leaves(err: Any) -> list[Any]:
    """The most specific errors under a ``oneOf``/``anyOf`` failure, or the error itself."""
    if not err.context:
        return [err]
    best = max(err.context, key=lambda e: len(e.absolute_path))
    depth = len(best.absolute_path)
    if depth <= len(err.absolute_path):
        return [err]
    return [e for e in err.context if len(e.absolute_path) == depth and not e.context] or [best]
