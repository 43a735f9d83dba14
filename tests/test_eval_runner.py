"""The eval runner: request rendering, applicability, cost, turn folding, records; against the reference server.

The reference server is plumbing only: its answers are not a model's, so nothing here reads a score
as a measurement; the tests check that items travel through both protocols and come back scored.
"""

from __future__ import annotations

import pytest

from conformance import models, schemas, server
from conformance.evals import items as item_data
from conformance.evals import runner
from conformance.exchange import Exchange, Request
from conformance.transport import Transport

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])  # the tests start the reference server

KEY = "sk-eval-runner-test"
ARITH = {
    "id": "arith.t1", "family": "arithmetic", "stratum": "expression", "lang": "en", "system": "Be brief.",
    "messages": [{"role": "user", "content": "What is 2 + 3? End with 'Answer: <number>'."}],
    "max_tokens": 64, "protocols": ["openai", "anthropic"], "grader": {"type": "exact_number", "answer": 5},
}
TOOLS = {
    **ARITH, "id": "fc.t1", "family": "function_calling", "tool_choice": "required", "thinking": "disabled",
    "temperature": 0.2, "response_format": "json_object",
    "tools": [{"name": "add", "description": "Add two numbers", "parameters": {"type": "object", "properties": {
        "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}],
}


@pytest.fixture(scope="module")
def reference():
    with server.serve_in_thread(key=KEY) as srv:
        t = Transport(srv.base_urls, KEY, auth="api-key")
        yield t
        t.close()


def test_openai_body_carries_every_option():
    body = runner.request_body(TOOLS, "openai", "mimo-v2.5-pro")
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["max_completion_tokens"] == 64 and body["stream"] is False and body["temperature"] == 0.2
    assert body["tools"] == [{"type": "function", "function": TOOLS["tools"][0]}]
    assert body["tool_choice"] == "required" and body["response_format"] == {"type": "json_object"}
    assert body["thinking"] == {"type": "disabled"}
    assert schemas.errors("openai/chat_completions.request.json", body) == []


def test_anthropic_body_carries_every_option():
    item = {k: v for k, v in TOOLS.items() if k != "response_format"}
    body = runner.request_body(item, "anthropic", "mimo-v2.5-pro")
    assert body["system"] == "Be brief." and body["messages"] == item["messages"] and body["max_tokens"] == 64
    assert body["tools"] == [{"name": "add", "description": "Add two numbers", "input_schema": item["tools"][0]["parameters"]}]
    assert body["tool_choice"] == {"type": "any"} and body["thinking"] == {"type": "disabled"}
    assert schemas.errors("anthropic/messages.request.json", body) == []


@pytest.mark.parametrize("item, protocol, model, reason", [
    ({**ARITH, "protocols": ["openai"]}, "anthropic", "mimo-v2.5-pro", "runs through openai only"),
    (ARITH, "openai", "mimo-v2.5-tts", "is a tts model"),
    ({**ARITH, "requires": ["thinking"]}, "openai", "gemma-3-270m", "lacks thinking"),
    ({**ARITH, "context_tokens": 8000}, "openai", "gemma-3-270m", "has 4096"),
])
def test_an_item_a_model_cannot_take_is_not_applicable(item, protocol, model, reason):
    assert reason in runner.not_applicable(item, protocol, models.get(model))
    assert runner.not_applicable(ARITH, "openai", models.get("mimo-v2.5-pro")) is None


def test_cost_follows_the_documented_prices():
    pricing = models.get("mimo-v2.5-pro").data["pricing"]
    turn = runner.Turn("", "", [], "stop", {"prompt": 1000, "completion": 500, "reasoning": 0, "cached": 200})
    assert runner.cost(pricing, [turn]) == pytest.approx((800 * 1.0 + 200 * 0.2 + 500 * 3.0) / 1e6)
    long = runner.Turn("", "", [], "stop", {"prompt": 300_000, "completion": 0, "reasoning": 0, "cached": 0})
    assert runner.cost(pricing, [long]) == pytest.approx(300_000 * 2.0 / 1e6)  # the 256K-1M row
    assert runner.cost(None, [turn]) is None


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_items_go_through_the_reference_server_and_come_back_scored(reference, protocol):
    model = models.get("mimo-v2.5-pro")
    run = runner.run_item(reference.send, ARITH, protocol, model.id)
    assert run.error is None and len(run.exchanges) == 1
    rec = runner.record(ARITH, protocol, 1, model, run, latency=0.5)
    assert rec["status"] == "scored" and rec["passed"] in (True, False) and rec["tokens"]["prompt"] > 0
    assert rec["cost"] > 0 and rec["requests"] == 1
    assert schemas.errors("evals/results.schema.json#/$defs/record", rec) == []


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_tool_turns_reach_the_simulator(reference, protocol):
    item = next(i for i in item_data.load() if i["family"] == "multi_turn_tools")
    item = {**item, "protocols": [protocol]}
    run = runner.run_item(reference.send, item, protocol, "mimo-v2.5-pro")
    assert run.error is None
    assert run.outcome.calls and run.outcome.turns >= 2, "the reference server calls a tool when tools are offered"
    assert run.outcome.state is not None
    second = run.exchanges[1].request.json["messages"]
    assert any(m.get("role") == "tool" or (isinstance(m.get("content"), list) and m["content"][0].get("type") == "tool_result")
               for m in second), "the simulator's results go back to the model"
    assert len(run.exchanges) == run.outcome.turns <= item["max_turns"]


def _failed(status: int, text: str) -> Exchange:
    return Exchange("openai", Request("POST", "http://x/v1/chat/completions", {}, {}, "api-key", "valid"), status,
                    {"content-type": "application/json"}, text)


def test_an_http_error_is_an_error_record_that_fails_the_item():
    model = models.get("mimo-v2.5-pro")
    run = runner.run_item(lambda p, b: _failed(400, '{"error": {"message": "bad thing", "type": "x"}}'), ARITH, "openai", model.id)
    rec = runner.record(ARITH, "openai", 1, model, run)
    assert rec["status"] == "error" and rec["passed"] is False and rec["score"] == 0.0
    assert rec["detail"] == "HTTP 400: bad thing"
