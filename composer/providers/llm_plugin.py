"""The ``llm`` provider: every model of every installed llm plugin, through llm's async API.

Where ``llm`` is installed (the ``llm`` extra), provider ``llm`` lists ``llm.get_async_models()``
(llm-ollama, llm-mlx, llm-gpt4all... whatever the user has) and sends with
``model.prompt(messages=...)``: llm does the wire work and the key handling (its keys.json, its
environment variables). The parts llm streams (``StreamEvent``) become our events, so the
assembler, the results pane and the exchange file see what they see for any other provider.

``llm`` is imported only here, and only when this provider is used: Composer without llm
installed never imports it. Options are passed under llm's names for the chosen model (they are
validated by the model's own ``Options``); our model field holds llm's model id.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from typing import Any

from composer.models.conversation import Conversation
from composer.models.events import (
    Finish,
    PartMetadata,
    ReasoningDelta,
    ResponseInfo,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolResult,
    UsageReport,
)
from composer.providers.refused import RequestRefused
from composer.providers.threads import in_thread

NAME = "llm"


def available() -> bool:
    """True when llm is installed (checked without importing it)."""
    return importlib.util.find_spec("llm") is not None


def _llm() -> Any:
    if not available():
        raise RequestRefused("the llm provider needs llm installed: pip install "
                             "'llm-composer[llm]' (or pip install llm)", field_name="provider")
    import llm

    return llm


def list_models() -> list[str]:
    """The ids of every async model the installed llm plugins register."""
    return sorted({m.model_id for m in _llm().get_async_models()})


def _prompt_kwargs(llm: Any, conversation: Conversation) -> tuple[Any, dict[str, Any]]:
    """(the llm model, keyword arguments for its prompt()). Raises RequestRefused."""
    settings = conversation.settings
    try:
        model = llm.get_async_model(settings.model)
    except llm.UnknownModelError as exc:
        raise RequestRefused(f"llm has no async model {settings.model!r} ({exc}); "
                             "`llm models` lists them", field_name="model") from None
    try:
        options = model.Options(**settings.options).model_dump(exclude_none=True)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()
        raise RequestRefused(f"{settings.model} options: {' '.join(first[:3])}",
                             field_name="options") from None
    messages = [llm.Message.from_dict(m.to_dict()) for m in conversation.messages]
    kwargs: dict[str, Any] = {"messages": messages, "options": options, "stream": True}
    if settings.tools:
        kwargs["tools"] = [llm.Tool(name=t.name, description=t.description,
                                    input_schema=t.parameters) for t in settings.tools]
    if settings.response_schema:
        kwargs["schema"] = settings.response_schema
    return model, kwargs


def prepare(conversation: Conversation) -> tuple[Any, dict[str, Any]]:
    """Import llm, find the model, check the options. Slow the first time (llm loads every
    plugin), so ``events`` runs it on a worker thread. Raises RequestRefused."""
    return _prompt_kwargs(_llm(), conversation)


class _Translator:
    """llm StreamEvents to ours: each llm part (``part_index``) is one of our part keys."""

    def __init__(self) -> None:
        self.open_calls: dict[str, str] = {}  # our key -> arguments so far
        self.calls = 0

    def events(self, event: Any) -> list[StreamEvent]:
        key = f"llm-{event.message_index}-{event.part_index}"
        out: list[StreamEvent] = []
        kind = event.type
        if kind == "text":
            out.append(TextDelta(key, event.chunk))
        elif kind == "reasoning":
            out.append(ReasoningDelta(key, event.chunk, redacted=bool(event.redacted)))
        elif kind == "tool_call_name":
            self.calls += 1
            self.open_calls[key] = ""
            out.append(ToolCallStart(key, event.chunk, event.tool_call_id,
                                     server_executed=bool(event.server_executed)))
        elif kind == "tool_call_args":
            self.open_calls[key] = self.open_calls.get(key, "") + event.chunk
            out.append(ToolCallDelta(key, event.chunk))
        elif kind == "tool_result":
            out.append(ToolResult(key, event.tool_name or "", event.chunk, event.tool_call_id,
                                  server_executed=bool(event.server_executed)))
        for provider, data in (event.provider_metadata or {}).items():
            if isinstance(data, dict):
                out.append(PartMetadata(key, provider, data))
        return out

    def close(self) -> list[StreamEvent]:
        return [ToolCallEnd(key) for key in self.open_calls]


async def events(conversation: Conversation) -> AsyncIterator[StreamEvent]:
    """Send ``conversation`` through llm and yield what it streams, as our events."""
    try:
        model, kwargs = await in_thread(prepare, conversation)
    except RequestRefused as exc:
        yield StreamError(str(exc), kind="refused")
        return
    translator = _Translator()
    try:
        response = model.prompt(**kwargs)
        async for event in response.astream_events():
            for ours in translator.events(event):
                yield ours
        for ours in translator.close():
            yield ours
        usage = await response.usage()
        yield ResponseInfo(id=response.id, model=model.model_id)
        yield UsageReport.report(input=usage.input, output=usage.output,
                          details=dict(usage.details or {}))
        yield Finish("tool_calls" if translator.calls else "stop")
    except Exception as exc:  # a plugin's own error (its HTTP, its key check): one line
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        yield StreamError(f"{model.model_id}: {message}", kind="provider")
