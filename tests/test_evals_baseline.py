"""The committed eval baselines replay offline and rescore to exactly their results; two real runs do not alarm.

The llama-server baseline is a real recording of llama.cpp's llama-server with Gemma 3 270M (not a
MiMo model); the second run (evals/runs/) is a live run of the same model on a server started with
another sampling seed, kept as a results file only. Nothing changed between them but sampling luck,
so the gate must not FAIL them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import schemas
from conformance.evals import gate, rescore
from conformance.evals import items as item_data

ROOT = Path(__file__).resolve().parent.parent
BASELINES = sorted((ROOT / "evals" / "baselines").rglob("*.json"))
LLAMA_BASELINE = ROOT / "evals" / "baselines" / "llama-server" / "gemma-3-270m.json"
LLAMA_SECOND_RUN = ROOT / "evals" / "runs" / "llama-server" / "gemma-3-270m" / "run-b-seed43.json"


def test_a_real_model_baseline_is_committed_and_labelled():
    assert LLAMA_BASELINE in BASELINES
    doc = gate.load(LLAMA_BASELINE)
    assert doc["mode"] == "record" and doc["target"] == "llama-server"
    assert "not of the live MiMo API" in doc["recorded_from"]["note"]


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_baseline_rescores_exactly_from_its_cassettes(path: Path):
    new, differences = rescore.rescore(path)
    assert differences == []
    assert new["records"] == gate.load(path)["records"]


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_baseline_accounts_for_every_item_and_protocol(path: Path):
    doc = gate.load(path)
    assert schemas.errors("evals/results.schema.json", doc) == []
    expected = {(i["id"], p, e) for i in item_data.load() for p in i["protocols"] for e in range(1, doc["epochs"] + 1)}
    assert {(r["item"], r["protocol"], r["epoch"]) for r in doc["records"]} == expected
    assert doc["items_digest"] == item_data.digest(item_data.load()), "the items changed: re-record the baseline"


def test_two_real_runs_of_the_same_model_do_not_fail_the_gate(capsys):
    status = gate.main(["compare", str(LLAMA_BASELINE), str(LLAMA_SECOND_RUN)])
    out = capsys.readouterr().out
    assert status in (0, 3), out
    assert "FAIL" not in out.rstrip().splitlines()[-1]
    status = gate.main(["compare", str(LLAMA_SECOND_RUN), str(LLAMA_BASELINE)])  # either way round
    out = capsys.readouterr().out
    assert status in (0, 3) and "FAIL" not in out.rstrip().splitlines()[-1], out
    second = gate.load(LLAMA_SECOND_RUN)
    assert second["mode"] == "live" and "--seed 43" in second["note"]


def test_the_live_second_run_is_not_rescored_from_the_baselines_cassettes(capsys):
    # Its items' cassette paths hold the baseline's recordings: rescoring against them would compare two runs.
    assert rescore.main([str(LLAMA_SECOND_RUN)]) == 2
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"error: {LLAMA_SECOND_RUN}: a live run keeps no cassettes, so nothing can rescore it")
