"""Cache breakpoints as a property of a part: where they go on the wire, that they survive
save/load and the Anthropic import/export, the checks the API would otherwise apply silently or
with a 400, and the cache tokens and money of a reply."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from composer.models import files
from composer.models.caching import (
    breakpoint_of,
    breakpoints,
    cache_usage,
    minimum_tokens,
    prefix_hashes,
    row_marks,
    with_breakpoint,
)
from composer.models.conversation import Conversation
from composer.models.events import Usage
from composer.models.formats.anthropic import from_body, to_body
from composer.models.parts import Message, ReasoningPart, TextPart, ToolResultPart
from composer.models.settings import RequestSettings, Tool
from composer.providers.anthropic import PROTOCOL, usage_report
from composer.providers.openai_chat import PROTOCOL as CHAT
from composer.run.cache_check import cache_problems, last_prefix_hashes
from tests.cassettes import load
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.framing import assemble, frames

LONG = "The quick brown fox jumps over the lazy dog. " * 200  # ~9,000 chars, ~2,250 tokens


def _mark(message: Message, j: int, ttl: str | None) -> Message:
    parts = list(message.parts)
    parts[j] = with_breakpoint(parts[j], ttl)
    return message.model_copy(update={"parts": parts})


def _conversation(*messages: Message, model: str = "claude-sonnet-4-20250514",
                  provider: str = "anthropic", tools: list[Tool] | None = None) -> Conversation:
    return Conversation(messages=list(messages),
                        settings=RequestSettings(provider=provider, model=model,
                                                 tools=tools or []))


def _marks(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every cache_control in a request body: (where, value)."""
    found = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "cache_control":
                    found.append((where, v))
                else:
                    walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
    walk(body, "$")
    return found


# -- the model ----------------------------------------------------------------------------------


