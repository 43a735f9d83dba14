"""Known deviations are data: tables load and validate, selectors pick exchanges, and pytest turns them
into strict xfails that fail as XPASS(strict) once the deviation is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import checks, deviations
from conformance.deviations import DeviationError, Table
from conformance.known import Judge, KnownDeviation, StaleDeviation, settle
from conformance.targets import load_targets
from conformance.transcript import load_exchange

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "data" / "exchanges" / "good"
TABLES = sorted((ROOT / "deviations").glob("*.json"))
SHAPE = {"check": "anthropic.error.anthropic_shape", "selector": {"protocol": "anthropic"},
         "reason": "errors come in the OpenAI envelope", "evidence": "docs/observed.md § Anthropic protocol > OpenAI-style error envelope"}
FRAMING = {"check": "openai.error.plain_json_framing", "selector": {"protocol": "openai", "stream": True, "status": 400},
           "reason": "stream errors come SSE-framed", "evidence": "docs/observed.md § OpenAI protocol > SSE-framed stream errors"}


def _good(name: str):
    return load_exchange(json.loads((GOOD / name).read_text(encoding="utf-8")))


def _table(tmp_path: Path, *entries: dict, target: str = "reference") -> Path:
    path = tmp_path / f"{target}.json"
    path.write_text(json.dumps({"target": target, "deviations": list(entries)}), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.stem)
def test_each_committed_table_loads_for_a_defined_target(path: Path) -> None:
    assert path.stem in load_targets() and deviations.load(path, path.stem).entries


@pytest.mark.parametrize("path", [p for p in TABLES if p.stem.startswith("xiaomi")], ids=lambda p: p.stem)
def test_each_xiaomi_deviation_cites_observed_md(path: Path) -> None:
    assert all(d.evidence.startswith("docs/observed.md § ") for d in deviations.load(path).entries)


@pytest.mark.parametrize("selector, picked", [
    ({}, True),
    ({"protocol": "anthropic", "status": 400, "stream": False}, True),
    ({"protocol": "openai"}, False),
    ({"model": "mimo-v2.5-*"}, True),
    ({"model": "mimo-v2.6*"}, False),
    ({"test": "*errors*"}, True),
    ({"test": "*tools*"}, False),
])
def test_a_selector_picks_an_exchange_when_every_key_matches(selector: dict, picked: bool, tmp_path: Path) -> None:
    entry = deviations.load(_table(tmp_path, {**SHAPE, "selector": selector})).entries[0]
    assert entry.selects(_good("anthropic_error_param.json"), "tests/test_cases.py::test_case[anthropic.messages.errors.x]") is picked


def test_a_test_selector_never_matches_where_no_test_is_known(tmp_path: Path) -> None:
    entry = deviations.load(_table(tmp_path, {**SHAPE, "selector": {"test": "*"}})).entries[0]
    assert not entry.selects(_good("anthropic_error_param.json"), None)


@pytest.mark.parametrize("doc, message", [
    ({**SHAPE, "check": "anthropic.error.no_such_rule"}, "/deviations/0/check: no check 'anthropic.error.no_such_rule'"),
    ({**SHAPE, "selector": {"stream": "yes"}}, "/deviations/0/selector/stream"),
    ({**SHAPE, "reason": "short"}, "/deviations/0/reason"),
])
def test_a_broken_table_names_the_entry_and_field(doc: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(DeviationError, match="reference.json") as caught:
        deviations.load(_table(tmp_path, doc))
    assert message in str(caught.value)


def test_a_table_for_another_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviationError, match="the table is for 'xiaomi', the run tests 'reference'"):
        deviations.load(_table(tmp_path, SHAPE, target="xiaomi"), "reference")


def test_a_target_without_a_table_has_an_empty_one(tmp_path: Path) -> None:
    assert deviations.for_target("gateway", tmp_path) == Table("gateway")


def _judge(tmp_path: Path, *entries: dict, fails=("contract", "compat")) -> Judge:
    return Judge(deviations.load(_table(tmp_path, *entries)), fails, "tests/test_cases.py::test_case[x]")


def test_a_covered_failing_finding_is_known_and_settles_as_xfail(tmp_path: Path) -> None:
    judge = _judge(tmp_path, SHAPE)
    assert judge.failing(_good("anthropic_error_param.json")) == []
    with pytest.raises(KnownDeviation, match=r"reference.json /deviations/0 \[anthropic.error.anthropic_shape\]"):
        settle([judge])
    assert issubclass(KnownDeviation, pytest.xfail.Exception)


def test_an_uncovered_failing_finding_is_returned(tmp_path: Path) -> None:
    judge = _judge(tmp_path, FRAMING)
    assert [f.split("]")[0] for f in judge.failing(_good("anthropic_error_param.json"))] == ["[anthropic.error.anthropic_shape"]


def test_a_covered_finding_of_a_severity_that_does_not_fail_is_neither_failing_nor_known(tmp_path: Path) -> None:
    judge = _judge(tmp_path, SHAPE, fails=("contract",))
    assert judge.failing(_good("anthropic_error_param.json")) == [] and not judge.known
    settle([judge])  # nothing to report: the deviation is still there, and compat does not fail


def test_an_entry_whose_check_ran_and_found_nothing_is_stale(tmp_path: Path) -> None:
    judge = _judge(tmp_path, FRAMING)
    fixed = json.loads((GOOD / "openai_error_stream_framed.json").read_text(encoding="utf-8"))
    fixed["body"], fixed["headers"] = json.loads(fixed.pop("sse")[0].removeprefix("data:")), {"content-type": "application/json"}
    assert judge.failing(load_exchange(fixed)) == []
    with pytest.raises(StaleDeviation, match=r"\[XPASS\(strict\)\] .*reference.json /deviations/0 .*delete that entry"):
        settle([judge])


def test_an_entry_whose_check_did_not_run_is_not_stale(tmp_path: Path) -> None:
    judge = _judge(tmp_path, FRAMING)
    judge.failing(_good("openai_plain.json"))  # a 200: the framing check does not apply
    settle([judge])


def test_overlapping_entries_are_all_satisfied_by_one_finding(tmp_path: Path) -> None:
    judge = _judge(tmp_path, SHAPE, {**SHAPE, "selector": {"status": 400}})
    judge.failing(_good("anthropic_error_param.json"))
    assert judge.stale() == []


def test_the_public_surface_is_pinned() -> None:
    from conformance import known

    assert deviations.__all__ == ["DEVIATION_DIR", "SCHEMA", "DeviationError", "Deviation", "Table", "load", "for_target",
                                  "known_check_ids"]
    assert known.__all__ == ["KnownDeviation", "StaleDeviation", "Judge", "settle", "judge", "judge_for", "running_judge",
                             "verdicts_of"]


def test_severities_parse_from_the_command_line() -> None:
    assert checks.parse_severities("contract, compat") == ("contract", "compat")
    with pytest.raises(ValueError, match="contract, compat, info"):
        checks.parse_severities("fatal")


# --- in pytest: strict xfails and XPASS ---------------------------------------------------------


def _pytest(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_API_KEY")}
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """Test name -> (outcome, message) from a JUnit report."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        child = next(iter(case), None)
        outcome = "passed" if child is None else {"failure": "failed", "skipped": child.get("type")}.get(child.tag, child.tag)
        found[case.get("name")] = (outcome, "" if child is None else child.get("message", ""))
    return found


