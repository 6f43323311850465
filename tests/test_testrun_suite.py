"""Suites, cases and checks in the pure core: what each check kind passes and fails and the
reason it gives, cases from CSV, JSONL and JSON (a bad line named), and suites refused by name
and place (unknown variable, target, check kind), checked against the published schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from composer.models.exchange import Exchange, ExchangeExtras, Timing
from composer.models.parts import Message, TextPart, ToolCallPart
from composer.paths import EXAMPLES, SCHEMAS
from composer.run.testrun import jsonpath
from composer.run.testrun.cases import CaseError, parse_cases_file
from composer.run.testrun.checks import KINDS, CheckError, Observed, parse_check
from composer.run.testrun.suite import SuiteError, load_suite

# -- checks ------------------------------------------------------------------------------------


def reply(text: str = "", calls=(), stop: str | None = "stop", ms: float | None = 800.0,
          cost: float | None = 0.002, note: str = "") -> Observed:
    parts = [TextPart(text=text)] if text else []
    parts += [ToolCallPart(name=n, arguments=a, tool_call_id=f"c{i}")
              for i, (n, a) in enumerate(calls)]
    exchange = Exchange(messages=[Message(role="assistant", parts=parts)],
                        composer=ExchangeExtras(stop_reason=stop, timing=Timing(total_ms=ms)))
    return Observed.of(exchange, cost, note)


def verdict(check: dict, observed: Observed, values: dict | None = None):
    v = parse_check(check, 0).judge(observed, values or {})
    return v.status, v.why


@pytest.mark.parametrize(("check", "text", "status", "why"), [
    ({"kind": "contains", "value": "Paris"}, "It is Paris.", "pass", "reply contains 'Paris'"),
    ({"kind": "contains", "value": "paris"}, "It is Paris.", "fail",
     "reply does not contain 'paris'"),
    ({"kind": "contains", "value": "paris", "ignore_case": True}, "PARIS", "pass",
     "reply contains 'paris'"),
    ({"kind": "not-contains", "value": "sorry"}, "Sorry!", "pass",
     "reply does not contain 'sorry'"),
    ({"kind": "not-contains", "value": "sorry", "ignore_case": True}, "Sorry!", "fail",
     "reply contains 'sorry'"),
    ({"kind": "equals", "value": "42"}, " 42\n", "pass", "reply is '42'"),
    ({"kind": "equals", "value": "42"}, "forty-two", "fail",
     "reply is 'forty-two', expected '42'"),
    ({"kind": "regex", "pattern": r"\d{3}"}, "call 555", "pass", "reply matches /\\d{3}/ at '555'"),
    ({"kind": "regex", "pattern": "^yes$", "ignore_case": True}, "no", "fail",
     "reply does not match /^yes$/"),
    ({"kind": "is-json"}, '```json\n{"a": 1}\n```', "pass", "reply is JSON"),
    ({"kind": "is-json"}, "{a: 1}", "fail",
     "reply is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 "
     "(char 1)"),
    ({"kind": "json-schema", "schema": {"type": "object", "required": ["temp"],
                                         "properties": {"temp": {"type": "number"}}}},
     '{"temp": "warm"}', "fail", "$.temp: 'warm' is not of type 'number'"),
    ({"kind": "json-path", "path": "$.temp", "op": "greater-than", "value": 20},
     '{"temp": 12}', "fail", "$.temp = 12, expected > 20"),
    ({"kind": "json-path", "path": "$.days[-1].temp", "op": "less-than", "value": 20},
     '{"days": [{"temp": 30}, {"temp": 12}]}', "pass", "$.days[-1].temp = 12, expected < 20"),
    ({"kind": "json-path", "path": "$['the city']", "op": "equals", "value": "Paris"},
     '{"the city": "Paris"}', "pass", "$['the city'] = 'Paris', expected = 'Paris'"),
    ({"kind": "json-path", "path": "$.tags", "op": "contains", "value": "sun"},
     '{"tags": ["rain", "sun"]}', "pass", "$.tags = [\"rain\", \"sun\"], expected contains 'sun'"),
    ({"kind": "json-path", "path": "$.a.b", "op": "exists"}, '{"a": {}}', "fail",
     "$.a.b not found (the reply has $.a but not the next step)"),
])
def test_each_text_and_json_check_passes_or_fails_and_says_why(check, text, status, why):
    assert verdict(check, reply(text)) == (status, why)


def test_check_values_are_filled_from_the_case_and_a_regex_takes_them_literally():
    values = {"expected": "3.5", "n": "12"}
    assert verdict({"kind": "contains", "value": "{{expected}}"}, reply("about 3.5"),
                   values) == ("pass", "reply contains '3.5'")
    assert verdict({"kind": "regex", "pattern": "^{{expected}}$"}, reply("3x5"),
                   values)[0] == "fail"  # the dot is not "any character"
    assert verdict({"kind": "json-path", "path": "$.n", "op": "equals", "value": "{{n}}"},
                   reply('{"n": 12}'), values) == ("pass", "$.n = 12, expected = '12'")


def test_tool_call_checks_the_name_an_argument_subset_and_a_schema():
    seen = reply(calls=[("weather", {"location": "Florence, Italy", "unit": "c"})])
    assert verdict({"kind": "tool-call", "name": "weather",
                    "arguments": {"location": "{{city}}"}}, seen, {"city": "Florence, Italy"}) \
        == ("pass", 'called weather({"location": "Florence, Italy", "unit": "c"})')
    assert verdict({"kind": "tool-call", "name": "weather", "arguments": {"location": "Rome"}},
                   seen) == ("fail", "weather was called, but location is 'Florence, Italy', "
                                     "expected 'Rome'")
    assert verdict({"kind": "tool-call", "name": "weather",
                    "schema": {"required": ["days"]}}, seen) == (
        "fail", "weather was called, but $: 'days' is a required property")
    assert verdict({"kind": "tool-call", "name": "search"}, seen) == (
        "fail", "no call to search (called: weather)")


def test_stop_reason_latency_and_cost_and_an_unknown_price_is_a_skip():
    seen = reply("hi", stop="length", ms=1500.0, cost=0.004)
    assert verdict({"kind": "stop-reason", "value": ["stop", "tool_calls"]}, seen) == (
        "fail", "stopped with 'length', expected 'stop' or 'tool_calls'")
    assert verdict({"kind": "latency", "under_ms": 1000}, seen) == (
        "fail", "took 1,500 ms, limit 1,000 ms")
    assert verdict({"kind": "cost", "under_usd": 0.01}, seen) == (
        "pass", "cost $0.004000, limit $0.01")
    unpriced = reply("hi", cost=None, note="no price known for ollama:llama3.2")
    assert verdict({"kind": "cost", "under_usd": 0.01}, unpriced) == (
        "skip", "no price known for ollama:llama3.2")


@pytest.mark.parametrize(("check", "message"), [
    ({"kind": "contain", "value": "x"}, "checks[0]: unknown kind 'contain' (one of contains,"),
    ({"value": "x"}, "checks[0]: kind is missing"),
    ({"kind": "contains"}, "checks[0]: contains needs 'value'"),
    ({"kind": "contains", "value": "x", "case": True},
     "checks[0]: contains has no field 'case' (it takes value, ignore_case, label)"),
    ({"kind": "regex", "pattern": "("}, "checks[0]: pattern is not a regular expression"),
    ({"kind": "json-path", "path": "temp", "op": "exists"}, "must start with $"),
    ({"kind": "json-path", "path": "$.t", "op": "above", "value": 1},
     "checks[0]: op 'above' is not one of equals"),
    ({"kind": "json-path", "path": "$.t", "op": "greater-than", "value": "warm"},
     "greater-than needs a number"),
    ({"kind": "json-schema", "schema": {"type": "nonsense"}}, "schema is not a JSON Schema"),
    ({"kind": "latency", "under_ms": "fast"}, "checks[0]: under_ms must be a number"),
])
def test_a_bad_check_is_refused_naming_it(check, message):
    with pytest.raises(CheckError) as caught:
        parse_check(check, 0)
    assert message in str(caught.value)


def test_json_path_subset():
    assert jsonpath.parse("$.a['b c'][2].d") == ["a", "b c", 2, "d"]
    with pytest.raises(jsonpath.PathError, match=r"cannot read '\[\*\]'"):
        jsonpath.parse("$.a[*]")


# -- cases -------------------------------------------------------------------------------------


def cases(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_cases_file(path.read_bytes(), path, name)


def test_cases_from_csv_jsonl_and_json_with_values_expected_and_messages(tmp_path):
    csv_cases = cases(tmp_path, "c.csv", 'id,city,expected,messages\nparis,Paris,"Sunny, 20"'
                      ',"[{""role"": ""user"", ""content"": ""And tomorrow?""}]"\n\n,Rome,,\n')
    assert [(c.id, c.values["city"], c.expected, c.where) for c in csv_cases] == [
        ("paris", "Paris", "Sunny, 20", "c.csv line 2"), ("case-2", "Rome", "", "c.csv line 4")]
    assert csv_cases[0].messages[0].plain_text == "And tomorrow?"
    jsonl = cases(tmp_path, "c.jsonl", '{"city": "Oslo", "n": 3}\n\n{"city": "Lima"}\n')
    assert [(c.values, c.where) for c in jsonl] == [({"city": "Oslo", "n": "3"}, "c.jsonl line 1"),
                                                    ({"city": "Lima"}, "c.jsonl line 3")]
    array = cases(tmp_path, "c.json", '[\n {"city": "Oslo"},\n {"city": "Lima",\n'
                  '  "messages": [{"role": "assistant", "parts": [{"type": "text", '
                  '"text": "ok"}]}]}\n]')
    assert [c.where for c in array] == ["c.json line 2", "c.json line 3"]
    assert array[1].messages[0].role == "assistant"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("c.csv", "city,expected\nParis,x\nRome,y,z\n", "c.csv line 3: 3 fields, the header has 2"),
    ("c.csv", 'city\n"Paris\n', "c.csv line 2: unexpected end of data"),
    ("c.csv", "city,city\nx,y\n", "c.csv line 1: column 'city' appears twice"),
    ("c.jsonl", '{"city": "Oslo"}\n{"city": Lima}\n', "c.jsonl line 2: invalid JSON"),
    ("c.jsonl", '{"city": "Oslo"}\n["Lima"]\n', "c.jsonl line 2: a case must be an object"),
    ("c.json", '[{"city": "Oslo"},\n {"city": "Lima", "messages": [{"role": "boss"}]}]',
     "c.json line 2: messages[0].role:"),
    ("c.json", '[{"id": "a"},\n {"id": "a"}]', "c.json line 2: id 'a' is already used by "
     "c.json line 1"),
    ("c.txt", "x", "c.txt: cases must be a .csv, .jsonl or .json file"),
])
def test_a_bad_cases_file_is_refused_naming_the_line(tmp_path, name, text, message):
    with pytest.raises(CaseError) as caught:
        cases(tmp_path, name, text)
    assert message in str(caught.value)


def test_a_cases_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"city\nParis\nZ\xfcrich\n")
    with pytest.raises(CaseError, match="c.csv line 3: not UTF-8 text"):
        parse_cases_file(path.read_bytes(), path, "c.csv")


# -- suites ------------------------------------------------------------------------------------

CONVERSATION = {"messages": [{"role": "user", "parts": [
    {"type": "text", "text": "Weather in {{city}}?"}]}], "settings": {"provider": "openai"}}


def suite_file(tmp_path, **fields):
    data = {"conversation": CONVERSATION, "cases": [{"city": "Paris"}],
            "targets": ["openai:gpt-4o-mini"], **fields}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_suite_loads_files_relative_to_it_and_fills_each_cell(tmp_path):
    (tmp_path / "conv.json").write_text(json.dumps(CONVERSATION))
    (tmp_path / "cities.csv").write_text("city,expected,unused\nParis,sun,1\n")
    suite = load_suite(suite_file(tmp_path, conversation="conv.json", cases="cities.csv",
                                  targets=["openai:gpt-4o-mini", {"provider": "anthropic",
                                                                  "model": "claude-x"}],
                                  checks=[{"kind": "contains", "value": "{{expected}}"}]))
    assert suite.name == "s" and len(suite.targets) == 2
    assert suite.warnings == [f"{tmp_path / 's.json'}: cases: column 'unused' is used neither "
                              "by the conversation nor by a check"]
    cell = suite.cell_conversation(suite.targets[1], suite.cases[0])
    assert cell.messages[0].plain_text == "Weather in Paris?"
    assert (cell.settings.provider, cell.settings.model) == ("anthropic", "claude-x")


@pytest.mark.parametrize(("fields", "message"), [
    ({"cases": [{"city": "Paris"}, {"town": "Rome"}]},
     "cases[1]: no value for {{city}} (used in row 1)"),
    ({"cases": None}, "the suite (it has no cases): no value for {{city}}"),
    ({"targets": ["openai:gpt-4o", "opnai:gpt-4o"]},
     "targets[1]: target opnai:gpt-4o: unknown provider 'opnai'"),
    ({"targets": [{"model": "x"}]}, "targets[0]: provider is missing"),
    ({"checks": [{"kind": "contains", "value": "x"}, {"kind": "contain", "value": "y"}]},
     "checks[1]: unknown kind 'contain'"),
    ({"checks": [{"kind": "contains", "value": "{{answer}}"}]},
     "checks[0]: {{answer}} has no value in cases[0]"),
    ({"check": []}, "unknown field 'check'"),
    ({"repeats": 0}, "repeats must be a whole number from 1 to 1000"),
    ({"cases": "../elsewhere.csv"}, "cases: not reading ../elsewhere.csv (outside"),
    ({"cases": "missing.csv"}, "missing.csv: No such file or directory"),
    ({"composer": {"kind": "suite", "format_version": 9}}, "update Composer to run it"),
])
def test_a_bad_suite_is_refused_naming_what_and_where(tmp_path, fields, message):
    (tmp_path.parent / "elsewhere.csv").write_text("city\nParis\n")
    data = {k: v for k, v in fields.items() if v is not None}
    path = suite_file(tmp_path, **data)
    if "cases" in fields and fields["cases"] is None:
        raw = json.loads(path.read_text())
        del raw["cases"]
        path.write_text(json.dumps(raw))
    with pytest.raises(Exception) as caught:
        load_suite(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_multi_turn_case_is_appended_and_its_variables_must_have_values(tmp_path):
    turn = {"role": "user", "content": "And in {{month}}?"}
    suite = load_suite(suite_file(tmp_path, cases=[{"city": "Oslo", "month": "May",
                                                    "messages": [turn]}]))
    cell = suite.cell_conversation(suite.targets[0], suite.cases[0])
    assert [m.plain_text for m in cell.messages] == ["Weather in Oslo?", "And in May?"]
    with pytest.raises(SuiteError, match=r"cases\[0\]: no value for \{\{month\}\} \(used in "
                                         r"the case's message 1\)"):
        load_suite(suite_file(tmp_path, cases=[{"city": "Oslo", "messages": [turn]}]))


def test_the_example_suite_and_the_schema_agree_with_the_loader():
    schema = json.loads((SCHEMAS / "suite.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    example = json.loads((EXAMPLES / "suite.json").read_text(encoding="utf-8"))
    jsonschema.validate(example, schema)
    suite = load_suite(EXAMPLES / "suite.json")
    assert len(suite.checks) == 6 and not suite.warnings
    kinds = [c["properties"]["kind"]["const"] for c in schema["properties"]["checks"]["items"]
             ["oneOf"]]
    assert kinds == list(KINDS)
    bad = {**example, "checks": [{"kind": "contain", "value": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
