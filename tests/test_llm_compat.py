"""Our files against the real ``llm`` and its plugins: model ids and options, both ways.

Needs the ``test-llm`` extra (llm, llm-anthropic, llm-gemini); skips cleanly without it.
"""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest

from composer.models import llm_ids
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange, ExchangeExtras, Prompt
from composer.models.formats import llm as llm_format
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from tests.conftest import LLM

# Found, not imported: llm and its plugins (the anthropic SDK above all) load when a test
# asks for them (the llm fixture), not when the suite is collected; and in one xdist worker.
pytestmark = [LLM, pytest.mark.skipif(
    any(find_spec(name) is None for name in ("llm", "llm_anthropic", "llm_gemini")),
    reason="needs llm, llm-anthropic and llm-gemini (the test-llm extra)")]

# Every neutral option, each set (top_p is left to a case of its own: llm-anthropic
# refuses it beside temperature, and the export keeps temperature then).
NEUTRAL = {"temperature": 0.5, "max_tokens": 900, "stop": ["END"], "seed": 7,
           "reasoning_effort": "high", "thinking_budget": 2048}
# Which llm option each of ours may become, per family.
TARGETS = {
    "openai": {"temperature": "temperature", "max_tokens": "max_tokens", "stop": "stop",
               "seed": "seed", "reasoning_effort": "reasoning_effort"},
    "anthropic": {"temperature": "temperature", "max_tokens": "max_tokens",
                  "stop": "stop_sequences", "thinking_budget": "thinking",
                  "reasoning_effort": "thinking_effort"},
    "gemini": {"temperature": "temperature", "max_tokens": "max_output_tokens",
               "thinking_budget": "thinking_budget", "reasoning_effort": "thinking_level"},
}


def _protocol(model) -> str | None:
    module = type(model).__module__
    if module == "llm_anthropic":
        return "anthropic"
    if module == "llm_gemini":
        return "gemini"
    if type(model).__name__ == "Responses":
        return "openai-responses"
    if type(model).__name__ == "Chat":
        return "openai-chat"
    return None


def _plugin_models(llm):
    found = [(m, _protocol(m)) for m in llm.get_models()]
    return [(m, p) for m, p in found if p is not None]


def _exchange(protocol: str, model: str, options: dict) -> Exchange:
    settings = RequestSettings(provider=protocol, model=model, options=options)
    return Exchange(model=model, prompt=Prompt(messages=[Message.text("user", "hi")],
                                               options=dict(options)),
                    messages=[Message.text("assistant", "hello")],
                    datetime_utc="2026-01-02T03:04:05",
                    composer=ExchangeExtras(settings=settings, protocol=protocol))


def test_every_plugin_model_accepts_our_options_under_its_own_names(llm):
    models = _plugin_models(llm)
    assert len(models) > 40  # OpenAI's, llm-anthropic's and llm-gemini's
    for model, protocol in models:
        api_id = llm_ids.from_llm_model(model.model_id)[1]
        data = json.loads(json.dumps(_exchange(protocol, api_id, NEUTRAL).to_dict()))
        assert data["model"] == model.model_id
        options = data["prompt"].get("options", {})
        model.Options(**options)  # raises on a name or type the model does not take
        fields = set(model.Options.model_fields)
        for ours, theirs in TARGETS[llm_ids.family(protocol)].items():
            if theirs in fields and ours != "stop":
                assert theirs in options, (model.model_id, ours, theirs)
        # And back: what we wrote reads as what we sent, minus what llm cannot hold.
        back, unmapped, _ = llm_ids.from_llm_options(protocol, options)
        assert not unmapped, (model.model_id, unmapped)
        for key, value in back.items():
            if key != "thinking_budget":
                assert NEUTRAL[key] in (value, [value]), (model.model_id, key)


def test_an_anthropic_exchange_keeps_top_p_when_temperature_is_not_set(llm):
    model = llm.get_model("anthropic/claude-sonnet-4-5")
    data = _exchange("anthropic", "claude-sonnet-4-5", {"top_p": 0.9}).to_dict()
    assert data["prompt"]["options"] == {"top_p": 0.9}
    model.Options(**data["prompt"]["options"])


