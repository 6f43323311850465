"""Input tokens before sending, against loopback servers that play each provider's counter.

Each test builds the count and the send from the same conversation (system, tools, an image, a
PDF, a tool call and its result), sends both to a real HTTP server on 127.0.0.1, and checks that
the counter received the send's own body, less the fields the counter does not take.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from composer.models import token_estimate
from composer.models.assembler import Assembler
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.parts import (
    AttachmentPart,
    Message,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool
from composer.providers import openai_responses
from composer.providers.counting import ANTHROPIC_FIELDS, RESPONSES_FIELDS
from composer.providers.http import new_client
from composer.providers.keys import FoundKey
from composer.providers.transport import run_call
from composer.run.counting import count_tokens
from composer.run.prepare import prepare_call
from tests.loopback import Reply

KEY = "sk-count-test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n"
       b"%%EOF\n")
SEND_REFUSED = Reply.json({"error": {"type": "invalid_request_error", "message": "test"}},
                          status=400)


def store(preset: Any) -> FoundKey:
    return FoundKey(KEY, "test")


def conversation(provider: str, model: str, base_url: str) -> Conversation:
    messages = [
        Message(role="system", parts=[TextPart(text="Be brief.")]),
        Message(role="user", parts=[
            TextPart(text="What is in these?"),
            AttachmentPart(attachment=Attachment.from_bytes(PNG, name="a.png", mime="image/png")),
            AttachmentPart(attachment=Attachment.from_bytes(PDF, name="b.pdf",
                                                            mime="application/pdf"))]),
        Message(role="assistant", parts=[ToolCallPart(name="get_weather",
                                                      arguments={"city": "Lisbon"},
                                                      tool_call_id="call_1")]),
        Message(role="tool", parts=[ToolResultPart(name="get_weather", output="sunny",
                                                   tool_call_id="call_1")]),
        Message(role="user", parts=[TextPart(text="And tomorrow?")]),
    ]
    tool = Tool(name="get_weather", description="The weather in a city",
                parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    settings = RequestSettings(provider=provider, model=model, base_url=base_url,
                               options={"temperature": 0.2, "max_tokens": 300}, tools=[tool])
    return Conversation(messages=messages, settings=settings)


def count(conv: Conversation, **kw: Any):
    kw.setdefault("chosen", True)
    kw.setdefault("key_store", store)
    return asyncio.run(count_tokens(conv, **kw))


def send(conv: Conversation) -> None:
    prepared = prepare_call(conv, key_store=store, chosen=True)
    asyncio.run(run_call(prepared.call, Assembler()))


def _drop(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in keys}


def test_anthropic_counts_the_send_body_less_stream_and_sampling(loopback):
    conv = conversation("anthropic", "claude-sonnet-4-5", loopback.url)
    loopback.queue(Reply.json({"input_tokens": 1234}), SEND_REFUSED)
    result = count(conv)
    send(conv)
    counted, sent = loopback.received
    assert counted.path == "/v1/messages/count_tokens" and sent.path == "/v1/messages"
    assert counted.headers["x-api-key"] == KEY and counted.headers["anthropic-version"]
    assert counted.json == _drop(sent.json, "stream", "max_tokens", "temperature")
    assert set(counted.json) <= ANTHROPIC_FIELDS
    # The image and the PDF went to the counter as they go to the send.
    kinds = [b["type"] for b in counted.json["messages"][0]["content"]]
    assert "image" in kinds and "document" in kinds and counted.json["tools"]
    assert (result.total, result.exact, result.source) == (1234, True, "Anthropic count_tokens")
    assert sum(result.rows) + result.other == 1234 and len(result.rows) == 5
    assert result.max_output == 300


def test_openai_responses_counts_through_input_tokens(loopback):
    conv = conversation("openai", "gpt-4o", loopback.url + "/v1")
    loopback.queue(Reply.json({"object": "response.input_tokens", "input_tokens": 321}),
                   SEND_REFUSED)
    result = count(conv)
    send(conv)
    counted, sent = loopback.received
    assert counted.path == "/v1/responses/input_tokens" and sent.path == "/v1/responses"
    assert counted.headers["authorization"] == f"Bearer {KEY}"
    assert counted.json == _drop(sent.json, "stream", "max_output_tokens", "temperature")
    assert set(counted.json) <= RESPONSES_FIELDS
    assert result.total == 321 and result.exact


def test_openai_chat_is_counted_as_the_same_conversation_in_a_responses_body(loopback):
    conv = conversation("openai-chat", "gpt-4o", loopback.url + "/v1")
    loopback.queue(Reply.json({"object": "response.input_tokens", "input_tokens": 77}),
                   SEND_REFUSED)
    result = count(conv)
    send(conv)
    counted, sent = loopback.received
    assert counted.path == "/v1/responses/input_tokens" and sent.path == "/v1/chat/completions"
    as_responses = openai_responses.PROTOCOL.build_request(conv, base_url=loopback.url + "/v1",
                                                           api_key=None).body
    assert counted.json == {k: v for k, v in as_responses.items() if k in RESPONSES_FIELDS}
    # The same tools, and every turn (system as a developer/system item, the tool loop).
    assert [t["name"] for t in counted.json["tools"]] == [
        t["function"]["name"] for t in sent.json["tools"]]
    assert result.total == 77 and result.source == "OpenAI responses/input_tokens"


def test_gemini_counts_the_whole_generate_content_request(loopback):
    conv = conversation("gemini", "gemini-2.5-flash", loopback.url)
    loopback.queue(Reply.json({"totalTokens": 555}), SEND_REFUSED)
    result = count(conv)
    send(conv)
    counted, sent = loopback.received
    assert counted.path == "/v1beta/models/gemini-2.5-flash:countTokens"
    assert sent.path.startswith("/v1beta/models/gemini-2.5-flash:streamGenerateContent")
    assert counted.headers["x-goog-api-key"] == KEY
    assert counted.json == {"generateContentRequest": {"model": "models/gemini-2.5-flash",
                                                       **sent.json}}
    assert result.total == 555 and result.source == "Gemini countTokens"


def test_llamacpp_applies_the_chat_template_then_tokenizes(loopback):
    conv = conversation("llamacpp", "local", loopback.url + "/v1")
    loopback.queue(Reply.json({"prompt": "<|system|>Be brief.<|user|>What is in these?"}),
                   Reply.json({"tokens": list(range(42))}), SEND_REFUSED)
    result = count(conv)
    send(conv)
    template, tokenize, sent = loopback.received
    assert (template.path, tokenize.path, sent.path) == (
        "/apply-template", "/tokenize", "/v1/chat/completions")
    assert template.json == _drop(sent.json, "stream", "stream_options")
    assert tokenize.json == {"content": "<|system|>Be brief.<|user|>What is in these?"}
    assert result.total == 42 and result.source == "llama.cpp tokenize"


def test_vllm_tokenizes_the_chat_messages_and_tools(loopback):
    conv = conversation("vllm", "m", loopback.url + "/v1")
    loopback.queue(Reply.json({"count": 99, "max_model_len": 4096, "tokens": []}),
                   SEND_REFUSED)
    result = count(conv)
    send(conv)
    counted, sent = loopback.received
    assert counted.path == "/tokenize"
    assert counted.json == {"model": "m", "messages": sent.json["messages"],
                            "tools": sent.json["tools"], "add_generation_prompt": True}
    assert result.total == 99 and result.exact


def test_a_server_without_a_counter_gets_an_estimate_that_says_so(loopback):
    conv = conversation("ollama", "llama3", loopback.url + "/v1")
    result = count(conv)
    assert loopback.received == []  # nothing asked: Ollama has no counter
    assert not result.exact and result.source == "estimate" and result.problem is None
    assert result.describe().startswith("≈ ") and "(estimate)" in result.describe()
    assert result.total == token_estimate.estimate(conv).total


def test_a_counter_that_answers_404_falls_back_to_the_estimate_with_one_line(loopback):
    conv = conversation("anthropic", "claude-sonnet-4-5", loopback.url)
    loopback.queue(Reply.json({"type": "error", "error": {"type": "not_found_error",
                                                          "message": "Not found"}},
                              status=404))
    result = count(conv)
    assert not result.exact and result.total == token_estimate.estimate(conv).total
    assert result.problem.startswith("count failed: Anthropic count_tokens: 404")
    assert "\n" not in result.problem


def test_a_slow_counter_is_given_up_quickly(loopback):
    conv = conversation("openai", "gpt-4o", loopback.url + "/v1")
    loopback.queue(Reply.json({"input_tokens": 1}, first_delay=1.0))
    result = count(conv, timeout=0.1)
    assert not result.exact
    assert result.problem == "count failed: no answer from 127.0.0.1 within 0.1 s"


def test_a_counter_that_answers_nonsense_is_one_line(loopback):
    conv = conversation("gemini", "gemini-2.5-flash", loopback.url)
    loopback.queue(Reply.json({"tokens": "many"}))
    result = count(conv)
    assert result.problem == ("count failed: Gemini countTokens: Gemini countTokens answered "
                              "without a token count (totalTokens)")


def test_the_key_never_goes_to_a_base_url_only_the_file_chose(loopback):
    conv = conversation("anthropic", "claude-sonnet-4-5", loopback.url)
    result = count(conv, chosen=False)
    assert loopback.received == []
    assert not result.exact and "not sending your Anthropic API key" in result.problem


def test_an_unreachable_counter_is_one_line():
    conv = conversation("openai", "gpt-4o", "http://127.0.0.1:9/v1")
    result = count(conv, client=new_client())
    assert not result.exact and result.problem.startswith("count failed: cannot reach 127.0.0.1")


def test_exact_totals_are_split_into_rows_that_add_up():
    shares = token_estimate.RowTokens((10, 30, 0, 60), 0)
    split = token_estimate.scaled(shares, 7)
    assert sum(split.rows) + split.other == 7
    assert split.rows[3] >= split.rows[1] >= split.rows[0] and split.rows[2] == 0


def test_the_estimate_prices_attachments_by_kind():
    conv = conversation("ollama", "m", "http://127.0.0.1:9/v1")
    rows = token_estimate.estimate(conv).rows
    # The user row holds an image (1,000) and a two-page PDF (2 × 1,500).
    assert rows[1] >= token_estimate.IMAGE_TOKENS + 2 * token_estimate.PDF_PAGE_TOKENS
    assert rows[1] == max(rows)


@pytest.mark.parametrize("option,expected", [({"max_tokens": 50}, 50), ({}, None)])
def test_the_output_bound_is_the_sends_own(option, expected):
    from composer.run.counting import max_output

    conv = conversation("openai", "gpt-4o", "http://127.0.0.1:9/v1")
    conv.settings.options = option
    prepared = prepare_call(conv, key_store=store, chosen=True)
    assert max_output(prepared.call, conv) == expected
    conv.settings.provider = "anthropic"  # Anthropic always sends a max_tokens
    prepared = prepare_call(conv, key_store=store, chosen=True)
    assert max_output(prepared.call, conv) == (expected or prepared.call.request.body[
        "max_tokens"])
