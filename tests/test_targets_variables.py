"""Targets (where a conversation is sent) and variables ({{name}}) in the pure core."""

import pytest

from composer.models import variables
from composer.models.conversation import Conversation
from composer.run.targets import Target, TargetError, parse_target


def convo(*texts: str, **settings) -> Conversation:
    return Conversation.model_validate({
        "messages": [{"role": "user", "parts": [{"type": "text", "text": t}]} for t in texts],
        "settings": settings})


def test_a_target_keeps_the_colon_of_an_ollama_model_and_reads_its_settings():
    t = parse_target("ollama:llama3.2:1b,temperature=0.2,base_url=http://127.0.0.1:9/v1,"
                     "label=small")
    assert (t.provider, t.model, t.base_url, t.label) == ("ollama", "llama3.2:1b",
                                                         "http://127.0.0.1:9/v1", "small")
    assert t.options == {"temperature": 0.2}
    assert t.name == "small"


@pytest.mark.parametrize("text, words", [
    ("nope:x", "unknown provider"),
    ("openai:x,temperature=9", "out of range"),
    ("openai:x,temperature", "not KEY=VALUE"),
    (":x", "PRESET:MODEL"),
])
def test_a_bad_target_is_refused_naming_it(text, words):
    with pytest.raises(TargetError) as info:
        parse_target(text)
    assert words in str(info.value)


def test_a_provider_field_goes_to_the_body_as_it_is():
    assert parse_target("openai:m,service_tier=flex").extra_body == {"service_tier": "flex"}


def test_calls_to_one_local_server_share_a_lane_and_remote_ones_do_not():
    assert (parse_target("ollama:a").lane() == parse_target("ollama:b").lane()
            == "http://localhost:11434")
    assert (parse_target("custom:a,base_url=http://127.0.0.1:8001/v1").lane()
            == "http://127.0.0.1:8001")
    assert (parse_target("custom:a,base_url=http://192.168.1.5:8001/v1").lane()
            == "http://192.168.1.5:8001")
    assert parse_target("openai:gpt-4o").lane() is None
    assert parse_target("custom:a,base_url=https://example.com/v1").lane() is None


def test_a_target_overrides_the_settings_and_keeps_the_rest():
    c = convo("hi", provider="openai", model="gpt-4o", base_url="https://proxy.example/v1",
              options={"temperature": 1, "max_tokens": 10}, response_schema={"type": "object"})
    same = Target("openai", "gpt-4o-mini", options={"temperature": 0}).apply(c)
    assert same.settings.base_url == "https://proxy.example/v1"
    assert same.settings.options == {"temperature": 0, "max_tokens": 10}
    assert same.settings.response_schema == {"type": "object"}
    other = Target("anthropic", "claude").apply(c)
    assert other.settings.base_url is None and other.settings.model == "claude"
    assert c.settings.options == {"temperature": 1, "max_tokens": 10}  # the original untouched


def test_a_target_round_trips_through_its_dict_and_a_bad_dict_is_named():
    t = parse_target("openai:m,temperature=0.5,label=warm")
    assert Target.from_dict(t.to_dict()) == t
    with pytest.raises(TargetError, match="targets\\[2\\]: options must be an object"):
        Target.from_dict({"provider": "openai", "options": []}, "targets[2]")


def test_variables_are_found_with_where_they_are_used():
    c = convo("You are {{ persona }}.", "Hi {{name}}, {{persona}} here; {{{{literal}}")
    c.settings.response_schema = {"description": "for {{name}}"}
    assert variables.find(c) == {"persona": ["row 1", "row 2"],
                                 "name": ["row 2", "response schema"]}


def test_a_finder_reads_only_the_rows_an_edit_replaced_and_finds_what_find_finds(monkeypatch):
    from composer.models.parts import Message

    c = convo("You are {{ persona }}.", "Hi {{name}}", "no braces", "{{{{literal}} {{name}}")
    c.settings.response_schema = {"description": "for {{name}}"}
    finder = variables.Finder()
    assert finder.find(c) == variables.find(c)
    read = []
    real = variables._message_names
    monkeypatch.setattr(variables, "_message_names", lambda m: read.append(m) or real(m))
    edited = Message.text("user", "{{greeting}}, {{ persona }}")
    c.messages = [c.messages[3], edited, *c.messages[:2]]  # replaced, moved, one gone
    found = finder.find(c)
    assert read == [edited]
    assert found == variables.find(c) == {"name": ["row 1", "row 4", "response schema"],
                                          "greeting": ["row 2"], "persona": ["row 2", "row 3"]}


