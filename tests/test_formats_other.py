"""The non-wire formats: llm's shapes, ShareGPT, Markdown, llm's logs.db; and the JSON Schema."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest

from composer.models import (
    Attachment,
    AttachmentPart,
    Conversation,
    FormatError,
    Message,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from composer.models import schema as schema_module
from composer.models.formats import (
    detect,
    export,
    get,
    import_data,
    import_path,
    import_text,
    llm_logs,
    sharegpt,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
SIG = {"anthropic": {"signature": "EqQBCkYIBxgCKkB+sig=="}}


def rich_conversation() -> Conversation:
    return Conversation(messages=[
        Message.text("system", "Be brief."),
        Message(role="user", parts=[
            TextPart(text="What is in this picture, and the weather in Paris?"),
            AttachmentPart(attachment=Attachment.from_bytes(PNG, name="cat.png")),
        ]),
        Message(role="assistant", parts=[
            ReasoningPart(text="A cat; then call the tool.", provider_metadata=SIG),
            TextPart(text="A cat. Checking the weather."),
            ToolCallPart(name="get_weather", arguments={"city": "Paris"}, tool_call_id="toolu_1",
                         provider_metadata={"anthropic": {"cache_control": {"type": "x"}}}),
        ], provider_metadata={"openai": {"id": "msg_1"}}),
        Message(role="tool", parts=[ToolResultPart(name="get_weather", output="18C, sunny",
                                                   tool_call_id="toolu_1")]),
        Message.text("assistant", "18C and sunny."),
    ])


def test_every_format_here_is_registered():
    names = {get(n).name for n in ("llm", "sharegpt", "markdown", "llm-logs")}
    assert names == {"llm", "sharegpt", "markdown", "llm-logs"}


# -- llm ----------------------------------------------------------------------------------------


def test_llm_to_dict_round_trip_keeps_metadata_and_unknown_keys():
    conv = rich_conversation()
    conv.messages[1].parts[0] = TextPart(text="hi", future_key={"x": 1})
    conv.settings.model = "claude-sonnet-4"
    conv.settings.options = {"temperature": 0.2}
    out = json.loads(export(conv, "llm").text)
    assert out["model"] == "claude-sonnet-4"
    assert out["prompt"]["options"] == {"temperature": 0.2}
    # The prompt holds everything but the trailing assistant message.
    assert len(out["prompt"]["messages"]) == 4 and len(out["messages"]) == 1
    back = import_text(json.dumps(out)).conversation
    assert back.messages == conv.messages
    assert back.messages[2].parts[0].provider_metadata == SIG
    assert back.messages[1].parts[0].to_dict()["future_key"] == {"x": 1}
    assert back.settings.model == "claude-sonnet-4"


def test_llm_response_dict_keeps_id_usage_and_unknown_keys_through_export():
    doc = {"model": "gpt-5", "prompt": {"messages": [{"role": "user", "parts": [
        {"type": "text", "text": "hi"}]}], "system": "Be kind."},
        "messages": [{"role": "assistant", "parts": [
            {"type": "reasoning", "text": "", "redacted": True, "token_count": 64,
             "provider_metadata": {"openai": {"id": "rs_1", "encrypted_content": "gAAA"}}},
            {"type": "text", "text": "hello"}]}],
        "id": "01jz", "usage": {"input": 5, "output": 7, "details": {"reasoning_tokens": 64}},
        "datetime_utc": "2025-01-01T00:00:00", "future": [1, 2]}
    imported = import_text(json.dumps(doc))
    assert [m.role for m in imported.conversation.messages] == ["system", "user", "assistant"]
    again = json.loads(export(imported.conversation, "llm").text)
    for key in ("id", "usage", "datetime_utc", "future", "messages"):
        assert again[key] == doc[key]


def test_llm_bare_message_list_is_detected_not_confused_with_gemini():
    msgs = [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]
    assert get("llm").detect(msgs) > 0
    assert get("llm").detect([{"role": "user", "parts": [{"text": "hi"}]}]) == 0
    assert import_data(msgs, "llm").conversation.messages == [Message.text("user", "hi")]


def test_llm_reports_settings_it_cannot_hold():
    conv = Conversation(messages=[Message.text("user", "hi")])
    conv.settings.tools = [Tool(name="t")]
    conv.settings.response_schema = {"type": "object"}
    losses = export(conv, "llm").losses
    assert any("tool definition" in str(loss) and loss.dropped for loss in losses)
    assert any("response schema" in str(loss) for loss in losses)


def test_llm_bad_part_names_its_location():
    doc = {"model": "m", "prompt": {"messages": [{"role": "user", "parts": [{"type": "x"}]}]},
           "messages": []}
    with pytest.raises(FormatError) as err:
        import_data(doc, "llm", "f.json")
    assert err.value.location.startswith("$.prompt.messages[0].parts[0]")
    assert str(err.value).startswith("f.json: $.prompt.messages[0]")


# -- ShareGPT -----------------------------------------------------------------------------------


def test_sharegpt_round_trip_of_text_and_tool_calls():
    conv = Conversation(messages=[
        Message.text("system", "sys"), Message.text("user", "hi"),
        Message(role="assistant", parts=[TextPart(text="calling"),
                                         ToolCallPart(name="f", arguments={"a": [1, 2]})]),
        Message(role="tool", parts=[ToolResultPart(name="f", output="3")]),
        Message.text("assistant", "three"),
    ])
    conv.settings.tools = [Tool(name="f", description="adds")]
    exported = export(conv, "sharegpt")
    assert exported.losses == []
    assert exported.text.count("\n") == 1  # one JSONL line
    back = import_text(exported.text).conversation
    assert back.messages == conv.messages
    assert [t.name for t in back.settings.tools] == ["f"]


def test_sharegpt_reports_what_it_cannot_hold():
    exported = export(rich_conversation(), "sharegpt")
    text = [str(loss) for loss in exported.losses]
    assert "message 2, part 2: attachment cat.png dropped" in text
    assert "message 3, part 1: reasoning dropped" in text
    assert any("provider_metadata" in t for t in text)
    assert any("tool_call_id" in t for t in text)
    assert all(loss.dropped for loss in exported.losses if "attachment" in loss.problem)


def test_sharegpt_jsonl_takes_the_first_and_can_pick_another():
    lines = "\n".join(json.dumps({"conversations": [{"from": "human", "value": f"q{i}"},
                                                    {"from": "gpt", "value": f"a{i}"}]})
                      for i in range(3)) + "\n"
    first = import_text(lines, source="data.jsonl")
    assert first.conversation.messages[0].plain_text == "q0"
    assert "2 other(s) skipped" in str(first.losses[0])
    third = sharegpt.load_nth(lines, 3, "data.jsonl")
    assert third.conversation.messages[1].plain_text == "a2"
    with pytest.raises(FormatError, match="conversation 4 asked for"):
        sharegpt.load_nth(lines, 4)


def test_sharegpt_bare_list_and_llama_factory_tools():
    doc = {"conversations": [{"from": "human", "value": "hi"},
                             {"from": "function_call",
                              "value": '{"name": "f", "arguments": "{\\"x\\": 1}"}'},
                             {"from": "observation", "value": "ok"}],
           "tools": json.dumps([{"name": "f", "parameters": {"type": "object"}}]),
           "system": "S"}
    conv = import_data(doc, "sharegpt").conversation
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool"]
    assert conv.messages[2].parts[0] == ToolCallPart(name="f", arguments={"x": 1})
    assert conv.messages[3].parts[0].name == "f"
    bare = import_text(json.dumps([{"from": "human", "value": "x"}]))
    assert bare.conversation.messages == [Message.text("user", "x")]


def test_sharegpt_unknown_speaker_is_a_located_error():
    with pytest.raises(FormatError) as err:
        import_data({"conversations": [{"from": "alien", "value": "x"}]}, "sharegpt")
    assert err.value.location == "$.conversations[0].from"


# -- Markdown -----------------------------------------------------------------------------------


def test_markdown_round_trip_of_text_roles_tool_calls_and_results():
    conv = Conversation(messages=[
        Message.text("system", "Be brief."),
        Message(role="user", parts=[TextPart(text="Line one\n\n## Not a heading\n```\ncode\n```\n"),
                                    AttachmentPart(attachment=Attachment(
                                        type="image/png", url="https://x.test/cat.png"))]),
        Message(role="assistant", parts=[
            ReasoningPart(text="think\n\n> quoted"),
            ToolCallPart(name="run", arguments={"src": "```py\nprint(1)\n```"},
                         tool_call_id="c1", server_executed=True)]),
        Message(role="tool", parts=[ToolResultPart(name="run", output="1\n````\n",
                                                   tool_call_id="c1", exception="boom")]),
        Message.text("assistant", ""),
    ])
    conv.settings.model = "m"
    exported = export(conv, "markdown")
    assert exported.losses == []
    assert "## User" in exported.text and "```json" in exported.text
    assert "<details><summary>Reasoning</summary>" in exported.text
    back = import_text(exported.text)
    assert back.conversation.messages == conv.messages
    assert back.conversation.settings.model == "m"


def test_markdown_reports_attachment_bytes_and_metadata_it_cannot_hold():
    exported = export(rich_conversation(), "markdown")
    text = [str(loss) for loss in exported.losses]
    assert any("cat.png" in t and "not embedded" in t for t in text)
    assert any(t.startswith("message 3, part 1: provider_metadata") for t in text)
    assert "`cat.png` (image/png, 48 bytes)" in exported.text
    back = import_text(exported.text).conversation
    # Kept by name and type, without the bytes.
    assert back.messages[1].parts[1].attachment.display_name == "cat.png"
    assert back.messages[1].parts[1].attachment.content is None
    assert back.messages[2].parts[2].arguments == {"city": "Paris"}


def test_markdown_without_markers_is_read_by_role_headings():
    text = "# Chat log\n\n## User\n\nWhat is *2+2*?\n\n## Assistant:\n\n4\n\n- sure\n"
    conv = import_text(text).conversation
    assert [(m.role, m.plain_text) for m in conv.messages] == [
        ("user", "What is *2+2*?"), ("assistant", "4\n\n- sure")]


def test_markdown_bad_marker_is_a_located_error():
    text = '<!-- composer:message {"role": "wizard"} -->\n## Wizard\n'
    with pytest.raises(FormatError) as err:
        import_text(text, "markdown", "t.md")
    assert err.value.location == "line 1" and "wizard" in err.value.problem


# -- llm logs.db --------------------------------------------------------------------------------


def make_legacy_db(path) -> None:
    """The tables llm < 0.32 writes (migrations m010..m022), with two conversations."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            create table conversations (id text primary key, name text, model text);
            create table responses (id text primary key, model text, prompt text, system text,
                prompt_json text, options_json text, response text, response_json text,
                conversation_id text references conversations(id), duration_ms integer,
                datetime_utc text, input_tokens integer, output_tokens integer,
                token_details text, schema_id text, resolved_model text, reasoning text);
            create table attachments (id text primary key, type text, path text, url text,
                content blob);
            create table prompt_attachments (response_id text, attachment_id text,
                "order" integer, primary key (response_id, attachment_id));
            create table tool_calls (id integer primary key, response_id text, tool_id integer,
                name text, arguments text, tool_call_id text);
            create table tool_results (id integer primary key, response_id text,
                tool_id integer, name text, output text, tool_call_id text,
                instance_id integer, exception text);
            create table tool_results_attachments (tool_result_id integer, attachment_id text,
                "order" integer, primary key (tool_result_id, attachment_id));
        """)
        db.execute("insert into conversations values ('old', 'Old chat', 'gpt-4o-mini')")
        db.execute("insert into conversations values ('c1', 'Weather', 'gpt-4o')")
        db.execute("insert into responses (id, model, prompt, system, response, "
                   "conversation_id, datetime_utc, options_json) values "
                   "('r0', 'gpt-4o-mini', 'hello', null, 'hi!', 'old', '2024-01-01T00:00:00', "
                   "null)")
        db.execute("insert into responses (id, model, prompt, system, response, "
                   "conversation_id, datetime_utc, options_json, reasoning) values "
                   "('r1', 'gpt-4o', 'Weather in Paris? See photo', 'Be brief.', '', 'c1', "
                   "'2025-03-01T10:00:00', '{\"temperature\": 0.5}', 'need the tool')")
        db.execute("insert into responses (id, model, prompt, system, response, "
                   "conversation_id, datetime_utc) values ('r2', 'gpt-4o', '', 'Be brief.', "
                   "'18C and sunny.', 'c1', '2025-03-01T10:00:05')")
        db.execute("insert into attachments values ('a1', 'image/png', null, null, ?)", (PNG,))
        db.execute("insert into prompt_attachments values ('r1', 'a1', 0)")
        db.execute("insert into tool_calls values (1, 'r1', null, 'get_weather', "
                   "'{\"city\": \"Paris\"}', 'call_1')")
        db.execute("insert into tool_results values (1, 'r2', null, 'get_weather', '18C', "
                   "'call_1', null, null)")


def make_store_db(path) -> None:
    """The tables llm 0.32 writes (migration m023_message_store), with one thread."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            create table attachments (id text primary key, type text, path text, url text,
                content blob);
            create table fragments (id integer primary key, hash text, content text,
                datetime_utc text, source text);
            create table messages (hash text primary key, parent_hash text
                references messages(hash), role text, provider_metadata text);
            create table parts (id integer primary key, message_hash text, position integer,
                type text, tool_name text, text text, payload text);
            create table part_attachments (part_id integer, attachment_id text,
                "order" integer, primary key (part_id, attachment_id, "order"));
            create table threads (id text primary key, name text, tip_message_hash text,
                forked_from text, datetime_utc text);
            create table turns (id text primary key, thread_id text, parent_message_hash text,
                tip_message_hash text, model text, resolved_model text, options_json text,
                schema_id text, input_tokens integer, output_tokens integer,
                token_details text, duration_ms integer, datetime_utc text);
        """)
        db.execute("insert into fragments values (7, 'h', 'a long shared document', "
                   "'2025', 'doc.txt')")
        db.execute("insert into attachments values ('att1', 'image/png', null, null, ?)",
                   (PNG,))
        msgs = [("m1", None, "system", None), ("m2", "m1", "user", None),
                ("m3", "m2", "assistant", json.dumps({"openai": {"id": "resp_9"}})),
                ("m4", "m3", "tool", None), ("m5", "m4", "assistant", None)]
        db.executemany("insert into messages values (?, ?, ?, ?)", msgs)
        parts = [
            (1, "m1", 0, "text", None, "Be brief.", None),
            (2, "m2", 0, "text", None, None,
             json.dumps({"text_ref": [{"literal": "Summarise: "}, {"fragment": 7}]})),
            (3, "m2", 1, "attachment", None, None, json.dumps({})),
            (4, "m3", 0, "reasoning", None, "thinking...",
             json.dumps({"provider_metadata": SIG})),
            (5, "m3", 1, "tool_call", "get_weather", None,
             json.dumps({"arguments": {"city": "Paris"}, "tool_call_id": "toolu_1"})),
            (6, "m4", 0, "tool_result", "get_weather", None,
             json.dumps({"output": "18C", "tool_call_id": "toolu_1"})),
            (7, "m5", 0, "text", None, "18C and sunny.", None),
        ]
        db.executemany("insert into parts values (?, ?, ?, ?, ?, ?, ?)", parts)
        db.execute("insert into part_attachments values (3, 'att1', 0)")
        db.execute("insert into threads values ('t1', 'Paris weather', 'm5', null, "
                   "'2025-05-01T09:00:00')")
        db.execute("insert into threads values ('t0', 'Empty', null, null, "
                   "'2025-04-01T09:00:00')")
        db.execute("insert into turns (id, thread_id, parent_message_hash, tip_message_hash, "
                   "model, options_json, datetime_utc) values ('u1', 't1', null, 'm3', "
                   "'claude-sonnet-4', null, '2025-05-01T09:00:01')")
        db.execute("insert into turns (id, thread_id, parent_message_hash, tip_message_hash, "
                   "model, options_json, datetime_utc) values ('u2', 't1', 'm4', 'm5', "
                   "'claude-sonnet-4', '{\"max_tokens\": 100}', '2025-05-01T09:00:09')")


def test_legacy_logs_db_lists_and_imports_the_newest(tmp_path):
    path = tmp_path / "logs.db"
    make_legacy_db(path)
    listed = llm_logs.list_conversations(str(path))
    assert [tuple(c) for c in listed] == [
        ("c1", "Weather", "gpt-4o", 2, "2025-03-01T10:00:05"),
        ("old", "Old chat", "gpt-4o-mini", 1, "2024-01-01T00:00:00")]
    conv = import_path(path).conversation
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool", "assistant"]
    user = conv.messages[1]
    assert user.plain_text == "Weather in Paris? See photo"
    assert base64.b64decode(user.attachments[0].content) == PNG
    assert conv.messages[2].parts == [ReasoningPart(text="need the tool"),
                                      ToolCallPart(name="get_weather", arguments={"city": "Paris"},
                                                   tool_call_id="call_1")]
    assert conv.messages[3].parts[0].tool_call_id == "call_1"
    assert conv.settings.model == "gpt-4o"
    old = llm_logs.load_conversation(str(path), "old").conversation
    assert [m.plain_text for m in old.messages] == ["hello", "hi!"]


def test_store_logs_db_imports_a_thread_with_metadata_fragments_and_attachments(tmp_path):
    path = tmp_path / "logs.db"
    make_store_db(path)
    listed = llm_logs.list_conversations(str(path))
    assert [c.id for c in listed] == ["t1", "t0"]
    assert tuple(listed[0]) == ("t1", "Paris weather", "claude-sonnet-4", 2,
                                "2025-05-01T09:00:09")
    conv = import_path(path, "llm-logs").conversation
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert conv.messages[1].plain_text == "Summarise: a long shared document"
    assert base64.b64decode(conv.messages[1].attachments[0].content) == PNG
    assistant = conv.messages[2]
    assert assistant.provider_metadata == {"openai": {"id": "resp_9"}}
    assert assistant.parts[0].provider_metadata == SIG
    assert assistant.parts[1] == ToolCallPart(name="get_weather", arguments={"city": "Paris"},
                                              tool_call_id="toolu_1")
    assert conv.settings.model == "claude-sonnet-4"
    assert conv.settings.options == {"max_tokens": 100}
    assert llm_logs.load_conversation(str(path), "t0").conversation.messages == []


def test_a_fragment_reference_in_its_development_shape_or_missing_is_handled(tmp_path):
    path = tmp_path / "logs.db"
    make_store_db(path)
    with sqlite3.connect(path) as db:
        db.execute("update parts set payload = ? where id = 2", (json.dumps(
            {"text_ref": [{"fragment_id": 7}, {"literal": ""}, {"fragment": 99}]}),))
    imported = import_path(path)
    assert imported.conversation.messages[1].plain_text == "a long shared document"
    [loss] = [loss for loss in imported.losses if "fragment 99" in str(loss)]
    assert loss.dropped


def test_a_table_named_with_a_quote_does_not_break_the_import(tmp_path):
    path = tmp_path / "logs.db"
    make_store_db(path)
    with sqlite3.connect(path) as db:
        db.execute('create table "it""s mine" (x)')
    assert import_path(path).conversation.messages[1].plain_text == \
        "Summarise: a long shared document"
    assert [c.id for c in llm_logs.list_conversations(str(path))] == ["t1", "t0"]


def test_logs_db_errors_are_one_line(tmp_path):
    path = tmp_path / "logs.db"
    make_store_db(path)
    with pytest.raises(FormatError, match="no conversation 'nope'"):
        llm_logs.load_conversation(str(path), "nope")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("create table t (x)")
    with pytest.raises(FormatError, match="not an llm logs database"):
        import_path(other)
    with pytest.raises(FormatError):
        llm_logs.load_conversation(str(tmp_path / "missing.db"))


def test_logs_db_is_opened_read_only(tmp_path):
    path = tmp_path / "logs.db"
    make_legacy_db(path)
    before = path.read_bytes()
    import_path(path)
    assert path.read_bytes() == before


# -- JSON Schema --------------------------------------------------------------------------------


def test_committed_schemas_equal_what_the_models_generate():
    for name, schema in schema_module.schemas().items():
        committed = (schema_module.SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == schema_module.render(schema), (
            f"{name} is stale: run python -m composer.models.schema")


def test_schema_describes_messages_and_parts():
    conv = schema_module.schemas()["conversation.schema.json"]
    assert "messages" in conv["properties"]
    assert {"TextPart", "ToolCallPart", "Message"} <= set(conv["$defs"])


# -- ShareGPT: the original dataset's shape, kept keys, several conversations --------------------


DATASET = [
    {"id": "QWJhYvA_0", "source": "sharegpt",
     "conversations": [{"from": "human", "value": "Summarise  the\nplot", "weight": 0},
                       {"from": "gpt", "value": "A boy.", "weight": 1}]},
    {"id": "xyz_1", "conversations": [{"from": "human", "value": "hello"}]},
]


def test_sharegpt_original_dataset_array_is_read_and_its_conversations_listed():
    text = json.dumps(DATASET)
    assert detect(text).name == "sharegpt"
    assert sharegpt.list_conversations(text) == [("1", "QWJhYvA_0: Summarise the plot"),
                                                 ("2", "xyz_1: hello")]
    first = import_text(text)
    assert [m.plain_text for m in first.conversation.messages] == ["Summarise  the\nplot",
                                                                   "A boy."]
    assert "1 other(s) skipped" in str(first.losses[0])
    by_id = sharegpt.load_nth(text, "xyz_1")
    assert by_id.conversation.messages[0].plain_text == "hello"
    with pytest.raises(FormatError, match=r"\$\[1\]\.conversations\[0\]\.from"):
        sharegpt.load_nth(json.dumps([DATASET[0], {"conversations": [{"from": 1,
                                                                      "value": ""}]}]), 2)


def test_sharegpt_turn_and_conversation_keys_are_kept_and_written_back():
    conversation = sharegpt.load_nth(json.dumps(DATASET), 1).conversation
    assert conversation.messages[1].model_extra["sharegpt"] == {"weight": 1}
    out = json.loads(export(conversation, "sharegpt").text)
    assert out == DATASET[0]
