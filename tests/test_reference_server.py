"""The reference server keeps the documented contract, deterministically, with the observed framing."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest

from conformance import contract, models, schemas, server
from conformance.exchange import ENDPOINTS
from conformance.server import tokens
from conformance.server.prompt import REFERENCE_DAY
from conformance.sse import SSEComment, SSEEvent, parse

# The suite blocks the network by default (replay mode); this server runs on the loopback only.
pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

KEY = "sk-reference-test-key"
PRO = "mimo-v2.5-pro"
TTS = "mimo-v2.5-tts"
WEATHER = {
    "type": "object",
    "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                   "days": {"type": "integer", "minimum": 1}},
    "required": ["location", "unit", "days"],
}
OPENAI_TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
ANTHROPIC_TOOLS = [{"name": "get_weather", "input_schema": WEATHER}]


@pytest.fixture(scope="module")
def running():
    """The reference server on a free port, for this module."""
    with server.serve_in_thread(key=KEY) as srv:
        yield srv


@pytest.fixture(scope="module")
def http():
    """One HTTP client for the module."""
    with httpx.Client(timeout=10) as client:
        yield client


def url(running, protocol: str) -> str:
    return running.base_urls[protocol] + ENDPOINTS[protocol][1]


def post(http, running, protocol: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST ``body`` as JSON (bytes as they are) with the api-key header unless headers are given."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"content-type": "application/json", **({"api-key": KEY} if headers is None else headers)}
    return http.post(url(running, protocol), content=content, headers=sent)


def chat(text: str = "please introduce yourself", **fields: Any) -> dict[str, Any]:
    return {"model": PRO, "messages": [{"role": "user", "content": text}], **fields}


def message(text: str = "please introduce yourself", **fields: Any) -> dict[str, Any]:
    return {"model": PRO, "max_tokens": 1024, "messages": [{"role": "user", "content": text}], **fields}


def body_for(protocol: str, **fields: Any) -> dict[str, Any]:
    return chat(**fields) if protocol == "openai" else message(**fields)


def events(response: httpx.Response) -> list[Any]:
    """The JSON payloads of a stream's events (``[DONE]`` kept as the string)."""
    return [e.data if e.data == "[DONE]" else json.loads(e.data) for e in parse(response.text) if isinstance(e, SSEEvent)]


def deltas(payloads: list[Any]) -> list[dict[str, Any]]:
    return [p["choices"][0]["delta"] for p in payloads if isinstance(p, dict) and p["choices"] and p["choices"][0]["delta"]]


def assert_param_error(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["code"], error["message"], error["type"]) == (str(status), "Param Incorrect", "")
    assert field in error["param"]


def test_public_names_are_pinned():
    assert server.__all__ == ["DIALECTS", "KEY_ENV", "RunningServer", "create_app", "main", "serve_in_thread"]
    assert contract.__all__ == [
        "Violation", "REQUEST_SCHEMAS", "BARE_RULES", "INVALID_JSON", "request_violations", "request_grounds",
        "declared_only", "parse_body"]


def test_base_urls_name_both_protocols(running):
    root = f"http://127.0.0.1:{running.port}"
    assert running.base_urls == {"openai": root + "/v1", "anthropic": root + "/anthropic"}


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_same_request_gives_identical_bytes(http, running, protocol, stream):
    body = body_for(protocol, stream=stream, tools=OPENAI_TOOLS if protocol == "openai" else ANTHROPIC_TOOLS)
    first, second = post(http, running, protocol, body), post(http, running, protocol, body)
    assert first.status_code == 200
    assert first.content == second.content


@pytest.mark.parametrize("headers", [{"api-key": KEY}, {"authorization": f"Bearer {KEY}"}], ids=["api-key", "bearer"])
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_both_documented_key_headers_are_accepted(http, running, protocol, headers):
    assert post(http, running, protocol, body_for(protocol), headers=headers).status_code == 200


