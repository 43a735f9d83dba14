"""The transcript format loads into an Exchange and dumps back to the same exchange."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.exchange import NOT_JSON
from conformance.transcript import TranscriptError, dump_exchange, load_exchange, sse_text

GOOD = sorted((Path(__file__).parent / "data" / "exchanges" / "good").glob("*.json"))


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_dump_then_load_gives_the_same_exchange(path: Path) -> None:
    exchange = load_exchange(read(path))
    again = load_exchange(dump_exchange(exchange))
    assert (again.request, again.status, again.headers, again.transcript) == (
        exchange.request, exchange.status, exchange.headers, exchange.transcript)
    assert again.body == exchange.body if exchange.body is not NOT_JSON else again.text == exchange.text


def test_sse_blocks_join_with_blank_lines() -> None:
    assert sse_text([": PROCESSING", "event: ping\ndata: {}"]) == ": PROCESSING\n\nevent: ping\ndata: {}\n\n"


def test_string_body_is_the_raw_text() -> None:
    doc = {**read(GOOD[0]), "body": "<html>not found</html>"}
    doc.pop("sse", None)
    assert load_exchange(doc).text == "<html>not found</html>"


def test_raw_request_body_loads_as_bytes() -> None:
    doc = read(GOOD[0])
    doc["request"] = {**doc["request"], "raw_body": "{not json"}
    del doc["request"]["body"]
    assert load_exchange(doc).request.body == b"{not json"


@pytest.mark.parametrize("header", ["api-key", "Authorization", "X-Api-Key"])
def test_a_key_header_is_not_a_transcript(header: str) -> None:
    doc = read(GOOD[0])
    doc["request"] = {**doc["request"], "headers": {header: "sk-secret"}}
    with pytest.raises(TranscriptError, match="request/headers"):
        load_exchange(doc)


def test_body_and_sse_together_are_not_a_transcript() -> None:
    with pytest.raises(TranscriptError):
        load_exchange({**read(GOOD[0]), "body": {}, "sse": []})
