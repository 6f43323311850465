"""Structured output checked: the first break of a streaming reply, the verdict at its end, a
schema refused with its reason; and ``send`` streaming real-shaped replies from a loopback
server, saving the verdict and printing it on stderr."""

from __future__ import annotations

import json
import os

import pytest

from composer.models.conversation import Conversation
from composer.models.files import load, save
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.models.structured import LiveCheck, PartialCheck, first_break, schema_problem, verdict
from tests import cassettes
from tests.cli_run import run_cli
from tests.conftest import ROOT, recordings_or_skip
from tests.loopback import Reply
from tests.structured_streams import CHAT_OBJECT, chat_stream

PERSON = {"type": "object", "additionalProperties": False, "required": ["name", "age", "city"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                         "city": {"type": "string"}, "kind": {"enum": ["cat", "dog"]},
                         "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}}}


# -- while it streams: the first place the text so far already breaks the schema ------------

@pytest.mark.parametrize("text", [
    '{"name": "Al',                       # a string still being written
    '{"name": "Alice", "age": 3',         # a number that may gain digits
    '{"name": "Alice", "age": "3',        # the wrong type, but its value is not closed yet
    '{"kind": "ca',                       # on its way to an enum member
    '{"tags": ["a"',                      # too few items so far
    '{"name": "Alice"}'[:-1],             # required properties missing: not yet
    '  ',
])
def test_a_reply_on_its_way_is_not_flagged_early(text):
    assert first_break(PERSON, text) is None


@pytest.mark.parametrize(("text", "path", "reason"), [
    ('{"name": "Alice", "age": "30"', "$.age", "'30' is not of type 'integer'"),
    ('{"kind": "cow",', "$.kind", "'cow' is not one of ['cat', 'dog']"),
    ('{"name": "A", "extra": true, "age"', "$",
     "Additional properties are not allowed ('extra' was unexpected)"),
    ('{"tags": ["a", 2,', "$.tags[1]", "2 is not of type 'string'"),
    ('Sure! {"name"', "$", "not JSON: expected value at line 1 column 1"),
])
def test_the_first_break_is_named_as_soon_as_it_is_written(text, path, reason):
    found = first_break(PERSON, text)
    assert found is not None and found.verdict == "invalid"
    assert (found.path, found.reason) == (path, reason)


def test_a_finished_item_missing_a_required_property_breaks_at_once():
    schema = {"type": "array", "items": {"type": "object", "required": ["id"]}}
    assert first_break(schema, '[{"id": 1}, {"name": "x"') is None  # still open
    found = first_break(schema, '[{"id": 1}, {"name": "x"}, {"id"')
    assert (found.path, found.reason) == ("$[1]", "'id' is a required property")


def test_anyof_breaks_only_when_every_branch_is_broken_for_good():
    schema = {"anyOf": [{"type": "object", "required": ["a"]},
                        {"type": "object", "properties": {"b": {"type": "integer"}}}]}
    assert first_break(schema, '{"b": 1, "c"') is None
    assert first_break(schema, '{"b": "x",') is None  # branch 1 may still get "a"
    assert first_break(schema, '["x"').path == "$"


def test_the_live_check_finds_a_break_deep_in_a_long_reply_and_keeps_it():
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}}}
    items = [{"id": i, "name": f"item {i}"} for i in range(2000)]
    items[1500]["id"] = "oops"
    text = json.dumps({"items": items})
    check = PartialCheck(schema)
    found = None
    for end in range(4000, len(text), 4000):
        found = found or check.check(text[:end])
    assert (found.path, found.reason) == ("$.items[1500].id", "'oops' is not of type 'integer'")
    assert check.skipped > 4 * len(items)  # finished items were not validated again


def test_live_check_waits_between_checks_and_stops_at_the_first_break():
    check = LiveCheck(PERSON)
    assert check.update('{"age": "x",') is not None
    checks = check.checks
    assert check.update('{"age": "x", "name": 5,') is check.found
    assert check.checks == checks  # found once; a break cannot be mended
    quiet = LiveCheck(PERSON)
    quiet.update('{"name": "A')
    quiet.update('{"name": "Al')  # within MIN_GAP of the last: not checked
    assert quiet.checks == 1


# -- at the end: the verdict ------------------------------------------------------------------

def test_verdicts_valid_invalid_and_cut_off():
    whole = '{"name": "Alice", "age": 30, "city": "Paris"}'
    assert verdict(PERSON, whole).verdict == "valid"
    assert verdict(PERSON, whole).line() == "schema: valid \N{CHECK MARK}"
    bad = verdict(PERSON, '{"name": "Alice", "age": 30}')
    assert (bad.verdict, bad.path, bad.reason) == ("invalid", "$", "'city' is a required property")
    cut = verdict(PERSON, '{"name": "Alice", "age": 3', stop_reason="length")
    assert (cut.verdict, cut.reason) == ("cut_off", "the reply reached max tokens")
    unclosed = verdict(PERSON, '{"name": "Alice", "age": 3')
    assert unclosed.verdict == "cut_off"
    stopped = verdict(PERSON, '{"name": "Al', error_kind="cancelled")
    assert (stopped.verdict, stopped.reason) == ("cut_off", "stopped")
    prose = verdict(PERSON, "I cannot help with that.")
    assert prose.verdict == "invalid" and prose.reason.startswith("not JSON")
    assert verdict(PERSON, "").reason == "the reply holds no JSON"


