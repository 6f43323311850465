"""Hostile files: every reader answers with one FormatError, text is valid Unicode, detection is
cheap (issue 8). The stream side is in test_hostile_streams.py; the fuzz run in test_fuzz.py."""

from __future__ import annotations

import json
import time

import pytest

from composer.models import files, formats
from composer.models.errors import FormatError
from composer.models.formats import markdown

CASES = {
    "deep brackets": "[" * 100_000,
    "deep but parseable": "[" * 500 + "]" * 500,
    "long integer": "1" * 5000,
    "long integer inside": '{"messages": [{"role": "user", "content": ' + "1" * 5000 + "}]}",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_auto_detection_answers_hostile_json_with_a_format_error(text):
    with pytest.raises(FormatError) as caught:
        formats.import_text(text, source="x.json")
    assert caught.value.source == "x.json"
    assert "invalid JSON" in caught.value.problem


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_parse_json_answers_hostile_json_with_a_format_error(text):
    with pytest.raises(FormatError):
        files.parse_json(text, "x.json")


def test_a_long_integer_is_located():
    text = '{"a": [\n  ' + "7" * 5000 + "]}"
    with pytest.raises(FormatError) as caught:
        files.parse_json(text, "x.json")
    assert caught.value.location == "line 2 column 3"


def test_nesting_at_the_limit_is_read_and_one_more_level_is_not():
    from composer.models import jsontext

    ok = "[" * jsontext.MAX_DEPTH + "]" * jsontext.MAX_DEPTH
    assert jsontext.loads(ok)[1] == 0
    with pytest.raises(jsontext.JSONTextError, match="nested more than"):
        jsontext.loads("[" + ok + "]")
    # Brackets inside strings are not nesting.
    assert jsontext.loads(json.dumps(["[" * 500]))[0] == ["[" * 500]


@pytest.mark.parametrize("fmt", ["openai-chat", "anthropic", "openai-responses", "gemini",
                                 "composer", "llm"])
def test_explicit_formats_answer_hostile_json_with_a_format_error(fmt):
    for text in CASES.values():
        with pytest.raises(FormatError):
            formats.import_text(text, fmt, source="x.json")


NON_STRING_TYPES = [
    {"messages": [{"role": "user", "content": [{"type": []}]}]},
    {"input": [{"type": []}]},
    [{"type": []}],
    {"input": [{"role": "user", "content": [{"type": {}}]}]},
]


@pytest.mark.parametrize("data", NON_STRING_TYPES, ids=lambda d: json.dumps(d))
def test_detectors_take_a_type_that_is_not_a_string(data):
    for fmt in formats.importers():
        if fmt.input_kind != "binary":
            assert fmt.detect(data) >= 0  # no TypeError (a list is unhashable)
    with pytest.raises(FormatError):
        formats.import_data(data, source="x.json")


def test_markdown_with_carriage_return_line_ends():
    text = "## User\rhello\r\r## Assistant\rhi there\r"
    imported = formats.import_text(text, source="x.md")
    assert [m.role for m in imported.conversation.messages] == ["user", "assistant"]
    assert imported.conversation.messages[1].parts[0].text == "hi there"
    assert markdown.load("x\r## User\rhi", None).conversation.messages[0].role == "user"


def test_a_lone_surrogate_in_a_file_is_replaced_and_reported():
    text = json.dumps({"messages": [{"role": "user", "content": "a\ud800b"},
                                    {"role": "assistant", "content": "\ud83d\ude00 \udc00"}]})
    assert "\\ud800" in text
    imported = formats.import_text(text, source="x.json")
    texts = [m.parts[0].text for m in imported.conversation.messages]
    assert texts == ["a\ufffdb", "\U0001F600 \ufffd"]
    assert any("2 invalid character(s)" in str(loss) for loss in imported.losses)
    files.dumps(imported.conversation).encode("utf-8")  # saving can never fail on it


def test_a_lone_surrogate_in_a_key_or_our_own_file_is_replaced(tmp_path):
    doc = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "x\udfff"}],
                         "provider_metadata": {"k\ud800": "v"}}],
           "composer": {"kind": "conversation", "format_version": 1}}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    conversation = files.load_conversation(path)
    assert conversation.messages[0].parts[0].text == "x\ufffd"
    assert conversation.messages[0].provider_metadata == {"k\ufffd": "v"}
    imported = formats.import_path(path)
    assert any("invalid character" in str(loss) for loss in imported.losses)


def test_raw_surrogates_in_pasted_text_are_replaced():
    imported = formats.import_text("## User\nhi \ud800", source="<clipboard>")
    assert imported.conversation.messages[0].parts[0].text == "hi \ufffd"
    assert imported.losses


def test_our_own_message_shape_without_the_marker_is_ours():
    data = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]},
                         {"role": "assistant", "parts": [
                             {"type": "tool_call", "name": "f", "arguments": {"a": 1}}]}],
            "settings": {"model": "m"}}
    imported = formats.import_data(data, source="x.json")
    assert formats.detect(json.dumps(data)).name == "composer"
    assert imported.conversation.settings.model == "m"
    assert imported.conversation.messages[1].parts[0].arguments == {"a": 1}


