"""``llm-composer convert`` as a user runs it: stdin/stdout, files, exit codes (in this process:
tests/cli_run.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests import cassettes
from tests.cli_run import run_cli
from tests.conftest import ROOT, recordings_or_skip
from tests.test_formats_other import PNG, make_legacy_db, make_store_db


def convert(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    return run_cli("convert", *args, stdin=stdin, cwd=ROOT)


LLM_MESSAGES = [
    {"role": "user", "parts": [{"type": "text", "text": "Look"},
                               {"type": "attachment",
                                "attachment": {"type": "image/png", "content": "iVBORw0KGgo="}}]},
    {"role": "assistant", "parts": [{"type": "reasoning", "text": "a cat"},
                                    {"type": "text", "text": "A cat."}]},
]


def test_stdin_to_stdout_with_losses_on_stderr():
    result = convert("-", "--to", "sharegpt", stdin=json.dumps(LLM_MESSAGES))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"conversations": [
        {"from": "human", "value": "Look"}, {"from": "gpt", "value": "A cat."}]}
    assert result.stderr.splitlines() == [
        "warning: message 1, part 2: attachment image/png dropped",
        "warning: message 2, part 1: reasoning dropped",
    ]


def test_out_file_is_written_and_nothing_goes_to_stdout(tmp_path):
    src = tmp_path / "in.json"
    src.write_text(json.dumps(LLM_MESSAGES), encoding="utf-8")
    out = tmp_path / "out.md"
    result = convert(str(src), "--from", "llm", "--to", "markdown", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "## User" in text and "## Assistant" in text and "A cat." in text


def test_llm_to_dict_file_to_markdown(tmp_path):
    doc = {"model": "gpt-5", "prompt": {"messages": [
        {"role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "text": "Weather?"}]}]},
        "messages": [{"role": "assistant", "parts": [
            {"type": "tool_call", "name": "weather", "arguments": {"city": "Rome"},
             "tool_call_id": "call_1"}]}],
        "usage": {"input": 3, "output": 4}}
    src = tmp_path / "response.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    result = convert(str(src), "--to", "markdown")
    assert result.returncode == 0, result.stderr
    assert "*Model: gpt-5*" in result.stdout
    assert '"city": "Rome"' in result.stdout and "```json" in result.stdout
    # And the Markdown reads back to the same messages.
    md = tmp_path / "t.md"
    md.write_text(result.stdout, encoding="utf-8")
    back = convert(str(md), "--to", "llm")
    assert back.returncode == 0, back.stderr
    again = json.loads(back.stdout)
    assert again["prompt"]["messages"] == doc["prompt"]["messages"]
    assert again["messages"] == doc["messages"]


@pytest.mark.parametrize("garbage, where", [
    ('{"messages": [', "<stdin>: line 1 column"),
    ('{"model": "m", "prompt": {"messages": [{"role": "user", "parts": [{"type": "nope"}]}]}, '
     '"messages": []}', "<stdin>: $.prompt.messages[0].parts[0]"),
    ("\x00\x01 plain binary-ish", "<stdin>: "),
])
def test_garbage_is_one_error_line_and_exit_1(garbage, where):
    result = convert("-", "--to", "composer", stdin=garbage)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"llm-composer: error: {where}")
    assert "Traceback" not in result.stderr


def test_missing_file_is_one_line(tmp_path):
    result = convert(str(tmp_path / "nope.json"), "--to", "composer")
    assert result.returncode == 1
    assert result.stderr.startswith(f"llm-composer: error: {tmp_path / 'nope.json'}: ")
    assert len(result.stderr.splitlines()) == 1


def test_unknown_format_lists_the_formats():
    result = convert("-", "--to", "yaml-of-doom", stdin="[]")
    assert result.returncode == 1
    first, *rest = result.stderr.splitlines()
    assert first.startswith("llm-composer: error: unknown format 'yaml-of-doom'")
    assert any(line.split()[:1] == ["sharegpt"] for line in rest)
    listed = convert("--list")
    assert listed.returncode == 0
    assert "llm-logs" in listed.stdout and "markdown" in listed.stdout


def test_import_only_format_cannot_be_a_target():
    result = convert("-", "--to", "llm-logs", stdin="[]")
    assert result.returncode == 1
    assert "can be imported, not exported" in result.stderr


def test_logs_db_conversation_selector(tmp_path):
    legacy = tmp_path / "legacy.db"
    make_legacy_db(legacy)
    old = convert(str(legacy), "--to", "sharegpt", "--conversation", "old")
    assert json.loads(old.stdout)["conversations"] == [
        {"from": "human", "value": "hello"}, {"from": "gpt", "value": "hi!"}]
    store = tmp_path / "store.db"
    make_store_db(store)
    thread = convert(str(store), "--to", "composer", "--conversation", "t1")
    assert thread.returncode == 0, thread.stderr
    data = json.loads(thread.stdout)
    assert data["messages"][2]["parts"][0]["provider_metadata"]["anthropic"]["signature"]
    missing = convert(str(store), "--to", "composer", "--conversation", "zzz")
    assert missing.returncode == 1 and "no conversation 'zzz'" in missing.stderr


def test_sharegpt_jsonl_selector_and_skip_note(tmp_path):
    src = tmp_path / "data.jsonl"
    src.write_text("".join(json.dumps({"conversations": [{"from": "human", "value": f"q{i}"}]})
                           + "\n" for i in range(3)), encoding="utf-8")
    first = convert(str(src), "--to", "llm")
    assert "2 other(s) skipped" in first.stderr
    second = convert(str(src), "--to", "llm", "--conversation", "2")
    assert json.loads(second.stdout)["prompt"]["messages"][0]["parts"][0]["text"] == "q1"


def test_attachment_bytes_survive_composer_round_trip_through_stdin():
    content = __import__("base64").b64encode(PNG).decode()
    msgs = [{"role": "user", "parts": [{"type": "attachment", "attachment": {
        "type": "image/png", "content": content}}]}]
    result = convert("-", "--to", "composer", stdin=json.dumps(msgs))
    assert json.loads(result.stdout)["messages"][0]["parts"][0]["attachment"]["content"] == content


# -- across the wire formats, with real recorded request bodies ---------------------------------


def _request_bodies(relative: str) -> list[dict]:
    path = recordings_or_skip() / relative
    return [i.request_json for i in cassettes.load(path).interactions if i.request_body]


def test_openai_request_body_to_anthropic_and_back(tmp_path):
    body = _request_bodies("TestOpenAICommon/openai-gpt-4o-mini/multi_tool.yaml")[-1]
    src = tmp_path / "openai.json"
    src.write_text(json.dumps(body), encoding="utf-8")
    to_anthropic = convert(str(src), "--from", "openai-chat", "--to", "anthropic")
    assert to_anthropic.returncode == 0, to_anthropic.stderr
    anthropic = json.loads(to_anthropic.stdout)
    uses = [b for m in anthropic["messages"] for b in m["content"] if isinstance(b, dict)
            and b.get("type") == "tool_use"]
    assert [u["name"] for u in uses] == ["add", "multiply"]
    mid = tmp_path / "anthropic.json"
    mid.write_text(to_anthropic.stdout, encoding="utf-8")
    back = convert(str(mid), "--from", "anthropic", "--to", "openai-chat")
    assert back.returncode == 0, back.stderr
    again = json.loads(back.stdout)
    calls = [c for m in again["messages"] for c in m.get("tool_calls") or []]
    original = [c for m in body["messages"] for c in m.get("tool_calls") or []]
    assert [(c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in calls] == [(c["id"], c["function"]["name"],
                                 json.loads(c["function"]["arguments"])) for c in original]
    results = [(m["tool_call_id"], m["content"]) for m in again["messages"]
               if m["role"] == "tool"]
    assert results == [("call_2wt6qUGrlxczUadZYf3qXyH0", "5"), ("call_vZOWZaH7tzu0rLZeogtafvrf",
                                                               "6")]


def test_anthropic_thinking_signatures_survive_composer_and_back(tmp_path):
    body = _request_bodies("TestAnthropicThinking/claude-sonnet-4/thinking.yaml")[-1]
    signatures = [b["signature"] for m in body["messages"] if isinstance(m["content"], list)
                  for b in m["content"] if b.get("type") == "thinking"]
    assert signatures
    src = tmp_path / "anthropic.json"
    src.write_text(json.dumps(body), encoding="utf-8")
    ours = convert(str(src), "--from", "anthropic", "--to", "composer")
    assert ours.returncode == 0, ours.stderr
    mid = tmp_path / "conversation.json"
    mid.write_text(ours.stdout, encoding="utf-8")
    back = convert(str(mid), "--to", "anthropic")
    assert back.returncode == 0, back.stderr
    again = json.loads(back.stdout)
    assert [b["signature"] for m in again["messages"] if isinstance(m["content"], list)
            for b in m["content"] if b.get("type") == "thinking"] == signatures
    thinking = [b["thinking"] for m in again["messages"] if isinstance(m["content"], list)
                for b in m["content"] if b.get("type") == "thinking"]
    assert thinking[0].startswith("The user is asking about the weather in Florence")


def test_list_conversations_names_every_thread_and_sharegpt_entry(tmp_path):
    store = tmp_path / "store.db"
    make_store_db(store)
    listed = convert(str(store), "--list-conversations")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["t1", "t0"]
    assert lines[0].startswith("t1\tParis weather\tclaude-sonnet-4 · 2 turn(s)")
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"c{i}", "conversations": [
        {"from": "human", "value": f"q{i}"}]}) + "\n" for i in range(3)), encoding="utf-8")
    assert convert(str(data), "--list-conversations").stdout.splitlines() == [
        "1\tc0: q0", "2\tc1: q1", "3\tc2: q2"]
    by_id = convert(str(data), "--to", "llm", "--conversation", "c2")
    assert json.loads(by_id.stdout)["prompt"]["messages"][0]["parts"][0]["text"] == "q2"
    single = tmp_path / "one.json"
    single.write_text(json.dumps(LLM_MESSAGES), encoding="utf-8")
    one = convert(str(single), "--list-conversations")
    assert one.returncode == 0 and one.stdout == "" and "one conversation" in one.stderr
    bad = convert(str(tmp_path / "missing.db"), "--list-conversations")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
