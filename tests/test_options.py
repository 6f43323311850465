"""The neutral options' parsers and ranges, the JSON setting readers, and the problems they
report: pure, no Qt. The request panel and ``send -o`` both read settings through these."""

from __future__ import annotations

import pytest

from composer.models.options import (
    apply_option,
    option_text,
    parse_effort,
    parse_option,
    parse_stop,
    read_options,
)
from composer.models.problems import Field, Problem, SettingsError
from composer.models.setting_json import (
    parse_extra_body,
    parse_headers,
    parse_schema,
    parse_tools,
)
from composer.models.settings import KNOWN_OPTIONS, RequestSettings
from composer.providers.base import RequestRefused


@pytest.mark.parametrize(("name", "text", "value"), [
    ("temperature", "0.7", 0.7), ("temperature", " 2 ", 2.0), ("temperature", "0", 0.0),
    ("max_tokens", "512", 512), ("top_p", "1", 1.0), ("seed", "-3", -3),
    ("thinking_budget", "0", 0), ("reasoning_effort", "high", "high"),
    ("stop", "END", ["END"]), ("stop", '["a", "b"]', ["a", "b"]), ("stop", "[]", None),
    ("temperature", "", None), ("max_tokens", "  ", None), ("reasoning_effort", "", None),
])
def test_each_option_parses_its_text(name, text, value):
    assert parse_option(name, text) == value


@pytest.mark.parametrize(("name", "text", "line"), [
    ("temperature", "9", "temperature: 9 is out of range (0..2)"),
    ("temperature", "-0.1", "temperature: -0.1 is out of range (0..2)"),
    ("temperature", "1x", "temperature: '1x' is not a number"),
    ("temperature", "nan", "temperature: 'nan' is not a number"),
    ("top_p", "1.5", "top_p: 1.5 is out of range (0..1)"),
    ("max_tokens", "0", "max_tokens: 0 is out of range (>= 1)"),
    ("max_tokens", "1.5", "max_tokens: '1.5' is not a whole number"),
    ("seed", "x", "seed: 'x' is not a whole number"),
    ("thinking_budget", "-1", "thinking_budget: -1 is out of range (>= 0)"),
    ("reasoning_effort", "hgih", "reasoning_effort: 'hgih' is not one of none, minimal, low, "
                                 "medium, high, xhigh, max"),
    ("stop", '["a", 1]', "stop: every stop sequence must be a string"),
    ("stop", '["a"', "stop: invalid JSON array: Expecting ',' delimiter at column 5"),
])
def test_a_bad_option_is_one_line_naming_its_field(name, text, line):
    with pytest.raises(SettingsError) as info:
        parse_option(name, text)
    assert str(info.value) == line == info.value.problem.line()
    assert info.value.problem.field == Field(name)


def test_every_known_option_has_a_parser_and_a_field():
    for name in KNOWN_OPTIONS:
        assert parse_option(name, "") is None
        assert Field.named(name) == Field(name)


def test_option_text_is_the_inverse_of_parsing():
    for name, value in [("temperature", 0.5), ("max_tokens", 10), ("stop", ["END"]),
                        ("stop", ["a", "b"]), ("reasoning_effort", "low")]:
        assert parse_option(name, option_text(name, value)) == value
    assert option_text("seed", None) == ""


def test_read_options_keeps_the_last_good_value_beside_the_problems():
    current = {"temperature": 1.0, "top_k": 40, "seed": 3}
    options, problems = read_options(current, {"temperature": "3", "seed": "", "top_p": "0.5"})
    assert options == {"temperature": 1.0, "top_k": 40, "top_p": 0.5}
    assert problems == [Problem(Field.TEMPERATURE, "3 is out of range (0..2)")]
    assert current == {"temperature": 1.0, "top_k": 40, "seed": 3}  # not changed in place


def test_apply_option_checks_neutral_options_and_sends_others_raw():
    settings = RequestSettings(options={"seed": 1})
    apply_option(settings, "temperature", "0.2")
    apply_option(settings, "seed", "")
    apply_option(settings, "top_k", "40")
    apply_option(settings, "reasoning", '{"effort": "low"}')
    apply_option(settings, "user", "me")
    assert settings.options == {"temperature": 0.2}
    assert settings.extra_body == {"top_k": 40, "reasoning": {"effort": "low"}, "user": "me"}
    with pytest.raises(SettingsError, match=r"^max_tokens: 'lots' is not a whole number$"):
        apply_option(settings, "max_tokens", "lots")


def test_parse_stop_and_effort_alone():
    assert parse_stop("") is None
    assert parse_stop(" [\"x\"]") == ["x"]
    assert parse_effort(" low ") == "low"


