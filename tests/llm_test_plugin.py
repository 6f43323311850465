"""A tiny llm plugin for the tests: a model that needs no network.

``composer-echo`` calls the ``add`` tool when it is offered and no tool result has come back
yet (with a signed reasoning part, as Anthropic's models send), and otherwise answers with the
last user text. Registered in-process with ``register()``; used by the llm compatibility tests.
"""

from __future__ import annotations

import json

import llm
from llm.parts import StreamEvent

MODEL_ID = "composer-echo"
SIGNATURE = {"anthropic": {"signature": "c2lnLTE="}}


def _last_user_text(prompt) -> str:
    for message in reversed(list(prompt.messages or [])):
        if message.role == "user":
            return "".join(getattr(p, "text", "") or "" for p in message.parts)
    return prompt.prompt or ""


def _script(prompt, response):
    messages = list(prompt.messages or [])
    pending_tools = prompt.tools and not (messages and messages[-1].role == "tool")
    if pending_tools:
        yield StreamEvent(type="reasoning", chunk="I should add.", provider_metadata=SIGNATURE)
        yield StreamEvent(type="tool_call_name", chunk="add", tool_call_id="call_1")
        yield StreamEvent(type="tool_call_args", chunk=json.dumps({"a": 2, "b": 3}),
                          tool_call_id="call_1")
        response.add_tool_call(llm.ToolCall(name="add", arguments={"a": 2, "b": 3},
                                            tool_call_id="call_1"))
        return
    if messages and messages[-1].role == "tool":
        yield StreamEvent(type="text", chunk="The sum is "
                          + "".join(p.output for p in messages[-1].parts if hasattr(p, "output")))
        return
    yield StreamEvent(type="text", chunk="echo: " + _last_user_text(prompt)[:40])


class Echo(llm.Model):
    model_id = MODEL_ID
    supports_tools = True
    can_stream = True
    attachment_types = {"image/png"}

    class Options(llm.Options):
        temperature: float | None = None

    def execute(self, prompt, stream, response, conversation):
        yield from _script(prompt, response)
        response.set_usage(input=3, output=2)


class AsyncEcho(llm.AsyncModel):
    model_id = MODEL_ID
    supports_tools = True
    can_stream = True
    attachment_types = {"image/png"}

    class Options(llm.Options):
        temperature: float | None = None

    async def execute(self, prompt, stream, response, conversation):
        for event in _script(prompt, response):
            yield event
        response.set_usage(input=3, output=2)


class _Plugin:
    @llm.hookimpl
    def register_models(self, register):
        register(Echo(), AsyncEcho())


def register() -> None:
    """Register the test model with llm's plugin manager (idempotent)."""
    from llm.plugins import pm

    if pm.get_plugin("composer-test-plugin") is None:
        pm.register(_Plugin(), name="composer-test-plugin")