def test_a_gemini_dialect_schema_is_checked_as_the_json_schema_it_stands_for():
    schema = {"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "nullable": True}}}
    assert schema_problem(schema) is None
    assert verdict(schema, '{"n": null}').verdict == "valid"
    assert verdict(schema, '{"n": "x"}').path == "$.n"


def test_a_schema_that_is_not_json_schema_is_named_with_its_path():
    assert schema_problem({"type": "object", "properties": {"a": {"type": "int"}}}) == (
        "$.properties.a.type: 'int' is not valid under any of the given schemas")
    assert schema_problem({"type": "object", "minProperties": -1}).startswith("$.minProperties")
    assert verdict({"type": "int"}, "{}").verdict == "unchecked"


# -- send: a real-shaped stream from a loopback server ---------------------------------------

def send(loopback, tmp_path, stream: str, **settings):
    recorded = cassettes.load(recordings_or_skip() / CHAT_OBJECT).interactions[0].request_json
    schema = recorded["response_format"]["json_schema"]["schema"]
    conv, out = tmp_path / "conv.json", tmp_path / "exchange.json"
    save(Conversation(messages=[Message.text("user", recorded["messages"][0]["content"])],
                      settings=RequestSettings(provider="openai-chat", model="gpt-4o-mini",
                                               response_schema=schema, **settings)), conv)
    loopback.queue(Reply.sse(stream))
    result = run_cli("send", str(conv), "--base-url", loopback.url, "--out", str(out),
                     env={**os.environ, "OPENAI_API_KEY": "sk-test"}, cwd=ROOT)
    return result, load(out)


def test_send_saves_and_prints_an_invalid_verdict(loopback, tmp_path):
    result, exchange = send(loopback, tmp_path, chat_stream(
        ['{"', 'age', '":', '"thirty"', ',"', 'city', '":"', 'Paris', '","', 'name', '":"',
         'Alice', '"}']), schema_strict=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"age":"thirty","city":"Paris","name":"Alice"}'
    line = "schema: invalid at $.age \N{EM DASH} 'thirty' is not of type 'integer'"
    assert result.stderr.strip().splitlines()[-1] == f"llm-composer: {line}"
    saved = exchange.composer.schema_verdict
    assert (saved.verdict, saved.path) == ("invalid", "$.age")
    assert saved.line() == line
    # Strict mode went out as OpenAI's own field, beside the schema.
    sent = loopback.received[0].json["response_format"]["json_schema"]
    assert sent["strict"] is True and sent["schema"]["required"] == ["name", "age", "city"]


def test_send_saves_and_prints_a_cut_off_verdict(loopback, tmp_path):
    result, exchange = send(loopback, tmp_path, chat_stream(
        ['{"', 'age', '":', '30', ',"', 'city', '":"', 'Par'], finish="length"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "llm-composer: schema: cut off before the JSON closed (the reply reached max tokens)")
    saved = exchange.composer.schema_verdict
    assert saved.verdict == "cut_off" and exchange.composer.stop_reason == "length"
    # Read back from the file as written: the verdict is plain JSON under "composer".
    raw = json.loads((tmp_path / "exchange.json").read_text())
    assert raw["composer"]["schema_verdict"] == {
        "verdict": "cut_off", "reason": "the reply reached max tokens"}


def test_send_with_a_valid_reply_says_so(loopback, tmp_path):
    result, exchange = send(loopback, tmp_path, chat_stream(
        ['{"age":30,', '"city":"Paris",', '"name":"Alice"}']))
    assert result.returncode == 0, result.stderr
    assert exchange.composer.schema_verdict.verdict == "valid"
    assert "schema: valid" in result.stderr


def test_a_remote_ref_is_never_fetched_and_says_the_schema_could_not_be_used(loopback):
    schema = {"type": "object", "properties": {"a": {"$ref": f"{loopback.url}/a.json"}}}
    checked = verdict(schema, '{"a": 1}')
    assert checked.verdict == "unchecked" and "Unresolvable" in checked.reason
    assert LiveCheck(schema).update('{"a": 1, "b"') is None
    assert loopback.received == []


def test_the_verdict_reuses_the_live_check_of_its_reply_and_finds_what_came_after():
    from composer.models import structured

    schema = {"type": "array", "items": {"type": "object", "required": ["id"],
                                         "properties": {"id": {"type": "integer"}}}}
    items = [{"id": i} for i in range(3000)] + [{"id": "late"}]
    text = json.dumps(items)
    live = PartialCheck(schema)  # what LiveCheck runs, without its wait between checks
    for end in range(1000, len(text) - 200, 1000):
        assert live.check(text[:end]) is None
    assert structured._LATEST  # the live check's work, for the verdict to start from
    reused = verdict(schema, text)
    structured._LATEST.clear()
    scratch = verdict(schema, text)
    assert reused == scratch and (reused.path, reused.verdict) == ("$[3000].id", "invalid")
    # Another reply with the same schema is validated from scratch, not from this one's memo.
    other = json.dumps([{"id": "x"}] + items[1:3000])
    PartialCheck(schema).check(text[:5000])
    assert verdict(schema, other).path == "$[0].id"
