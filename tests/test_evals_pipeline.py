"""``pytest evals`` end to end against the reference server: record, replay, rescore, and a tampered cassette.

Plumbing only: the reference server's answers are not a model's, so no score here is a measurement.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import schemas
from conformance.evals import rescore

pytestmark = pytest.mark.slow  # seconds a test: servers, subprocesses or long simulations

ROOT = Path(__file__).resolve().parent.parent
SLICE = ["--model", "mimo-v2.5-pro", "--family", "arithmetic", "--family", "multi_turn_tools", "--family", "thinking",
         "--family", "function_calling", "-k", "arith.ages.en or mt.bank.transfer or price_up_down or weather_lisbon"]


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "evals", "-q", "-p", "no:randomly", "--target", "reference",
                           *SLICE, *args], cwd=ROOT, capture_output=True, text=True, env=env or os.environ.copy(),
                          timeout=300)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One recording of the slice, then one replay of it, into a temporary folder."""
    tmp = tmp_path_factory.mktemp("evals")
    paths = {"cassettes": tmp / "cassettes", "record": tmp / "record.json", "replay": tmp / "replay.json",
             "junit": tmp / "junit.xml"}
    done = _pytest("--record-mode=rewrite", "--cassette-dir", str(paths["cassettes"]), "--eval-results", str(paths["record"]),
                   "--epochs", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    done = _pytest("--cassette-dir", str(paths["cassettes"]), "--eval-results", str(paths["replay"]), "--epochs", "2",
                   "--junitxml", str(paths["junit"]))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    paths["replay_output"] = done.stdout  # type: ignore[assignment]
    return paths


def _doc(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_recorded_run_and_its_replay_write_the_same_records(recorded):
    record, replay = _doc(recorded["record"]), _doc(recorded["replay"])
    assert schemas.errors("evals/results.schema.json", record) == []
    assert (record["mode"], replay["mode"], record["target"], record["server"]) == ("record", "replay", "reference", "reference")
    assert record["records"] == replay["records"] and len(record["records"]) >= 8
    assert {r["family"] for r in record["records"]} == {"arithmetic", "multi_turn_tools", "thinking", "function_calling"}
    assert {r["epoch"] for r in record["records"]} == {1, 2}
    assert any(r["requests"] > 1 for r in record["records"]), "a multi-turn item took several requests"
    assert all(r["latency_s"] is not None for r in replay["records"]), "latencies come back from the cassettes"


def test_cassettes_are_keyed_per_model_family_item_protocol_and_epoch(recorded):
    folder = recorded["cassettes"] / "reference" / "xiaomi" / "evals" / "mimo-v2.5-pro"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
    expected = {f"{r['family']}/{r['item']}.{r['protocol']}.e{r['epoch']}.json" for r in _doc(recorded["record"])["records"]}
    assert names == expected
    one = json.loads(next(folder.rglob("*.json")).read_text(encoding="utf-8"))
    assert one["metadata"]["recorded_from"]["server"] == "reference" and len(one["metadata"]["latency_s"]) == len(one["interactions"])


def test_the_results_summary_and_junit_carry_the_scores(recorded):
    assert "evals: " in recorded["replay_output"] and "95% CI" in recorded["replay_output"]
    assert "mimo_eval_record" in recorded["junit"].read_text(encoding="utf-8")


def test_rescoring_reproduces_the_recorded_results(recorded):
    new, differences = rescore.rescore(recorded["record"], cassette_dir=recorded["cassettes"])
    assert differences == [] and new["records"] == _doc(recorded["record"])["records"]


def test_rescoring_a_tampered_cassette_names_the_record_that_changed(recorded, tmp_path):
    cassettes = tmp_path / "cassettes"
    import shutil

    shutil.copytree(recorded["cassettes"], cassettes)
    target = next((cassettes / "reference" / "xiaomi" / "evals" / "mimo-v2.5-pro" / "arithmetic").glob("*.openai.e1.json"))
    doc = json.loads(target.read_text(encoding="utf-8"))
    body = json.loads(doc["interactions"][0]["response"]["body"]["string"])
    body["choices"][0]["message"]["content"] = "Answer: 14" if "Answer: 14" not in body["choices"][0]["message"]["content"] else "no"
    body["usage"]["completion_tokens"] += 1
    doc["interactions"][0]["response"]["body"]["string"] = json.dumps(body)
    target.write_text(json.dumps(doc), encoding="utf-8")
    _, differences = rescore.rescore(recorded["record"], cassette_dir=cassettes)
    item = target.name.split(".openai.")[0]
    assert len(differences) == 1 and differences[0].startswith(f"{item} openai e1: ")
    assert "tokens" in differences[0]


def test_rescoring_without_the_cassettes_refuses_naming_them(recorded, tmp_path, capsys):
    empty = tmp_path / "none"
    with pytest.raises(rescore.RescoreError, match=r"of its cassettes are missing: .*none/reference/xiaomi/evals/mimo-v2\.5-pro/"):
        rescore.rescore(recorded["record"], cassette_dir=empty)
    assert rescore.main([str(recorded["record"]), "--cassette-dir", str(empty)]) == 2
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"error: {recorded['record']}: ") and "pass the --cassette-dir the run recorded into" in line


def test_rescoring_with_one_cassette_gone_names_it(recorded, tmp_path):
    import shutil

    cassettes = tmp_path / "cassettes"
    shutil.copytree(recorded["cassettes"], cassettes)
    gone = next(cassettes.rglob("*.e2.json"))
    gone.unlink()
    with pytest.raises(rescore.RescoreError, match=f"1 of its cassettes are missing: {gone}; "):
        rescore.rescore(recorded["record"], cassette_dir=cassettes)


def test_a_results_file_that_is_not_one_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "x"}', encoding="utf-8")
    assert rescore.main([str(bad)]) == 2
    assert str(bad) in capsys.readouterr().out
