"""The ``llm`` provider: an llm plugin model (tests/llm_test_plugin.py, registered in the test)
streams through llm's async API into our parts; and Composer alone never imports llm."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from composer.models.settings import RequestSettings, Tool
from composer.providers.base import RequestRefused
from composer.providers.transport import Call, list_models, run_call
from tests.conftest import LLM, ROOT

pytestmark = LLM  # the tests that load llm share one xdist worker


def _conversation(*messages: Message, **settings) -> Conversation:
    return Conversation(messages=list(messages),
                        settings=RequestSettings(provider="llm", model="composer-echo",
                                                 **settings))


@pytest.fixture
def echo():
    pytest.importorskip("llm")
    from tests.llm_test_plugin import register

    register()


async def test_a_plugin_model_streams_through_the_llm_provider(echo):
    streamed = []
    exchange = await run_call(Call(_conversation(Message.text("user", "hello there"),
                                                 options={"temperature": 0.2})),
                              on_event=lambda event, _index: streamed.append(event))
    assert exchange.composer.error is None
    assert exchange.messages[0].parts == [TextPart(text="echo: hello there")]
    assert exchange.usage.input == 3 and exchange.usage.output == 2
    assert exchange.composer.protocol == "llm" and exchange.composer.stop_reason == "stop"
    assert exchange.composer.timing.first_token_ms is not None
    assert any(type(e).__name__ == "TextDelta" for e in streamed)
    # The file says what llm knows the model by, and llm loads it back.
    import llm

    data = json.loads(json.dumps(exchange.to_dict()))
    assert data["model"] == "composer-echo" and data["prompt"]["options"] == {"temperature": 0.2}
    assert llm.Response.from_dict(data).text() == "echo: hello there"


async def test_reasoning_metadata_and_tool_calls_arrive_as_our_parts(echo):
    conversation = _conversation(Message.text("user", "add 2 and 3"), tools=[
        Tool(name="add", description="Add.", parameters={
            "type": "object", "properties": {"a": {"type": "integer"},
                                             "b": {"type": "integer"}}})])
    exchange = await run_call(Call(conversation))
    reasoning, call = exchange.messages[0].parts
    assert reasoning == ReasoningPart(text="I should add.",
                                      provider_metadata={"anthropic": {"signature": "c2lnLTE="}})
    assert call == ToolCallPart(name="add", arguments={"a": 2, "b": 3}, tool_call_id="call_1")
    assert exchange.composer.stop_reason == "tool_calls"


async def test_models_lists_the_plugins_models(echo):
    models = await list_models("llm")
    assert "composer-echo" in models and "gpt-4o" in models


async def test_an_unknown_model_or_a_bad_option_is_refused_in_one_line(echo):
    unknown = await run_call(Call(Conversation(
        messages=[Message.text("user", "x")],
        settings=RequestSettings(provider="llm", model="nope"))))
    assert unknown.composer.error.kind == "refused"
    assert "no async model 'nope'" in unknown.composer.error.message
    bad = await run_call(Call(_conversation(Message.text("user", "x"), options={"bogus": 1})))
    assert bad.composer.error.kind == "refused"
    assert "composer-echo options" in bad.composer.error.message
    assert "\n" not in bad.composer.error.message
    with pytest.raises(RequestRefused, match="choose one of llm's models"):
        Call(Conversation(messages=[Message.text("user", "x")],
                          settings=RequestSettings(provider="llm")))


def test_composer_never_imports_llm_on_its_own():
    code = (
        "import sys\n"
        "import composer.models, composer.providers, composer.cli, composer.main\n"
        "import composer.cli.convert, composer.cli.send, composer.views.app\n"
        "from composer.models.formats import all_formats\n"
        "from composer.providers.transport import Call\n"
        "all_formats()\n"
        "print('llm' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, env={"PYTHONPATH": str(ROOT),
                                                     "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
