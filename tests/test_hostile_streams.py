"""Hostile streams (issue 8): nothing escapes a parser, text is valid Unicode, no delta is lost
silently. Against the real parsers, and through the transport on a loopback server."""

from __future__ import annotations

import json

from composer.models import files
from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.events import ReasoningDelta, StreamError, TextDelta
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.base import Frame, decode_frame
from composer.providers.presets import protocol_for
from composer.providers.transport import Call, CallConfig, run_call
from tests.loopback import Reply


def _sse(*events: dict) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def _feed(protocol: str, *events: dict) -> tuple[Assembler, list]:
    from composer.providers.guard import open_parser

    parser = open_parser(protocol_for(protocol))
    assembler = Assembler()
    seen = []
    for e in events:
        for event in parser.feed(Frame(json.dumps(e), e.get("type"))):
            seen.append(event)
            assembler.feed(event)
    for event in parser.close():
        seen.append(event)
        assembler.feed(event)
    return assembler, seen


START = {"type": "message_start", "message": {"id": "msg_1", "model": "claude"}}
STOP = {"type": "message_stop"}


def _delta(index: int, delta: dict) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def test_anthropic_text_before_its_block_opens_is_kept():
    assembler, seen = _feed("anthropic", START,
                            _delta(0, {"type": "text_delta", "text": "kept "}),
                            _delta(0, {"type": "text_delta", "text": "too"}),
                            _delta(1, {"type": "thinking_delta", "thinking": "hmm"}),
                            {"type": "content_block_stop", "index": 0}, STOP)
    parts = assembler.parts()
    assert [p.type for p in parts] == ["text", "reasoning"]
    assert parts[0].text == "kept too" and parts[1].text == "hmm"
    assert assembler.error is None


def test_anthropic_tool_arguments_before_their_block_opens_are_a_stream_error():
    assembler, seen = _feed("anthropic", START,
                            _delta(0, {"type": "input_json_delta", "partial_json": '{"a": 1}'}),
                            STOP)
    errors = [e for e in seen if isinstance(e, StreamError)]
    assert len(errors) == 1 and "before content_block_start" in errors[0].message
    assert assembler.stop_reason == "error"


def test_a_surrogate_pair_split_over_two_deltas_is_joined():
    high, low = "\ud83d", "\ude00"
    assembler, seen = _feed("anthropic", START,
                            {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}},
                            _delta(0, {"type": "text_delta", "text": "a" + high}),
                            _delta(0, {"type": "text_delta", "text": low + "b"}), STOP)
    # Every event a view or the terminal sees is valid text, not only the assembled part.
    for event in seen:
        if isinstance(event, TextDelta):
            event.text.encode("utf-8")
    assert assembler.parts()[0].text == "a\U0001F600b"
    assert assembler.notes() == []


