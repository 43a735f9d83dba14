"""Hypothesis strategies for MiMo requests, drawn from the request schemas within a model's ranges.

Each parameter is drawn from its own property sub-schema (hypothesis-jsonschema is slow on the
whole request schema: about 85 ms an example), narrowed by the model's documented range; the
conversation and the tools come from small composed strategies; every drawn request is then
filtered through the real contract (schema and model rules), because hypothesis-jsonschema skips
keywords it does not know. A model id of a dialect's own (``mimo-v2-5``) draws from that dialect's
request schema, token field and ranges; Xiaomi's ids from Xiaomi's. Strategies do no I/O.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers as _providers
from hypothesis_jsonschema import from_schema

from . import dialects, models
from .schemas import load

__all__ = ["REQUEST_SCHEMAS", "Defect", "valid_requests", "invalid_requests", "bounds", "from_property"]

REQUEST_SCHEMAS = {"openai": "openai/chat_completions.request.json", "anthropic": "anthropic/messages.request.json"}
TOKEN_FIELDS = {"openai": ("max_completion_tokens", "max_tokens"), "anthropic": ("max_tokens",)}
SAMPLING = {"openai": ("temperature", "top_p", "presence_penalty", "frequency_penalty"), "anthropic": ("temperature", "top_p")}
# x-generation: budgets drawn for valid requests stay small so a live run costs little; the
# documented maxima are exercised by `bounds` instead.
GENERATED_TOKEN_CAP = 512


def _no_local_constants() -> Any:
    return _EMPTY_CONSTANTS


# Hypothesis mixes string and number literals found in the *local modules currently imported* into
# its draws. Which modules are imported differs between recording (the reference server is loaded)
# and replay, and any edit to a literal anywhere changes them, so derandomized draws would stop
# matching the cassettes. Draw from hypothesis' own constants only. (Private API: hypothesis is
# pinned in requirements.txt; tests/test_properties.py pins the behaviour.)
_EMPTY_CONSTANTS = _providers.Constants()
_providers._get_local_constants = _no_local_constants
STOP_FIELD = {"openai": "stop", "anthropic": "stop_sequences"}


@dataclass(frozen=True)
class Defect:
    """What an invalid request breaks: the field the error should name, and the status the docs give."""

    field: str
    kind: str  # out_of_range | wrong_type | missing_required | bad_tool_name | too_many_stops | unknown_model | ...
    status: int = 400


def _dialect(model_id: str) -> dialects.Dialect:
    """The dialect whose words a request for ``model_id`` is drawn in: the one naming the id, else Xiaomi's."""
    return dialects.get(dialects.of_model(model_id))


def _schema_name(protocol: str, model_id: str) -> str:
    speaks = _dialect(model_id)
    return speaks.schema(protocol, "request") if speaks.name != dialects.DEFAULT else REQUEST_SCHEMAS[protocol]


def _declared(protocol: str, model_id: str) -> set[str]:
    """The top-level fields the request schema of the model's dialect declares."""
    return set(load(_schema_name(protocol, model_id)).get("properties", {}))


def _token_fields(protocol: str, model_id: str) -> tuple[str, ...]:
    speaks = _dialect(model_id)
    return speaks.token_fields(protocol) if speaks.name != dialects.DEFAULT else TOKEN_FIELDS[protocol]


def _sampling(protocol: str, model_id: str) -> tuple[str, ...]:
    return tuple(f for f in SAMPLING[protocol] if f in _declared(protocol, model_id))


