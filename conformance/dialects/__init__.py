"""Dialects as data (``schemas/dialects/<name>.json``): how one system speaks the MiMo API.

A dialect says where each protocol's base URL sits on its server, which headers carry the key,
the model ids of its own (each serving a model of ``schemas/models.json``) and the ranges and
defaults it documents for them, the schema each kind of document is held to, the error code of
each status, the answers a case may ask the suite's own reference server for (scenarios), what its
answers look like where a schema cannot say it, and which documents and observations hold for it:
a documented or observed rule that cites none of them weighs as ``reference`` there (Xiaomi's own
rules hold on Xiaomi's hosts, a reseller's page on the reseller). What data cannot say is one
adapter module per dialect (``conformance/dialects/<name>.py``), which only the reference server
loads. Pure: the only I/O is reading the data files, once per process.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..basis import Rule
from ..schemas import SCHEMA_DIR, errors

__all__ = [
    "DIALECT_DIR", "DEFAULT", "DialectError", "Dialect", "names", "get", "served", "of_model", "served_as", "weigh",
    "adapter",
]

DIALECT_DIR = SCHEMA_DIR / "dialects"
DEFAULT = "xiaomi"  # the documented dialect: an exchange that says nothing else speaks it
SCHEMA = "dialect.schema.json"


class DialectError(ValueError):
    """A dialect file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Dialect:
    """One dialect: its merged data (``extends`` applied) and what the suite asks of it."""

    name: str
    data: dict[str, Any]

    @property
    def family(self) -> str:
        """The dialect at the root of its ``extends`` chain: ``xiaomi`` for every host that speaks Xiaomi's words."""
        parent = _raw(self.name).get("extends")
        return get(parent).family if parent else self.name

    @property
    def protocols(self) -> tuple[str, ...]:
        """The protocols the dialect serves, in the order of its ``paths``."""
        return tuple(self.data["paths"])

    def path(self, protocol: str) -> str:
        """The path of ``protocol``'s base URL on a server of this dialect (``/v1``, ``/anthropic``, ``""``)."""
        return self.data["paths"][protocol]

    def schema(self, protocol: str, kind: str) -> str:
        """The schema file (below ``schemas/``) a ``kind`` of document (request, response, chunk, event, error) is held to."""
        return self.data["schemas"][protocol][kind]

    def token_fields(self, protocol: str) -> tuple[str, ...]:
        """The request fields that bound the output on ``protocol``, the documented one first."""
        return tuple(self.data["token_fields"][protocol])

    @property
    def auth_headers(self) -> tuple[str, ...]:
        """The headers a key may come in (``api-key``, ``bearer``, ``x-api-key``); the first present decides."""
        return tuple(self.data["auth"]["headers"])

    @property
    def models(self) -> dict[str, dict[str, Any]]:
        """The dialect's own model ids and what each serves."""
        return {k: v for k, v in self.data.get("models", {}).items() if v is not None}

    def knows(self, model_id: str) -> bool:
        """The id is one of the dialect's own, or (a dialect with none of its own) not another dialect's."""
        return model_id in self.models if self.models else model_id not in _owners()

    def scenario(self, name: str) -> dict[str, Any] | None:
        """The scenario ``name`` (status, body, basis, source), or None when the dialect has none by that name."""
        return self.data.get("scenarios", {}).get(name)

    def answer(self, fact: str) -> tuple[str, Rule] | None:
        """(value, rule) of a fact about the dialect's answers (id_prefix, model, reasoning_field, dated_as)."""
        found = self.data.get("answers", {}).get(fact)
        return (found["value"], Rule(found["basis"], found["source"])) if found else None

    def error_code(self, status: int) -> tuple[Any, Rule] | None:
        """(the ``code`` an error body of ``status`` carries, its rule), or None when the dialect says nothing."""
        table = self.data.get("error_codes", {})
        entry = table.get(str(status), table.get("*"))
        if entry is None:
            return None
        kind = entry.get("status_as")
        code = str(status) if kind == "string" else status if kind == "integer" else entry["code"]
        return code, Rule(entry["basis"], entry["source"])

    def thinking_asked(self, body: Any) -> str | None:
        """``enabled`` or ``disabled`` as the request's thinking field says, else None (the model's default)."""
        spec = self.data.get("thinking")
        value = body.get(spec["field"]) if spec and isinstance(body, dict) else None
        if spec and spec.get("key"):
            value = value.get(spec["key"]) if isinstance(value, dict) else None
        if spec and value is not None and value == spec["enabled"] and type(value) is type(spec["enabled"]):
            return "enabled"
        if spec and value is not None and value == spec["disabled"] and type(value) is type(spec["disabled"]):
            return "disabled"
        return None

    def unknown_fields(self) -> tuple[bool, Rule]:
        """(whether a top-level field the request schema does not declare may be refused, the rule saying so)."""
        found = self.data["unknown_fields"]
        return found["refused"], Rule(found["basis"], found["source"])

    def refusals(self) -> list[tuple[str, Any, Rule]]:
        """(field, value, rule) for each documented value the dialect may refuse."""
        return [(r["field"], r["value"], Rule(r["basis"], r["source"])) for r in self.data.get("refusals", [])]

    def range(self, field: str) -> dict[str, Any] | None:
        """The range the dialect documents for ``field`` (max_tokens, temperature, top_p) of its own models."""
        return self.data.get("ranges", {}).get(field)

    def range_rule(self, field: str, end: str) -> Rule | None:
        """The rule of one end (min, max) of the dialect's range for ``field``, or None when it gives none."""
        found = self.range(field)
        if found is None:
            return None
        basis = found.get("basis", "documented")
        basis = basis.get(end, "documented") if isinstance(basis, dict) else basis
        return Rule(basis, found["source"] + (f" ({found['note']})" if basis == "reference" and "note" in found else ""))

    @property
    def model_lists(self) -> tuple[str, ...]:
        """Paths below the host that list the dialect's models (``/models``, ``/v1/models``)."""
        return tuple(self.data.get("model_lists", ()))

    def holds(self, rule: Rule) -> bool:
        """A reference rule, or one citing (a section below) a document or observation that holds here."""
        if rule.basis == "reference":
            return True
        return _holds(self.name, rule.source)


