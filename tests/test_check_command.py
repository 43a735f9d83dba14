"""`mimo-conformance check` reads cassettes, HAR files and transcripts, and judges as the pytest run does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import cli, deviations, inputs, report
from conformance.targets import load_targets

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = Path(__file__).parent / "data" / "captures"
GOOD = ["vcrpy_reference.yaml", "ours_anthropic_tool_use_stream.json", "hand_made_mimo.har",
        "transcript_openai_stream_tool_calls.json", "transcripts_token_plan_402.json"]
BROKEN = {
    "not_json.json": "not JSON: Expecting value: line 2",
    "not_yaml.yaml": "neither JSON nor YAML: expected ',' or ']'",
    "not_a_capture.json": "not a vcrpy cassette",
    "no_request_body.yaml": "/interactions/0/request: no request body",
    "body_not_utf8.har": "/log/entries/0/response/content/text: not UTF-8 (byte 3 is 0xe9)",
    "bad_base64.har": "/log/entries/0/response/content/text: marked base64 but does not decode",
    "transcript_without_status.json": "'status' is a required property",
    "no_endpoint.json": "no request to /chat/completions or /v1/messages",
}


def _check(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    status = cli.main(["check", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


def _shapes(name: str) -> list[tuple[str, bool, int]]:
    return [(c.exchange.protocol, c.exchange.streamed, c.exchange.status) for c in inputs.read_file(CAPTURES / name).exchanges]


@pytest.mark.parametrize("name, expected", [
    ("vcrpy_reference.yaml", [("openai", False, 200), ("openai", True, 200), ("anthropic", True, 200), ("anthropic", False, 400)]),
    ("ours_anthropic_tool_use_stream.json", [("anthropic", True, 200), ("anthropic", True, 200)]),
    ("hand_made_mimo.har", [("openai", True, 200), ("openai", True, 400), ("anthropic", False, 400), ("anthropic", False, 200)]),
    ("transcript_openai_stream_tool_calls.json", [("openai", True, 200)]),
    ("transcripts_token_plan_402.json", [("openai", False, 402), ("anthropic", False, 402)]),
])
def test_each_input_kind_reads_as_its_exchanges(name: str, expected: list) -> None:
    assert _shapes(name) == expected


def test_the_public_surface_is_pinned() -> None:
    assert inputs.__all__ == ["SUFFIXES", "InputError", "Captured", "CapturedFile", "read_paths", "read_paths_leniently",
                              "read_file", "protocol_of"]
    assert report.__all__ == ["Policy", "Choice", "verdicts", "pairs", "render", "summary", "main"]


def test_streamed_bodies_are_read_as_sse() -> None:
    vcr_stream = inputs.read_file(CAPTURES / "vcrpy_reference.yaml").exchanges[1].exchange
    framed_error = inputs.read_file(CAPTURES / "hand_made_mimo.har").exchanges[1].exchange
    assert vcr_stream.events[-1].data == "[DONE]" and vcr_stream.comments
    assert framed_error.error_body()["error"]["code"] == "400"


def test_a_base64_har_body_is_decoded() -> None:
    error = inputs.read_file(CAPTURES / "hand_made_mimo.har").exchanges[2].exchange
    assert error.body["error"]["param"] == "max_tokens must be at least 1"


def test_requests_to_other_endpoints_are_skipped_and_named(capsys: pytest.CaptureFixture) -> None:
    assert inputs.read_file(CAPTURES / "vcrpy_reference.yaml").skipped == ["GET /v1/models"]
    _, out, _ = _check(capsys, CAPTURES / "hand_made_mimo.har")
    assert "hand_made_mimo.har: skipped 1 request(s) to neither endpoint: OPTIONS /v1/chat/completions" in out


def test_a_key_in_a_capture_reaches_neither_the_exchange_nor_the_report(capsys: pytest.CaptureFixture) -> None:
    exchange = inputs.read_file(CAPTURES / "hand_made_mimo.har").exchanges[0].exchange
    assert "api-key" not in exchange.request.headers and exchange.request.auth == "api-key"
    assert "sk-redacted" not in _check(capsys, CAPTURES / "hand_made_mimo.har")[1]


def test_our_cassettes_name_the_test_that_recorded_them() -> None:
    path = ROOT / "cassettes/reference/xiaomi/test_cases/test_case[openai.chat_completions.basic.user_only-mimo-v2.5-plain].json"
    assert inputs.read_file(path).exchanges[0].test == "tests/test_cases.py::test_case[openai.chat_completions.basic.user_only-mimo-v2.5-plain]"


def test_the_report_gives_protocol_endpoint_model_target_verdict_and_each_finding(capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _check(capsys, CAPTURES / "hand_made_mimo.har")
    assert status == 0
    assert f"{CAPTURES / 'hand_made_mimo.har'} /log/entries/3\n  anthropic messages mimo-v2.5-pro plain 400 [xiaomi]: pass\n" in out
    assert ("    known    [anthropic.error.anthropic_shape] /type: expected Anthropic's {type: error, error: {type, message}}, "
            "got the OpenAI-style envelope {error: {...}} (compat, observed; deviations/xiaomi.json") in out
    assert "target xiaomi (host api.xiaomimimo.com; failing on contract; 5 known deviation(s) in xiaomi's table): 4 verdict(s)\n" in out
    assert out.endswith("4 exchange(s), 0 pair(s): verdicts 4 pass, 0 fail, 0 known; "
                        "findings 0 contract, 0 compat, 0 info, 4 known\n")


def test_without_a_profile_for_the_host_no_table_applies(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    har = json.loads((CAPTURES / "hand_made_mimo.har").read_text(encoding="utf-8"))
    for entry in har["log"]["entries"]:
        entry["request"]["url"] = entry["request"]["url"].replace("https://api.xiaomimimo.com", "http://127.0.0.1:8000")
    (tmp_path / "local.har").write_text(json.dumps(har), encoding="utf-8")
    status, out, _ = _check(capsys, tmp_path / "local.har")
    assert status == 0 and "[no profile]: pass" in out and "    known " not in out
    assert "target none (host 127.0.0.1 (no profile); failing on contract; no known-deviation table): 4 verdict(s)" in out


def test_a_contract_finding_exits_1(capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _check(capsys, CAPTURES / "hand_made_public_classes.har")
    assert status == 1 and "plain 400 [xiaomi]: fail" in out
    assert "contract [openai.error.valid_request_accepted] status: expected 200 for a request the contract allows" in out


def test_an_error_body_of_another_shape_weighs_as_observed(capsys: pytest.CaptureFixture) -> None:
    # The docs give the status table, not the body: the envelope is what the live API was seen to send.
    status, out, _ = _check(capsys, CAPTURES / "transcripts_token_plan_402.json", "--target", "xiaomi")
    assert status == 0 and "plain 402 [xiaomi]: pass" in out
    assert "compat   [openai.schema.error] /: 'error' is a required property (observed)" in out


def test_fail_on_compat_makes_a_compat_finding_fail(capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _check(capsys, CAPTURES / "hand_made_mimo.har", "--fail-on", "contract,compat", "--target", "reference")
    assert status == 1 and "stream 400 [reference]: fail" in out


def test_known_deviations_print_as_known_and_count_as_known(capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _check(capsys, CAPTURES / "transcripts_token_plan_402.json", "--fail-on", "contract,compat")
    assert status == 0 and "plain 402 [xiaomi-token-plan]: known" in out
    assert ("    known    [openai.schema.error] /: 'error' is a required property (compat, observed; "
            "deviations/xiaomi-token-plan.json /deviations/0: Quota") in out
    assert out.count("    known ") == int(out.rsplit(", ", 1)[1].split()[0])  # every line marked known is counted


def test_every_seeded_xiaomi_deviation_covers_a_finding_in_live_shaped_data() -> None:
    files = inputs.read_paths([CAPTURES / "hand_made_mimo.har", ROOT / "tests/data/exchanges/good"])
    for target in ("xiaomi", "xiaomi-token-plan"):
        policy = report.Policy(load_targets(), target=target, fails=("contract", "compat", "info"))
        found = files + [inputs.read_file(CAPTURES / "transcripts_token_plan_402.json")] * (target == "xiaomi-token-plan")
        used = {j.deviation for v, _ in report.verdicts(found, policy) for j in v.judged}
        assert [d.label for d in deviations.for_target(target).entries if d not in used] == []


def test_a_folder_is_walked_and_hidden_files_are_left_out(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for name in GOOD:
        shutil.copy(CAPTURES / name, tmp_path / name)
    (tmp_path / "nested").mkdir()
    shutil.move(tmp_path / GOOD[0], tmp_path / "nested" / GOOD[0])
    (tmp_path / ".half-written.json.tmp").write_text("{")
    (tmp_path / ".hidden.json").write_text("{")
    status, out, err = _check(capsys, tmp_path, "--target", "xiaomi", "--fail-on", "contract,compat")
    assert (status, err) == (1, "")  # the Token Plan's 402 bodies are not pay-as-you-go's envelope
    assert "13 exchange(s), 1 pair(s)" in out and str(tmp_path / "nested" / GOOD[0]) in out


def test_pairs_in_one_file_run_the_pair_checks() -> None:
    captured = inputs.read_file(CAPTURES / "vcrpy_reference.yaml").exchanges
    assert [(s.source[-15:], p.source[-15:]) for s, p in report.pairs(captured)] == [("/interactions/1", "/interactions/0")]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unusable_input_is_one_error_naming_the_file(name: str, capsys: pytest.CaptureFixture) -> None:
    path = CAPTURES / "broken" / name
    status, out, err = _check(capsys, path)
    assert (status, out) == (2, "")
    assert err.startswith(f"mimo-conformance check: error: {path}") and BROKEN[name] in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "latin1.json").write_bytes('{"caf\xe9": 1}'.encode("latin-1")), "not UTF-8 text (byte 5)"),
    (lambda d: (d / "empty").mkdir(), "the folder holds no .json, .yaml, .yml, .har file"),
    (lambda d: None, "no such file or folder"),
], ids=["not_utf8", "empty_folder", "missing"])
def test_unreadable_paths_are_one_error(setup, message: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    setup(tmp_path)
    target = next(iter(sorted(tmp_path.iterdir())), tmp_path / "missing.json")
    status, _, err = _check(capsys, target)
    assert status == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("option", [["--target", "nonesuch"], ["--fail-on", "fatal"]])
def test_an_unknown_target_or_severity_is_unusable(option: list[str], capsys: pytest.CaptureFixture) -> None:
    status, _, err = _check(capsys, CAPTURES / "hand_made_mimo.har", *option)
    assert status == 2 and err.startswith("mimo-conformance check: error:")


# --- the same verdicts as the pytest run --------------------------------------------------------

SLICE = "basic or errors"


def _pytest_outcomes(junit: Path) -> dict[str, str]:
    """Node id -> pass, fail or known (xfail), from a JUnit report."""
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        test = case.get("classname").replace(".", "/") + ".py::" + case.get("name")
        kinds = {child.tag: child.get("type", "") for child in case}
        outcomes[test] = "fail" if "failure" in kinds else "known" if kinds.get("skipped") == "pytest.xfail" else "pass"
    return outcomes


def _check_outcomes(results: list, tests: set[str]) -> dict[str, str]:
    """Node id -> the worst verdict check gives the exchanges and pairs of its cassette."""
    rank, outcomes = {"pass": 0, "known": 1, "fail": 2}, {}
    for result, _ in results:  # a pair test judges each side and the pair: all of its cassette's verdicts
        if result.test in tests:
            outcomes[result.test] = max(outcomes.get(result.test, "pass"), result.verdict, key=rank.get)
    return outcomes


@pytest.mark.slow
def test_a_cassette_of_ours_gives_the_verdicts_of_the_pytest_run_that_recorded_it(tmp_path: Path) -> None:
    table = tmp_path / "reference.json"  # only the signature is known, so Anthropic errors fail
    table.write_text(json.dumps({"target": "reference", "deviations": [json.loads(
        (ROOT / "deviations/reference.json").read_text(encoding="utf-8"))["deviations"][1]]}))
    env = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "MIMO_API_KEY")}
    cmd = [sys.executable, "-m", "pytest", "tests/test_cases.py", "-k", SLICE, "--fail-on", "contract,compat",
           f"--deviations={table}", f"--junitxml={tmp_path / 'junit.xml'}", "-q"]
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300)
    expected = _pytest_outcomes(tmp_path / "junit.xml")
    assert set(expected.values()) == {"pass", "fail", "known"}, expected
    files = inputs.read_paths([ROOT / "cassettes/reference/xiaomi/test_cases"])
    policy = report.Policy(load_targets(), target="reference", table=deviations.load(table, "reference"),
                           fails=("contract", "compat"))
    results = report.verdicts(files, policy)
    assert _check_outcomes(results, set(expected)) == expected


# --- verdicts at the exchange's own time, for the host that answered ---------------------------


def test_public_capture_classes_get_their_documented_verdicts(capsys: pytest.CaptureFixture) -> None:
    # Hand-made captures of each class a time- and host-blind reading got wrong (their log.comment says so).
    files = inputs.read_paths([CAPTURES / "hand_made_public_classes.har"])
    results = report.verdicts(files, report.Policy(load_targets()))
    by_entry = {v.source.rsplit("/", 1)[-1]: v for v, _ in results}
    checks_of = {k: sorted({j.finding.check for j in v.judged}) for k, v in by_entry.items()}
    # a retired model answered before its date: nothing to say; after it: news (info), never "should be rejected"
    assert by_entry["0"].verdict == "pass" and checks_of["0"] == []
    assert by_entry["1"].verdict == "pass" and checks_of["1"] == ["openai.models.served_after_retirement"]
    assert by_entry["2"].verdict == "pass" and checks_of["2"] == []  # refused after its date: as it should be
    # a reseller's id on a reseller's host: no profile, the id is unknown (info), no limit rule applied
    assert by_entry["3"].verdict == "pass" and "openai.models.unknown" in checks_of["3"]
    assert all(j.finding.severity == "info" for j in by_entry["3"].judged)
    # the tool_choice object form is valid per the docs: answered is fine, refused is a contract finding
    assert by_entry["4"].verdict == "pass"
    assert by_entry["5"].verdict == "fail" and checks_of["5"] == ["openai.error.valid_request_accepted"]
    # the docs' own first-call example refused
    assert by_entry["6"].verdict == "fail" and [j.finding.severity for j in by_entry["6"].failing] == ["contract"]
    status, out, _ = _check(capsys, CAPTURES / "hand_made_public_classes.har")
    assert status == 1 and "target none (host openrouter.ai (no profile)" in out and "target xiaomi (host api.xiaomimimo.com" in out
