"""The compatibility matrix: records placed in cells, a cell is its worst record, three renderings of one document."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from conformance import cli, matrix, results, schemas

FINDING = {"check": "openai.stream.role_first", "severity": "contract", "basis": "documented", "source": "001 § x",
           "location": "event 0 /choices/0/delta/role", "message": "expected 'assistant' in the first delta, got None",
           "known": None}
KNOWN = {**FINDING, "check": "anthropic.thinking.signature_present", "severity": "compat", "basis": "observed",
         "location": "/content/0", "message": "expected a non-empty signature",
         "known": {"label": "deviations/reference.json /deviations/1", "reason": "mirrors the live API"}}
INFO = {**FINDING, "check": "openai.schema.only_declared_fields", "severity": "info", "basis": "reference"}


def _record(verdict: str = "pass", *, protocol: str = "openai", feature: str = "basic", mode: str = "plain",
            model: str = "mimo-v2.5-pro", target: str = "reference", findings: tuple = ()) -> dict:
    return {"test": f"tests/test_cases.py::test_case[{protocol}.x.{feature}.y-{model}-{mode}]", "source": None,
            "cassette": None, "outcome": "passed", "target": target, "server": target, "dialect": "xiaomi",
            "protocol": protocol, "endpoint": "chat_completions" if protocol == "openai" else "messages",
            "model": model, "feature": feature, "mode": mode, "status": "200", "verdict": verdict, "when": None,
            "findings": list(findings), "expected": [], "covered": []}


def _doc(*records: dict, target: str = "reference") -> dict:
    return results.document("pytest", records, target=target, server=target, dialect="xiaomi", mode="replay",
                            models=["mimo-v2.5-pro"])


def _cell(m: dict, protocol: str, feature: str, target: str = "reference", model: str = "mimo-v2.5-pro") -> dict:
    return next(c for c in m["cells"] if (c["protocol"], c["feature"], c["target"], c["model"]) == (protocol, feature, target, model))


def test_the_public_surface_is_pinned() -> None:
    assert matrix.__all__ == ["FORMAT", "PROTOCOLS", "VERDICTS", "STATUSES", "SYMBOLS", "OTHER_MODEL", "build",
                              "cell_status", "to_json", "to_html", "to_markdown", "main"]


@pytest.mark.parametrize("verdicts, status", [
    (["pass", "fail", "known"], "fail"), (["pass", "known"], "known"), (["pass", "pass"], "pass"), ([], "untested"),
])
def test_a_cell_is_its_worst_record(verdicts: list[str], status: str) -> None:
    assert matrix.cell_status(verdicts) == status


def test_a_failing_record_turns_its_cell_fail() -> None:
    passing = [_record(), _record()]
    assert _cell(matrix.build([("a.json", _doc(*passing))], with_coverage=False), "openai", "basic")["status"] == "pass"
    failed = matrix.build([("a.json", _doc(*passing, _record("fail", findings=(FINDING,))))], with_coverage=False)
    cell = _cell(failed, "openai", "basic")
    assert cell["status"] == "fail" and cell["counts"] == {"fail": 1, "known": 0, "pass": 2}
    assert cell["evidence"][0]["findings"][0]["check"] == "openai.stream.role_first"  # the failing record first


def test_a_known_deviation_shows_its_label_and_reason() -> None:
    m = matrix.build([("a.json", _doc(_record("known", protocol="anthropic", findings=(KNOWN,))))], with_coverage=False)
    cell = _cell(m, "anthropic", "basic")
    assert cell["status"] == "known"
    assert cell["evidence"][0]["findings"][0]["known"] == KNOWN["known"]


def test_info_findings_are_counted_not_listed() -> None:
    m = matrix.build([("a.json", _doc(_record(findings=(INFO, INFO, FINDING))))], with_coverage=False)
    evidence = _cell(m, "openai", "basic")["evidence"][0]
    assert [f["check"] for f in evidence["findings"]] == ["openai.stream.role_first"]
    assert evidence["info"] == {"openai.schema.only_declared_fields": 2}


def test_streamed_records_also_fill_the_streaming_row() -> None:
    m = matrix.build([("a.json", _doc(_record("fail", feature="tools", mode="stream", findings=(FINDING,)),
                                      _record(feature="tools", mode="plain")))], with_coverage=False)
    assert _cell(m, "openai", "tools")["counts"] == {"fail": 1, "known": 0, "pass": 1}
    assert _cell(m, "openai", "streaming")["counts"] == {"fail": 1, "known": 0, "pass": 0}


def test_columns_are_target_by_model_and_untested_cells_are_kept() -> None:
    m = matrix.build([("a.json", _doc(_record())), ("b.json", _doc(_record(target="llama-server", model="gemma-3-270m"),
                                                                   target="llama-server"))], with_coverage=False)
    assert m["columns"] == [{"target": "llama-server", "model": "gemma-3-270m"},
                            {"target": "reference", "model": "mimo-v2.5-pro"}]
    assert len(m["cells"]) == len(m["rows"]) * 2 == 2 * len(matrix.PROTOCOLS) * len(results.FEATURES)
    assert _cell(m, "anthropic", "basic")["status"] == "untested"
    assert [i["path"] for i in m["inputs"]] == ["a.json", "b.json"]


def test_a_made_up_model_id_goes_to_its_targets_other_column() -> None:
    m = matrix.build([("a.json", _doc(_record(model="mimo-does-not-exist"), _record(model=None)))], with_coverage=False)
    assert m["columns"] == [{"target": "reference", "model": matrix.OTHER_MODEL}]


def _sample() -> dict:
    records = [_record(), _record("fail", mode="stream", findings=(FINDING,)),
               _record("known", protocol="anthropic", findings=(KNOWN,), model="mimo-v2.5")]
    return matrix.build([("a.json", _doc(*records))], with_coverage=False)


def test_the_json_matches_its_schema() -> None:
    doc = json.loads(matrix.to_json(_sample()))
    assert schemas.errors("matrix.schema.json", doc) == []
    broken = copy.deepcopy(doc)
    broken["cells"][0]["status"] = "green"
    assert [e.pointer for e in schemas.errors("matrix.schema.json", broken)] == ["/cells/0/status"]


def test_the_markdown_has_a_symbol_per_cell_and_a_legend() -> None:
    text = matrix.to_markdown(_sample())
    assert "Legend: ✅ pass · ❌ fail · ⚠️ known deviation · – not tested" in text
    basic = re.search(r"^### openai\n\n(.*?)\n\n", text, re.S | re.M).group(1).splitlines()
    assert basic[0] == "| feature | reference · mimo-v2.5 | reference · mimo-v2.5-pro |"
    assert "| basic | – | ❌ |" in basic and "| streaming | – | ❌ |" in basic
    assert "| basic | ⚠️ | – |" in text.split("### anthropic")[1]
    assert "`[openai.stream.role_first]` event 0 /choices/0/delta/role" in text


def test_the_html_page_needs_nothing_from_outside() -> None:
    page = matrix.to_html(_sample())
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]*\bsrc=|url\(|@import", page)
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)
    assert page.count('<button type=button class="cell fail"') == 2  # openai basic and streaming
    data = re.search(r'<script type="application/json" id="matrix-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["format"] == matrix.FORMAT


def test_a_record_cannot_close_the_pages_script() -> None:
    record = _record("fail", findings=({**FINDING, "message": "</script><script>alert(1)</script>"},))
    page = matrix.to_html(matrix.build([("a.json", _doc(record))], with_coverage=False))
    assert page.count("</script>") == 2  # the data block's and the code's own


def _results_file(tmp_path: Path, doc: dict, name: str = "r.json") -> Path:
    path = tmp_path / name
    results.write(path, doc)
    return path


def test_the_report_command_writes_each_rendering(tmp_path: Path) -> None:
    source = _results_file(tmp_path, _doc(_record(), _record("fail", findings=(FINDING,))))
    outputs = {kind: tmp_path / f"m.{kind}" for kind in ("html", "json", "markdown")}
    assert cli.main(["report", str(source), *(f"--{k}={p}" for k, p in outputs.items()), "--no-coverage"]) == 0
    assert json.loads(outputs["json"].read_text(encoding="utf-8"))["inputs"][0]["path"] == str(source)
    assert outputs["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "| basic | ❌ |" in outputs["markdown"].read_text(encoding="utf-8")


def test_without_an_output_option_the_markdown_goes_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["report", str(_results_file(tmp_path, _doc(_record()))), "--no-coverage"]) == 0
    assert capsys.readouterr().out.startswith("## MiMo compatibility matrix")


@pytest.mark.parametrize("content, problem", [
    (None, "cannot read the results file"),
    ("{not json", "not JSON"),
    (json.dumps({"format": "something-else/1", "run": {}, "records": []}), "/format"),
    (json.dumps({"format": results.FORMAT, "run": {"kind": "pytest", "suite_version": "0", "date": "x"},
                 "records": [{"test": "t"}]}), "/records/0"),
])
def test_an_unusable_results_file_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                        content: str | None, problem: str) -> None:
    good = _results_file(tmp_path, _doc(_record()))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert cli.main(["report", str(good), str(bad), "--markdown", str(tmp_path / "m.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"mimo-conformance report: error: {bad}: ") and problem in err
    assert not (tmp_path / "m.md").exists()


def test_coverage_comes_from_the_records_cassettes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    cassette = next((root / "cassettes" / "reference" / "xiaomi" / "test_cases").glob("test_case*basic*.json"))
    record = {**_record(), "cassette": str(cassette)}
    m = matrix.build([("a.json", _doc(record, {**_record(), "cassette": "gone.json"}))])
    assert [c["target"] for c in m["coverage"]] == ["reference"]
    found = m["coverage"][0]
    assert found["cassettes"] == 1 and 0 < found["sent"]["covered"] < found["sent"]["total"]
    assert "Coverage of the documented surface" in matrix.to_markdown(m)
