"""The JSON Schemas under schemas/: well-formed, faithful to the seed examples, and exact at every bound.

The verdicts are data (tests/data/schema_cases/*.json, one JSON-Schema-Test-Suite-style file per
subject; tests/data/seed_examples/*.json, copied verbatim from docs/sources.md's documents); this module is the runner.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from conformance.schemas import BASE_URI, SCHEMA_DIR, _refs, errors, fast_validator, load, validator

DATA = Path(__file__).parent / "data"
SOURCE_DOC = re.compile(r"^docs/sources\.md#[a-z0-9-]+$")  # a document of docs/sources.md
REQUEST_SCHEMAS = ["openai/chat_completions.request.json", "anthropic/messages.request.json"]
# Field names differ per protocol; the models data states one range per field for both.
REQUEST_RANGES = {
    "openai": {"max_tokens": "max_completion_tokens", "temperature": "temperature", "top_p": "top_p"},
    "anthropic": {"max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p"},
}
PROTOCOL_SCHEMA = dict(zip(("openai", "anthropic"), REQUEST_SCHEMAS))
# Definitions each response-side file keeps a copy of, so every file stays self-contained.
SHARED_DEFS = [
    ("openai/chat_completions.response.json", "openai/chat_completions.chunk.json", ["annotation", "audio", "usage"]),
    ("anthropic/messages.response.json", "anthropic/messages.event.json", ["text_block", "thinking_block", "tool_use_block", "usage"]),
]


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _schema_files() -> list[str]:
    names = (p.relative_to(SCHEMA_DIR).as_posix() for p in sorted(SCHEMA_DIR.rglob("*.json")))
    return [n for n in names if "$schema" in load(n)]


def _cases() -> Iterator[Any]:
    for path in sorted((DATA / "schema_cases").glob("*.json")):
        for group in _read(path):
            for test in group["tests"]:
                case_id = f"{path.stem}: {group['description']}: {test['description']}"
                yield pytest.param(group["schema"], test, id=case_id)


def _seed_examples() -> list[Any]:
    return [pytest.param(_read(p), id=p.stem) for p in sorted((DATA / "seed_examples").glob("*.json"))]


def _models() -> list[dict[str, Any]]:
    return load("models.json")["models"]


@pytest.mark.parametrize("name", list(_schema_files()))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(load(name))


@pytest.mark.parametrize("name", list(_schema_files()))
def test_schema_id_is_its_path(name: str) -> None:
    assert load(name)["$id"] == BASE_URI + name


@pytest.mark.parametrize(("schema", "test"), list(_cases()))
def test_schema_gives_the_expected_verdict(schema: str, test: dict[str, Any]) -> None:
    found = errors(schema, test["data"])
    if test["valid"]:
        assert found == [], [str(e) for e in found]
    else:
        assert test["pointer"] in [e.pointer for e in found], [str(e) for e in found] or "accepted"


@pytest.mark.parametrize(("schema", "test"), list(_cases()))
def test_fast_validator_agrees_with_jsonschema(schema: str, test: dict[str, Any]) -> None:
    # errors() trusts jsonschema-rs's "valid" to skip jsonschema; they must never disagree
    assert fast_validator(schema).is_valid(test["data"]) == validator(schema).is_valid(test["data"])


def test_case_files_follow_their_schema() -> None:
    validator = Draft202012Validator(_read(DATA / "schema_cases.schema.json"))
    for path in sorted((DATA / "schema_cases").glob("*.json")):
        problems = [f"{path.name}{e.json_path}: {e.message}" for e in validator.iter_errors(_read(path))]
        assert problems == []


def test_case_ids_are_unique() -> None:
    ids = [p.id for p in _cases()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("example", list(_seed_examples()))
def test_seed_example_is_valid(example: dict[str, Any]) -> None:
    assert [str(e) for e in errors(example["schema"], example["data"])] == []


@pytest.mark.parametrize("example", list(_seed_examples()))
def test_seed_example_names_its_seed(example: dict[str, Any]) -> None:
    assert SOURCE_DOC.match(example["source"].split(" § ")[0]), example["source"]


def test_models_data_matches_its_schema() -> None:
    assert [str(e) for e in errors("models.schema.json", load("models.json"))] == []


def test_model_ids_are_unique() -> None:
    ids = [m["id"] for m in _models()]
    assert len(ids) == len(set(ids))


def _global_range(protocol: str, field: str) -> tuple[float, float]:
    prop = load(PROTOCOL_SCHEMA[protocol])["properties"][REQUEST_RANGES[protocol][field]]
    return prop["minimum"], prop["maximum"]


@pytest.mark.parametrize("model", list(_models()), ids=lambda m: m["id"])
def test_model_ranges_sit_inside_the_request_ranges(model: dict[str, Any]) -> None:
    for protocol in model["protocols"]:
        for field in REQUEST_RANGES[protocol]:
            low, high = _global_range(protocol, field)
            r = model[field]
            assert low <= r["min"] <= r["max"] <= high, (protocol, field, r)
            assert r["default"] is None or r["min"] <= r["default"] <= r["max"], (field, r)


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_request_schema_is_self_contained(name: str) -> None:
    # hypothesis-jsonschema resolves only local references.
    assert [r for r in _refs(load(name)) if not r.startswith("#/$defs/")] == []


@pytest.mark.parametrize(("left", "right", "names"), SHARED_DEFS, ids=lambda v: v if isinstance(v, str) else None)
def test_shared_definitions_stay_identical(left: str, right: str, names: list[str]) -> None:
    for name in names:
        assert load(left)["$defs"][name] == load(right)["$defs"][name], name


def _generation_targets() -> Iterator[Any]:
    for name in REQUEST_SCHEMAS:
        yield pytest.param(name, None, id=f"{name}")
        for definition in load(name)["$defs"]:
            yield pytest.param(name, definition, id=f"{name}#/$defs/{definition}")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "definition"), list(_generation_targets()))
def test_hypothesis_draws_valid_instances(name: str, definition: str | None) -> None:
    root = {k: v for k, v in load(name).items() if k != "$id"}
    schema = root if definition is None else {**root["$defs"][definition], "$defs": root["$defs"]}
    validator = Draft202012Validator(schema)
    drawn = []

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(schema, custom_formats=None))
    def draw(instance: Any) -> None:
        drawn.append(instance)
        assert validator.is_valid(instance), instance

    draw()
    assert drawn