def test_a_breakpoint_is_set_read_and_cleared_without_touching_other_metadata():
    part = TextPart(text="x", provider_metadata={"anthropic": {"citations": []},
                                                 "gemini": {"thoughtSignature": "s"}})
    hour = with_breakpoint(part, "1h")
    assert breakpoint_of(part) is None and breakpoint_of(hour) == "1h"
    assert hour.provider_metadata["anthropic"] == {
        "citations": [], "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    five = with_breakpoint(hour, "5m")
    assert five.provider_metadata["anthropic"]["cache_control"] == {"type": "ephemeral"}
    assert breakpoint_of(five) == "5m"
    assert with_breakpoint(five, None) == part
    assert with_breakpoint(TextPart(text="y"), None).provider_metadata is None
    with pytest.raises(ValueError):
        with_breakpoint(part, "2h")  # type: ignore[arg-type]


def test_row_marks_show_the_longest_lifetime_of_a_row():
    row = Message(role="user", parts=[TextPart(text="a"), TextPart(text="b")])
    assert row_marks(row) is None
    assert row_marks(_mark(row, 1, "5m")) == "5m"
    assert row_marks(_mark(_mark(row, 1, "5m"), 0, "1h")) == "1h"


# -- on the wire --------------------------------------------------------------------------------


def test_the_anthropic_body_carries_cache_control_on_the_marked_blocks_and_system():
    system = _mark(Message.text("system", LONG), 0, "1h")
    user = _mark(Message(role="user", parts=[TextPart(text="first"), TextPart(text="second")]),
                 0, "5m")
    tool = with_breakpoint(Tool(name="add", description="Add"), "1h")
    conversation = _conversation(system, user, tools=[tool])
    request = PROTOCOL.build_request(conversation, base_url="http://127.0.0.1:1", api_key="k")
    body = request.body
    assert _marks(body) == [
        ("$.tools[0]", {"type": "ephemeral", "ttl": "1h"}),
        ("$.system[0]", {"type": "ephemeral", "ttl": "1h"}),
        ("$.messages[0].content[0]", {"type": "ephemeral"}),
    ]
    assert body["system"][0]["text"] == LONG
    assert body["messages"][0]["content"][1] == {"type": "text", "text": "second"}
    assert body["tools"][0]["name"] == "add" and "provider_metadata" not in body["tools"][0]


def test_a_tool_result_breakpoint_lands_on_its_tool_result_block():
    call = Message(role="user", parts=[TextPart(text="go")])
    result = _mark(Message(role="tool", parts=[ToolResultPart(name="f", output="6",
                                                              tool_call_id="toolu_1")]), 0, "5m")
    body, _ = to_body(_conversation(call, result))
    assert _marks(body) == [("$.messages[1].content[0]", {"type": "ephemeral"})]
    assert body["messages"][1]["content"][0]["type"] == "tool_result"


def test_openai_builders_send_no_anthropic_cache_control():
    user = _mark(Message.text("user", "hi"), 0, "5m")
    conversation = _conversation(user, model="gpt-4o-mini", provider="openai-chat")
    request = CHAT.build_request(conversation, base_url="http://127.0.0.1:1", api_key="k")
    assert _marks(request.body) == []


# -- round trips ---------------------------------------------------------------------------------


def _marked_conversation() -> Conversation:
    system = _mark(Message.text("system", "be brief"), 0, "1h")
    user = _mark(Message(role="user", parts=[TextPart(text="a"), TextPart(text="b")]), 1, "5m")
    return _conversation(system, user, tools=[with_breakpoint(Tool(name="t"), "1h")])


def _where(conversation: Conversation) -> list[tuple[str, str]]:
    return [(b.key, b.ttl) for b in breakpoints(conversation)]


def test_breakpoints_survive_save_and_load(tmp_path):
    conversation = _marked_conversation()
    path = tmp_path / "c.json"
    files.save(conversation, path)
    loaded = files.load_conversation(path)
    assert _where(loaded) == _where(conversation) == [("tool:0", "1h"), ("0:0", "1h"),
                                                      ("1:1", "5m")]


def test_breakpoints_survive_anthropic_export_and_import():
    conversation = _marked_conversation()
    body, losses = to_body(conversation)
    assert losses == []
    back = from_body(json.loads(json.dumps(body))).conversation
    assert _where(back) == _where(conversation)
    assert to_body(back)[0] == body


def _recorded_cache_request() -> dict[str, Any]:
    recordings_or_skip()
    path = (RECORDINGS / "TestAnthropicCommonWithCacheControl" / "claude-sonnet-4"
            / "multi_tool_streaming.yaml")
    return load(path).interactions[1].request_json


def test_a_recorded_request_with_breakpoints_reads_and_writes_them_in_place():
    recorded = _recorded_cache_request()
    conversation = from_body(recorded).conversation
    found = breakpoints(conversation)
    roles = [conversation.messages[b.row].role for b in found]
    kinds = [conversation.messages[b.row].parts[b.part].type for b in found]
    assert roles == ["system", "assistant", "tool"]
    assert kinds == ["text", "tool_call", "tool_result"]
    body, _ = to_body(conversation)
    assert sorted(_marks(body)) == sorted(_marks(recorded))


# -- the checks ----------------------------------------------------------------------------------


def _long_rows(count: int, ttl: str = "5m") -> list[Message]:
    return [_mark(Message.text("user" if i % 2 == 0 else "assistant", f"{i} {LONG}"), 0, ttl)
            for i in range(count)]


def test_a_fifth_breakpoint_is_refused_at_its_row():
    problems = cache_problems(_conversation(*_long_rows(5)))
    assert [(p.row, p.part, p.blocking) for p in problems] == [(4, 0, True)]
    assert "at most 4" in problems[0].text and problems[0].line().startswith("row 5, part 1:")
    assert cache_problems(_conversation(*_long_rows(4))) == []


def test_automatic_caching_in_extra_body_takes_one_of_the_four():
    conversation = _conversation(*_long_rows(4))
    conversation.settings.extra_body["cache_control"] = {"type": "ephemeral"}
    problems = cache_problems(conversation)
    assert [(p.row, p.blocking) for p in problems] == [(3, True)]


def test_a_one_hour_breakpoint_after_a_five_minute_one_is_refused():
    first, second = _long_rows(2)
    conversation = _conversation(first, _mark(second, 0, "1h"))
    problems = cache_problems(conversation)
    assert [(p.row, p.blocking) for p in problems] == [(1, True)]
    assert "1-hour" in problems[0].text
    # Tools come first on the wire: a 1-hour tool before 5-minute rows is fine.
    tool = with_breakpoint(Tool(name="t", description=LONG), "1h")
    assert cache_problems(_conversation(first, tools=[tool])) == []
    # A system row goes to the top-level system prompt: it comes before row 0 on the wire.
    system = _mark(Message.text("system", LONG), 0, "1h")
    assert cache_problems(_conversation(first, system)) == []


def test_a_short_prefix_says_caching_will_be_skipped():
    short = _mark(Message.text("user", "a short question"), 0, "5m")
    problems = cache_problems(_conversation(short))
    assert [(p.row, p.part, p.blocking) for p in problems] == [(0, 0, False)]
    assert "silently skipped" in problems[0].text and "1,024" in problems[0].text
    assert cache_problems(_conversation(*_long_rows(1))) == []
    # ~2,250 tokens: enough for Sonnet 4, not for Haiku 4.5's 4,096.
    haiku = cache_problems(_conversation(*_long_rows(1), model="claude-haiku-4-5"))
    assert len(haiku) == 1 and "4,096" in haiku[0].text


def test_minimum_lengths_follow_the_documented_models():
    assert minimum_tokens("claude-sonnet-4-20250514") == 1024
    assert minimum_tokens("claude-opus-4-5-20251101") == 4096
    assert minimum_tokens("claude-opus-4-6") == 4096
    assert minimum_tokens("claude-haiku-4-5") == 4096
    assert minimum_tokens("claude-3-5-haiku-20241022") == 2048
    assert minimum_tokens("claude-3-haiku-20240307") == 2048


def test_a_change_above_a_breakpoint_since_the_last_run_says_the_cache_will_miss():
    sent = _conversation(*_long_rows(2), Message.text("user", "question"))
    last = last_prefix_hashes(sent)
    assert cache_problems(sent, last) == []
    # Below the breakpoints: no miss.
    below = sent.model_copy(deep=True)
    below.messages[2] = Message.text("user", "another question")
    assert cache_problems(below, last) == []
    # Re-timing a breakpoint changes no prefix.
    retimed = sent.model_copy(deep=True)
    retimed.messages[1] = _mark(retimed.messages[1], 0, None)
    assert cache_problems(retimed, last) == []
    # Above the second breakpoint: it misses, the first still hits.
    above = sent.model_copy(deep=True)
    above.messages[1] = _mark(Message.text("assistant", "edited " + LONG), 0, "5m")
    problems = cache_problems(above, last)
    assert [(p.row, p.part, p.blocking) for p in problems] == [(1, 0, False)]
    assert "changed since the last run" in problems[0].text
    # A new model is a new cache, for every breakpoint.
    other = sent.model_copy(deep=True)
    other.settings.model = "claude-opus-4-1"
    assert [p.row for p in cache_problems(other, last)] == [0, 1]
    assert prefix_hashes(sent) == last


def test_reasoning_cannot_be_a_breakpoint():
    row = _mark(Message(role="assistant", parts=[ReasoningPart(text=LONG), TextPart(text="a")]),
                0, "5m")
    problems = cache_problems(_conversation(Message.text("user", LONG), row))
    assert [(p.row, p.part, p.blocking) for p in problems] == [(1, 0, True)]


def test_other_providers_note_that_breakpoints_are_ignored():
    rows = _long_rows(5)
    for provider, title in (("gemini", "Gemini"), ("openai", "OpenAI Responses"),
                            ("openai-chat", "OpenAI Chat Completions")):
        problems = cache_problems(_conversation(*rows, provider=provider))
        assert len(problems) == 1 and not problems[0].blocking
        assert problems[0].text.startswith(f"{title} does not take cache breakpoints")
    assert cache_problems(_conversation(Message.text("user", "x"), provider="gemini")) == []


# -- after the run -------------------------------------------------------------------------------


def test_anthropic_usage_keeps_cache_reads_writes_and_the_lifetime_split():
    usage = usage_report({"input_tokens": 12, "cache_read_input_tokens": 3000,
                          "cache_creation_input_tokens": 1500, "output_tokens": 7,
                          "cache_creation": {"ephemeral_5m_input_tokens": 500,
                                             "ephemeral_1h_input_tokens": 1000}})
    cache = cache_usage(usage)
    assert (cache.read, cache.written, cache.written_1h) == (3000, 1500, 1000)
    assert cache.text() == "cache read 3,000 · cache write 1,500 (1 h: 1,000)"


def test_a_recorded_anthropic_stream_with_cache_fields_reads_no_cache_use():
    recordings_or_skip()
    path = (RECORDINGS / "TestAnthropicThinkingWithCacheControl" / "claude-sonnet-4"
            / "thinking-streaming.yaml")
    interaction = load(path).interactions[0]
    assert "cache_read_input_tokens" in interaction.response_body
    assembler = assemble(PROTOCOL.new_parser(), frames(interaction.response_body))
    start = json.loads(next(f.data for f in frames(interaction.response_body)
                            if f.event == "message_start"))["message"]["usage"]
    cache = cache_usage(assembler.usage)
    assert cache.read == start["cache_read_input_tokens"]
    assert cache.written == start["cache_creation_input_tokens"]
    assert not cache and cache.text() == ""


def _priced(usage: Usage, model: str = "claude-sonnet-4-20250514"):
    from composer.models.exchange import Exchange

    return Exchange.model_validate({
        "model": model, "prompt": {"messages": []}, "messages": [], "usage": usage.to_dict(),
        "composer": {"kind": "exchange", "format_version": 1,
                     "settings": {"provider": "anthropic", "model": model}}})


def test_money_saved_is_read_tokens_times_input_less_cache_read_price():
    from composer.models.pricing import NoPrice, cache_savings

    # Published Claude Sonnet 4 prices: $3 per million input tokens, $0.30 per million read
    # from the cache. 10,000 tokens read: 10,000 × (3 − 0.30) / 1,000,000 = $0.027.
    usage = Usage.report(input=10_500, output=100, cached=10_000)
    assert cache_savings(_priced(usage)) == Decimal("0.027")
    assert cache_savings(_priced(Usage(input=5, output=1))) == 0
    assert isinstance(cache_savings(_priced(usage, "no-such-model-anywhere")), NoPrice)


# -- OpenAI's prompt_cache_key ------------------------------------------------------------------


def test_prompt_cache_key_is_sent_by_both_openai_builders_and_left_out_elsewhere_with_a_note():
    from composer.models.options import parse_option
    from composer.providers.gemini import PROTOCOL as GEMINI
    from composer.providers.openai_responses import PROTOCOL as RESPONSES

    key = parse_option("prompt_cache_key", "  support-bot-v2 ")
    assert key == "support-bot-v2" and parse_option("prompt_cache_key", " ") is None
    conversation = _conversation(Message.text("user", "hi"), model="gpt-4o-mini")
    conversation.settings.options["prompt_cache_key"] = key
    for protocol in (CHAT, RESPONSES):
        request = protocol.build_request(conversation, base_url="http://127.0.0.1:1",
                                         api_key="k")
        assert request.body["prompt_cache_key"] == "support-bot-v2"
    for protocol, who in ((PROTOCOL, "Anthropic"), (GEMINI, "Gemini")):
        request = protocol.build_request(conversation, base_url="http://127.0.0.1:1",
                                         api_key="k")
        assert "prompt_cache_key" not in json.dumps(request.body)
        assert any(n.startswith("prompt_cache_key: " + who) for n in request.notes)


def test_the_last_runs_digests_come_from_its_exchange_as_well_as_its_conversation(tmp_path):
    from composer.models.exchange import Exchange, ExchangeExtras, Prompt

    sent = _conversation(*_long_rows(2))
    exchange = Exchange(model=sent.settings.model, prompt=Prompt(messages=sent.messages),
                        messages=[Message.text("assistant", "reply")],
                        composer=ExchangeExtras(settings=sent.settings, protocol="anthropic"))
    path = tmp_path / "e.json"
    files.save(exchange, path)
    reopened = files.load(path)
    assert last_prefix_hashes(reopened) == last_prefix_hashes(sent) == prefix_hashes(sent)
    assert last_prefix_hashes(None) is None


def test_an_empty_text_part_cannot_be_a_breakpoint():
    row = _mark(Message(role="user", parts=[TextPart(text=LONG), TextPart(text="")]), 1, "5m")
    problems = cache_problems(_conversation(row))
    assert [(p.row, p.part, p.blocking) for p in problems] == [(0, 1, True)]
    assert "empty text part" in problems[0].text


@pytest.mark.parametrize("meta", [None, {}, {"openai": {"x": 1}}, "not a dict",
                                  {"anthropic": {"cache_control": {"type": "ephemeral"}}},
                                  {"anthropic": {}, "other": 1}])
def test_an_item_with_nothing_to_take_out_counts_as_its_copy_would(meta):
    """A part or tool without a breakpoint is not copied to take one out: what it adds to the
    cache key is what the copy's would be, whatever its metadata holds."""
    from composer.models import caching

    part = TextPart(text="hi", provider_metadata=meta)
    tool = Tool(name="t", **({} if meta is None else {"provider_metadata": meta}))
    for item in (part, tool):
        assert caching._without_breakpoint(item) == \
            caching.with_breakpoint(item, None).to_dict()
