"""The SSE reader: WHATWG line endings, BOM, multi-line data, comments, any chunking."""

from hypothesis import given, settings, strategies as st

from conformance.sse import SSEComment, SSEEvent, SSEParser, parse, serialize

line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=20)
field_value = line_text.filter(lambda s: "\0" not in s)
events = st.builds(
    SSEEvent,
    data=st.lists(line_text, min_size=1, max_size=3).map("\n".join),
    event=st.none() | field_value.filter(bool),
    id=st.none() | field_value,
    retry=st.none() | st.integers(0, 10_000),
)
comments = st.builds(SSEComment, line_text.filter(lambda s: not s.startswith(" ")))
transcripts = st.lists(events | comments, max_size=8)


def _feed_in_pieces(text: str, cuts: list[int]) -> list:
    parser, items, start = SSEParser(), [], 0
    for cut in sorted(c % (len(text) + 1) for c in cuts) + [len(text)]:
        items += parser.feed(text[start:cut].encode())
        start = max(start, cut)
    return items + parser.close()


@settings(max_examples=300, derandomize=True, database=None)
@given(transcripts, st.sampled_from(["\n", "\r", "\r\n"]), st.booleans(), st.lists(st.integers(0, 10_000), max_size=6))
def test_parse_inverts_serialize_under_any_chunking(items, newline, bom, cuts):
    text = ("\ufeff" if bom else "") + serialize(items, newline)
    assert _feed_in_pieces(text, cuts) == items


def test_crlf_split_between_chunks_is_one_line_end():
    parser = SSEParser()
    got = parser.feed(b"data: a\r") + parser.feed(b"\ndata: b\r\n\r\n")
    assert got == [SSEEvent("a\nb")]


def test_an_empty_chunk_between_cr_and_lf_keeps_them_one_line_end():
    # found by hypothesis in CI: cuts at the same offset fed b"" between the halves of a CRLF
    parser = SSEParser()
    got = parser.feed(b"data: a\r") + parser.feed(b"") + parser.feed(b"\ndata: b\r\n\r\n")
    assert got == [SSEEvent("a\nb")]


def test_comment_keeps_its_text_and_position():
    assert parse(": PROCESSING\n\ndata: {}\n\n") == [SSEComment("PROCESSING"), SSEEvent("{}")]


def test_field_without_colon_space_keeps_value():
    assert parse('data:{"error": 1}\n\n') == [SSEEvent('{"error": 1}')]


def test_unterminated_last_event_is_not_dispatched():
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]") == [] and parser.close() == []
    assert parser.pending == ""


def test_event_name_and_multiline_data():
    got = parse("event: message_start\ndata: {\ndata: }\n\n")
    assert got == [SSEEvent("{\n}", event="message_start")] and got[0].name == "message_start"


def test_unknown_fields_and_bad_retry_are_ignored():
    assert parse("foo: bar\nretry: soon\ndata: x\n\n") == [SSEEvent("x")]


def test_bom_only_stripped_at_stream_start():
    parser = SSEParser()
    got = parser.feed("\ufeffdata: a\n\n".encode()) + parser.feed("\ufeffdata: b\n\n".encode())
    assert got == [SSEEvent("a")]  # a later BOM is part of the field name "\ufeffdata": an ignored line
