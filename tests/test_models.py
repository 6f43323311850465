"""The core model: messages and parts, attachments, our two files, and the assembler."""

from __future__ import annotations

import base64
import json
import os

import pytest

from composer.models import (
    Attachment,
    AttachmentPart,
    Conversation,
    Exchange,
    FormatError,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    VersionError,
    files,
)
from composer.models.assembler import Assembler
from composer.models.events import (
    Finish,
    PartMetadata,
    ReasoningDelta,
    StreamError,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageReport,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 50

# -- messages and parts -------------------------------------------------------------------------


def test_message_round_trip_keeps_unknown_keys_and_metadata_verbatim():
    raw = {"role": "assistant", "future": {"a": [1]}, "parts": [
        {"type": "reasoning", "text": "", "redacted": True, "token_count": 12,
         "provider_metadata": {"openai": {"id": "rs_1", "encrypted_content": "gAAAA=="}}},
        {"type": "text", "text": "hi", "whatever": 3,
         "provider_metadata": {"anthropic": {"citations": [{"x": None}]}}},
        {"type": "tool_call", "name": "f", "arguments": {"n": None}, "tool_call_id": "c",
         "server_executed": True},
        {"type": "attachment", "attachment": {"type": "image/png", "url": "https://x/y.png",
                                              "detail": "high"}},
    ], "provider_metadata": {"gemini": {"thoughtSignature": "abc"}}}
    message = Message.model_validate(raw)
    assert message.to_dict() == raw
    assert Message.model_validate(json.loads(json.dumps(message.to_dict()))) == message


def test_serialised_parts_omit_llm_defaults():
    part = ToolCallPart(name="f")
    assert part.to_dict() == {"type": "tool_call", "name": "f", "arguments": {}}
    assert ReasoningPart(text="t").to_dict() == {"type": "reasoning", "text": "t"}


def test_bad_part_type_is_rejected():
    with pytest.raises(ValueError):
        Message.model_validate({"role": "user", "parts": [{"type": "hologram"}]})


# -- attachments --------------------------------------------------------------------------------


def test_attachment_from_path_sniffs_mime_from_content_not_name(tmp_path):
    path = tmp_path / "photo.txt"  # misleading extension
    path.write_bytes(PNG)
    att = Attachment.from_path(path)
    assert att.type == "image/png"
    assert att.data() == PNG and att.size == len(PNG)
    assert att.display_name == "photo.txt"


def test_attachment_embed_false_keeps_only_the_path(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(PDF)
    att = Attachment.from_path(path, embed=False)
    assert att.content is None and att.path == str(path)
    assert att.type == "application/pdf" and att.kind == "pdf"
    assert att.size == len(PDF)
    assert att.to_dict() == {"type": "application/pdf", "path": str(path)}


def test_attachment_from_bytes_and_size_without_decoding():
    for n in range(0, 7):
        att = Attachment.from_bytes(b"a" * n, name="a.bin")
        assert att.size == n
    att = Attachment.from_bytes(PNG, name="x")
    assert att.type == "image/png" and att.display_name == "x"
    assert att.data_url().startswith("data:image/png;base64,")


def test_attachment_from_url_and_data_url():
    remote = Attachment.from_url("https://example.com/pics/cat.jpg?size=2")
    assert remote.type == "image/jpeg" and remote.url and remote.content is None
    assert remote.display_name == "cat.jpg?size=2"
    encoded = base64.b64encode(PNG).decode()
    data = Attachment.from_url(f"data:image/png;base64,{encoded}")
    assert data.content == encoded and data.type == "image/png" and data.data() == PNG
    plain = Attachment.from_url("data:text/plain,hello")
    assert plain.data() == b"hello"


def test_attachment_unreadable_path_raises_oserror_naming_it(tmp_path):
    with pytest.raises(OSError) as err:
        Attachment.from_path(tmp_path / "missing.png")
    assert "missing.png" in str(err.value)


# -- our files ----------------------------------------------------------------------------------


def _conversation() -> Conversation:
    return Conversation(messages=[
        Message.text("user", "hi"),
        Message(role="assistant", parts=[TextPart(text="yo", provider_metadata={"x": {"y": 1}})]),
        Message(role="user", parts=[AttachmentPart(attachment=Attachment.from_bytes(PNG))]),
    ])


def test_save_and_load_conversation(tmp_path):
    path = tmp_path / "c.json"
    files.save(_conversation(), path)
    loaded = files.load(path)
    assert isinstance(loaded, Conversation)
    assert loaded.messages == _conversation().messages
    assert json.loads(path.read_text())["composer"] == {"kind": "conversation",
                                                        "format_version": 1}


def test_exchange_opens_as_its_conversation_with_the_reply(tmp_path):
    exchange = Exchange(model="m", messages=[Message.text("assistant", "reply")])
    exchange.prompt.messages = [Message.text("user", "q")]
    path = tmp_path / "e.json"
    files.save(exchange, path)
    conv = files.load_conversation(path)
    assert [m.plain_text for m in conv.messages] == ["q", "reply"]


def test_failing_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    files.save(_conversation(), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        files.save(Conversation(messages=[Message.text("user", "new")]), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]  # no temp file left behind


def test_newer_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({"messages": [], "composer": {"kind": "conversation",
                                                             "format_version": 99}}))
    with pytest.raises(VersionError) as err:
        files.load(path)
    assert "format version 99" in str(err.value) and "update Composer" in str(err.value)
    assert err.value.location == "$.composer.format_version"


def test_garbage_is_a_format_error_with_location(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"messages": [\n  {"role": "user",, }\n]}')
    with pytest.raises(FormatError) as err:
        files.load(path)
    assert err.value.location.startswith("line 2 column")
    assert str(err.value).startswith(str(path))
    path.write_text(json.dumps({"messages": [{"role": "wizard", "parts": []}],
                                "composer": {"kind": "conversation", "format_version": 1}}))
    with pytest.raises(FormatError) as err:
        files.load(path)
    assert err.value.location == "$.messages[0].role"


# -- the assembler ------------------------------------------------------------------------------


def test_two_text_blocks_stay_two_parts():
    asm = Assembler()
    for event in (TextDelta("0", "Hel"), TextDelta("1", "Sep"), TextDelta("0", "lo"),
                  TextDelta("1", "arate")):
        asm.feed(event)
    assert asm.parts() == [TextPart(text="Hello"), TextPart(text="Separate")]


def test_tool_call_arguments_grow_and_parse_at_the_end():
    asm = Assembler()
    idx = asm.feed(ToolCallStart("t", "get_weather", "call_1"))
    asm.feed(ToolCallDelta("t", '{"city": '))
    assert asm.partial_arguments(idx) == '{"city": '
    asm.feed(ToolCallDelta("t", '"Paris"}'))
    asm.feed(ToolCallEnd("t"))
    assert asm.part(idx) == ToolCallPart(name="get_weather", arguments={"city": "Paris"},
                                         tool_call_id="call_1")
    assert asm.argument_problems() == []


def test_invalid_arguments_are_kept_raw_and_reported():
    asm = Assembler()
    asm.feed(ToolCallStart("t", "f", "c"))
    asm.feed(ToolCallDelta("t", '{"a": 1,'))
    asm.feed(ToolCallEnd("t"))
    part = asm.part(0)
    assert part.arguments == {}
    assert part.provider_metadata == {"composer": {"raw_arguments": '{"a": 1,'}}
    assert asm.argument_problems() and "not valid JSON" in asm.argument_problems()[0]


def test_reasoning_metadata_and_usage_merge():
    asm = Assembler()
    asm.feed(ReasoningDelta("r", "think"))
    asm.feed(PartMetadata("r", "anthropic", {"signature": "s1"}))
    asm.feed(UsageReport(input=10))
    asm.feed(UsageReport.report(output=5, reasoning=3))
    asm.feed(Finish("stop"))
    assert asm.parts() == [ReasoningPart(text="think",
                                         provider_metadata={"anthropic": {"signature": "s1"}})]
    usage = asm.usage_or_none()
    assert (usage.input, usage.output, usage.details) == (10, 5, {"reasoning_tokens": 3})
    assert asm.stop_reason == "stop"


def test_cancelled_and_error_stop_reasons():
    cancelled = Assembler()
    cancelled.feed(TextDelta("0", "partial"))
    cancelled.feed(StreamError("stopped", kind="cancelled"))
    assert cancelled.stop_reason == "cancelled"
    assert cancelled.parts() == [TextPart(text="partial")]
    failed = Assembler()
    failed.feed(StreamError("overloaded", kind="http", status=529))
    assert failed.stop_reason == "error"
    assert failed.error_info().status == 529
    assert Assembler().stop_reason == "unknown" and Assembler().usage_or_none() is None


def test_a_plain_data_url_is_percent_decoded():
    from composer.models.attachment import Attachment

    att = Attachment.from_url("data:,hello%20world%21")
    assert att.data() == b"hello world!" and att.type == "text/plain"
    assert Attachment.from_url("data:text/csv,a%2Cb").data() == b"a,b"


def test_arguments_that_are_not_an_object_are_kept_verbatim_for_the_wire():
    from composer.models import events as ev
    from composer.models.assembler import Assembler
    from composer.models.formats import openai_chat, openai_responses

    assembler = Assembler()
    for event in (ev.ToolCallStart("c", "count", "call_1"), ev.ToolCallDelta("c", "5"),
                  ev.ToolCallEnd("c")):
        assembler.feed(event)
    call = assembler.part(0)
    assert call.arguments == {}
    assert call.provider_metadata == {"composer": {"raw_arguments": "5"}}
    assert assembler.argument_problems() == ["tool call count: arguments are not a JSON object"]
    body = {"model": "m", "input": [
        {"type": "function_call", "call_id": "call_1", "name": "count", "arguments": "5"}]}
    imported = openai_responses.from_body(body, None)
    assert openai_responses.to_body(imported.conversation)[0]["input"][0]["arguments"] == "5"
    chat = openai_chat.to_body(imported.conversation)[0]
    assert chat["messages"][0]["tool_calls"][0]["function"]["arguments"] == "5"