def _followed(path: str, node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A property that is a ``$ref`` into another schema file, followed: (that file, the node it names)."""
    ref = node.get("$ref", "")
    if "#/" not in ref or ref.startswith("#"):
        return path, node
    target, _, pointer = ref.partition("#")
    folder = path.rsplit("/", 1)[0]
    while target.startswith("../"):
        folder, target = folder.rsplit("/", 1)[0] if "/" in folder else "", target[3:]
    name = f"{folder}/{target}".lstrip("/")
    found: Any = load(name)
    for step in pointer.strip("/").split("/"):
        found = found[step]
    return name, found


def _property(protocol: str, name: str, model_id: str | None = None) -> dict[str, Any]:
    path = _schema_name(protocol, model_id) if model_id else REQUEST_SCHEMAS[protocol]
    path, node = _followed(path, load(path)["properties"][name])
    return {**node, "$defs": load(path).get("$defs", {})}


def from_property(protocol: str, name: str, model_id: str | None = None, **narrow: Any) -> st.SearchStrategy[Any]:
    """Values of the request property ``name`` (of the model's dialect), with keywords (``minimum``…) narrowed by ``narrow``."""
    schema = {**_property(protocol, name, model_id), **narrow}
    return from_schema(schema)


def _range(protocol: str, model: models.Model, name: str) -> tuple[float, float]:
    prop = _property(protocol, name, model.id)
    low, high = prop.get("minimum"), prop.get("maximum")
    if name in model.data and isinstance(model.data[name], dict):
        low, high = _narrowed(low, high, model.data[name]["min"], model.data[name]["max"])
    elif name in _token_fields(protocol, model.id):
        r = model.range("max_tokens")
        low, high = _narrowed(low, high, r.min, r.max)
    return low, high


def _narrowed(low: float | None, high: float | None, at_least: float, at_most: float) -> tuple[float, float]:
    """The schema's range narrowed by the model's (a schema that states no end takes the model's)."""
    return (at_least if low is None else max(low, at_least)), (at_most if high is None else min(high, at_most))


def bounds(protocol: str, model_id: str) -> list[tuple[str, str, float]]:
    """(field, "min"|"max", value) for every ranged numeric field, at the model's documented bounds."""
    model = models.get(model_id)
    fields = _sampling(protocol, model_id) + _token_fields(protocol, model_id)
    return [(f, side, v) for f in fields for side, v in zip(("min", "max"), _range(protocol, model, f))]


words = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs"), exclude_characters="\x00"), min_size=1, max_size=30)
tool_names = st.from_regex(r"\A[a-zA-Z0-9_-]{1,64}\Z")
PARAMETER_SCHEMAS = (
    {"type": "object", "properties": {}},
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["n", "unit"]},
)


def _conversations(protocol: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    user = words.map(lambda t: {"role": "user", "content": t})
    turn = st.tuples(words, words).map(lambda p: [{"role": "assistant", "content": p[0]}, {"role": "user", "content": p[1]}])
    history = st.lists(turn, max_size=2).map(lambda ts: [m for t in ts for m in t])
    first = st.tuples(user, history).map(lambda p: [p[0], *p[1]])
    if protocol == "anthropic":
        return first
    system = st.none() | words.map(lambda t: {"role": "system", "content": t})
    return st.tuples(system, first).map(lambda p: ([p[0]] if p[0] else []) + p[1])


def _tools(protocol: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    params = st.sampled_from(PARAMETER_SCHEMAS)
    if protocol == "openai":
        tool = st.builds(lambda n, p: {"type": "function", "function": {"name": n, "description": "a test tool", "parameters": p}}, tool_names, params)
    else:
        tool = st.builds(lambda n, p: {"name": n, "description": "a test tool", "input_schema": p}, tool_names, params)
    return st.lists(tool, min_size=1, max_size=2, unique_by=lambda t: t.get("name") or t["function"]["name"])


@functools.cache
def _optional_fields(protocol: str, model_id: str) -> dict[str, st.SearchStrategy[Any]]:
    # Xiaomi's fields, in Xiaomi's order (a replay meets the recorded draws); a dialect's own model only those its
    # schema declares, its thinking switch under its own name.
    model, declared = models.get(model_id), _declared(protocol, model_id)
    fields = {}
    for name in _sampling(protocol, model_id):
        low, high = _range(protocol, model, name)
        fields[name] = from_property(protocol, name, model_id, minimum=low, maximum=high, type="number")
    if STOP_FIELD[protocol] in declared:
        fields[STOP_FIELD[protocol]] = from_property(protocol, STOP_FIELD[protocol], model_id, maxItems=4).filter(_no_empty_stop)
    fields["stream"] = st.booleans()
    switch = (_dialect(model_id).data.get("thinking") or {}).get("field")
    if model.thinking["supported"] and switch in declared:
        fields[switch] = from_property(protocol, switch, model_id)
    if model.data.get("tools") and "tools" in declared:
        fields["tools"] = _tools(protocol)
    if protocol == "openai" and model.data.get("json_object") and "response_format" in declared:
        fields["response_format"] = from_property(protocol, "response_format", model_id)
    return fields


def _no_empty_stop(value: Any) -> bool:
    return value != "" and (not isinstance(value, list) or all(s != "" for s in value))


def valid_requests(protocol: str, model_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Requests the docs allow for this model and protocol, each one checked by the contract."""
    from .contract import request_violations

    budget = st.integers(1, GENERATED_TOKEN_CAP)  # always sent, so a live run's cost stays bounded
    required = {"model": st.just(model_id), "messages": _conversations(protocol), _token_fields(protocol, model_id)[0]: budget}
    body = st.fixed_dictionaries(required, optional=_optional_fields(protocol, model_id))
    dialect = dialects.of_model(model_id)
    return body.filter(lambda b: not request_violations(protocol, b, dialect=dialect))


def _outside(low: float, high: float, integer: bool) -> st.SearchStrategy[float]:
    step = 1 if integer else 1e-6
    make = st.integers if integer else functools.partial(st.floats, allow_nan=False, allow_infinity=False)
    below = make(max_value=low - step) if integer else make(max_value=low - step, min_value=low - 1e3)
    above = make(min_value=high + step) if integer else make(min_value=high + step, max_value=high + 1e3)
    return below | above


def _out_of_range(protocol: str, model: models.Model) -> list[st.SearchStrategy[tuple[str, Any, Defect]]]:
    out = []
    tokens = _token_fields(protocol, model.id)
    for name in _sampling(protocol, model.id) + tokens:
        low, high = _range(protocol, model, name)
        values = _outside(low, high, integer=name in tokens)
        out.append(values.map(lambda v, n=name: (n, v, Defect(n, "out_of_range"))))
    return out


def _wrong_types(protocol: str, model_id: str = "") -> list[st.SearchStrategy[tuple[str, Any, Defect]]]:
    token = _token_fields(protocol, model_id)[0] if model_id else TOKEN_FIELDS[protocol][0]
    wrong = {"temperature": st.text(max_size=5), "top_p": st.just([0.5]), "stream": st.sampled_from(["yes", 1]),
             "messages": words, token: st.sampled_from([1.5, "64"])}
    declared = _declared(protocol, model_id) if model_id else set(wrong)
    return [s.map(lambda v, n=n: (n, v, Defect(n, "wrong_type"))) for n, s in wrong.items() if n in declared]


def _tool_defects(protocol: str) -> st.SearchStrategy[tuple[str, Any, Defect]]:
    # docs/sources.md#openai-api § Request body > tools > Function tool > function > name: a-z, A-Z, 0-9, _ and -, at
    # most 64
    bad = st.from_regex(r"\A[a-zA-Z0-9_-]{65,80}\Z") | st.from_regex(r"\A[a-z]{1,10}[ .!/][a-z]{1,10}\Z")
    tool = bad.map(lambda n: [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}])
    return tool.map(lambda t: ("tools", t, Defect("name", "bad_tool_name")))


def invalid_requests(protocol: str, model_id: str) -> st.SearchStrategy[tuple[dict[str, Any], Defect]]:
    """A valid request with exactly one documented rule broken, and what that rule is."""
    model, declared = models.get(model_id), _declared(protocol, model_id)
    setters = _out_of_range(protocol, model) + _wrong_types(protocol, model_id)
    if protocol == "openai":  # the name pattern and the four-stop limit are documented for OpenAI only
        setters += [_tool_defects(protocol)] if "tools" in declared else []
        stops = st.lists(words, min_size=5, max_size=8)
        setters.append(stops.map(lambda v: ("stop", v, Defect("stop", "too_many_stops"))))
    setters.append(st.from_regex(r"\Amimo-zz-[a-z0-9]{1,8}\Z").map(lambda v: ("model", v, Defect("model", "unknown_model"))))
    change = st.one_of(setters)
    missing = st.sampled_from(["model", "messages"]).map(lambda n: (n, _DROP, Defect(n, "missing_required")))
    drawn = st.tuples(valid_requests(protocol, model_id), change | missing).map(_apply)
    dialect = dialects.of_model(model_id)
    if dialect == dialects.DEFAULT:
        return drawn  # every change breaks a rule of Xiaomi's (tests/test_strategies.py)
    from .contract import request_violations

    return drawn.filter(lambda pair: bool(request_violations(protocol, pair[0], dialect=dialect)))


_DROP = object()


def _apply(pair: tuple[dict[str, Any], tuple[str, Any, Defect]]) -> tuple[dict[str, Any], Defect]:
    body, (name, value, defect) = dict(pair[0]), pair[1]
    if value is _DROP:
        body.pop(name, None)
    else:
        body[name] = value
    return body, defect