def test_the_anthropic_endpoint_takes_the_key_in_x_api_key_as_the_anthropic_sdk_sends_it(http, running):
    assert post(http, running, "anthropic", message(), headers={"x-api-key": KEY}).status_code == 200
    assert post(http, running, "anthropic", message(), headers={"x-api-key": "sk-wrong"}).status_code == 401


def test_the_openai_endpoint_ignores_x_api_key(http, running):
    assert post(http, running, "openai", chat(), headers={"x-api-key": KEY}).status_code == 401


def test_api_key_header_wins_over_x_api_key_and_x_api_key_over_bearer(http, running):
    assert post(http, running, "anthropic", message(), headers={"api-key": "sk-wrong", "x-api-key": KEY}).status_code == 401
    assert post(http, running, "anthropic", message(), headers={"x-api-key": KEY, "authorization": "Bearer sk-wrong"}).status_code == 200


def test_api_key_header_wins_over_bearer(http, running):
    good_api_key = {"api-key": KEY, "authorization": "Bearer sk-wrong"}
    bad_api_key = {"api-key": "sk-wrong", "authorization": f"Bearer {KEY}"}
    assert post(http, running, "openai", chat(), headers=good_api_key).status_code == 200
    assert post(http, running, "openai", chat(), headers=bad_api_key).status_code == 401


@pytest.mark.parametrize("headers", [{}, {"api-key": "sk-wrong"}, {"authorization": "Bearer sk-wrong"}],
                         ids=["missing", "wrong-api-key", "wrong-bearer"])
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_missing_or_wrong_key_answers_401_with_the_envelope(http, running, protocol, headers):
    response = post(http, running, protocol, body_for(protocol), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Invalid API Key", "param": "Please provide valid API Key",
                                         "code": "401", "type": "invalid_key"}}


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_malformed_json_answers_400_before_the_key_check(http, running, protocol):
    response = post(http, running, protocol, b'{"model": "mimo-v2.5-pro",', headers={})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "400", "message": "Invalid JSON in request body"}}


def test_token_limit_out_of_the_global_range_names_the_field(http, running):
    assert_param_error(post(http, running, "openai", chat(max_completion_tokens=0)), 400, "max_completion_tokens")
    assert_param_error(post(http, running, "anthropic", message(max_tokens=131073)), 400, "max_tokens")


def test_token_limit_out_of_the_model_range_names_the_field(http, running):
    body = {"model": TTS, "messages": [{"role": "assistant", "content": "Hello"}], "max_completion_tokens": 8193}
    response = post(http, running, "openai", body)
    assert_param_error(response, 400, "max_completion_tokens")
    assert "[1, 8192]" in response.json()["error"]["param"]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_unknown_model_answers_unsupported_model(http, running, protocol):
    response = post(http, running, protocol, body_for(protocol, model="mimo-no-such-model"))
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "400", "message": "Unsupported model mimo-no-such-model"}}


def test_retired_model_answers_not_supported_model(http, running):
    retired = [m.id for m in models.all_models() if m.status_at(REFERENCE_DAY) == "retired"]
    if not retired:
        pytest.skip("models.json lists no retired model")
    response = post(http, running, "openai", chat(model=retired[0]))
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "400", "message": f"Not supported model {retired[0]}"}}


def test_unknown_top_level_field_is_ignored(http, running):
    assert post(http, running, "openai", chat(x_unknown_field=1)).status_code == 200


