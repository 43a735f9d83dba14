"""`mimo-conformance deviations lint` finds entries that are unused, stale or broad, and the committed tables have none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import deviations, lint

ROOT = Path(__file__).resolve().parent.parent
ENTRY = {"check": "openai.stream.role_first", "selector": {"protocol": "openai"}, "reason": "the first delta has no role",
         "evidence": "docs/observed.md § OpenAI protocol > Delta keys"}


def _table(tmp_path: Path, *entries: dict) -> deviations.Table:
    path = tmp_path / "reference.json"
    path.write_text(json.dumps({"target": "reference", "deviations": list(entries)}), encoding="utf-8")
    return deviations.load(path, "reference")


def _record(test: str, findings: list[tuple[str, str, str | None]], expected: list[str], covered: list[str]) -> dict:
    return {"test": test, "source": None, "expected": expected, "covered": covered,
            "findings": [{"check": "openai.stream.role_first", "location": loc, "message": msg,
                          "known": {"label": label, "reason": "x"} if label else None} for loc, msg, label in findings]}




def test_an_entry_that_covers_nothing_is_unused(tmp_path: Path) -> None:
    table = _table(tmp_path, {**ENTRY, "location": "event 0 *"})
    assert [p.kind for p in lint.problems(table, [_record("t1", [], [], [])])] == ["unused"]


def test_an_entry_without_pins_whose_findings_say_where_is_broad(tmp_path: Path) -> None:
    table = _table(tmp_path, ENTRY)
    label = table.entries[0].label
    records = [_record("t1", [("event 0 /choices/0/delta/role", "expected 'assistant', got None", label)], [label], [label])]
    assert [p.kind for p in lint.problems(table, records)] == ["broad"]


def test_an_entry_covering_two_causes_is_broad(tmp_path: Path) -> None:
    table = _table(tmp_path, {**ENTRY, "location": "event *"})
    label = table.entries[0].label
    records = [_record("t1", [("event 0 /x", "expected 'assistant', got None", label),
                              ("event 3 /y", "another thing entirely", label)], [label], [label])]
    found = lint.problems(table, records)
    assert [p.kind for p in found] == ["broad"] and "2 causes" in found[0].detail


def test_an_entry_expected_in_a_test_where_it_covers_nothing_is_stale(tmp_path: Path) -> None:
    table = _table(tmp_path, {**ENTRY, "location": "event *"})
    label = table.entries[0].label
    records = [_record("t1", [("event 0 /x", "expected 'assistant', got None", label)], [label], [label]),
               _record("t2", [], [label], []), _record("t1", [], [label], [])]  # t1 is covered by its other record
    found = lint.problems(table, records)
    assert [p.kind for p in found] == ["stale"] and "t2" in found[0].detail


def test_a_pinned_entry_covering_one_cause_everywhere_it_is_expected_is_clean(tmp_path: Path) -> None:
    table = _table(tmp_path, {**ENTRY, "location": "event *", "message": "expected 'assistant'"})
    label = table.entries[0].label
    records = [_record(t, [(f"event {i} /r", f"expected 'assistant', got {i}", label)], [label], [label])
               for i, t in enumerate(("t1", "t2"))]
    assert lint.problems(table, records) == []


@pytest.mark.slow
def test_the_committed_tables_are_clean() -> None:
    run = subprocess.run([sys.executable, "-m", "conformance.cli", "deviations", "lint"], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1].startswith("0 problem(s) in ")