def test_json_never_goes_through_the_markdown_parser(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the Markdown parser ran on JSON")

    monkeypatch.setattr(markdown, "MarkdownIt", refuse)
    text = json.dumps({"messages": [{"role": "user", "content": "## User\n\nhi"}]})
    assert formats.detect(text).name == "openai-chat"
    assert formats.detect("## User\n\nhi").name == "markdown"  # detection alone parses nothing


BIG = 20_000_000


def _big_chat() -> str:
    content = "hello world **x** [y](z) " * 400
    count = BIG // len(content) + 1
    return json.dumps({"model": "m", "messages": [
        {"role": ("user", "assistant")[i % 2], "content": content} for i in range(count)]})


@pytest.mark.parametrize("make", [
    lambda: "[" * BIG, lambda: "[a" * (BIG // 2), lambda: "{" * BIG, lambda: "\n" * BIG,
    lambda: "# " * (BIG // 2), lambda: "## User\n" + "[x](" * (BIG // 4), _big_chat,
], ids=["brackets", "bracket-text", "braces", "newlines", "hashes", "markdown", "chat"])
def test_detecting_20_mb_takes_well_under_a_second(make):
    text = make()
    start = time.process_time()
    try:
        formats.detect(text, "big")
    except FormatError:
        pass
    # CPU time, so other work on a shared machine does not count; well under a second alone.
    assert time.process_time() - start < 1.0


def test_a_lone_surrogate_in_a_text_format_that_parses_json_itself_is_replaced_once():
    line = json.dumps({"conversations": [{"from": "human", "value": "a\ud800"},
                                         {"from": "gpt", "value": "b"}]})
    for text, fmt in ((line, None), (line + "\n" + line, None), (line, "sharegpt")):
        imported = formats.import_text(text, fmt, source="x.jsonl")
        assert imported.conversation.messages[0].parts[0].text == "a\ufffd"
        assert [str(loss) for loss in imported.losses
                if "invalid character" in str(loss)] == [jsontext_note(1)]


def jsontext_note(count: int) -> str:
    from composer.models import jsontext

    return jsontext.replaced_note(count)


@pytest.mark.parametrize("text", ["[" * 100_000, "1" * 5000, "## User\rhi\r",
                                  '{"messages": [{"role": "user", "content": [{"type": []}]}]}'])
def test_convert_answers_hostile_input_with_one_line_not_an_internal_error(tmp_path, text):
    from tests.test_cli_convert import convert

    path = tmp_path / "in.txt"
    path.write_text(text, encoding="utf-8")
    proc = convert(str(path), "--to", "markdown")
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1)
    assert proc.returncode == 0 or len(proc.stderr.strip().splitlines()) == 1


def test_send_of_a_hostile_file_is_one_line(tmp_path):
    from tests.test_cli_send import composer

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    proc = composer("send", str(path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "nested more than" in proc.stderr


def test_an_importer_meeting_infinity_in_int_is_still_one_format_error():
    from composer.models.formats.base import guarded

    @guarded("Test format")
    def load(data, source):
        return int(data["n"])  # what a careless reader does with JSON's Infinity

    with pytest.raises(FormatError) as caught:
        load(files.parse_json('{"n": Infinity}'), "x.json")
    assert caught.value.source == "x.json" and "OverflowError" in caught.value.problem


def test_markdown_markers_and_arguments_too_long_or_deep_name_their_line():
    head = '<!-- composer:transcript {"version": 1} -->\n'
    marker = head + '<!-- composer:message {"role": "user", "n": ' + "1" * 5000 + "} -->\n"
    args = (head + '<!-- composer:message {"role": "assistant"} -->\n'
            '<!-- composer:part {"type": "tool_call", "name": "f"} -->\n\n'
            "**Tool call** `f`\n\n```json\n" + '{"a": ' + "[" * 300 + "]" * 300 + "}\n```\n\n")
    for text, line, what in ((marker, "line 2", "marker"), (args, "line 3", "tool call")):
        with pytest.raises(FormatError) as caught:
            markdown.load(text, "x.md")
        assert caught.value.location == line and what in caught.value.problem


def test_markdown_round_trips_tool_names_with_blank_lines_and_backticks():
    from composer.models.conversation import Conversation
    from composer.models.parts import Message, ToolCallPart, ToolResultPart

    name = "*## User```\t\n\nx}\n<b>"
    conversation = Conversation(messages=[
        Message(role="assistant", parts=[ToolCallPart(name=name, arguments={"a": "```"},
                                                      tool_call_id="c1")]),
        Message(role="tool", parts=[ToolResultPart(name=name, output="out\n\nmore",
                                                   tool_call_id="c1")])])
    back = formats.import_text(formats.export(conversation, "markdown").text, "markdown")
    assert back.conversation.messages == conversation.messages


@pytest.mark.parametrize("text, problem", [
    ("[1]", "arguments must be a JSON object, not an array"),
    ("{\"a\": 1,}", "line 1 column 9"),
    ("[" * 150 + "]" * 150, "nested more than 100 levels deep"),
    ("1" * 5000, "a number too long to read"),
])
def test_one_json_object_reader_for_arguments_keys_and_editors(text, problem, tmp_path,
                                                                monkeypatch):
    """The assembler, the detail editor's arguments check and the llm key file read a JSON
    object through jsontext.loads_object: hostile text is one message there, never a crash."""
    from composer.models import jsontext
    from composer.models.assembler import parse_arguments
    from composer.providers import keys

    with pytest.raises(jsontext.JSONTextError) as caught:
        jsontext.loads_object(text, "arguments")
    assert problem in f"{caught.value.location}: {caught.value.msg}"
    assert parse_arguments(text)[0] == {} and parse_arguments(text)[1]
    assert jsontext.loads_object("  ") == {}
    monkeypatch.setattr(keys, "llm_keys_path", lambda: tmp_path / "keys.json")
    (tmp_path / "keys.json").write_text(text, encoding="utf-8")
    value, key_problem = keys._llm_keys_get("openai")
    assert value is None and key_problem and "keys.json" in key_problem
