"""Coverage of the documented surface: which request items were sent, which response items observed.

The surface is data, per dialect (``schemas/dialects/``): from the request, response, chunk, event
and error schemas of each protocol the dialect serves (its own where it names them, else those under
``schemas/openai``, ``schemas/anthropic`` and ``schemas/responses``) come every field (a path such as
``messages[].content[].image_url.url``), every enum or const value, every content part type and
every range bound of a request field; from ``schemas/models.json`` the per-model ranges
(``max_completion_tokens<=8192 (mimo-v2.5-tts)``); and the documented error statuses and stream
event types. An exchange *sends* the request items its request body shows (a field present, a
value equal to an enum value or to a bound) and *observes* the response items its response shows
(fields and values of the body or of each stream event, the event types, an error status). Each
item has an id, the same string in the terminal, the matrix and the floors' docs:
``<protocol> <document> <kind> <detail>``. The floors (``schemas/coverage-floors.json``) are the
counts the committed cassettes must keep reaching, per target.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import dialects, inputs, models, schemas
from .checks._common import DOCUMENTED_STATUSES
from .exchange import NOT_JSON, Exchange
from .targets import TargetError, load_targets

__all__ = [
    "DOCUMENTS", "SIDES", "Item", "Coverage", "surface", "covered_by", "of_exchanges", "models_for", "dialect_for",
    "documents", "of_files",
    "FLOORS_FILE", "CHANGELOG", "EXCEPTIONS_FILE", "load_exceptions", "explained", "stale_exceptions", "load_floors", "below_floors", "unexplained_lowerings", "summary_line",
    "uncovered_text", "main",
]

# Which schema describes each document of each protocol, where a dialect names none of its own.
DOCUMENTS = {
    ("openai", "request"): "openai/chat_completions.request.json",
    ("openai", "response"): "openai/chat_completions.response.json",
    ("openai", "chunk"): "openai/chat_completions.chunk.json",
    ("openai", "error"): "openai/error.json",
    ("anthropic", "request"): "anthropic/messages.request.json",
    ("anthropic", "response"): "anthropic/messages.response.json",
    ("anthropic", "event"): "anthropic/messages.event.json",
    ("anthropic", "error"): "anthropic/error.json",
    ("responses", "request"): "responses/responses.request.json",
    ("responses", "response"): "responses/responses.response.json",
    ("responses", "event"): "responses/responses.event.json",
    ("responses", "error"): "openai/error.json",
}
SIDES = ("request", "response")  # request items are sent, response items observed
STREAM_DOCUMENT = {"openai": "chunk", "anthropic": "event", "responses": "event"}
# The key of a stream event's data that names its type, and the events that carry no JSON.
# Source: docs/sources.md#openai-apiStreaming Response ("data: [DONE]" ends it) and
# § Anthropic API > Streaming Response > type; docs/sources.md#openai-responses-api (each event names its type).
EVENT_TYPE = {"openai": ("object", ("[DONE]",)), "anthropic": ("type", ()), "responses": ("type", ())}
# The request field each per-model range of schemas/models.json bounds, per protocol.
MODEL_RANGES = {"openai": {"max_tokens": "max_completion_tokens", "temperature": "temperature", "top_p": "top_p"},
                "anthropic": {"max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p"}}
PART_PATHS = ("content[].type", "content_block.type")  # a `type` here names a content part (block) type
ROOT = schemas.SCHEMA_DIR.parent
FLOORS_FILE = schemas.SCHEMA_DIR / "coverage-floors.json"
CHANGELOG = ROOT / "CHANGELOG.md"
EXCEPTIONS_FILE = schemas.SCHEMA_DIR / "coverage-exceptions.json"


@dataclass(frozen=True, order=True)
class Item:
    """One documented thing a request can send or a response can show."""

    protocol: str
    document: str  # request, response, chunk, event, error
    kind: str  # field, enum, part, bound, type, status
    path: str  # where in the document; for a type or a status, the type or the status code
    value: str = ""  # enum, part: the value as JSON; bound: the comparison and the bound, e.g. "<=1.5"
    model: str = ""  # a per-model bound's model

    @property
    def side(self) -> str:
        """``request`` (sent) or ``response`` (observed)."""
        return "request" if self.document == "request" else "response"

    @property
    def detail(self) -> str:
        """``path``, ``path=value``, ``path<=bound (model)``, an event type or a status code."""
        joined = f"{self.path}={self.value}" if self.kind in ("enum", "part") else self.path + self.value
        return joined + (f" ({self.model})" if self.model else "")

    def __str__(self) -> str:
        return f"{self.protocol} {self.document} {self.kind} {self.detail}"


# --- the surface, from the schemas ------------------------------------------------------------


def surface(model_ids: Iterable[str] = (), dialect: str = dialects.DEFAULT) -> tuple[Item, ...]:
    """Every documented item of ``dialect``, with the per-model ranges of ``model_ids``, sorted."""
    served = set(dialects.get(dialect).protocols)
    per_model = (item for m in sorted(set(model_ids)) for item in _model_bounds(m) if item.protocol in served)
    return tuple(sorted({*_schema_surface(dialect), *per_model}))


@functools.cache
def documents(dialect: str) -> tuple[tuple[str, str, str], ...]:
    """(protocol, document, schema file) of every document of every protocol ``dialect`` serves."""
    speaks = dialects.get(dialect)
    own = speaks.data.get("schemas", {})
    return tuple((p, d, own.get(p, {}).get(d) or DOCUMENTS[p, d])
                 for p in speaks.protocols for d in ("request", "response", STREAM_DOCUMENT[p], "error"))


@functools.cache
def _schema_surface(dialect: str) -> frozenset[Item]:
    """The items every target of ``dialect`` shares: schema fields, values and bounds, event types, statuses."""
    docs = documents(dialect)
    found = {item for protocol, document, name in docs for item in _document_items(protocol, document, name)}
    found |= {Item(p, d, "type", t) for p, d, name in docs if d == STREAM_DOCUMENT[p] for t in _event_types(p, name)}
    found |= {Item(p, "error", "status", str(s)) for p in dict.fromkeys(p for p, _, _ in docs)
              for s in sorted(DOCUMENTED_STATUSES)}
    return frozenset(found)


def _document_items(protocol: str, document: str, name: str) -> Iterator[Item]:
    for path, node in _nodes(name):
        if path and not path.endswith("[]"):  # an array's items are its field's, not a field of their own
            yield Item(protocol, document, "field", path)
        for value in _values(node) if not _discriminates(protocol, document, path) else ():
            yield Item(protocol, document, "part" if path.endswith(PART_PATHS) else "enum", path, _json(value))
        if document == "request":
            yield from (Item(protocol, document, "bound", path, f"{op}{_json(b)}") for op, b in _bounds(node))


def _discriminates(protocol: str, document: str, path: str) -> bool:
    """The path is a stream event's type key, whose values are ``type`` items, not ``enum`` ones."""
    return document == STREAM_DOCUMENT.get(protocol) and path == EVENT_TYPE[protocol][0]