@pytest.mark.slow
def test_a_deviation_that_disappears_fails_as_xpass_and_one_that_holds_is_xfail(tmp_path: Path) -> None:
    # The reference server answers stream errors in plain JSON, so FRAMING is gone there: every
    # test it selects must fail and say which entry to delete; SHAPE still holds: xfail.
    table = _table(tmp_path, FRAMING, SHAPE)
    run = _pytest("tests/test_cases.py", "-k", "errors and stream", "--fail-on", "contract,compat",
                  f"--deviations={table}", f"--junitxml={tmp_path / 'junit.xml'}", "-q")
    outcomes = _outcomes(tmp_path / "junit.xml")
    openai = {n: o for n, o in outcomes.items() if "[openai." in n}
    anthropic = {n: o for n, o in outcomes.items() if "[anthropic." in n}
    assert openai and anthropic and run.returncode == 1
    assert {o for o, _ in openai.values()} == {"failed"}
    assert all("[XPASS(strict)]" in m and "/deviations/0" in m and "delete that entry" in m for _, m in openai.values())
    assert {o for o, _ in anthropic.values()} == {"pytest.xfail"}
    assert all("known deviation" in m and "/deviations/1 [anthropic.error.anthropic_shape]" in m for _, m in anthropic.values())


@pytest.mark.parametrize("option, message", [
    (["--fail-on", "fatal"], "--fail-on: expected a comma-separated list of contract, compat, info"),
    (["--deviations", "/nonexistent/reference.json"], "cannot read the deviations file"),
])
@pytest.mark.slow
def test_a_bad_option_is_one_usage_error(option: list[str], message: str) -> None:
    run = _pytest("tests/test_sse.py", *option)
    assert run.returncode == 4 and message in run.stderr
