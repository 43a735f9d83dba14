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

__all__ = ["SCHEMA_DIR", "BASE_URI", "SchemaError", "registry", "validator", "fast_validator", "rs_validator", "errors", "load", "uri"]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE_URI = "https://mimo-conformance.invalid/schemas/"


@dataclass(frozen=True)
class SchemaError:
    """One violation: where in the instance, what rule, and the validator's message."""

    pointer: str
    keyword: str
    message: str

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
        found.extend(SchemaError(_pointer(e.absolute_path), str(e.validator), e.message) for e in leaves)
    return found


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
