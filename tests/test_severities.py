"""Every lane can fail: a compat finding on the reference target, an SDK disagreement, a crashing check.

Each claim runs the suite as a user would (a pytest subprocess, or the check command) on an input
made to break exactly one thing, and asserts the run goes red and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import checks, cli
from conformance.checks import registry
from conformance.targets import get as get_target

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "data" / "exchanges" / "good"

pytestmark = pytest.mark.slow


def _pytest(*args: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_API_KEY")}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_reference_target_fails_on_compat_findings() -> None:
    assert get_target("reference").severity_fails == ("contract", "compat")
    assert checks.get("openai.stream.tool_call_fields_repeated").severity == "compat"


def test_a_compat_finding_on_the_reference_target_turns_the_run_red() -> None:
    run = _pytest("tests/test_cases.py", "--target", "reference", "--live", "-k", "function_call and stream",
                  "--reference-fault", "openai.tool_call_id_repeated")
    assert run.returncode == 1, run.stdout[-2000:]
    assert "[openai.stream.tool_call_fields_repeated]" in run.stdout


def test_an_sdk_disagreement_turns_the_run_red(tmp_path: Path) -> None:
    doc = json.loads((GOOD / "openai_stream_tool_calls.json").read_text(encoding="utf-8"))
    doc["sse"][4] = doc["sse"][4].replace('"id":null', '"id":"call_3f2a9c1d7e4b4a08b6c2d915"', 1)
    request, sse_text = doc["request"], "".join(e + "\n\n" for e in doc["sse"])
    cassette = {"version": 1, "metadata": {"recorded_from": {"target": "reference", "server": "reference"}},
                "interactions": [{"request": {"method": "POST", "uri": request["url"], "body": json.dumps(request["body"]),
                                              "headers": {}},
                                  "response": {"status": {"code": 200, "message": "OK"},
                                               "headers": {"content-type": ["text/event-stream"]},
                                               "body": {"string": sse_text}}}]}
    (tmp_path / "repeated_id.json").write_text(json.dumps(cassette), encoding="utf-8")
    run = _pytest("tests/test_sdk_lane.py", f"--cassette-dir={tmp_path}", "-k", "each_cassette")
    assert run.returncode == 1, run.stdout[-2000:]
    assert "[openai.sdk.reads_alike] /choices/0/tool_calls/0/id" in run.stdout


CRASHING = '''
from conformance.checks import check

@check("openai.crash.always", basis="reference", source="a check that raises, to show a crash is an error")
def always(exchange):
    """Raises on every exchange."""
    raise ZeroDivisionError("the check's own bug")
    yield
'''


def test_a_crashing_check_is_an_error_of_the_suite_not_a_finding(tmp_path: Path) -> None:
    (tmp_path / "crashing_check.py").write_text(CRASHING, encoding="utf-8")
    run = _pytest("tests/test_cases.py", "-k", "user_only and plain", "-p", "crashing_check", "-rE", extra_path=tmp_path)
    assert run.returncode == 1, run.stdout[-2000:]
    assert " error" in run.stdout.splitlines()[-1] and "passed" not in run.stdout.splitlines()[-1]
    assert "suite error: check openai.crash.always crashed on POST" in run.stdout
    assert "ZeroDivisionError: the check's own bug" in run.stdout


def test_a_crashing_check_makes_check_exit_2_naming_the_check_and_exchange(capsys: pytest.CaptureFixture,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(exchange):
        raise ZeroDivisionError("the check's own bug")
        yield  # pragma: no cover

    monkeypatch.setitem(registry.REGISTRY, "openai.crash.always",
                        registry.Check("openai.crash.always", crash, lambda ex: True, "info", 1, registry.Rule("reference", "")))
    status = cli.main(["check", str(ROOT / "tests/data/captures/hand_made_mimo.har")])
    err = capsys.readouterr().err
    assert status == 2
    assert "suite error" in err and "check openai.crash.always crashed" in err and "/log/entries/1" in err
