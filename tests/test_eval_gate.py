"""`mimo-conformance evals compare` and `promote` on small results files: verdicts, exit codes, what is left out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance import cli, schemas
from conformance.evals import gate

DIGEST = "sha256:" + "0" * 64


def _record(item: str, passed: bool | None, *, family: str = "instruction_following", protocol: str = "openai",
            epoch: int = 1, status: str = "scored", detail: str = "") -> dict[str, Any]:
    counted = status in ("scored", "error")
    return {"item": item, "family": family, "stratum": "basic", "lang": "en", "protocol": protocol, "epoch": epoch,
            "status": status, "score": (1.0 if passed else 0.0) if counted else None,
            "passed": bool(passed) if counted else None, "detail": detail or ("ok" if passed else "wrong"),
            "tokens": {"prompt": 100, "completion": 10, "reasoning": 0}, "requests": 1, "latency_s": 0.5, "cost": 0.001}


def _results(records: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    epochs = max((r["epoch"] for r in records), default=1)
    return {"format": "mimo-conformance/eval-results/1", "target": "llama-server", "server": "llama-server",
            "dialect": "llama-cpp", "model": "gemma-3-270m", "date": "2026-11-26T10:00:00Z", "suite_version": "0.1.0",
            "items_digest": DIGEST, "epochs": epochs, "protocols": ["openai", "anthropic"], "mode": "record",
            "recorded_from": None, "currency": "USD", "records": records, **header}


def _family(outcomes: list[bool], *, family: str = "instruction_following", prefix: str = "if") -> list[dict[str, Any]]:
    """One record per item: item i passes when outcomes[i]."""
    return [_record(f"{prefix}.item_{i:03d}", ok, family=family) for i, ok in enumerate(outcomes)]


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


def _compare(tmp_path: Path, capsys: pytest.CaptureFixture, baseline: Any, candidate: Any,
             *options: str) -> tuple[int, str, str]:
    base, cand = _write(tmp_path / "baseline.json", baseline), _write(tmp_path / "candidate.json", candidate)
    status = cli.main(["evals", "compare", str(base), str(cand), *options])
    out = capsys.readouterr()
    return status, out.out, out.err


def _comparison(tmp_path: Path, capsys: pytest.CaptureFixture, baseline: Any, candidate: Any) -> dict[str, Any]:
    _compare(tmp_path, capsys, baseline, candidate, "--json", str(tmp_path / "comparison.json"))
    return json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))


def test_family_names_are_the_items_schema_names() -> None:
    assert gate.FAMILIES == tuple(schemas.load("evals/items.schema.json")["$defs"]["family"]["enum"])


def test_an_unchanged_run_passes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _results(_family([True] * 30 + [False] * 10))
    status, out, _ = _compare(tmp_path, capsys, run, run)
    assert status == 0
    assert out.rstrip().splitlines()[-1].startswith("PASS: no family dropped 5.0 points or more")


def test_a_significant_drop_of_min_drop_or_more_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _compare(tmp_path, capsys, _results(_family([True] * 40)),
                              _results(_family([False] * 10 + [True] * 30)))
    assert status == 1
    assert "FAIL: instruction_following dropped 25.0 points (Holm p 0.0010)" in out  # 1/1024: b=10, c=0


def test_a_large_drop_without_any_significance_passes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _compare(tmp_path, capsys, _results(_family([True] * 20)),
                              _results(_family([False] * 2 + [True] * 18)))
    assert status == 0  # b=2, c=0: p = 0.25, two items of twenty is what chance does
    assert out.rstrip().splitlines()[-1].startswith("PASS: no family dropped 5.0 points or more with p <= alpha")


def test_a_drop_significant_alone_but_not_after_holm_warns_with_the_power(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _compare(tmp_path, capsys, *_borderline(("arithmetic",)))
    assert status == 3
    assert ("WARN: inconclusive: arithmetic dropped 10.0 points with p 0.0312 alone, but Holm p 0.0625 > alpha 0.05, "
            "and the test had") in out
    assert "power (at alpha/2) to detect a 5.0-point drop" in out


def test_a_significant_drop_below_min_drop_passes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _compare(tmp_path, capsys, _results(_family([True] * 400)),
                              _results(_family([False] * 12 + [True] * 388)))
    assert status == 0 and "PASS" in out and "3.0 points" in out


def test_min_drop_is_an_option(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, _, _ = _compare(tmp_path, capsys, _results(_family([True] * 400)),
                            _results(_family([False] * 12 + [True] * 388)), "--min-drop", "0.02")
    assert status == 1


BORDERLINE = (("instruction_following", "if"), ("arithmetic", "ar"))


def _borderline(regressed: tuple[str, ...], families: tuple[tuple[str, str], ...] = BORDERLINE) -> tuple[dict, dict]:
    """50 items in each family; each family named in ``regressed`` loses 5 (b=5, c=0: p = 1/32)."""
    base, cand = [], []
    for family, prefix in families:
        base += _family([True] * 50, family=family, prefix=prefix)
        cand += _family([family not in regressed or i >= 5 for i in range(50)], family=family, prefix=prefix)
    return _results(base), _results(cand)


def test_holm_counts_every_family_tested(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    alone = _comparison(tmp_path, capsys, *_borderline(("arithmetic",), BORDERLINE[1:]))
    together = _comparison(tmp_path, capsys, *_borderline(("arithmetic",)))
    assert (alone["verdict"], alone["families"][0]["holm_p"]) == ("FAIL", 1 / 32)
    assert (together["verdict"], together["families"][1]["holm_p"]) == ("WARN", 2 / 32)


def test_holm_adjusts_across_families(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    comparison = _comparison(tmp_path, capsys, *_borderline(("instruction_following", "arithmetic")))
    assert [f["test"]["p"] for f in comparison["families"]] == [1 / 32, 1 / 32]
    assert [f["holm_p"] for f in comparison["families"]] == [2 / 32, 2 / 32]
    assert comparison["verdict"] == "WARN" and comparison["exit_status"] == 3


def test_a_family_without_counted_pairs_is_untested_and_outside_holm(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base, cand = _borderline(("arithmetic",), BORDERLINE[1:])
    base["records"] += _family([True] * 10, family="thinking", prefix="th")
    cand["records"] += [_record(f"th.item_{i:03d}", None, family="thinking", status="n/a") for i in range(10)]
    families = {f["family"]: f for f in _comparison(tmp_path, capsys, base, cand)["families"]}
    assert (families["thinking"]["verdict"], families["thinking"]["holm_p"], families["thinking"]["test"]["test"]) == \
        ("untested", None, "none")
    assert (families["arithmetic"]["verdict"], families["arithmetic"]["holm_p"]) == ("FAIL", 1 / 32)


def test_na_and_unavailable_records_are_left_out_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _family([True] * 40)
    cand = _family([True] * 40)
    for r in cand[:8]:
        r.update(status="n/a", score=None, passed=None, detail="needs tools")
    for r in cand[8:10]:
        r.update(status="unavailable", score=None, passed=None, detail="HTTP 503")
    comparison = _comparison(tmp_path, capsys, _results(base), _results(cand))
    family = comparison["families"][0]
    assert comparison["verdict"] == "PASS"
    assert family["test"]["items"] == 30 and family["unpaired"] == 10
    assert family["left_out"]["candidate"] == {"n/a": 8, "unavailable": 2}


def test_error_records_count_as_failures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cand = _family([True] * 40)
    for r in cand[:10]:
        r.update(status="error", score=0.0, passed=False, detail="HTTP 500")
    status, _, _ = _compare(tmp_path, capsys, _results(_family([True] * 40)), _results(cand))
    assert status == 1


def test_flipped_records_name_item_protocol_epoch_and_the_candidate_detail(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = [_record("if.a", True), _record("if.b", False), _record("if.c", True)]
    cand = [_record("if.a", False, detail="missed: all lowercase"), _record("if.b", True), _record("if.c", True)]
    _, out, _ = _compare(tmp_path, capsys, _results(base), _results(cand))
    assert "1 pass -> fail, 1 fail -> pass" in out
    flips = [line.split() for line in out.splitlines() if line.startswith(("  pass -> fail", "  fail -> pass"))]
    assert flips[0][3:] == ["instruction_following", "if.a", "openai", "epoch", "1", "missed:", "all", "lowercase"]
    assert flips[1][3:6] == ["instruction_following", "if.b", "openai"]


def test_items_in_one_run_only_are_listed_and_left_out(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _family([True] * 20) + [_record("if.retired", True)]
    cand = _family([True] * 20) + [_record("if.new_one", False)]
    status, out, _ = _compare(tmp_path, capsys, _results(base), _results(cand))
    assert status == 0
    assert "left out, only in the baseline (1 item): if.retired" in out
    assert "left out, only in the candidate (1 item): if.new_one" in out


def test_different_item_sets_are_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _family([True] * 20)
    _, out, _ = _compare(tmp_path, capsys, _results(run), _results(run, items_digest="sha256:" + "1" * 64))
    assert "warning: the item sets differ" in out


def test_one_pair_per_item_uses_mcnemar(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _results(_family([True, False] * 10))
    comparison = _comparison(tmp_path, capsys, run, run)
    assert comparison["families"][0]["test"]["test"] == "McNemar"


def _epochs(outcomes: list[list[bool]], protocols: tuple[str, ...] = ("openai",)) -> list[dict[str, Any]]:
    return [_record(f"if.item_{i:03d}", ok, protocol=p, epoch=e + 1)
            for i, item in enumerate(outcomes) for p in protocols for e, ok in enumerate(item)]


def test_several_epochs_use_the_bootstrap(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _epochs([[True, True, True]] * 40)
    cand = _epochs([[True, False, False]] * 10 + [[True, True, True]] * 30)
    status, out, _ = _compare(tmp_path, capsys, _results(base), _results(cand))
    assert status == 1
    assert "bootstrap" in out and "FAIL: instruction_following dropped 16.7 points" in out


def test_several_protocols_use_the_bootstrap(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _results(_epochs([[True]] * 20, protocols=("openai", "anthropic")))
    comparison = _comparison(tmp_path, capsys, run, run)
    assert comparison["families"][0]["test"]["test"] == "bootstrap"
    assert comparison["families"][0]["test"]["items"] == 20


def test_the_bootstrap_answer_repeats_under_a_seed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _results(_epochs([[True, False, True]] * 20 + [[True, True, True]] * 20))
    cand = _results(_epochs([[False, False, True]] * 20 + [[True, True, False]] * 20))
    first, again = (_comparison(tmp_path, capsys, base, cand)["families"][0]["test"] for _ in range(2))
    assert first == again


def test_family_table_columns_line_up(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base = _family([True] * 30) + _family([True] * 9, family="thinking", prefix="th")
    _, out, _ = _compare(tmp_path, capsys, _results(base), _results(base))
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("family "))
    column = lines[header].index("test")
    assert [lines[header + k][column:column + 7] for k in (1, 2)] == ["McNemar", "McNemar"]


@pytest.mark.parametrize("content, message", [
    ("{\"format\": ", "not JSON: Expecting value at line 1 column 12"),
    ("[]", "/: [] is not of type 'object'"),
])
def test_an_unreadable_file_is_unusable_and_named(tmp_path: Path, capsys: pytest.CaptureFixture, content: str,
                                                  message: str) -> None:
    status, out, err = _compare(tmp_path, capsys, _results(_family([True])), content)
    assert status == 2 and out == ""
    assert err.strip() == f"mimo-conformance evals compare: error: {tmp_path / 'candidate.json'}: {message}"


def _broken(change: str) -> dict[str, Any]:
    doc = _results(_family([True, True]) + [_record("if.item_000", True, protocol="anthropic")])
    if change == "status":
        doc["records"][1]["status"] = "passed"
    elif change == "scored without passed":
        doc["records"][1]["passed"] = None
    elif change == "duplicate":
        doc["records"][2]["protocol"] = "openai"
    elif change == "epoch":
        doc["records"][1]["epoch"] = 2
    elif change == "family":
        doc["records"][2]["family"] = "arithmetic"
    return doc


@pytest.mark.parametrize("change, message", [
    ("status", "/records/1/status: 'passed' is not one of"),
    ("scored without passed", "/records/1/passed: None is not of type 'boolean'"),
    ("duplicate", "/records/2: a second record of if.item_000 openai epoch 1 (the first is /records/0)"),
    ("epoch", "/records/1/epoch: 2 is more than the run's epochs (1)"),
    ("family", "/records/2/family: if.item_000 is 'arithmetic' here but 'instruction_following' at /records/0"),
])
def test_an_invalid_file_is_unusable_and_names_the_json_pointer(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                change: str, message: str) -> None:
    status, _, err = _compare(tmp_path, capsys, _broken(change), _results(_family([True])))
    assert status == 2
    assert err.startswith(f"mimo-conformance evals compare: error: {tmp_path / 'baseline.json'}: {message}")
    assert len(err.strip().splitlines()) == 1


def test_runs_without_a_counted_item_in_common_are_unusable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status, _, err = _compare(tmp_path, capsys, _results(_family([True], prefix="aa")), _results(_family([True], prefix="bb")))
    assert status == 2 and "no item has a scored or error record in both runs" in err


def test_a_missing_file_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["evals", "compare", str(tmp_path / "none.json"), str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot read it" in capsys.readouterr().err


def test_out_of_range_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evals", "compare", "a.json", "b.json", "--alpha", "1.5"])
    assert exit_info.value.code == 2


def test_the_json_comparison_names_its_format_and_options(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _results(_family([True] * 10))
    comparison = _comparison(tmp_path, capsys, run, run)
    assert comparison["format"] == "mimo-conformance/eval-comparison/1"
    assert comparison["options"] == {"alpha": 0.05, "min_drop": 0.05, "resamples": 2000, "seed": 0}
    assert comparison["runs"]["candidate"]["file"] == str(tmp_path / "candidate.json")


def test_usage_compares_cost_tokens_and_latency(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base, cand = _family([True] * 4), _family([True] * 4)
    for r in cand:
        r["tokens"]["completion"], r["cost"] = 30, None
    cand[0]["cost"] = 0.002
    usage = {(u["family"], u["metric"]): u for u in _comparison(tmp_path, capsys, _results(base), _results(cand))["usage"]}
    assert usage["all", "completion tokens"]["baseline"] == 40 and usage["all", "completion tokens"]["candidate"] == 120
    assert usage["all", "cost"]["candidate_per_item"] == pytest.approx(0.0005)
    assert (usage["all", "cost"]["baseline_missing"], usage["all", "cost"]["candidate_missing"]) == (0, 3)


def test_cost_is_left_out_when_one_run_has_no_price(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    base, cand = _family([True] * 4), _family([True] * 4)
    for r in cand:
        r["cost"] = None
    usage = _comparison(tmp_path, capsys, _results(base), _results(cand))["usage"]
    assert "cost" not in {u["metric"] for u in usage} and "latency s" in {u["metric"] for u in usage}


def test_the_subcommand_table_takes_new_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(gate.SUBCOMMANDS, "echo", ("builtins:len", "count the arguments"))
    assert cli.main(["evals", "echo", "a", "b", "--c"]) == 3


# promote


def _promotable(**header: Any) -> dict[str, Any]:
    return _results(_family([True, False, True]) + [_record("if.na", None, status="n/a")], **header)


def test_promote_copies_the_run_stamped(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source, dest = _write(tmp_path / "run.json", _promotable()), tmp_path / "baselines" / "b.json"
    assert cli.main(["evals", "promote", str(source), "--to", str(dest)]) == 0
    promoted = json.loads(dest.read_text(encoding="utf-8"))
    assert promoted.pop("promoted")["from"] == source.as_posix()
    assert promoted == _promotable()
    assert gate.load(dest)["promoted"]["at"].endswith("Z")
    assert f"promoted {source} to {dest}" in capsys.readouterr().out


def test_promote_defaults_to_the_target_and_model_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "BASELINES", tmp_path / "baselines")
    dest, replaced = gate.promote(_write(tmp_path / "run.json", _promotable()))
    assert dest == tmp_path / "baselines" / "llama-server" / "gemma-3-270m.json" and replaced is None


def test_promote_needs_to_when_the_model_is_no_file_name(tmp_path: Path) -> None:
    with pytest.raises(gate.ResultsError, match="give the destination with --to"):
        gate.promote(_write(tmp_path / "run.json", _promotable(model="org/model")))


@pytest.mark.parametrize("status, message", [
    ("error", "1 error records (the first is /records/1)"),
    ("unavailable", "1 unavailable records (the first is /records/1)"),
])
def test_promote_refuses_an_incomplete_run_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                         status: str, message: str) -> None:
    doc = _promotable()
    doc["records"][1].update(status=status, score=None, passed=None)
    source, dest = _write(tmp_path / "run.json", doc), tmp_path / "b.json"
    assert cli.main(["evals", "promote", str(source), "--to", str(dest)]) == 2
    err = capsys.readouterr().err
    assert message in err and "--force promotes it anyway" in err and not dest.exists()
    assert cli.main(["evals", "promote", str(source), "--to", str(dest), "--force"]) == 0 and dest.exists()


def test_promote_refuses_a_run_with_nothing_scored(tmp_path: Path) -> None:
    doc = _results([_record("if.na", None, status="n/a")], mode="replay")
    with pytest.raises(gate.ResultsError, match="no record is scored"):
        gate.promote(_write(tmp_path / "run.json", doc), tmp_path / "b.json")


def test_promote_accepts_a_replay(tmp_path: Path) -> None:
    dest, _ = gate.promote(_write(tmp_path / "run.json", _promotable(mode="replay")), tmp_path / "b.json")
    assert gate.load(dest)["mode"] == "replay"


def test_promote_replaces_the_same_models_baseline(tmp_path: Path) -> None:
    dest = tmp_path / "b.json"
    gate.promote(_write(tmp_path / "old.json", _promotable(date="2026-01-01T00:00:00Z")), dest)
    _, replaced = gate.promote(_write(tmp_path / "new.json", _promotable()), dest)
    assert replaced == "2026-01-01T00:00:00Z" and gate.load(dest)["date"] == "2026-11-26T10:00:00Z"


def test_promote_refuses_to_overwrite_another_models_baseline(tmp_path: Path) -> None:
    dest = tmp_path / "b.json"
    gate.promote(_write(tmp_path / "other.json", _promotable(model="mimo-v2.5-pro")), dest)
    with pytest.raises(gate.ResultsError, match="holds the baseline of llama-server mimo-v2.5-pro"):
        gate.promote(_write(tmp_path / "run.json", _promotable()), dest)


def test_promote_refuses_to_overwrite_a_file_that_is_no_results_file(tmp_path: Path) -> None:
    dest = _write(tmp_path / "notes.json", "not json")
    with pytest.raises(gate.ResultsError, match="exists and is not a usable results file"):
        gate.promote(_write(tmp_path / "run.json", _promotable()), dest)
    assert dest.read_text(encoding="utf-8") == "not json"


def test_promote_never_leaves_a_half_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "b.json"
    gate.promote(_write(tmp_path / "old.json", _promotable(date="2026-01-01T00:00:00Z")), dest)
    before = dest.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        gate.promote(_write(tmp_path / "new.json", _promotable()), dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "new.json", "old.json"]
