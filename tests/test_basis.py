"""Every rule says where it comes from, and its severity follows: documented, observed or reference.

Schema keywords take the basis of the nearest node that states one (``x-basis``, or ``x-source``:
documented); a node that qualifies a rule with ``x-observed`` or ``x-note`` but cites no document
must state its basis. Checks are registered with a basis and a source; the contract's per-model
rules and the cases' expectations carry theirs too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from conformance import cases, checks, contract, schemas
from conformance.basis import BASES, CAP, UNKNOWN, Rule, cap, of_node
from conformance.citations import parse

SCHEMA_DIR = Path(schemas.SCHEMA_DIR)
# The protocols' schemas and the dialects' own (schemas/dialects/<name>/…); not the data files beside them.
PROTOCOL_SCHEMAS = sorted(name for name in (p.relative_to(SCHEMA_DIR).as_posix() for p in SCHEMA_DIR.rglob("*.json"))
                          if "/" in name and not name.startswith("evals/") and "$schema" in schemas.load(name))
CONSTRAINTS = {"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
               "minLength", "maxLength", "pattern", "required", "additionalProperties", "uniqueItems", "minProperties"}
MAPS = ("properties", "patternProperties", "$defs")  # their values are schemas, their keys names


def nodes(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every schema node of a file, with its structural path; ``if``/``not`` tests and annotations left out."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key.startswith("x-") or key in ("if", "not", "const", "enum", "default", "examples"):
                continue
            if key in MAPS and isinstance(value, dict):
                for name, sub in value.items():
                    yield from nodes(sub, (*path, key, name))
            elif isinstance(value, (dict, list)):
                yield from nodes(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from nodes(value, (*path, i))


def unstated(doc: dict) -> list[str]:
    """Pointers of the nodes that qualify a rule (x-observed, x-note) without citing a document or stating a basis."""
    return ["/" + "/".join(map(str, p)) for p, n in nodes(doc)
            if ("x-observed" in n or "x-note" in n) and "x-source" not in n and "x-basis" not in n]


@pytest.mark.parametrize("name", PROTOCOL_SCHEMAS)
def test_a_node_that_qualifies_a_rule_states_its_basis(name: str) -> None:
    assert unstated(schemas.load(name)) == []


def test_a_node_with_only_a_note_is_flagged() -> None:
    assert unstated({"type": "object", "properties": {"n": {"type": "integer", "x-note": "our choice"}}}) == ["/properties/n"]


@pytest.mark.parametrize("name", PROTOCOL_SCHEMAS)
def test_every_keyword_of_every_schema_resolves_to_a_basis(name: str) -> None:
    missing = [(p, k) for p, n in nodes(schemas.load(name)) for k in set(n) & CONSTRAINTS
               if schemas.rule_at(name, (*p, k)) is UNKNOWN]
    assert missing == []


@pytest.mark.parametrize("name", PROTOCOL_SCHEMAS)
def test_every_stated_basis_is_a_known_one(name: str) -> None:
    stated = [n["x-basis"] for _, n in nodes(schemas.load(name)) if "x-basis" in n]
    flat = [v for s in stated for v in (s.values() if isinstance(s, dict) else [s])]
    assert flat and set(flat) <= set(BASES) or not stated


def test_a_keyword_basis_overrides_the_node_and_the_rest_stays_documented() -> None:
    node = {"x-source": "docs/sources.md#openai-api § Request body > messages", "x-basis": {"minItems": "reference", "*": "documented"}}
    assert of_node(node, "minItems").basis == "reference" and of_node(node, "type").basis == "documented"
    assert schemas.rule_at("openai/chat_completions.request.json", ("properties", "messages", "minItems")).basis == "reference"
    assert schemas.rule_at("openai/chat_completions.request.json", ("properties", "max_tokens", "maximum")).basis == "observed"
    assert schemas.rule_at("openai/chat_completions.request.json", ("properties", "temperature", "maximum")).basis == "documented"


def test_a_basis_caps_the_severity_of_its_findings() -> None:
    assert [cap("contract", Rule(b)) for b in BASES] == ["contract", "compat", "info"] == [CAP[b] for b in BASES]
    assert cap("info", Rule("documented")) == "info"  # a check may weigh less than its basis allows, never more


def test_a_check_cannot_claim_more_than_its_basis_allows() -> None:
    with pytest.raises(ValueError, match="at or below 'compat'"):
        checks.check("openai.test.too_strong", basis="observed", source="x", severity="contract")(lambda ex: [])


@pytest.mark.parametrize("check", checks.all_checks(), ids=lambda c: c.id)
def test_every_check_cites_where_its_rule_comes_from(check) -> None:
    assert check.basis in BASES and check.severity in ("contract", "compat", "info")
    if check.basis == "reference":
        assert len(check.rule.source) > 20, "a reference choice says why the docs do not decide it"
    else:
        cited = {c.document.split("#")[0] for c in parse(check.rule.source)}
        want = "docs/sources.md" if check.basis == "documented" else "docs/observed.md"
        assert want in cited, f"{check.id}: {check.basis} but cites {check.rule.source!r}"


@pytest.mark.parametrize("body, rule, basis", [
    ({"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}], "temperature": 3}, "schema:maximum", "documented"),
    ({"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, "schema:minimum", "observed"),
    ({"model": "mimo-v2.5-pro", "messages": []}, "schema:minItems", "reference"),
    ({"model": "mimo-v2-flash", "messages": [{"role": "user", "content": "hi"}]}, "model_not_retired", "observed"),
    ({"model": "nobody-knows-it", "messages": [{"role": "user", "content": "hi"}]}, "model_supported", "observed"),
])
def test_each_violation_of_the_contract_carries_its_rule(body: dict, rule: str, basis: str) -> None:
    found = contract.request_violations("openai", body)
    assert [(v.rule, v.grounds.basis) for v in found][:1] == [(rule, basis)]


def test_a_retired_model_is_judged_at_the_time_of_the_request() -> None:
    from datetime import date

    body = {"model": "mimo-v2-flash", "messages": [{"role": "user", "content": "hi"}]}
    assert contract.request_violations("openai", body, when=date(2026, 5, 1)) == []
    assert [v.scope for v in contract.request_violations("openai", body, when=date(2026, 7, 1))] == ["model"]


def test_the_weakest_field_a_valid_request_leans_on_sets_its_grounds() -> None:
    ask = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}]}
    assert contract.request_grounds("openai", {**ask, "max_completion_tokens": 8}).basis == "documented"
    assert contract.request_grounds("openai", {**ask, "max_tokens": 8}).basis == "observed"
    assert contract.request_grounds("openai", {**ask, "x_vendor_flag": True}).basis == "observed"
    assert contract.request_grounds("openai", {**ask, "tool_choice": {"type": "function", "function": {"name": "f"}}}).basis == "documented"


def test_every_case_states_a_basis() -> None:
    missing = [(rel, c["id"]) for rel, doc in cases.load_files() for c in doc["cases"] if c.get("basis") not in BASES]
    assert missing == []


def test_the_checks_command_prints_the_basis(capsys: pytest.CaptureFixture) -> None:
    from conformance import cli

    assert cli.main(["checks"]) == 0
    out = capsys.readouterr().out
    assert "openai.stream.done_is_last                       compat    observed" in out
    assert out.rstrip().splitlines()[-1].startswith(f"{len(checks.all_checks())} checks: ")
