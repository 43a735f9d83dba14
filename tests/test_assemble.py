"""Assembly gives what a client ends up with: joined text, joined arguments, blocks, usage."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.assemble import Spans, anthropic_answer, assemble, openai_answer
from conformance.exchange import Exchange, Request
from conformance.sse import parse
from conformance.transcript import load_exchange

GOOD = Path(__file__).parent / "data" / "exchanges" / "good"
CALL1, CALL2 = "call_3f2a9c1d7e4b4a08b6c2d915", "call_8d41e07b2c9a4f63a15e7b20"


def good(name: str) -> Exchange:
    """A good transcript, loaded."""
    return load_exchange(json.loads((GOOD / name).read_text(encoding="utf-8")))


def calls(answer) -> list[tuple]:
    return [(c.index, c.id, c.name, c.arguments) for c in answer.choices[0].tool_calls]


def test_arguments_split_mid_token_join_into_one_string() -> None:
    answer = openai_answer(good("openai_stream_tool_calls.json"))
    assert calls(answer) == [
        (0, CALL1, "get_weather", '{"location": "Beijing"}'),
        (1, CALL2, "get_weather", '{"location": "Shanghai", "unit": "celsius"}'),
    ]


def test_parallel_calls_keep_the_first_fragment_as_their_location() -> None:
    answer = openai_answer(good("openai_stream_tool_calls.json"))
    assert [c.at for c in answer.choices[0].tool_calls] == [
        "event 2 /choices/0/delta/tool_calls/0", "event 6 /choices/0/delta/tool_calls/0",
    ]


def test_stream_and_plain_tool_calls_assemble_alike() -> None:
    streamed, plain = (openai_answer(good(f"openai_{kind}_tool_calls.json")) for kind in ("stream", "plain"))
    assert [(c.name, c.parsed) for c in streamed.choices[0].tool_calls] == [(c.name, c.parsed) for c in plain.choices[0].tool_calls]
    assert streamed.choices[0].finish_reason == plain.choices[0].finish_reason == "tool_calls"


def test_reasoning_and_content_join_and_the_usage_chunk_is_kept() -> None:
    answer = openai_answer(good("openai_stream_reasoning.json"))
    choice = answer.choices[0]
    assert (choice.reasoning, choice.text, choice.finish_reason) == ("The user asks 17 * 23. 17 * 23 = 391.", "391", "stop")
    assert (answer.usage["completion_tokens"], answer.usage_at) == (30, "event 6 /usage")
    assert choice.content.location_of(2) == "event 4 /choices/0/delta/content"


def test_plain_answer_reads_null_fields_as_empty() -> None:
    choice = openai_answer(good("openai_plain.json")).choices[0]
    assert (choice.reasoning, choice.tool_calls, choice.finish_at) == ("", [], "/choices/0/finish_reason")


def test_anthropic_stream_blocks_join_their_deltas() -> None:
    answer = anthropic_answer(good("anthropic_stream_thinking_tool_use.json"))
    assert [b.type for b in answer.blocks] == ["thinking", "text", "tool_use", "tool_use"]
    thinking, text, whole, split = answer.blocks
    assert (thinking.thinking, thinking.signature, text.text) == ("Two cities, so two calls.", "", "Let me check both cities.")
    assert (whole.id, whole.name, whole.input_json) == (CALL1, "get_weather", '{"location": "Beijing"}')
    assert split.parsed_input == {"location": "Shanghai", "unit": "celsius"}
    assert answer.stop_reason == "tool_use"


def test_anthropic_usage_merges_message_delta_over_message_start() -> None:
    answer = anthropic_answer(good("anthropic_stream_thinking_tool_use.json"))
    assert answer.usage == {"input_tokens": 318, "output_tokens": 58, "cache_read_input_tokens": 256}
    assert answer.usage_at == "event 17 /usage"


def test_anthropic_plain_blocks_keep_their_order_and_input() -> None:
    answer = assemble(good("anthropic_plain_tool_use.json"))
    assert [b.type for b in answer.blocks] == ["text", "thinking", "tool_use", "tool_use"]
    assert [b.parsed_input for b in answer.blocks[2:]] == [{"location": "Beijing"}, {"location": "Shanghai", "unit": "celsius"}]
    assert (answer.stop_reason, answer.stop_sequence, answer.stop_at) == ("tool_use", None, "/stop_reason")


def test_tool_use_without_fragments_keeps_its_start_input() -> None:
    text = "".join(
        f"event: {e['type']}\ndata: {json.dumps(e)}\n\n"
        for e in [
            {"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 0}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "call_1", "name": "now", "input": {}}},
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 3}},
        ]
    )
    request = Request("POST", "http://127.0.0.1/v1/messages", {}, {"stream": True})
    answer = anthropic_answer(Exchange("anthropic", request, 200, {}, text, tuple(parse(text))))
    assert (answer.blocks[0].parsed_input, answer.usage) == ({}, {"input_tokens": 5, "output_tokens": 3})


def test_spans_locate_an_offset_in_its_piece() -> None:
    spans = Spans()
    for piece, where in [("ab", "event 1"), ("", "event 2"), (None, "event 3"), ("cd", "event 4")]:
        spans.add(piece, where)
    assert (spans.text, spans.location_of(1), spans.location_of(2)) == ("abcd", "event 1", "event 4")