def _event_types(protocol: str, name: str) -> list[str]:
    """The documented stream event types of the schema ``name``: the discriminating key's values, and the sentinels."""
    key, sentinels = EVENT_TYPE[protocol]
    values = [v for path, node in _nodes(name) if path == key for v in _values(node)]
    return sorted({*map(str, values), *sentinels})


def _model_bounds(model_id: str) -> Iterator[Item]:
    """The bounds of a model's documented ranges on each protocol it speaks."""
    try:
        model = models.get(model_id)
    except KeyError:
        return
    for protocol in model.data.get("protocols", ()):
        for name, field in MODEL_RANGES.get(protocol, {}).items():
            if isinstance(model.data.get(name), dict):
                r = model.range(name)
                for op, bound in ((">=", r.min), ("<=", r.max)):
                    yield Item(protocol, "request", "bound", field, f"{op}{_json(bound)}", model_id)


@functools.cache
def _nodes(name: str) -> tuple[tuple[str, Any], ...]:
    """(path, subschema) for every subschema of ``name`` that applies at a path, ``$ref`` and branches followed."""
    resolved = schemas.registry().resolver().lookup(schemas.uri(name))
    return tuple(_walk(resolved.contents, resolved.resolver, "", frozenset()))


def _walk(node: Any, resolver: Any, path: str, seen: frozenset[int]) -> Iterator[tuple[str, Any]]:
    if not isinstance(node, dict):
        return  # a boolean schema (`else: false`) declares nothing
    yield path, node
    if isinstance(node.get("$ref"), str):
        resolved = resolver.lookup(node["$ref"])
        if id(resolved.contents) not in seen:  # a recursive schema is walked once per path
            yield from _walk(resolved.contents, resolved.resolver, path, seen | {id(resolved.contents)})
    for sub in [*node.get("allOf", ()), *node.get("anyOf", ()), *node.get("oneOf", ()), node.get("then"), node.get("else")]:
        yield from _walk(sub, resolver, path, seen)  # `if` only tests a discriminator: its consts are the branches'
    for key, sub in node.get("properties", {}).items():
        yield from _walk(sub, resolver, f"{path}.{key}" if path else key, seen)
    for sub in [node.get("items"), *node.get("prefixItems", ())]:
        yield from _walk(sub, resolver, f"{path}[]", seen)