def _merge(base: Any, over: Any) -> Any:
    """``over`` merged into ``base``: objects key by key (a None value removes the key), anything else replaced."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


@functools.cache
def _raw(name: str) -> dict[str, Any]:
    path = DIALECT_DIR / f"{name}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DialectError(f"unknown dialect {name!r}: {path} cannot be read ({exc.strerror}); known: "
                           f"{', '.join(names())}") from None
    except ValueError as exc:
        raise DialectError(f"{path}: not valid JSON: {exc}") from None
    problems = errors(SCHEMA, doc)
    if problems:
        raise DialectError(f"{path}: {problems[0]} (the format is schemas/{SCHEMA})")
    return doc


@functools.cache
def get(name: str) -> Dialect:
    """The dialect ``name``, with what it ``extends`` merged in; a DialectError names the known ones."""
    doc = _raw(name)
    parent = doc.get("extends")
    data = _merge(get(parent).data, {k: v for k, v in doc.items() if k != "extends"}) if parent else copy.deepcopy(doc)
    return Dialect(name, data)


@functools.cache
def names() -> tuple[str, ...]:
    """Every dialect with a data file, by name."""
    return tuple(sorted(p.stem for p in DIALECT_DIR.glob("*.json")))


def _module(name: str) -> str:
    return f"{__name__}.{name.replace('-', '_')}"


@functools.cache
def served() -> tuple[str, ...]:
    """The dialects the reference server speaks: those with an adapter module."""
    here = Path(__file__).parent
    return tuple(n for n in names() if (here / f"{n.replace('-', '_')}.py").is_file())


def adapter(name: str) -> Any:
    """The adapter module of dialect ``name`` (what its data cannot say); for the reference server only."""
    if name not in served():
        raise DialectError(f"the reference server does not speak dialect {name!r}; it speaks {', '.join(served())}")
    return importlib.import_module(_module(name))


@functools.cache
def _owners() -> dict[str, str]:
    """Each dialect's own model id, with the dialect that names it."""
    return {model: name for name in names() for model in get(name).models}


def of_model(model_id: str | None) -> str:
    """The dialect that names ``model_id`` as its own, else the default (an id of schemas/models.json)."""
    return _owners().get(model_id or "", DEFAULT)


def served_as(model_id: str) -> tuple[str, dict[str, Any]] | None:
    """(the id of schemas/models.json a dialect's own model serves, the fields it has of its own), or None."""
    owner = _owners().get(model_id)
    if owner is None:
        return None
    dialect = get(owner)
    entry = dialect.models[model_id]
    return entry["serves"], _own_fields(dialect, model_id, entry)


def _own_fields(dialect: Dialect, model_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The model fields a dialect's entry and ranges replace: id, protocols, ranges, thinking default, notes."""
    own: dict[str, Any] = {"id": model_id, "protocols": list(entry["protocols"]), "in_captured_docs": True,
                           "notes": entry.get("notes", ""), "dialect": dialect.name}
    for key in ("lifecycle", "rate_limits"):
        if key in entry:
            own[key] = entry[key]
    for field in ("max_tokens", "temperature", "top_p"):
        found = dialect.range(field)
        if found is not None:
            own[field] = {"default": found["default"], "min": found["min"], "max": found["max"]}
    if "thinking_default" in entry:
        own["thinking_default"] = entry["thinking_default"]
    own["sources"] = {"model": entry["source"], **{f: dialect.range(f)["source"] for f in ("max_tokens", "temperature", "top_p")
                                                   if dialect.range(f)}}
    return own


@functools.cache
def _held(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(document, section path) of each citation in the dialect's ``holds``."""
    from ..citations import parse

    return tuple((c.document, c.path) for text in get(name).data.get("holds", ()) for c in parse(text))


@functools.lru_cache(maxsize=4096)
def _holds(name: str, source: str) -> bool:
    from ..citations import parse

    cited = parse(source)
    if not cited:
        return True  # a rule whose source names no document: nothing to weigh it by
    # a cited section holds when it lies in a held one, or holds one (the group of a held fact)
    return any(doc == held and (path[: len(prefix)] == prefix or prefix[: len(path)] == path)
               for doc, path in ((c.document, c.path) for c in cited) for held, prefix in _held(name))


def weigh(rule: Rule, dialect: str | None) -> Rule:
    """``rule`` as it weighs for ``dialect``: unchanged where it holds, else ``reference`` (our reading there)."""
    if dialect is None or get(dialect).holds(rule):
        return rule
    return Rule("reference", f"{rule.source} ({rule.basis} for another system; {dialect} states no such rule: our reading)")
