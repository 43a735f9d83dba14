"""What the Allure plugin attaches and the crash message and coverage tally of a run, on exchanges made here."""

from __future__ import annotations

import json
from pathlib import Path

from conformance import allure_report, run_summary, verdict
from conformance.checks import Finding
from conformance.transcript import load_exchange

GOOD = Path(__file__).parent / "data" / "exchanges" / "good"


def _exchange(name: str):
    return load_exchange(json.loads((GOOD / name).read_text(encoding="utf-8")))


def _verdict(*findings: Finding, name: str = "openai_stream_reasoning.json") -> verdict.Verdict:
    return verdict.judge(findings, [_exchange(name)], fails=("contract", "compat"), test="tests/test_x.py::test_y")


def test_the_public_surfaces_are_pinned() -> None:
    assert allure_report.__all__ == ["SEVERITY", "KEY_PATTERN", "enabled", "mask", "exchange_attachments",
                                     "finding_rows", "labels"]
    assert run_summary.__all__ == ["MAX_LINES", "crash_message", "Tally"]


def test_anything_shaped_like_a_key_is_masked() -> None:
    text = 'Bearer sk-abc123def456 and tp-0123456789ab, "key": "k-exact-7"; task-12345678 stays'
    masked = allure_report.mask(text, ("k-exact-7",))
    assert "sk-abc" not in masked and "tp-0" not in masked and "k-exact-7" not in masked
    assert masked.count(allure_report.MASK) == 3 and "task-12345678 stays" in masked


def test_a_stream_is_attached_as_its_request_and_its_sse_transcript() -> None:
    exchange = _exchange("openai_stream_reasoning.json")
    (request_name, request, kind), (response_name, response, response_kind) = allure_report.exchange_attachments(1, exchange)
    assert request_name == "exchange 1: request (openai chat_completions)" and kind == "json"
    assert json.loads(request)["body"]["stream"] is True and "authorization" not in json.loads(request)["headers"]
    assert response_name == "exchange 1: response 200 (SSE transcript)" and response_kind == "text"
    assert response == exchange.text and "data: [DONE]" in response


def test_a_plain_answer_is_attached_as_json() -> None:
    exchange = _exchange("openai_error_wrong_key.json")
    (_, _, _), (name, text, kind) = allure_report.exchange_attachments(2, exchange)
    assert name == "exchange 2: response 401 (body)" and kind == "json" and json.loads(text) == exchange.body


def test_each_finding_is_a_row_with_check_severity_basis_and_location() -> None:
    finding = Finding("openai.stream.role_first", "event 0", "no role", "compat", "observed", "docs/observed.md")
    assert allure_report.finding_rows(_verdict(finding)) == [
        {"check": "openai.stream.role_first", "severity": "compat", "basis": "observed", "location": "event 0",
         "message": "no role", "source": "docs/observed.md", "known": None}]


def test_a_verdict_is_labelled_by_protocol_endpoint_feature_target_and_model() -> None:
    assert dict(allure_report.labels("xiaomi", _verdict())) == {
        "protocol": "openai", "endpoint": "chat_completions", "feature": "basic", "target": "xiaomi",
        "model": _exchange("openai_stream_reasoning.json").request.json["model"]}


def test_a_crash_message_is_the_failing_findings_one_a_line() -> None:
    failing = Finding("openai.stream.role_first", "event 0 /choices/0/delta/role", "expected 'assistant'")
    informing = Finding("openai.schema.only_declared_fields", "/x", "undeclared", "info", "reference")
    assert run_summary.crash_message([_verdict(failing, informing)]) == (
        "[openai.stream.role_first] event 0 /choices/0/delta/role: expected 'assistant'")
    assert run_summary.crash_message([_verdict(informing)]) is None


def test_a_long_crash_message_says_how_many_more() -> None:
    many = [Finding("openai.stream.role_first", f"event {i}", "x") for i in range(run_summary.MAX_LINES + 3)]
    lines = run_summary.crash_message([_verdict(*many)]).splitlines()
    assert len(lines) == run_summary.MAX_LINES + 1 and lines[-1] == "… and 3 more failing finding(s)"


def test_a_workers_tally_survives_the_trip_to_the_controller() -> None:
    worker = run_summary.Tally()
    worker.add([("reference", _verdict()), ("reference", _verdict(name="openai_error_wrong_key.json"))])
    controller = run_summary.Tally()
    controller.merge(json.loads(json.dumps(worker.as_json())))
    (found,) = controller.coverages()
    assert found.target == "reference" and found.exchanges == 2
    assert "openai error status 401" in found.covered and "openai chunk type [DONE]" in found.covered