def test_fill_replaces_every_variable_and_unescapes():
    c = convo("You are {{ persona }}.", "{{{{x}} {{name}}")
    filled = variables.fill(c, {"persona": "a pirate", "name": "Bob"})
    assert [m.parts[0].text for m in filled.messages] == ["You are a pirate.", "{{x}} Bob"]


def test_fill_refuses_a_missing_value_naming_the_variable_and_the_row():
    with pytest.raises(variables.MissingVariables) as info:
        variables.fill(convo("a", "Hi {{name}}"), {})
    assert str(info.value) == "1 variable has no value: {{name}} in row 2"


def test_a_conversation_without_variables_comes_back_unchanged():
    c = convo("no braces here")
    assert variables.fill(c, {}) is c


def test_lanes_run_one_local_server_serially_and_remote_calls_in_parallel():
    import asyncio

    from composer.run.lanes import Lanes

    async def main() -> dict[str, int]:
        lanes = Lanes(per_provider=4)
        busy = {"local": 0, "remote": 0}
        peak = {"local": 0, "remote": 0}

        async def call(kind: str) -> None:
            busy[kind] += 1
            peak[kind] = max(peak[kind], busy[kind])
            await asyncio.sleep(0.01)
            busy[kind] -= 1

        local = parse_target("ollama:a")
        remote = parse_target("openai:b")
        await asyncio.gather(*[lanes.run(local, lambda: call("local")) for _ in range(3)],
                             *[lanes.run(remote, lambda: call("remote")) for _ in range(3)])
        return peak

    assert asyncio.run(main()) == {"local": 1, "remote": 3}


def test_a_call_is_prepared_with_the_variables_filled_and_refused_without_a_value():
    from composer.providers.base import RequestRefused
    from composer.run.prepare import prepare_call

    c = convo("hello", "Say {{greeting}} to {{name}}", provider="replay")
    with pytest.raises(RequestRefused) as info:
        prepare_call(c)
    assert str(info.value) == ("variables: 2 variables have no value: {{greeting}} in row 2; "
                               "{{name}} in row 2")
    c.composer.variables = {"greeting": "hi", "name": "Ann"}
    prepared = prepare_call(c)
    assert prepared.call.conversation.messages[1].parts[0].text == "Say hi to Ann"


def test_variable_values_are_kept_in_the_conversation_file():
    c = convo("Hi {{name}}")
    c.composer.variables = {"name": "Ann"}
    again = Conversation.model_validate(c.to_dict())
    assert again.variable_values == {"name": "Ann"}


def test_an_export_fills_in_the_variables_and_says_so():
    from composer.models.formats import export

    c = convo("You are {{persona}}; {{{{x}}", "Hi {{name}}")
    c.composer.variables = {"persona": "terse"}
    exported = export(c, "openai-chat")
    assert "You are terse; {{x}}" in exported.text and "Hi {{name}}" in exported.text
    assert [str(loss) for loss in exported.losses[:2]] == [
        "variables filled in with their values: persona",
        "variables without a value left as written: {{name}}"]
    own = export(c, "composer")
    assert "{{persona}}" in own.text and not own.losses


def test_send_takes_variable_values_on_the_command_line(tmp_path, loopback, capsys):
    import json

    from composer.main import main
    from tests.loopback import Reply

    chunk = {"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}
    loopback.queue(Reply.sse(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()))
    c = convo("Weather in {{city}} for {{name}}?")
    c.composer.variables = {"name": "Ann", "city": "Oslo"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(c.to_dict()))
    args = ["send", str(path), "-p", "custom", "-m", "m", "--base-url", loopback.url]
    assert main([*args, "--var", "city=Porto"]) == 0
    assert loopback.received[0].json["messages"][0]["content"] == "Weather in Porto for Ann?"
    assert main([*args, "--var", "city"]) == 1
    assert "--var 'city': give it as NAME=VALUE" in capsys.readouterr().err
