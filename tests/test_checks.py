"""Every check stays quiet on well-formed exchanges and fires on its broken cases.

The cases are data under tests/data/exchanges: good/ holds hand-made transcripts shaped like the
live API (docs/observed.md), broken/ holds one deviation each, as a JSON Patch on a good transcript.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonpatch import apply_patch
from jsonschema import Draft202012Validator

from conformance import checks
from conformance.checks import _modules  # noqa: F401 - fills the registry
from conformance.exchange import Exchange
from conformance.transcript import load_exchange

DATA = Path(__file__).parent / "data" / "exchanges"
GOOD = sorted((DATA / "good").glob("*.json"))
BROKEN = sorted((DATA / "broken").glob("*.json"))
PAIRS = json.loads((DATA / "pairs.json").read_text(encoding="utf-8"))["pairs"]


def read(path: Path) -> Any:
    """A JSON data file."""
    return json.loads(path.read_text(encoding="utf-8"))


def broken_exchanges(case: dict[str, Any]) -> tuple[Exchange, ...]:
    """The exchange (or the streamed, plain pair) a broken case describes."""
    if "transcript" in case:
        return (load_exchange(case["transcript"]),)
    if isinstance(case["base"], list):
        streamed, plain = (read(DATA / "good" / name) for name in case["base"])
        doc = apply_patch({"streamed": streamed, "plain": plain}, case["patch"])
        return load_exchange(doc["streamed"]), load_exchange(doc["plain"])
    return (load_exchange(apply_patch(read(DATA / "good" / case["base"]), case["patch"])),)


def _at(location: str, expected: str) -> bool:
    return location == expected or (expected != "" and location.startswith(expected))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_exchange_has_no_contract_finding(path: Path) -> None:
    findings = [f for f in checks.run(load_exchange(read(path))) if f.severity == "contract"]
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_exchange_says_it_is_hand_made(path: Path) -> None:
    assert read(path)["description"].startswith("Hand-made test data")


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[0].removesuffix(".json"))
def test_good_pair_has_no_contract_finding(pair: list[str]) -> None:
    streamed, plain = (load_exchange(read(DATA / "good" / name)) for name in pair)
    assert checks.applicable(streamed, plain), "no pair check applies"
    findings = [f for f in checks.run_pair(streamed, plain) if f.severity == "contract"]
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_case_follows_its_schema(path: Path) -> None:
    errors = Draft202012Validator(read(DATA / "broken.schema.json")).iter_errors(read(path))
    assert not [e.message for e in errors]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_case_fails_its_check(path: Path) -> None:
    case = read(path)
    exchanges, check = broken_exchanges(case), checks.get(case["check"])
    assert check.applies(*exchanges), f"{check.id} does not apply to this exchange"
    findings = check.findings(*exchanges)
    assert not [f for f in findings if f.message.startswith("check crashed")], findings
    assert any(_at(f.location, case["location"]) for f in findings), (
        f"expected a finding at {case['location']!r}, got: " + ("\n".join(map(str, findings)) or "none")
    )


def test_every_check_has_a_broken_case() -> None:
    covered = {read(path)["check"] for path in BROKEN}
    assert sorted(set(checks.REGISTRY) - covered) == []


def test_every_broken_case_names_a_registered_check() -> None:
    named = {read(path)["check"] for path in BROKEN}
    assert sorted(named - set(checks.REGISTRY)) == []


def test_a_created_that_ticks_over_is_one_finding_not_one_per_chunk() -> None:
    # llama-server stamps each chunk with the current second: a long stream must not print a line per event.
    doc = read(DATA / "good" / "openai_stream_reasoning.json")
    doc["sse"] = [line.replace('"created":1788000100', '"created":1788000101') if i > 2 else line
                  for i, line in enumerate(doc["sse"])]
    findings = checks.get("openai.stream.constant_identity").findings(load_exchange(doc))
    assert [(f.location, f.message.split(" (")[0]) for f in findings] == [
        ("event 2 /created", "expected 1788000100 as in event 0, got 1788000101")]
    assert "later events" in findings[0].message


def _documents() -> list[tuple[str, Any]]:
    """Every JSON document of the recorded reference and llama-server slices, with the schema it is held to."""
    from conformance.checks.declared import SCHEMAS
    from conformance.exchange import NOT_JSON
    from conformance.inputs import read_file

    root = Path(__file__).resolve().parent.parent / "cassettes"
    paths = sorted((root / "reference" / "xiaomi" / "test_cases").glob("*.json"))[::4]
    paths += sorted((root / "llama-server" / "llama-cpp" / "test_cases").glob("*.json"))[::8]
    docs = []
    for path in paths:
        for c in read_file(path).exchanges:
            ex = c.exchange
            plain, event, error = SCHEMAS[ex.protocol]
            found = [(error, ex.error_body())] if not ex.ok else [(plain, ex.body)] if not ex.streamed else [
                (event, p) for p in ex.payloads()[:40]]
            docs += [(name, doc) for name, doc in found if doc is not NOT_JSON]
    return docs


def test_the_closed_schema_shortcut_never_hides_an_undeclared_key() -> None:
    # conformance.declared answers "nothing undeclared" from a closed schema when the instance is valid
    # under it; the walk is the definition. On recorded documents with and without extra keys, the
    # shortcut must never say "clean" where the walk finds a key, and the findings must be the walk's.
    from conformance import declared

    docs = _documents()
    walked = {i: declared._walk_all(name, doc) for i, (name, doc) in enumerate(docs)}
    assert any(walked.values()) and not all(walked.values()), "the sample needs documents of both kinds"
    for i, (name, doc) in enumerate(docs):
        assert declared.undeclared(name, doc) == walked[i], (name, doc)


def test_an_extra_key_deep_in_a_stream_event_is_found() -> None:
    from conformance import declared

    event = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi", "cost": 1}}
    assert declared.undeclared("anthropic/messages.event.json", event) == ["/delta/cost"]
    event["delta"].pop("cost")
    assert declared.undeclared("anthropic/messages.event.json", event) == []