def _values(node: dict[str, Any]) -> list[Any]:
    """The scalar values an enum or const names (null left out: it is the absence of a value)."""
    values = [*node.get("enum", ()), *([node["const"]] if "const" in node else [])]
    return [v for v in values if isinstance(v, (str, int, float, bool))]


def _bounds(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for keyword, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if isinstance(node.get(keyword), (int, float)):
            yield op, node[keyword]


def _json(value: Any) -> str:
    """A value as its canonical JSON text (2.0 and 2 are the same bound)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False)


# --- what an exchange shows -------------------------------------------------------------------


def covered_by(exchange: Exchange) -> set[str]:
    """The ids of every item ``exchange`` sends or observes (surface ids, and others never counted).

    The items are those of the exchange's dialect: a protocol the dialect does not serve covers nothing.
    """
    p, found = exchange.protocol, set()
    if p not in STREAM_DOCUMENT or p not in dialects.get(exchange.dialect).protocols:
        return found
    request = exchange.request.json
    model = request.get("model") if isinstance(request.get("model"), str) else None
    found |= _shown(exchange.dialect, p, "request", request, model)
    for document, doc in _responses(exchange):
        found |= _shown(exchange.dialect, p, document, doc, None)
    found |= {str(Item(p, STREAM_DOCUMENT[p], "type", t)) for t in _types_seen(exchange)}
    found.add(str(Item(p, "error", "status", str(exchange.status))))
    return found


def _responses(exchange: Exchange) -> Iterator[tuple[str, Any]]:
    """(document, JSON) for the body, or for each stream event, of the response."""
    document = STREAM_DOCUMENT[exchange.protocol]
    payloads = [d for d in exchange.payloads() if d is not NOT_JSON] if exchange.events else []
    if payloads:
        yield from ((document, d) for d in payloads)
    elif exchange.body is not NOT_JSON:
        yield ("response" if exchange.ok else "error"), exchange.body


def _types_seen(exchange: Exchange) -> set[str]:
    key, sentinels = EVENT_TYPE[exchange.protocol]
    found = {e.data.strip() for e in exchange.events if e.data.strip() in sentinels}
    return found | {str(d[key]) for d in exchange.payloads() if isinstance(d, dict) and isinstance(d.get(key), str)}


def _shown(dialect: str, protocol: str, document: str, doc: Any, model: str | None) -> set[str]:
    """The ids of the items of any model's surface in ``dialect`` that ``doc`` shows: fields, values, bounds."""
    index, out = _index(dialect), set()
    for path, value in _leaves(doc, ""):
        for item in index.get((protocol, document, path), ()):
            if _shows(item, value, model):
                out.add(str(item))
    return out


def _shows(item: Item, value: Any, model: str | None) -> bool:
    """A value at the item's path shows the item: any value a field, an equal one a value or a bound."""
    if item.kind == "field":
        return True
    if not isinstance(value, (str, int, float, bool)) or (item.kind == "bound" and isinstance(value, bool)):
        return False
    text = _json(value)
    if item.kind == "bound":
        return item.value.lstrip("<>=") == text and item.model in ("", model)
    return item.value == text


@functools.cache
def _index(dialect: str) -> dict[tuple[str, str, str], tuple[Item, ...]]:
    """The items of ``dialect`` that a JSON path shows, over every model's ranges: (protocol, document, path) -> items."""
    found: dict[tuple[str, str, str], list[Item]] = {}
    model_ids = [m.id for m in models.all_models()] + list(dialects.get(dialect).models)
    for item in surface(model_ids, dialect):
        if item.kind not in ("type", "status"):
            found.setdefault((item.protocol, item.document, item.path), []).append(item)
    return {k: tuple(v) for k, v in found.items()}


def _leaves(doc: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) for the document and every value inside it, arrays as ``[]``."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(doc, list):
        for value in doc:
            yield from _leaves(value, f"{path}[]")


# --- coverage of a target ---------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """A target's surface and the ids of the items its exchanges covered."""

    target: str
    items: tuple[Item, ...]
    covered: frozenset[str]
    exchanges: int = 0

    def counts(self, side: str) -> tuple[int, int]:
        """(covered, total) items of ``side``."""
        items = [i for i in self.items if i.side == side]
        return sum(str(i) in self.covered for i in items), len(items)

    def uncovered(self, side: str | None = None) -> list[Item]:
        """The items of ``side`` (or of both) no exchange covered."""
        return [i for i in self.items if str(i) not in self.covered and side in (None, i.side)]

    def as_json(self) -> dict[str, Any]:
        """The counts and the uncovered item ids, as the matrix stores them."""
        sent, observed = self.counts("request"), self.counts("response")
        return {"target": self.target, "exchanges": self.exchanges,
                "sent": {"covered": sent[0], "total": sent[1]}, "observed": {"covered": observed[0], "total": observed[1]},
                "uncovered": [str(i) for i in self.uncovered()]}


def of_exchanges(target: str, exchanges: Iterable[Exchange], model_ids: Iterable[str] | None = None) -> Coverage:
    """The coverage of ``target`` by ``exchanges``, over its dialect's surface; per-model bounds for its
    profile's models (else those seen)."""
    exchanges = list(exchanges)
    seen_models = {ex.request.json.get("model") for ex in exchanges}
    ids = list(model_ids) if model_ids is not None else models_for(target, seen_models)
    items = surface(ids, dialect_for(target, {ex.dialect for ex in exchanges}))
    found = set().union(*map(covered_by, exchanges)) if exchanges else set()
    return Coverage(target, items, frozenset(found & {str(i) for i in items}), len(exchanges))


def models_for(target: str, seen: Iterable[Any] = ()) -> list[str]:
    """The models whose ranges count for ``target``: its profile's, else the model ids ``seen``."""
    try:
        profile = load_targets().get(target)
    except TargetError:
        profile = None
    return list(profile.models) if profile else sorted(m for m in seen if isinstance(m, str))


def dialect_for(target: str, seen: Iterable[str] = ()) -> str:
    """The dialect whose surface counts for ``target``: its profile's, else the one dialect ``seen``, else the default."""
    try:
        profile = load_targets().get(target)
    except TargetError:
        profile = None
    if profile:
        return profile.dialect
    seen = set(seen)
    return seen.pop() if len(seen) == 1 else dialects.DEFAULT


def of_files(paths: Iterable[str | Path]) -> dict[str, Coverage]:
    """Coverage per target of the captures under ``paths``: each file's recorded target, else ``unknown``."""
    files, _ = inputs.read_paths_leniently(paths)
    by_target: dict[str, list[Exchange]] = {}
    for captured in files:
        target = captured.recorded_from.get("target") or "unknown"
        by_target.setdefault(target, []).extend(c.exchange for c in captured.exchanges)
    return {t: of_exchanges(t, exs) for t, exs in sorted(by_target.items())}


def summary_line(coverage: Coverage) -> str:
    """``<target>: sent x/y request items, observed a/b response items (n exchanges)``."""
    (s, st), (o, ot) = coverage.counts("request"), coverage.counts("response")
    return (f"{coverage.target}: sent {s}/{st} request items, observed {o}/{ot} response items "
            f"({coverage.exchanges} exchanges)")


# --- floors -----------------------------------------------------------------------------------


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> list[dict[str, Any]]:
    """The exceptions' entries, checked against ``schemas/coverage-exceptions.schema.json``; ValueError names the problem."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = schemas.errors("coverage-exceptions.schema.json", doc)
    if problems:
        raise ValueError(f"{path}: {problems[0]}")
    return doc["exceptions"]


def explained(coverage: Coverage, exceptions: list[dict[str, Any]]) -> dict[str, str]:
    """Each uncovered item id of ``coverage`` that an exception of its target explains, with the reason."""
    out: dict[str, str] = {}
    uncovered = [str(item) for item in coverage.uncovered()]
    for entry in exceptions:
        if coverage.target in _targets(entry):
            for item in uncovered:
                if item not in out and any(_matches(item, p) for p in entry["items"]):
                    out[item] = entry["why"]
    return out


def stale_exceptions(found: dict[str, Coverage], exceptions: list[dict[str, Any]]) -> list[str]:
    """One message per pattern of an exception that explains no uncovered item of its target (or whose target is absent)."""
    uncovered = {target: [str(item) for item in cov.uncovered()] for target, cov in found.items()}
    out = []
    for i, entry in enumerate(exceptions):
        for target in _targets(entry):  # a pattern must explain something of each target it names
            out += [f"exceptions/{i}: {target}: {pattern!r} explains no uncovered item: delete it"
                    for pattern in entry["items"] if not any(_matches(u, pattern) for u in uncovered.get(target, []))]
    return out


def _targets(entry: dict[str, Any]) -> list[str]:
    """The targets an exception names: one, or a list of those the same reason holds for."""
    return [entry["target"]] if isinstance(entry["target"], str) else list(entry["target"])


def _matches(item: str, pattern: str) -> bool:
    """``pattern`` matches the item id, ``*`` standing for any text (``[]`` is literal, as in the ids)."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), item) is not None


def load_floors(path: Path = FLOORS_FILE) -> dict[str, Any]:
    """The floors file, checked against ``schemas/coverage-floors.schema.json``; ValueError names the problem."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = schemas.errors("coverage-floors.schema.json", doc)
    if problems:
        raise ValueError(f"{path}: {problems[0]}")
    return doc


def below_floors(coverage: dict[str, Coverage], floors: dict[str, Any]) -> list[str]:
    """One message per (target, side) whose covered count is under its floor, or whose target is missing."""
    out = []
    for target, sides in sorted(floors["floors"].items()):
        for side, floor in sorted(sides.items()):
            reached = coverage[target].counts(_SIDE[side])[0] if target in coverage else 0
            if reached < floor:
                out.append(f"{target}: {side} {reached} items, under its floor {floor} ({_FLOOR_HINT})")
    return out


_SIDE = {"sent": "request", "observed": "response"}
_FLOOR_HINT = ("record what is missing again, or lower the floor in schemas/coverage-floors.json with a history "
               "entry and a CHANGELOG.md line")
_LOWERED = re.compile(r"coverage floor (?P<target>\S+) (?P<side>sent|observed): (?P<old>\d+) -> (?P<new>\d+)\b")


def unexplained_lowerings(floors: dict[str, Any], changelog: str) -> list[str]:
    """Problems with the floors' history: a floor that is not its last entry, a lowering with no CHANGELOG line."""
    last: dict[tuple[str, str], int] = {}
    out = []
    noted = {(m["target"], m["side"], int(m["old"]), int(m["new"])) for m in _LOWERED.finditer(changelog)}
    for i, step in enumerate(floors["history"]):
        key = (step["target"], step["side"])
        if key in last and step["floor"] < last[key] and (*key, last[key], step["floor"]) not in noted:
            out.append(f"history/{i}: {key[0]} {key[1]} lowered {last[key]} -> {step['floor']} with no CHANGELOG.md "
                       f"line 'coverage floor {key[0]} {key[1]}: {last[key]} -> {step['floor']}: <why>'")
        last[key] = step["floor"]
    for target, sides in floors["floors"].items():
        out += [f"floors/{target}/{side}: {floor}, but the history's last entry says {last.get((target, side))}"
                for side, floor in sides.items() if last.get((target, side)) != floor]
    return out


# --- the command ------------------------------------------------------------------------------


def uncovered_text(found: dict[str, Coverage], exceptions: list[dict[str, Any]] = ()) -> list[str]:
    """Markdown lines: per target, the items never sent and never observed, by document and kind; the ones an
    exception explains come after, under their reason."""
    lines = []
    for target, cov in found.items():
        why = explained(cov, list(exceptions))
        lines += [f"- **{target}**: {summary_line(cov).split(': ', 1)[1]}; {len(why)} of the uncovered explained"]
        groups: dict[str, list[str]] = {}
        reasons: dict[str, list[str]] = {}
        for item in cov.uncovered():
            if str(item) in why:
                reasons.setdefault(why[str(item)], []).append(str(item))
            else:
                groups.setdefault(f"{item.protocol} {item.document} {item.kind}", []).append(item.detail)
        lines += [f"  - {head} ({len(details)}): " + ", ".join(f"`{d}`" for d in details) for head, details in groups.items()]
        lines += [f"  - explained ({len(ids)}): " + ", ".join(f"`{i}`" for i in ids) + f": {reason}"
                  for reason, ids in reasons.items()]
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimo-conformance coverage",
        description="How much of the documented surface captured exchanges cover, per target: request items sent, "
                    "response items observed.",
        epilog="Exit status: 1 with --floors when a target is under a floor, 2 when an input cannot be read, else 0.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="cassettes, HAR files, transcripts, folders "
                                                                  "(default: the committed cassettes/)")
    parser.add_argument("--uncovered", action="store_true", help="also list every item no exchange covered (Markdown)")
    parser.add_argument("--floors", nargs="?", const=str(FLOORS_FILE), metavar="PATH",
                        help=f"fail under the floors of PATH (default {FLOORS_FILE.relative_to(ROOT)})")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Print the coverage per target; 1 under a floor (with --floors), 2 on unreadable input."""
    args = _parser().parse_args(argv)
    try:
        found = of_files(args.paths or [ROOT / "cassettes"])
        floors = load_floors(Path(args.floors)) if args.floors else None
        exceptions = load_exceptions()
    except (inputs.InputError, ValueError, OSError) as exc:
        print(f"mimo-conformance coverage: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(uncovered_text(found, exceptions) if args.uncovered else [summary_line(c) for c in found.values()]))
    below = below_floors(found, floors) if floors else []
    for line in below:
        print(f"mimo-conformance coverage: under a floor: {line}", file=sys.stderr)
    return 1 if below else 0