def test_media_input_to_a_text_only_model_answers_404(http, running):
    text_only = [m.id for m in models.all_models() if m.serves("openai") and "image" not in m.input_modalities]
    part = {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png"}}
    body = {"model": text_only[0], "messages": [{"role": "user", "content": [part]}]}
    assert_param_error(post(http, running, "openai", body), 404, "image")


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_errors_are_plain_json_even_when_streaming(http, running, protocol):
    response = post(http, running, protocol, body_for(protocol, stream=True, temperature=9))
    assert_param_error(response, 400, "temperature")


def test_budget_reached_finishes_with_length_and_exactly_that_many_tokens(http, running):
    doc = post(http, running, "openai", chat(max_completion_tokens=4, thinking={"type": "disabled"})).json()
    assert doc["choices"][0]["finish_reason"] == "length"
    assert doc["usage"]["completion_tokens"] == 4 == tokens.count(doc["choices"][0]["message"]["content"])
    plain = post(http, running, "anthropic", message(max_tokens=4, thinking={"type": "disabled"})).json()
    assert (plain["stop_reason"], plain["usage"]["output_tokens"]) == ("max_tokens", 4)


def test_reasoning_tokens_count_toward_the_budget(http, running):
    doc = post(http, running, "openai", chat(max_completion_tokens=3, thinking={"type": "enabled"})).json()
    choice, usage = doc["choices"][0], doc["usage"]
    assert (choice["finish_reason"], choice["message"]["content"]) == ("length", "")
    assert usage["completion_tokens"] == usage["completion_tokens_details"]["reasoning_tokens"] == 3


def test_usage_counts_visible_and_reasoning_tokens(http, running):
    doc = post(http, running, "openai", chat(thinking={"type": "enabled"})).json()
    message_, usage = doc["choices"][0]["message"], doc["usage"]
    reasoning = tokens.count(message_["reasoning_content"])
    assert usage["completion_tokens_details"]["reasoning_tokens"] == reasoning
    assert usage["completion_tokens"] == reasoning + tokens.count(message_["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_stop_sequence_cuts_the_text_before_its_first_occurrence(http, running):
    doc = post(http, running, "openai", chat("the zebra crossing", stop=["crossing", "zebra"])).json()
    assert doc["choices"][0]["message"]["content"] == "Reference answer. You said: the "
    assert doc["choices"][0]["finish_reason"] == "stop"
    plain = post(http, running, "anthropic", message("the zebra crossing", stop_sequences=["zebra"])).json()
    assert plain["content"][-1]["text"] == "Reference answer. You said: the "
    assert plain["stop_reason"] == "end_turn"  # the docs' stop_reason enum has no stop_sequence


@pytest.mark.parametrize("setting", ["enabled", "disabled", None])
def test_thinking_follows_the_request_else_the_model_default(http, running, setting):
    fields = {"thinking": {"type": setting}} if setting else {}
    on = setting == "enabled" if setting else models.get(PRO).thinking_by_default
    message_ = post(http, running, "openai", chat(**fields)).json()["choices"][0]["message"]
    assert ("reasoning_content" in message_) is on
    blocks = post(http, running, "anthropic", message(**fields)).json()["content"]
    assert [b["type"] for b in blocks] == (["thinking", "text"] if on else ["text"])
    assert not on or blocks[0]["signature"] == ""


def test_function_tool_is_called_with_arguments_from_its_schema(http, running):
    doc = post(http, running, "openai", chat("weather in Hebei?", tools=OPENAI_TOOLS, tool_choice="required")).json()
    choice = doc["choices"][0]
    call = choice["message"]["tool_calls"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert re.fullmatch(r"call_[0-9a-f]{24}", call["id"])
    assert json.loads(call["function"]["arguments"]) == {"location": "reference location", "unit": "celsius", "days": 1}
    plain = post(http, running, "anthropic", message(tools=ANTHROPIC_TOOLS)).json()
    assert plain["stop_reason"] == "tool_use"
    assert plain["content"][-1]["input"] == {"location": "reference location", "unit": "celsius", "days": 1}


def test_tool_result_is_answered_with_text(http, running):
    call = {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    turns = [{"role": "user", "content": "weather?"},
             {"role": "assistant", "content": None, "tool_calls": [call], "reasoning_content": "I should look it up."},
             {"role": "tool", "tool_call_id": "call_0", "content": "sunny"}]
    choice = post(http, running, "openai", {"model": PRO, "messages": turns, "tools": OPENAI_TOOLS}).json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "sunny" in choice["message"]["content"]
    use = {"type": "tool_use", "id": "call_0", "name": "get_weather", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "call_0", "content": "sunny"}
    turns = [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": [use]},
             {"role": "user", "content": [result]}]
    plain = post(http, running, "anthropic", {"model": PRO, "max_tokens": 512, "messages": turns, "tools": ANTHROPIC_TOOLS}).json()
    assert plain["stop_reason"] == "end_turn" and "sunny" in plain["content"][-1]["text"]


def test_json_object_format_answers_a_json_object(http, running):
    doc = post(http, running, "openai", chat("answer in JSON", response_format={"type": "json_object"})).json()
    assert isinstance(json.loads(doc["choices"][0]["message"]["content"]), dict)


def test_tts_model_answers_a_wav_in_message_audio(http, running):
    body = {"model": TTS, "messages": [{"role": "assistant", "content": "Hello there"}]}
    audio = post(http, running, "openai", body).json()["choices"][0]["message"]["audio"]
    wav = base64.b64decode(audio["data"])
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert (audio["expires_at"], audio["transcript"]) == (None, None)


@pytest.mark.parametrize("stream", [False, True])
def test_text_preview_comes_back_as_final_text_preview(http, running, stream):
    body = {"model": "mimo-v2.5-tts-voicedesign", "messages": [{"role": "user", "content": "a calm old voice"}],
            "audio": {"optimize_text_preview": True}, "stream": stream}
    response = post(http, running, "openai", body)
    documents = [p for p in events(response) if p != "[DONE]"] if stream else [response.json()]
    schema = RESPONSE_SCHEMAS["openai", stream]
    assert all(schemas.errors(schema, doc) == [] for doc in documents)
    found = [d.get("final_text_preview") for d in deltas(documents)] if stream else [documents[0]["choices"][0]["message"].get("final_text_preview")]
    assert "a calm old voice" in found


def test_openai_stream_is_framed_as_observed(http, running):
    body = chat(thinking={"type": "enabled"})
    response = post(http, running, "openai", {**body, "stream": True})
    plain = post(http, running, "openai", body).json()
    assert response.headers["content-type"].startswith("text/event-stream")
    items = parse(response.text)
    assert items[0] == SSEComment("PROCESSING")
    assert all(isinstance(i, SSEEvent) and i.event is None for i in items[1:])
    payloads = events(response)
    assert deltas(payloads)[0] == {"content": "", "role": "assistant", "tool_calls": None, "reasoning_content": None}
    assert all(set(d) == {"content", "role", "tool_calls", "reasoning_content"} for d in deltas(payloads))
    kinds = ["reasoning" if d["reasoning_content"] else "content" for d in deltas(payloads)[1:]]
    assert kinds == sorted(kinds, reverse=True) and kinds.count("reasoning") > 1 and kinds.count("content") > 1
    assert all(d["content"] is None or d["reasoning_content"] is None for d in deltas(payloads))
    message_ = plain["choices"][0]["message"]
    assert "".join(d["content"] or "" for d in deltas(payloads)) == message_["content"]
    assert "".join(d["reasoning_content"] or "" for d in deltas(payloads)) == message_["reasoning_content"]
    finish, usage, done = payloads[-3:]
    assert finish["choices"] == [{"delta": {}, "finish_reason": "stop", "index": 0}] and finish["usage"] is None
    assert usage["choices"] == [] and usage["usage"] == plain["usage"]
    assert done == "[DONE]"


def test_openai_stream_splits_tool_call_arguments_into_fragments(http, running):
    body = chat(tools=OPENAI_TOOLS, thinking={"type": "disabled"})
    calls = [d["tool_calls"][0] for d in deltas(events(post(http, running, "openai", {**body, "stream": True}))) if d["tool_calls"]]
    expected = post(http, running, "openai", body).json()["choices"][0]["message"]["tool_calls"][0]
    head, rest = calls[0], calls[1:]
    assert head == {"index": 0, "id": expected["id"], "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    assert len(rest) > 1 and all((c["id"], c["type"], c["function"]["name"]) == (None, "function", None) for c in rest)
    assert "".join(c["function"]["arguments"] for c in rest) == expected["function"]["arguments"]


def test_anthropic_stream_is_framed_as_observed(http, running):
    body = message(thinking={"type": "enabled"})
    response = post(http, running, "anthropic", {**body, "stream": True})
    plain = post(http, running, "anthropic", body).json()
    items = parse(response.text)
    assert items[0] == SSEComment("PROCESSING")
    names = [i.event for i in items[1:]]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert [n for n in names if n.startswith("content_block_") and n != "content_block_delta"] == [
        "content_block_start", "content_block_stop", "content_block_start", "content_block_stop"]
    payloads = events(response)
    assert all(p["type"] == n for p, n in zip(payloads, names))
    assert set(payloads[0]["message"]["usage"].values()) == {0}
    thinking = [p["delta"] for p in payloads if p["type"] == "content_block_delta" and p["index"] == 0]
    assert thinking[-1] == {"type": "signature_delta", "signature": ""}
    assert "".join(d.get("thinking", "") for d in thinking) == plain["content"][0]["thinking"]
    text = "".join(p["delta"]["text"] for p in payloads if p.get("delta", {}).get("type") == "text_delta")
    assert text == plain["content"][1]["text"]
    assert payloads[-2]["usage"] == plain["usage"] and payloads[-2]["delta"]["stop_reason"] == plain["stop_reason"]


def test_anthropic_stream_sends_tool_input_as_json_fragments(http, running):
    body = message(tools=ANTHROPIC_TOOLS, thinking={"type": "disabled"})
    payloads = events(post(http, running, "anthropic", {**body, "stream": True}))
    start = next(p for p in payloads if p["type"] == "content_block_start")
    fragments = [p["delta"]["partial_json"] for p in payloads if p.get("delta", {}).get("type") == "input_json_delta"]
    assert start["content_block"]["type"] == "tool_use" and start["content_block"]["input"] == {}
    assert len(fragments) > 1
    assert json.loads("".join(fragments)) == post(http, running, "anthropic", body).json()["content"][0]["input"]


def test_unknown_path_answers_an_html_404(http, running):
    response = http.get(running.base_urls["openai"] + "/no/such/path", headers={"api-key": KEY})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_model_list_names_the_current_openai_models(http, running):
    response = http.get(running.base_urls["openai"] + "/models", headers={"api-key": KEY})
    listed = [m["id"] for m in response.json()["data"]]
    assert listed == [m.id for m in models.all_models() if m.serves("openai")]


# Every response the server produces conforms to the response schemas (skipped until they exist).
RESPONSE_SCHEMAS = {
    ("openai", False): "openai/chat_completions.response.json",
    ("openai", True): "openai/chat_completions.chunk.json",
    ("anthropic", False): "anthropic/messages.response.json",
    ("anthropic", True): "anthropic/messages.event.json",
}
SAMPLES = {
    "text": {}, "thinking": {"thinking": {"type": "enabled"}}, "no-thinking": {"thinking": {"type": "disabled"}},
    "length": {"thinking": {"type": "disabled"}}, "tools": {},
}


def _sample(protocol: str, name: str) -> dict[str, Any]:
    if name == "tts":
        return {"model": TTS, "messages": [{"role": "assistant", "content": "Hello there"}]}
    fields = dict(SAMPLES[name])
    if name == "tools":
        fields["tools"] = OPENAI_TOOLS if protocol == "openai" else ANTHROPIC_TOOLS
    if name == "length":
        fields["max_completion_tokens" if protocol == "openai" else "max_tokens"] = 2
    return body_for(protocol, **fields)


@pytest.mark.parametrize(("protocol", "name"), [(p, n) for p in ("openai", "anthropic") for n in sorted(SAMPLES)] + [("openai", "tts")])
@pytest.mark.parametrize("stream", [False, True])
def test_responses_conform_to_the_response_schemas(http, running, protocol, stream, name):
    schema = RESPONSE_SCHEMAS[protocol, stream]
    if not (schemas.SCHEMA_DIR / schema).exists():
        pytest.skip(f"schemas/{schema} is not written yet")
    response = post(http, running, protocol, {**_sample(protocol, name), "stream": stream})
    documents = [p for p in events(response) if p != "[DONE]"] if stream else [response.json()]
    for i, doc in enumerate(documents):
        assert schemas.errors(schema, doc) == [], f"document {i}: {doc}"


ERRORS = {
    "invalid-json": (b"{", {}),
    "no-key": (None, {}),
    "param": ({"max_tokens": 0}, None),
    "unknown-model": ({"model": "mimo-no-such-model"}, None),
    "retired-model": ({"model": "mimo-v2-pro"}, None),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_error_bodies_conform_to_the_error_schemas(http, running, protocol, name):
    fields, headers = ERRORS[name]
    body = fields if isinstance(fields, bytes) else body_for(protocol, **(fields or {}))
    response = post(http, running, protocol, body, headers=headers)
    assert response.status_code in (400, 401) and response.headers["content-type"] == "application/json"
    assert schemas.errors(f"{protocol}/error.json", response.json()) == []


def test_contract_reads_raw_bytes_as_a_json_body():
    assert [v.rule for v in contract.request_violations("openai", b"{nope")] == ["json_body"]
    assert contract.request_violations("openai", json.dumps(chat()).encode()) == []


@pytest.mark.parametrize(("audio", "model", "rule"), [
    ({"voice": "no-such-voice"}, TTS, "tts_voice"),
    ({}, "mimo-v2.5-tts-voiceclone", "tts_voice"),
    ({"voice": "not base64!"}, "mimo-v2.5-tts-voiceclone", "tts_voice"),
    ({"voice": "Mia"}, "mimo-v2.5-tts-voicedesign", "tts_voice"),
    ({"optimize_text_preview": True}, TTS, "parameter_supported"),
])
def test_contract_holds_tts_requests_to_their_model(audio, model, rule):
    body = {"model": model, "messages": [{"role": "user", "content": "calm"}, {"role": "assistant", "content": "Hi"}], "audio": audio}
    assert rule in [v.rule for v in contract.request_violations("openai", body)]


@pytest.mark.parametrize(("protocol", "fields", "rule"), [
    ("anthropic", {"model": TTS}, "model_supported"),
    ("openai", {"model": TTS}, "tts_messages"),
    ("openai", {"tools": OPENAI_TOOLS * 2}, "tool_names_unique"),
    ("openai", {"thinking": {"type": "enabled"}, "model": TTS}, "parameter_supported"),
    ("openai", {"audio": {"format": "wav"}}, "parameter_supported"),
])
def test_contract_rejects_what_the_model_does_not_support(protocol, fields, rule):
    assert rule in [v.rule for v in contract.request_violations(protocol, body_for(protocol, **fields))]


def test_latency_delays_every_answer_and_requests_wait_together():
    # A remote target's network and model time, for benchmarks/live_xdist.py.
    import threading
    import time

    with server.serve_in_thread(key=KEY, latency=0.3) as slow:
        body = {"model": "mimo-v2.5-pro", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 8}
        spans: list[tuple[float, float]] = []

        def ask() -> None:
            start = time.perf_counter()
            answer = httpx.post(slow.base_urls["openai"] + "/chat/completions", json=body, headers={"api-key": KEY}, timeout=10)
            assert answer.status_code == 200
            spans.append((start, time.perf_counter()))

        threads = [threading.Thread(target=ask) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(spans) == 2 and all(end - start >= 0.3 for start, end in spans), "every answer waits the latency"
        assert max(s for s, _ in spans) < min(e for _, e in spans), "the two requests were in flight together"
    with pytest.raises(ValueError, match="latency"):
        server.create_app(key=KEY, latency=-1)