def test_parse_tools_names_the_bad_tool_and_field():
    with pytest.raises(SettingsError, match=r"^tools: \$\[1\]\.parameters: must be a JSON Schema"):
        parse_tools('[{"name": "a"}, {"name": "b", "parameters": []}]')
    with pytest.raises(SettingsError, match=r"^tools: \$\[0\]\.name: a tool needs"):
        parse_tools('[{"description": "no name"}]')
    with pytest.raises(SettingsError, match=r"^tools: \$\[0\]\.type: "):
        parse_tools('{"name": "a", "type": "shell"}')
    with pytest.raises(SettingsError, match=r"^tools: line 1 column \d+: invalid JSON"):
        parse_tools('[{"name": ')
    with pytest.raises(SettingsError, match=r"^tools: \$: expected a JSON array"):
        parse_tools("3")
    tools = parse_tools('{"name": "a", "type": "custom"}')
    assert [t.name for t in tools] == ["a"]
    assert parse_tools("  ") == []


def test_schema_body_and_headers_readers():
    assert parse_schema("") is None
    assert parse_schema('{"type": "object"}') == {"type": "object"}
    with pytest.raises(SettingsError) as info:
        parse_schema("[1]")
    assert info.value.problem == Problem(Field.RESPONSE_SCHEMA,
                                         "$: a response schema is a JSON Schema object")
    with pytest.raises(SettingsError, match=r"^response schema: \$\.type: "):
        parse_schema('{"type": 3}')
    assert parse_extra_body('{"top_k": 4}') == {"top_k": 4}
    with pytest.raises(SettingsError, match=r"^extra body: \$: "):
        parse_extra_body("[]")
    assert parse_headers('{"X-Title": "t"}') == {"X-Title": "t"}
    with pytest.raises(SettingsError, match=r"^extra headers: \$\.X: a header value must be"):
        parse_headers('{"X": 1}')
    with pytest.raises(SettingsError, match=r"^extra headers: \$\.Authorization: a key does"):
        parse_headers('{"Authorization": "Bearer sk"}')


def test_a_refusal_names_its_field_by_the_enum():
    refused = RequestRefused.of(Problem(Field.TEMPERATURE, "9 is out of range (0..2)"))
    assert refused.field_name is Field.TEMPERATURE
    assert str(refused) == "temperature: 9 is out of range (0..2)"
    assert RequestRefused("x", field_name="base URL").field_name is Field.BASE_URL
    assert RequestRefused("x", field_name="frequency_penalty").field_name is Field.OPTIONS
    assert RequestRefused("x").field_name is None


def test_a_dropped_setting_loss_is_refused_at_its_field():
    from composer.models.formats.base import Loss

    seed = RequestRefused.of_loss(Loss("seed: Anthropic has no seed", dropped=True))
    assert (seed.field_name, seed.problem) == (Field.SEED, "Anthropic has no seed")
    other = RequestRefused.of_loss(Loss("frequency_penalty: no such field", dropped=True))
    assert other.field_name is Field.OPTIONS
    assert str(other) == "options: frequency_penalty: no such field"
    row = RequestRefused.of_loss(Loss("no audio", 2, 0, dropped=True))
    assert (row.message_index, row.part_index, row.field_name) == (2, 0, None)


def test_stored_options_are_checked_by_the_same_parsers():
    from composer.models.options import option_problems

    assert option_problems({"temperature": 0.5, "stop": ["a", "b"], "max_tokens": 10,
                            "reasoning_effort": "high", "top_k": "anything"}) == []
    assert [p.line() for p in option_problems(
        {"temperature": 9, "max_tokens": 1.5, "seed": True, "stop": [1], "top_p": [1]})] == [
        "temperature: 9 is out of range (0..2)", "max_tokens: '1.5' is not a whole number",
        "seed: true is not a single value", "stop: every stop sequence must be a string",
        "top_p: [1] is not a single value"]


def test_a_stop_sequence_that_looks_like_json_shows_as_json():
    assert option_text("stop", ["[END]"]) == '["[END]"]'
    assert parse_option("stop", option_text("stop", ["[END]"])) == ["[END]"]
    assert option_text("stop", "END") == "END"


def test_a_setting_loss_under_its_stored_name_is_refused_at_its_field():
    from composer.models.formats.base import Loss

    refused = RequestRefused.of_loss(Loss("response_schema: not taken", dropped=True))
    assert (refused.field_name, str(refused)) == (Field.RESPONSE_SCHEMA,
                                                  "response schema: not taken")


def test_hostile_option_values_are_one_clear_line_or_plain_text():
    """Found by hand: a 5,000-digit value for a provider's own field raised ValueError out of
    send; absurd nesting in a JSON editor must be a problem, not a RecursionError."""
    from composer.models.options import apply_option, parse_stop
    from composer.models.problems import SettingsError
    from composer.models.setting_json import parse_tools

    settings = RequestSettings()
    apply_option(settings, "top_k", "9" * 5000)
    assert settings.extra_body["top_k"] == "9" * 5000  # not JSON we can hold: kept as text
    with pytest.raises(SettingsError, match="nested"):
        parse_tools("[" * 100_000)
    with pytest.raises(SettingsError, match="invalid JSON array"):
        parse_stop("[" * 100_000)
