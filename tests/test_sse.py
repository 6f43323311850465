"""SSE and NDJSON framing: spec line endings, comments, chunk splits, BOM, linear cost."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from composer.providers.base import Frame
from composer.providers.sse import NDJSONDecoder, SSEDecoder, WholeBodyDecoder, decoder_for
from tests.framing import decode


def test_event_and_data_lines_make_one_frame():
    body = b'event: message_start\ndata: {"a": 1}\n\ndata: second\n\n'
    assert decode([body], SSEDecoder()) == [
        Frame(data='{"a": 1}', event="message_start"),
        Frame(data="second"),
    ]


def test_multiline_data_is_joined_with_newlines_and_one_leading_space_dropped():
    body = b"data: line one\ndata:line two\ndata:  indented\n\n"
    assert decode([body], SSEDecoder()) == [Frame(data="line one\nline two\n indented")]


def test_comment_lines_are_ignored_as_keepalives():
    body = b": OPENROUTER PROCESSING\n\n: ping\ndata: x\n\n"
    assert decode([body], SSEDecoder()) == [Frame(data="x")]


def test_crlf_and_lone_cr_line_endings():
    crlf = b"data: a\r\n\r\ndata: b\r\n\r\n"
    cr = b"data: a\r\rdata: b\r\r"
    expected = [Frame(data="a"), Frame(data="b")]
    assert decode([crlf], SSEDecoder()) == expected
    assert decode([cr], SSEDecoder()) == expected


def test_crlf_split_between_chunks_counts_once():
    # If the \n after a \r were taken as a second line end, this would dispatch early and the
    # two data lines would become two frames.
    chunks = [b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]
    assert decode(chunks, SSEDecoder()) == [Frame(data="a\nb")]


def test_frame_split_across_chunks_and_utf8_split_inside_a_character():
    body = 'event: delta\ndata: {"text": "héllo ☃"}\n\n'.encode()
    chunks = [body[i:i + 1] for i in range(len(body))]
    assert decode(chunks, SSEDecoder()) == [Frame(data='{"text": "héllo ☃"}', event="delta")]


def test_leading_bom_is_dropped():
    assert decode([b"\xef\xbb\xbfdata: x\n\n"], SSEDecoder()) == [Frame(data="x")]
    assert decode([b"\xef", b"\xbb\xbfevent: e\ndata: y\n\n"], SSEDecoder()) == [
        Frame(data="y", event="e")]


def test_event_without_data_is_not_dispatched_and_does_not_leak_its_name():
    body = b"event: ping\n\ndata: x\n\n"
    assert decode([body], SSEDecoder()) == [Frame(data="x")]


def test_empty_data_field_still_dispatches():
    assert decode([b"data\n\n"], SSEDecoder()) == [Frame(data="")]


def test_unterminated_last_event_is_flushed_at_close():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.close() == [Frame(data="[DONE]")]


@given(st.data())
def test_any_chunking_gives_the_same_frames(data):
    body = (b"\xef\xbb\xbfevent: a\r\ndata: 1\r\ndata: 2\r\n\r\n: keep-alive\n\n"
            b"data: {\"t\": \"\xc3\xa9\"}\r\rdata: end\n\n")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=12)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert decode(chunks, SSEDecoder()) == [
        Frame(data="1\n2", event="a"), Frame(data='{"t": "é"}'), Frame(data="end")]


def _spec_frames(body: str) -> list[Frame]:
    """The HTML spec's reading of a whole body, line by line (what the decoder must give, fast
    path or not), with the decoder's one difference: an unterminated event is still sent."""
    frames, data, event = [], [], None
    for line in [*body.replace("\r\n", "\n").replace("\r", "\n").split("\n"), ""]:
        if not line:
            if data:
                frames.append(Frame("\n".join(data), event))
            data, event = [], None
            continue
        name, colon, value = line.partition(":")
        if not name:
            continue
        value = value[1:] if colon and value[:1] == " " else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value or None
    return frames


LINES = ["data: {\"a\": 1}", "data:x", "data: ", "data", "event: delta", "event: ", "event:e",
         ": keep-alive", "id: 7", "retry: 10", "data: é ☃", "data: two\ndata: lines", "event"]


@given(st.data())
def test_any_mix_of_lines_in_any_chunks_reads_as_the_spec_does(data):
    # Mostly the usual events (read in C), with any line the spec allows among them.
    events = data.draw(st.lists(st.one_of(
        st.sampled_from(["data: {\"t\": 1}\n\n", "event: d\ndata: {}\n\n"]),
        st.lists(st.sampled_from(LINES), min_size=1, max_size=3).map(
            lambda lines: "\n".join(lines) + "\n\n")), max_size=30))
    ending = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    body = "".join(events).replace("\n", ending) + data.draw(st.sampled_from(["", "data: end"]))
    raw = body.encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=8)))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert decode(chunks, SSEDecoder()) == _spec_frames(body)


def test_a_long_line_in_tiny_chunks_is_linear():
    payload = b"A" * 400_000
    body = b"data: " + payload + b"\n\n"
    chunks = [body[i:i + 16] for i in range(0, len(body), 16)]
    start = time.perf_counter()
    frames = decode(chunks, SSEDecoder())
    elapsed = time.perf_counter() - start
    assert frames == [Frame(data=payload.decode())]
    # Re-scanning the buffer per chunk would be ~25000 * 200 kB of work: many seconds.
    assert elapsed < 1.0


def test_ndjson_one_frame_per_nonblank_line():
    chunks = [b'{"a": 1}\n\n{"b"', b': 2}\r\n{"c": 3}']
    assert decode(chunks, NDJSONDecoder()) == [
        Frame(data='{"a": 1}'), Frame(data='{"b": 2}'), Frame(data='{"c": 3}')]


def test_whole_body_is_one_frame_at_close():
    decoder = WholeBodyDecoder()
    assert decoder.feed(b'{"x"') == []
    assert decoder.feed(b": 1}") == []
    assert decoder.close() == [Frame(data='{"x": 1}')]


def test_decoder_for_names_the_framing():
    assert isinstance(decoder_for("sse"), SSEDecoder)
    assert isinstance(decoder_for("ndjson"), NDJSONDecoder)
    assert isinstance(decoder_for("json"), WholeBodyDecoder)