@pytest.mark.parametrize("protocol,model", [
    ("openai-chat", "gpt-4o"), ("openai-responses", "gpt-5"),
    ("anthropic", "claude-sonnet-4-5"), ("gemini", "gemini-2.5-flash")])
def test_our_exchange_loads_with_plain_from_dict(protocol, model, llm):
    data = json.loads(json.dumps(_exchange(protocol, model, NEUTRAL).to_dict()))
    response = llm.Response.from_dict(data)
    assert response.model.model_id == llm_ids.to_llm_model(protocol, model)
    assert response.text() == "hello"
    assert data["datetime_utc"].endswith("+00:00")
    # Our own reading gives back the API id and the neutral options.
    again = Exchange.model_validate(data)
    assert again.model == model and again.prompt.options == NEUTRAL


def test_an_llm_file_maps_ids_and_options_back_and_reports_the_rest(llm):
    model = llm.get_model("anthropic/claude-sonnet-4-5")
    response = llm.Response.from_dict({
        "model": model.model_id,
        "prompt": {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}],
                   "options": {"thinking": True, "stop_sequences": ["X"], "cache": True,
                               "max_tokens": 50}},
        "messages": [{"role": "assistant", "parts": [{"type": "text", "text": "yo"}]}]})
    imported = llm_format.load(response.to_dict(), "f.json")
    settings = imported.conversation.settings
    assert settings.model == "claude-sonnet-4-5" and settings.provider == "anthropic"
    assert settings.options == {"thinking_budget": 1024, "stop": ["X"], "max_tokens": 50}
    notes = [str(loss) for loss in imported.losses]
    assert any("cache" in n and "not sent" in n for n in notes)
    # Written back, the llm options come out as they came in.
    out = json.loads(llm_format.dump(imported.conversation).text)
    assert out["model"] == model.model_id
    assert out["prompt"]["options"] == {"thinking": True, "stop_sequences": ["X"],
                                        "cache": True, "max_tokens": 50}
    llm.Response.from_dict(out)


def test_a_gemini_file_max_output_tokens_becomes_our_max_tokens():
    imported = llm_format.load({
        "model": "gemini/gemini-2.5-flash",
        "prompt": {"messages": [], "options": {"max_output_tokens": 10, "json_object": True}},
        "messages": []}, None)
    assert imported.conversation.settings.options == {"max_tokens": 10}
    assert imported.conversation.settings.provider == "gemini"
    assert any("json_object" in str(loss) for loss in imported.losses)


def test_an_empty_model_stays_empty_and_does_not_become_llms_default(llm):
    conversation = Conversation(messages=[Message.text("user", "hi")])
    out = json.loads(llm_format.dump(conversation).text)
    assert "model" not in out  # "" would load as whatever llm's default model is
    with pytest.raises(KeyError):
        llm.Response.from_dict(out)
    exchange = _exchange("openai-chat", "", {}).to_dict()
    assert "model" not in exchange and Exchange.model_validate(exchange).model == ""


RECORDED = {  # protocol: (recording, model, base URL path, options it takes)
    "anthropic": ("TestAnthropicThinking/claude-sonnet-4/thinking-streaming.yaml",
                  "claude-sonnet-4-5", "", {"max_tokens": 4096, "thinking_budget": 1024,
                                            "stop": ["END", "STOP"]}),
    "openai-chat": ("TestOpenAICompatibleThinking/llama-cpp-gpt-oss/thinking-streaming.yaml",
                    "gpt-4o", "/v1", {"max_tokens": 2048, "temperature": 0.5, "seed": 3,
                                      "stop": ["END"]}),
    "gemini": ("TestGoogleThinking/gemini-2.5-flash/thinking-streaming.yaml",
               "gemini-2.5-flash", "", {"max_tokens": 2048, "thinking_budget": 512}),
    "openai-responses": ("TestOpenAIResponsesWithSummaryThinking/openai-gpt-5/"
                         "thinking-streaming.yaml", "gpt-5", "/v1",
                         {"max_tokens": 4096, "reasoning_effort": "medium"}),
}


