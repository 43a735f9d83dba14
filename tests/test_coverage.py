"""Coverage of the documented surface: the items come from the schemas, exchanges cover them, floors hold."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest

from conformance import coverage, dialects, targets
from conformance.exchange import Exchange, Request
from conformance.transcript import load_exchange

ROOT = Path(__file__).resolve().parent.parent
GOOD = Path(__file__).parent / "data" / "exchanges" / "good"


def _exchange(name: str) -> Exchange:
    return load_exchange(json.loads((GOOD / name).read_text(encoding="utf-8")))


def _openai(body: dict, status: int = 200, text: str = '{"object": "chat.completion"}') -> Exchange:
    request = Request("POST", "http://127.0.0.1/v1/chat/completions", {}, body)
    return Exchange("openai", request, status, {"content-type": "application/json"}, text)


def test_the_public_surface_is_pinned() -> None:
    assert coverage.__all__ == [
        "DOCUMENTS", "SIDES", "Item", "Coverage", "surface", "covered_by", "of_exchanges", "models_for", "dialect_for",
        "documents", "of_files", "FLOORS_FILE", "CHANGELOG", "EXCEPTIONS_FILE", "load_exceptions", "explained",
        "stale_exceptions", "load_floors", "below_floors", "unexplained_lowerings", "summary_line",
        "uncovered_text", "main"]


@pytest.mark.parametrize("item", [
    "openai request field messages[].content[].image_url.url",
    "openai request part messages[].content[].type=\"video_url\"",
    "openai request enum response_format.type=\"json_object\"",
    "openai request bound temperature<=1.5",
    "openai request bound messages[].content[].fps>=0.1",
    "openai request bound max_completion_tokens<=8192 (mimo-v2.5-tts)",
    "anthropic request bound max_tokens>=1 (mimo-v2.5-pro)",
    "anthropic request part messages[].content[].type=\"tool_result\"",
    "openai response field choices[].message.reasoning_content",
    "openai chunk field choices[].delta.tool_calls[].function.arguments",
    "openai chunk type [DONE]",
    "anthropic event type content_block_delta",
    "anthropic event enum delta.type=\"thinking_delta\"",
    "anthropic response part content[].type=\"tool_use\"",
    "openai error status 421",
    "anthropic error status 503",
])
def test_the_surface_holds_each_kind_of_documented_item(item: str) -> None:
    assert item in map(str, coverage.surface(["mimo-v2.5-pro", "mimo-v2.5-tts"]))


def test_the_surface_has_every_documented_status_per_protocol() -> None:
    statuses = {(i.protocol, i.detail) for i in coverage.surface() if i.kind == "status"}
    assert statuses == {(p, s) for p in ("openai", "anthropic") for s in ("400", "401", "402", "403", "404", "421",
                                                                             "429", "500", "503")}


def test_a_model_brings_its_own_ranges_and_no_other() -> None:
    tts = {str(i) for i in coverage.surface(["mimo-v2.5-tts"])} - {str(i) for i in coverage.surface()}
    assert tts == {f"openai request bound {f} ({'mimo-v2.5-tts'})" for f in (
        "max_completion_tokens>=1", "max_completion_tokens<=8192", "temperature>=0", "temperature<=1.5",
        "top_p>=0.01", "top_p<=1")}  # a TTS model speaks OpenAI only


def test_an_exchange_covers_what_its_request_and_response_show() -> None:
    body = {"model": "mimo-v2.5-pro", "temperature": 1.5, "top_p": 0.5, "response_format": {"type": "json_object"},
            "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]}
    found = coverage.covered_by(_openai(body))
    assert {"openai request field messages[].content[].image_url.url", "openai request bound temperature<=1.5",
            "openai request bound temperature<=1.5 (mimo-v2.5-pro)", "openai request part messages[].content[].type=\"image_url\"",
            "openai request enum response_format.type=\"json_object\"", "openai response enum object=\"chat.completion\""} <= found
    assert "openai request bound top_p<=1" not in found  # 0.5 sits between the bounds, on neither
    assert "openai request field tools" not in found


def test_an_error_answer_covers_its_status_and_error_fields() -> None:
    found = coverage.covered_by(_exchange("openai_error_wrong_key.json"))
    assert {"openai error status 401", "openai error field error.message"} <= found
    assert "openai response field id" not in found


def test_a_stream_covers_its_event_types_and_event_fields() -> None:
    found = coverage.covered_by(_exchange("anthropic_stream_thinking_tool_use.json"))
    assert {"anthropic event type message_start", "anthropic event type content_block_delta",
            "anthropic event enum delta.type=\"thinking_delta\"", "anthropic event field delta.partial_json"} <= found


def test_coverage_counts_each_side_against_the_surface() -> None:
    found = coverage.of_exchanges("reference", [_openai({"model": "mimo-v2.5-pro", "messages": []})])
    sent, total = found.counts("request")
    assert 0 < sent < total == len([i for i in found.items if i.side == "request"])
    assert "openai request field model" in found.covered
    assert str(coverage.Item("openai", "request", "field", "tools")) in map(str, found.uncovered("request"))


def test_a_dialect_has_the_surface_of_the_protocols_it_serves_in_its_own_schemas() -> None:
    aggregator = {str(i) for i in coverage.surface(["xiaomi/mimo-v2.5-pro"], "aggregator")}
    assert {i.split()[0] for i in aggregator} == {"openai"}  # the aggregator serves no Anthropic endpoint
    assert "openai request field top_a" in aggregator  # a parameter of its own page
    assert "openai request field top_a" not in map(str, coverage.surface())
    assert "openai request bound max_completion_tokens<=131072 (xiaomi/mimo-v2.5-pro)" in aggregator
    empiriolabs = {str(i) for i in coverage.surface(["mimo-v2-5"], "empiriolabs")}
    assert {i.split()[0] for i in empiriolabs} == {"openai", "anthropic", "responses"}
    assert {"responses request field input", "responses event type response.completed", "responses error status 401",
            "openai request field enable_thinking"} <= empiriolabs


def test_an_exchange_covers_its_dialects_items_only() -> None:
    body = {"model": "xiaomi/mimo-v2.5-pro", "top_a": 0.5, "messages": [{"role": "user", "content": "hi"}]}
    spoken = _openai(body)
    assert "openai request field top_a" not in coverage.covered_by(spoken)  # in Xiaomi's words, no such field
    assert "openai request field top_a" in coverage.covered_by(dataclasses.replace(spoken, dialect="aggregator"))
    anthropic = dataclasses.replace(_exchange("anthropic_stream_thinking_tool_use.json"), dialect="aggregator")
    assert coverage.covered_by(anthropic) == set()  # a protocol the dialect does not serve covers nothing of it


def test_a_target_is_counted_over_its_profiles_dialect() -> None:
    assert coverage.dialect_for("reference-empiriolabs") == "empiriolabs"
    assert coverage.dialect_for("host-gateway.example", {"aggregator"}) == "aggregator"
    assert coverage.dialect_for("host-gateway.example", {"aggregator", "xiaomi"}) == "xiaomi"
    found = coverage.of_exchanges("reference-aggregator", [_openai({"model": "xiaomi/mimo-v2.5-pro", "messages": []})])
    assert {i.protocol for i in found.items} == {"openai"}


# --- floors -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed() -> dict[str, coverage.Coverage]:
    """The coverage of the committed cassettes, per target."""
    return coverage.of_files([ROOT / "cassettes"])


@pytest.mark.slow
def test_the_committed_cassettes_reach_every_floor(committed: dict[str, coverage.Coverage]) -> None:
    assert coverage.below_floors(committed, coverage.load_floors()) == []


@pytest.mark.slow
def test_a_drop_under_a_floor_fails(committed: dict[str, coverage.Coverage]) -> None:
    reference = committed["reference"]
    dropped = sorted(reference.covered)[1:]  # one item fewer than the cassettes reach
    floors = {"floors": {"reference": {"sent": reference.counts("request")[0],
                                       "observed": reference.counts("response")[0]}}, "history": []}
    smaller = coverage.Coverage("reference", reference.items, frozenset(dropped), reference.exchanges)
    assert coverage.below_floors({"reference": reference}, floors) == []
    assert len(coverage.below_floors({"reference": smaller}, floors)) == 1
    assert coverage.below_floors({}, floors)[0].startswith("reference: observed 0 items, under its floor")


def test_each_floor_is_its_last_history_entry_and_every_lowering_is_in_the_changelog() -> None:
    assert coverage.unexplained_lowerings(coverage.load_floors(), coverage.CHANGELOG.read_text(encoding="utf-8")) == []


def _lowered(floors: dict) -> dict:
    lowered = copy.deepcopy(floors)
    first = lowered["history"][0]
    current = lowered["floors"][first["target"]][first["side"]]
    new = {**first, "floor": current - 1, "why": "a case was removed"}
    lowered["history"].append(new)
    lowered["floors"][first["target"]][first["side"]] = new["floor"]
    return lowered


def test_a_lowered_floor_without_a_changelog_line_is_refused() -> None:
    lowered = _lowered(coverage.load_floors())
    step = lowered["history"][-1]
    line = f"coverage floor {step['target']} {step['side']}: {step['floor'] + 1} -> {step['floor']}: a case was removed"
    changelog = coverage.CHANGELOG.read_text(encoding="utf-8")  # the lowerings the repository already explains
    problems = coverage.unexplained_lowerings(lowered, changelog)
    assert len(problems) == 1 and line.rsplit(":", 1)[0] in problems[0]
    assert coverage.unexplained_lowerings(lowered, f"{changelog}- {line}\n") == []


def test_a_floor_edited_without_a_history_entry_is_refused() -> None:
    floors = coverage.load_floors()
    target, sides = next(iter(floors["floors"].items()))
    side = next(iter(sides))
    floors["floors"][target][side] -= 10
    assert coverage.unexplained_lowerings(floors, coverage.CHANGELOG.read_text(encoding="utf-8")) == [
        f"floors/{target}/{side}: {sides[side]}, but the history's last entry says {sides[side] + 10}"]


def test_the_floors_file_is_checked_against_its_schema(tmp_path: Path) -> None:
    bad = tmp_path / "floors.json"
    bad.write_text(json.dumps({"floors": {"reference": {"sent": -1}}, "history": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="floors.json: /floors/reference/sent"):
        coverage.load_floors(bad)


@pytest.mark.slow
def test_the_coverage_command_fails_under_a_floor(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"floors": {"reference": {"sent": 10_000}}, "history": []}), encoding="utf-8")
    assert coverage.main([str(ROOT / "cassettes" / "reference"), "--floors", str(floors)]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("reference: sent ") and "under its floor 10000" in out.err
    assert coverage.main([str(ROOT / "cassettes" / "llama-server"), "--uncovered"]) == 0  # no exceptions: its gaps by group
    listed = capsys.readouterr().out
    assert listed.startswith("- **llama-server**: sent ")
    assert re.search(r"^  - (openai|anthropic) \w+ \w+ \(\d+\): `", listed, re.M), listed[:500]


def test_the_coverage_command_names_an_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert coverage.main([str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


# --- exceptions -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(n for n, t in targets.load_targets().items() if t.server == "reference"))
def test_every_documented_item_the_reference_target_misses_is_explained(committed: dict[str, coverage.Coverage], profile: str) -> None:
    reference = committed[profile]
    why = coverage.explained(reference, coverage.load_exceptions())
    assert [str(i) for i in reference.uncovered() if str(i) not in why] == []
    if dialects.get(targets.load_targets()[profile].dialect).family == dialects.DEFAULT:  # Xiaomi's own surface
        assert reference.counts("request")[0] == reference.counts("request")[1]  # every request item sent


@pytest.mark.slow
def test_no_exception_explains_what_is_covered(committed: dict[str, coverage.Coverage]) -> None:
    assert coverage.stale_exceptions(committed, coverage.load_exceptions()) == []


def _one_uncovered() -> coverage.Coverage:
    return coverage.of_exchanges("reference", [_openai({"model": "mimo-v2.5-pro", "messages": []})])


def test_an_exception_explains_only_its_targets_items_and_literal_brackets() -> None:
    found = _one_uncovered()
    entry = {"target": "reference", "items": ["openai request field messages[].*"], "why": "a reason long enough"}
    why = coverage.explained(found, [entry])
    assert why and all(i.startswith("openai request field messages[].") for i in why)
    assert "openai request field messages" not in why  # the pattern names what follows `messages[].`
    assert coverage.explained(found, [{**entry, "items": ["openai request field messages[.*"]}]) == {}
    assert coverage.explained(found, [{**entry, "target": "llama-server"}]) == {}


def test_an_exception_for_a_covered_item_is_stale() -> None:
    found = {"reference": _one_uncovered()}
    entry = {"target": "reference", "items": ["openai request field model", "openai request field tools"], "why": "x" * 10}
    assert coverage.stale_exceptions(found, [entry]) == [
        "exceptions/0: reference: 'openai request field model' explains no uncovered item: delete it"]


def test_an_exception_for_several_targets_must_explain_something_of_each() -> None:
    found = {"reference": _one_uncovered(), "reference-token-plan": coverage.of_exchanges(
        "reference-token-plan", [_openai({"model": "mimo-v2.5-pro", "messages": [], "tools": []})])}
    entry = {"target": ["reference", "reference-token-plan"], "items": ["openai request field tools"], "why": "x" * 10}
    assert set(coverage.explained(found["reference"], [entry])) == {"openai request field tools"}
    assert coverage.stale_exceptions(found, [entry]) == [
        "exceptions/0: reference-token-plan: 'openai request field tools' explains no uncovered item: delete it"]


def test_the_uncovered_list_puts_explained_items_under_their_reason() -> None:
    entry = {"target": "reference", "items": ["openai request field tools"], "why": "no tools in this one"}
    lines = coverage.uncovered_text({"reference": _one_uncovered()}, [entry])
    assert lines[0].endswith("; 1 of the uncovered explained")
    assert lines[-1] == "  - explained (1): `openai request field tools`: no tools in this one"
    [openai_fields] = [line for line in lines if line.startswith("  - openai request field (")]
    assert "`tools`" not in openai_fields and "`tools[].type`" in openai_fields


def test_an_exceptions_file_in_the_wrong_shape_is_named(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"exceptions": [{"target": "reference", "items": []}]}), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        coverage.load_exceptions(path)