def test_a_lone_surrogate_is_replaced_and_reported():
    assembler, seen = _feed("openai-chat",
                            {"choices": [{"index": 0, "delta": {"content": "x\udc00y"}}]},
                            {"choices": [{"index": 0, "delta": {"reasoning": "\ud800"}}]},
                            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    message = assembler.message()
    assert sorted(p.text for p in message.parts) == sorted(["x\ufffdy", "\ufffd"])
    assert [e for e in seen if isinstance(e, StreamError)] == []
    json.dumps(message.to_dict(), ensure_ascii=False).encode("utf-8")


def test_the_assembler_repairs_what_it_is_fed_directly():
    assembler = Assembler()
    assembler.feed(TextDelta("0", "a\ud83d"))
    assembler.feed(TextDelta("0", "\ude00\udfff"))
    assembler.feed(ReasoningDelta("1", "\ud800"))
    parts = assembler.parts()
    assert parts[0].text == "a\U0001F600\ufffd" and parts[1].text == "\ufffd"
    assert any("2 invalid character(s)" in note for note in assembler.notes())


def test_a_frame_with_a_number_too_long_or_nested_too_deep_is_an_error_event():
    for data in ('{"a": ' + "1" * 5000 + "}", "[" * 50_000 + "]" * 50_000):
        event = decode_frame(Frame(data), "Anthropic")
        assert isinstance(event, StreamError) and "Anthropic" in event.message


def test_a_parser_that_raises_gives_one_error_event_and_the_stream_goes_on():
    from composer.providers.guard import GuardedParser

    class Broken:
        def feed(self, frame):
            if frame.data == "boom":
                raise KeyError("x")
            return [TextDelta("0", frame.data)]

        def close(self):
            raise ValueError("late")

    guard = GuardedParser(Broken())
    assert isinstance(guard.feed(Frame("boom", "ev"))[0], StreamError)
    assert guard.feed(Frame("ok")) == [TextDelta("0", "ok")]
    closed = guard.close()
    assert isinstance(closed[0], StreamError) and "late" in closed[0].message
    assert len(guard.caught) == 2


async def test_send_with_a_split_and_a_lone_surrogate_saves_valid_utf8(loopback, tmp_path):
    body = _sse(START,
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}},
                _delta(0, {"type": "text_delta", "text": "smile \ud83d"}),
                _delta(0, {"type": "text_delta", "text": "\ude00 and \udc00"}),
                {"type": "content_block_stop", "index": 0},
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, STOP)
    loopback.queue(Reply.sse(body, headers={"Content-Type": "text/event-stream"}))
    conversation = Conversation(messages=[Message.text("user", "hi")],
                                settings=RequestSettings(provider="anthropic",
                                                         base_url=loopback.url, model="m"))
    call = Call(conversation, api_key="k", config=CallConfig(retries=0))
    exchange = await run_call(call)
    assert exchange.messages[0].parts[0].text == "smile \U0001F600 and \ufffd"
    assert any("1 invalid character(s)" in n for n in exchange.composer.model_extra["notes"])
    files.save(exchange, tmp_path / "x.json")  # would raise UnicodeEncodeError before
    assert files.load(tmp_path / "x.json").messages[0].parts[0].text.endswith("\ufffd")


def test_fields_that_should_be_lists_but_are_numbers_are_ignored():
    from composer.providers import anthropic, openai_responses

    assert anthropic.parse_response({"type": "message", "content": 1.5}) is not None
    events = anthropic.parse_response({"type": "message", "content": [
        {"type": "text", "text": "hi", "citations": 3}]})
    assert any(isinstance(e, TextDelta) and e.text == "hi" for e in events)
    events = openai_responses.parse_response({"status": "completed", "output": [
        {"type": "message", "id": "m", "content": [
            {"type": "output_text", "text": "hi", "annotations": True}]}]})
    assert any(isinstance(e, TextDelta) and e.text == "hi" for e in events)
    error = protocol_for("gemini").parse_error(
        429, json.dumps({"error": {"code": 429, "message": "slow", "details": 5}}).encode(), {})
    assert error.status == 429


def test_an_error_body_with_a_number_too_long_is_read_as_text():
    body = ('{"error": {"message": "x", "code": ' + "9" * 5000 + "}}").encode()
    for protocol in ("openai-chat", "openai-responses", "anthropic", "gemini"):
        error = protocol_for(protocol).parse_error(500, body, {})
        assert isinstance(error, StreamError) and error.status == 500


def test_tool_arguments_with_a_number_too_long_or_too_deep_are_kept_as_text():
    from composer.models.assembler import parse_arguments
    from composer.models.events import ToolCallDelta, ToolCallEnd, ToolCallStart

    for raw in ('{"n": ' + "1" * 5000 + "}", '{"a": ' + "[" * 500 + "]" * 500 + "}"):
        assert parse_arguments(raw)[0] == {} and "not valid JSON" in parse_arguments(raw)[1]
        assembler = Assembler()
        for event in (ToolCallStart("t", "f", "c1"), ToolCallDelta("t", raw), ToolCallEnd("t")):
            assembler.feed(event)
        part = assembler.parts()[0]
        assert part.arguments == {}
        assert part.provider_metadata == {"composer": {"raw_arguments": raw}}
