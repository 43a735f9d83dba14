"""The SDK lane: the official openai and anthropic SDKs read every committed cassette as we do.

Offline: each SDK client answers from the recording through an httpx2 MockTransport
(conformance/sdk_lane.py). A disagreement is a compat finding, judged like a check's by the
recording target's severity_fails (or --fail-on) and known deviations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import inputs, known, sdk_lane
from conformance.transcript import load_exchange

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "exchanges"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The cassettes under --cassette-dir (default: this repository's cassettes/), one test each.
    if "path" in metafunc.fixturenames:
        root = Path(metafunc.config.getoption("--cassette-dir"))
        paths = sorted(root.rglob("*.json"))
        metafunc.parametrize("path", paths, ids=[p.relative_to(root).as_posix() for p in paths])


def _good(name: str):
    return load_exchange(json.loads((DATA / "good" / name).read_text(encoding="utf-8")))


def test_official_sdks_read_each_cassette_as_we_do(path: Path, request: pytest.FixtureRequest) -> None:
    captured = inputs.read_file(path)
    judge = known.judge_for(request.node, captured.recorded_from.get("target", "reference"))
    problems = []
    for c in captured.exchanges:
        ran = {sdk_lane.CHECK_IDS[c.exchange.protocol]}
        problems += [f"{c.source}: {p}" for p in judge.failing_of(sdk_lane.findings(c.exchange), (c.exchange,), ran)]
    assert not problems, "\n".join(problems)


def test_the_lane_covers_every_committed_cassette() -> None:
    cassettes = sorted((ROOT / "cassettes").rglob("*.json"))
    assert len(cassettes) > 100 and all(inputs.read_file(p).exchanges for p in cassettes[:5])


@pytest.mark.parametrize("name", [
    "openai_plain_tool_calls.json", "openai_stream_tool_calls.json", "openai_stream_reasoning.json",
    "anthropic_plain_tool_use.json", "anthropic_stream_thinking_tool_use.json",
])
def test_sdks_read_good_exchanges_alike(name: str) -> None:
    assert sdk_lane.findings(_good(name)) == []


@pytest.mark.parametrize("name", ["openai_error_param.json", "openai_error_stream_framed.json",
                                  "anthropic_error_param.json", "anthropic_error_missing_key.json"])
def test_an_error_reads_as_the_sdks_status_error(name: str) -> None:
    exchange = _good(name)
    assert sdk_lane.sdk_reading(exchange) == {"status": exchange.status}


def test_repeated_tool_call_id_is_read_differently_by_the_openai_sdk() -> None:
    doc = json.loads((DATA / "good" / "openai_stream_tool_calls.json").read_text(encoding="utf-8"))
    doc["sse"][4] = doc["sse"][4].replace('"id":null', '"id":"call_3f2a9c1d7e4b4a08b6c2d915"', 1)
    found = sdk_lane.findings(load_exchange(doc))
    assert [f.location for f in found] == ["/choices/0/tool_calls/0/id"]
    assert "call_3f2a9c1d7e4b4a08b6c2d915call_3f2a9c1d7e4b4a08b6c2d915" in found[0].message


def test_strict_validation_rejects_repetition_truncation_with_the_sdks_words() -> None:
    found = sdk_lane.findings(_good("openai_plain_repetition.json"))
    assert [(f.check, f.severity) for f in found] == [("openai.sdk.reads_alike", "compat")]
    assert "APIResponseValidationError" in found[0].message and "finish_reason" in found[0].message


def test_checks_and_the_check_command_never_import_the_sdks() -> None:
    code = ("import sys; from conformance import checks, report; checks.all_checks(); "
            "print(sorted(m for m in ('openai', 'anthropic', 'httpx2') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "[]", run.stderr