@pytest.mark.parametrize("protocol", RECORDED)
async def test_a_recorded_run_of_every_protocol_loads_with_plain_from_dict(loopback, protocol, llm):
    from composer.providers.transport import Call, CallConfig, run_call
    from tests import cassettes
    from tests.conftest import recordings_or_skip
    from tests.loopback import Reply

    name, model, path, options = RECORDED[protocol]
    recording = recordings_or_skip() / name
    if not recording.exists():
        pytest.skip(f"{name} is not in the recordings")
    first = next(it for it in cassettes.load(recording).interactions
                 if it.status == 200 and it.streaming)
    loopback.queue(Reply.sse(first.response_body))
    conversation = Conversation(
        messages=[Message.text("user", "What is the weather in Florence?")],
        settings=RequestSettings(provider=protocol, base_url=loopback.url + path, model=model,
                                 options=options))
    exchange = await run_call(Call(conversation, api_key="k", config=CallConfig(retries=0)))
    assert exchange.composer.error is None
    data = json.loads(json.dumps(exchange.to_dict()))
    assert data["prompt"]["options"]  # llm's names: from_dict validates them
    response = llm.Response.from_dict(data)  # plain: no model= override
    assert response.model.model_id == llm_ids.to_llm_model(protocol, model)
    theirs = [m.to_dict() for m in response.prompt.messages] + \
        [m.to_dict() for m in response.messages()]
    assert theirs == [m.to_dict() for m in [*exchange.prompt.messages, *exchange.messages]]


def test_gemini_code_execution_moves_in_llm_geminis_native_part_shape(llm):
    """llm-gemini keeps a server-executed part as {"gemini": {"part": native}} and replays it;
    ours carry the code as arguments and the output as text. Both ways, nothing lost."""
    from llm_gemini import _native_part_metadata

    from composer.models.formats import gemini as gemini_format
    from composer.models.parts import ToolCallPart, ToolResultPart

    code = {"language": "PYTHON", "code": "print(2 + 2)"}
    ours = Message(role="assistant", parts=[
        ToolCallPart(name="code_execution", arguments=code, server_executed=True,
                     provider_metadata={"gemini": {"thoughtSignature": "c2ln"}}),
        ToolResultPart(name="code_execution", output="4\n", server_executed=True,
                       provider_metadata={"gemini": {"outcome": "OUTCOME_OK"}})])
    exchange = Exchange(model="gemini-2.5-flash",
                        prompt=Prompt(messages=[Message.text("user", "2+2?")]),
                        messages=[ours],
                        composer=ExchangeExtras(protocol="gemini", settings=RequestSettings(
                            provider="gemini", model="gemini-2.5-flash")))
    data = json.loads(json.dumps(exchange.to_dict()))
    call, result = data["messages"][0]["parts"]
    # What llm-gemini itself would have stored for these two native parts.
    assert call["provider_metadata"]["gemini"]["part"] == _native_part_metadata(
        {"executableCode": code, "thoughtSignature": "c2ln"})["gemini"]["part"]
    assert result["provider_metadata"]["gemini"]["part"] == _native_part_metadata(
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}})["gemini"]["part"]
    llm.Response.from_dict(data)
    # Read back (our file, or llm's), it is ours again: no native part reaches the wire.
    assert Exchange.model_validate(data).messages == [ours]
    theirs = {"role": "assistant", "parts": [
        {"type": "tool_call", "name": "code_execution", "arguments": code,
         "tool_call_id": "code_1", "server_executed": True,
         "provider_metadata": _native_part_metadata({"executableCode": code})},
        {"type": "tool_result", "name": "code_execution", "tool_call_id": "code_1",
         "output": json.dumps({"outcome": "OUTCOME_OK", "output": "4\n"}),
         "server_executed": True, "provider_metadata": _native_part_metadata(
             {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}})}]}
    conversation = llm_format.load([{"role": "user", "parts": [{"type": "text", "text": "q"}]},
                                    theirs, Message.text("user", "thanks").to_dict()],
                                   None).conversation
    body, _ = gemini_format.to_body(conversation)
    assert body["contents"][1]["parts"] == [{"executableCode": code}, {
        "codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}}]
