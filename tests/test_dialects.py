"""Every system in the docs is a target: dialects as data, the reference server speaking each, scenarios, profiles.

A dialect (schemas/dialects/<name>.json) gives a target's paths, key headers, model ids, ranges,
schemas, error codes and scenarios, and which documents hold for it; each served dialect has a
reference profile whose cassettes replay offline (the slow test below), and `check` judges a capture
from a reseller's host by that reseller's profile.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conformance import cases, contract, dialects, models, report, targets
from conformance.basis import Rule
from conformance.citations import sections
from conformance.schemas import errors
from conformance.server import DIALECTS, create_app, serve_in_thread
from conformance.transcript import load_exchange
from conformance.transport import SCENARIO_HEADER, Transport

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "data" / "exchanges" / "good"
ASK = [{"role": "user", "content": "Say ok."}]
LOOPBACK = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
REFERENCE_PROFILES = sorted(n for n, t in targets.load_targets().items() if t.server == "reference" and n != "reference")


@pytest.mark.parametrize("name", dialects.names())
def test_every_dialect_file_follows_its_schema_and_names_itself(name: str) -> None:
    doc = json.loads((dialects.DIALECT_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert errors("dialect.schema.json", doc) == [] and doc["name"] == name


def test_every_document_of_the_sources_holds_for_some_dialect() -> None:
    held = {text.split(" § ")[0] for n in dialects.names() for text in dialects.get(n).data.get("holds", ())}
    assert sorted(set(sections()) - {"docs/observed.md"} - held) == []


def test_every_profile_speaks_a_known_dialect_and_every_served_dialect_has_a_replaying_reference_profile() -> None:
    profiles = targets.load_targets()
    assert sorted({t.dialect for t in profiles.values()} - set(dialects.names())) == []
    by_dialect = {t.dialect: t for t in profiles.values() if t.server == "reference" and t.local}
    assert sorted(set(DIALECTS) - set(by_dialect)) == []
    for dialect, profile in by_dialect.items():
        assert any((ROOT / "cassettes" / profile.cassette_root / "test_cases").glob("*.json")), profile.name


def test_the_resellers_profiles_have_their_pages_hosts() -> None:
    empiriolabs = targets.get("empiriolabs")
    assert empiriolabs.base_urls["openai"] == "https://api.empiriolabs.ai/v1" and empiriolabs.dialect == "empiriolabs"
    assert targets.get("aggregator").base_urls == {}  # its page names no host
    assert targets.get("xiaomi-token-plan").dialect == "token-plan"


def test_every_case_names_dialects_that_exist_and_scenarios_they_have() -> None:
    for rel, doc in cases.load_files():
        for case in doc["cases"]:
            named = cases.dialects_of(doc, case)
            assert set(named) <= set(dialects.names()), (rel, case["id"])
            for dialect in named if "scenario" in case else ():
                assert dialects.get(dialect).scenario(case["scenario"]) is not None, (rel, case["id"], dialect)


def test_also_dialects_add_to_xiaomis_words_and_a_cases_own_word_wins() -> None:
    xiaomis = cases.dialects_of({}, {})
    assert "xiaomi" in xiaomis and "empiriolabs" not in xiaomis
    doc = {"also_dialects": ["empiriolabs"]}
    assert cases.dialects_of(doc, {}) == xiaomis + ("empiriolabs",)
    assert cases.dialects_of(doc, {"also_dialects": []}) == xiaomis  # the file's additions do not hold for it
    assert cases.dialects_of(doc, {"dialects": ["aggregator"]}) == ("aggregator",)
    assert cases.dialects_of({"dialects": ["empiriolabs"]}, {"also_dialects": ["aggregator"]}) == xiaomis + ("aggregator",)


def test_every_adapter_answers_the_same_calls_as_xiaomis() -> None:
    for name in dialects.served():  # the server calls each of them without asking
        assert sorted(dialects.adapter(name).__all__) == sorted(dialects.adapter("xiaomi").__all__), name
        assert all(callable(getattr(dialects.adapter(name), f)) for f in dialects.adapter(name).__all__), name


# --- the data at work: ranges, model ids, weights, stricter hosts ------------------------------------


def test_a_dialects_own_ranges_override_the_served_models() -> None:
    assert (models.get("mimo-v2-5").range("temperature").max, models.get("mimo-v2.5").range("temperature").max) == (2, 1.5)
    assert models.get("mimo-v2-5").range("max_tokens").default == 4096
    hot = {"messages": ASK, "max_tokens": 64, "temperature": 1.8}
    assert contract.request_violations("openai", {**hot, "model": "mimo-v2-5"}, dialect="empiriolabs") == []
    assert [v.pointer for v in contract.request_violations("openai", {**hot, "model": "mimo-v2.5"})] == ["/temperature"]
    assert [v.grounds.basis for v in contract.request_violations("openai", {**hot, "model": "xiaomi/mimo-v2.5-pro",
                                                                           "max_tokens": 200000}, dialect="aggregator")] == ["reference"]


def test_a_dialect_knows_only_its_own_model_ids() -> None:
    at = {"messages": ASK, "max_tokens": 64}
    assert [v.scope for v in contract.request_violations("openai", {**at, "model": "mimo-v2.5"}, dialect="empiriolabs")] == ["model"]
    assert [v.scope for v in contract.request_violations("openai", {**at, "model": "mimo-v2-5"})] == ["model"]
    assert dialects.of_model("xiaomi/mimo-v2.5-pro") == "aggregator" and dialects.of_model("mimo-v2.5-pro") == "xiaomi"


def test_a_rule_of_another_systems_documents_is_only_our_reading_there() -> None:
    xiaomi = Rule("documented", "docs/sources.md#openai-api § Request body > temperature")
    assert dialects.weigh(xiaomi, "token-plan") == xiaomi  # Xiaomi's rules hold on Xiaomi's hosts
    assert dialects.weigh(xiaomi, "empiriolabs").basis == "reference"
    own = Rule("documented", "docs/sources.md#empiriolabs-mimo-v2-5 § MiMo V2.5 API parameters > temperature")
    assert dialects.weigh(own, "empiriolabs") == own and dialects.weigh(own, "xiaomi").basis == "reference"


def test_the_token_plan_may_refuse_what_pay_as_you_go_ignores() -> None:
    body = {"model": "mimo-v2.5-pro", "messages": ASK, "frequency_penalty": None, "x_trace": "1"}
    assert contract.request_violations("openai", body) == []
    found = contract.request_violations("openai", body, dialect="token-plan")
    assert [(v.rule, v.scope, v.grounds.basis) for v in found] == [("field_declared", "may", "observed"),
                                                                  ("value_accepted", "may", "observed")]


def test_the_thinking_switch_is_read_in_the_dialects_words() -> None:
    assert dialects.get("empiriolabs").thinking_asked({"enable_thinking": False}) == "disabled"
    assert dialects.get("empiriolabs").thinking_asked({"thinking": {"type": "disabled"}}) is None
    assert dialects.get("xiaomi").thinking_asked({"thinking": {"type": "enabled"}}) == "enabled"


# --- the reference server in each dialect -------------------------------------------------------------


def test_an_unknown_dialect_is_refused_naming_the_served_ones() -> None:
    with pytest.raises(ValueError, match="unknown dialect 'nope'; known: .*empiriolabs"):
        create_app(key="k", dialect="nope")


@LOOPBACK
@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_reference_server_speaks_each_dialect_at_its_paths(dialect: str) -> None:
    speaks, model = dialects.get(dialect), {"xiaomi": "mimo-v2.5-pro", "token-plan": "mimo-v2.5-pro",
                                            "empiriolabs": "mimo-v2-5", "aggregator": "xiaomi/mimo-v2.5-pro"}[dialect]
    with serve_in_thread(key="sk-d", dialect=dialect) as server:
        transport = Transport(server.base_urls, "sk-d", auth="bearer", dialect=dialect)
        for protocol in speaks.protocols:
            body = {"model": model, "input": "Say ok."} if protocol == "responses" else {"model": model, "messages": ASK, "max_tokens": 64}
            assert transport.send(protocol, body).status == 200, protocol
        listed = [transport.fetch(path) for path in speaks.model_lists]
        transport.close()
    assert set(server.base_urls) == set(speaks.protocols)
    assert all(status == 200 and model in text for status, _, text in listed)


@LOOPBACK
@pytest.mark.parametrize("dialect, model", [("empiriolabs", "mimo-v2-5"), ("aggregator", "xiaomi/mimo-v2.5-pro")])
def test_a_reseller_ignores_xiaomis_thinking_field_as_any_field_its_page_does_not_list(dialect: str, model: str) -> None:
    body = {"model": model, "messages": ASK, "max_tokens": 256, "thinking": {"type": "disabled"}}
    with serve_in_thread(key="sk-t", dialect=dialect) as server:
        answer = httpx.post(server.base_urls["openai"] + "/chat/completions", json=body, headers={"authorization": "Bearer sk-t"})
    message = answer.json()["choices"][0]["message"]
    assert answer.status_code == 200 and (message.get("reasoning_content") or message.get("reasoning")), message
    assert dialects.get(dialect).thinking_asked(body) is None  # the checks read it the same way


@LOOPBACK
def test_the_aggregator_wraps_xiaomis_web_search_refusal_like_its_other_errors() -> None:
    body = {"model": "xiaomi/mimo-v2.5-pro", "max_tokens": 64, "tools": [{"type": "web_search", "force_search": True}],
            "messages": [{"role": "user", "content": "Search the news. [[reference:web_search_plugin_off]]"}]}
    with serve_in_thread(key="sk-w", dialect="aggregator") as aggregator, serve_in_thread(key="sk-w") as xiaomi:
        wrapped = httpx.post(aggregator.base_urls["openai"] + "/chat/completions", json=body, headers={"authorization": "Bearer sk-w"})
        plain = httpx.post(xiaomi.base_urls["openai"] + "/chat/completions", json={**body, "model": "mimo-v2.5-pro"},
                           headers={"api-key": "sk-w"})
    assert plain.status_code == 400 and plain.json()["error"]["code"] == "400"
    error = wrapped.json()["error"]
    assert wrapped.status_code == 400 and (error["message"], error["code"]) == ("Provider returned error", 400)
    assert json.loads(error["metadata"]["raw"]) == plain.json()


@LOOPBACK
def test_each_dialect_reads_the_key_from_its_own_headers() -> None:
    body = {"model": "mimo-v2-5", "messages": ASK, "max_tokens": 16}
    with serve_in_thread(key="sk-h", dialect="empiriolabs") as empiriolabs, serve_in_thread(key="sk-h") as xiaomi:
        by_x_api_key = httpx.post(empiriolabs.base_urls["openai"] + "/chat/completions", json=body, headers={"x-api-key": "sk-h"})
        xiaomi_body = {**body, "model": "mimo-v2.5-pro"}
        ignored = httpx.post(xiaomi.base_urls["openai"] + "/chat/completions", json=xiaomi_body, headers={"x-api-key": "sk-h"})
    assert by_x_api_key.status_code == 200
    assert ignored.status_code == 401 and ignored.json()["error"]["type"] == "invalid_key"


@LOOPBACK
def test_a_scenario_answers_every_try_the_same_and_the_transport_marks_it_unavailable() -> None:
    from conformance.transport import RetryPolicy

    slept: list[float] = []
    with serve_in_thread(key="sk-s") as server:
        transport = Transport(server.base_urls, "sk-s", retry=RetryPolicy(attempts=3), sleep=slept.append, scenarios=True)
        body = {"model": "mimo-v2.5-pro", "messages": ASK, "max_completion_tokens": 16}
        limited = transport.send("openai", body, scenario="rate_limited")
        broken = transport.send("openai", body, scenario="server_error")
        unknown = transport.send("openai", body, scenario="no_such_scenario")
        transport.close()
    assert (limited.status, limited.attempts, limited.unavailable) == (429, 3, True) and len(slept) == 4
    assert (broken.status, broken.unavailable) == (500, False)  # a 500 stays a finding
    assert unknown.status == 400 and "no scenario" in unknown.text


def test_a_transport_for_a_real_target_refuses_to_send_a_scenario() -> None:
    transport = Transport({"openai": "https://api.xiaomimimo.com/v1"}, "sk-x")
    with pytest.raises(ValueError, match="only the suite's own reference server"):
        transport.send("openai", {"model": "m", "messages": ASK}, scenario="rate_limited")
    transport.close()
    assert SCENARIO_HEADER.startswith("x-mimo-conformance-")


def test_a_scenario_run_is_not_applicable_to_another_server() -> None:
    run = next(r for r in cases.runs(["mimo-v2.5-pro"]) if r.scenario == "rate_limited")
    assert run.not_applicable("reference") is None
    assert "suite's own reference server" in run.not_applicable("xiaomi")


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("MIMO_TARGET", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *args], cwd=ROOT,
                          env={**base, **(env or {})}, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_scenario_cases_are_reported_not_applicable_to_a_real_target_with_the_reason() -> None:
    run = _pytest("tests/test_cases.py", "--target", "xiaomi", "-k", "scenarios and not wrong_path")
    assert run.returncode == 0, run.stdout[-2000:]
    assert re.search(r"mimo-conformance: 12 test\(s\) not applicable to xiaomi: scenario '\w+' asks the suite's own", run.stdout) \
        or "not applicable to xiaomi: scenario" in run.stdout, run.stdout[-2000:]
    assert "12 skipped" in run.stdout and " passed" not in run.stdout.splitlines()[-1]


@pytest.mark.slow
@LOOPBACK
def test_unavailability_scenarios_are_judged_even_when_unavailability_fails_a_run() -> None:
    # A CI gate with --fail-on-unavailable must not go green on an unavailable target, and a case that
    # asks for a 429 or a 503 must still be judged, within the retry policy's few seconds.
    start = time.perf_counter()
    run = _pytest("tests/test_cases.py", "--target", "reference", "--live", "--fail-on-unavailable", "--retries", "2",
                  "-k", "scenarios and (rate_limited or overloaded)")
    last = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0 and "2 passed" in last and "2 xfailed" in last, run.stdout[-2000:]
    assert time.perf_counter() - start < 120


@pytest.mark.slow
@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_each_reference_profile_replays_green_offline(profile: str) -> None:
    # The default run replays target reference; this replays the cases and properties of each other
    # reference profile over its committed cassettes/reference/<dialect>/, offline, through its table.
    run = _pytest("--target", profile, "tests/test_cases.py", "tests/test_properties.py")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and not re.search(r"\b\d+ (failed|errors?)\b", run.stdout.splitlines()[-1]), run.stdout[-2000:]


# --- check: a capture from a reseller's host is judged by its profile, in its dialect ----------------


def _capture(host: str, temperature: float) -> "object":
    doc = json.loads((GOOD / "openai_plain.json").read_text(encoding="utf-8"))
    doc["request"]["url"] = f"https://{host}/v1/chat/completions"
    reseller = "empiriolabs" in host  # its page types stop a string, thinking is enable_thinking
    asked = {k: v for k, v in doc["request"]["body"].items() if not (reseller and k in ("stop", "thinking"))}
    doc["request"]["body"] = {**asked, "model": "mimo-v2-5" if reseller else "mimo-v2.5", "temperature": temperature,
                              **({"enable_thinking": False} if reseller else {})}
    doc["body"]["model"] = doc["request"]["body"]["model"]
    return load_exchange(doc)


def test_check_picks_the_resellers_profile_by_its_host_and_judges_by_its_ranges() -> None:
    from conformance import inputs

    policy = report.Policy(targets.load_targets())
    judged = {}
    for host in ("api.empiriolabs.ai", "api.xiaomimimo.com"):
        exchange = _capture(host, 1.8)
        captured = inputs.CapturedFile(Path(f"{host}.json"), [inputs.Captured(f"{host} /", exchange)])
        (verdict, choice), = report.verdicts([captured], policy)
        judged[host] = (choice.name, choice.dialect, verdict.verdict, sorted({j.finding.check for j in verdict.failing}))
    assert judged["api.empiriolabs.ai"][:3] == ("empiriolabs", "empiriolabs", "pass")  # 1.8 is within EmpirioLabs' [0, 2]
    assert judged["api.xiaomimimo.com"][:3] == ("xiaomi", "xiaomi", "fail")  # beyond Xiaomi's 1.5
    assert "openai.error.invalid_request_rejected" in judged["api.xiaomimimo.com"][3]


@pytest.mark.slow
@LOOPBACK
def test_serve_speaks_the_dialect_it_is_told() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "conformance.server", "--key", "sk-cli", "--port", "0", "--dialect", "empiriolabs"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert [line.split(" base URL")[0] for line in lines] == ["openai", "anthropic", "responses"]
    assert lines[1].rstrip().endswith(lines[0].rstrip().split("/v1")[0].split("URL: ")[1])  # Anthropic at the host root
