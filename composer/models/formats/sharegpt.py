"""ShareGPT: ``{"conversations": [{"from", "value"}, ...]}``, a bare list of turns, or JSONL.

Speakers: ``human``/``user``, ``gpt``/``assistant``, ``system``, ``function_call`` (an assistant
tool call whose value is ``{"name", "arguments"}`` JSON) and ``observation``/``tool`` (a tool
result). A top-level ``system`` string becomes the first message; a ``tools`` list (or JSON
string of one, LLaMA-Factory style) becomes the tool definitions.

JSONL holds one conversation per line. Import takes the first by default and notes how many
were skipped; ``load_nth(text, n)`` (the CLI's ``--conversation N``) picks another. Export writes
one line, which is both a JSON document and a one-line JSONL file.

ShareGPT holds only text: reasoning, attachments, tool-call ids and provider metadata are
reported as losses on export.
"""

from __future__ import annotations

import json
from typing import Any

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats.base import Exported, Format, Imported, Loss
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

_SPEAKERS = {
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant", "model": "assistant",
    "system": "system",
    "function_call": "call",
    "observation": "result", "tool": "result", "function": "result",
}
# Export: who speaks each role's text.
_SPEAKER_OF = {"user": "human", "assistant": "gpt", "system": "system", "tool": "human"}


def _is_turn(item: Any) -> bool:
    return isinstance(item, dict) and "from" in item and "value" in item


def _turns_of(data: Any) -> list | None:
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        return data["conversations"]
    if isinstance(data, list) and data and all(_is_turn(t) for t in data):
        return data
    return None


def _parse_text(text: str) -> tuple[list[Any], list[int]]:
    """(documents, their line numbers): one JSON document, or one per non-blank JSONL line."""
    try:
        return [json.loads(text)], [1]
    except json.JSONDecodeError:
        pass
    docs, lines = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise FormatError(f"invalid JSON: {exc.msg}",
                              location=f"line {number} column {exc.colno}") from None
        lines.append(number)
    return docs, lines


def detect(text: Any) -> float:
    if not isinstance(text, str):
        return 0.9 if _turns_of(text) is not None else 0.0
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return 0.0
    try:
        first = json.loads(stripped)
    except json.JSONDecodeError:
        try:
            first = json.loads(stripped.splitlines()[0])
        except json.JSONDecodeError:
            return 0.0
    turns = _turns_of(first)
    if turns is None:
        return 0.0
    return 0.9 if turns else 0.3


def _tools(value: Any, where: str, source: str | None) -> list[Tool]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise FormatError(f"tools is not valid JSON ({exc.msg})", source=source,
                              location=where) from None
    if not isinstance(value, list):
        raise FormatError("expected a list of tool definitions", source=source, location=where)
    tools = []
    for i, item in enumerate(value):
        if isinstance(item, dict) and item.get("type") == "function" and "function" in item:
            item = item["function"]
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)):
            raise FormatError("expected a tool with a name", source=source,
                              location=f"{where}[{i}]")
        params = item.get("parameters")
        tools.append(Tool(name=item["name"], description=item.get("description"),
                          **({"parameters": params} if isinstance(params, dict) else {})))
    return tools


def _conversation(doc: Any, where: str, source: str | None) -> Imported:
    turns = _turns_of(doc)
    if turns is None:
        raise FormatError('expected {"conversations": [{"from", "value"}, ...]}',
                          source=source, location=where)
    messages: list[Message] = []
    losses: list[Loss] = []
    settings = RequestSettings()
    if isinstance(doc, dict):
        system = doc.get("system")
        if isinstance(system, str) and system:
            messages.append(Message.text("system", system))
        if doc.get("tools"):
            settings.tools = _tools(doc["tools"], f"{where}.tools", source)
    base = f"{where}.conversations" if isinstance(doc, dict) else where
    last_call_name = ""
    for i, turn in enumerate(turns):
        at = f"{base}[{i}]"
        if not _is_turn(turn):
            raise FormatError('expected {"from", "value"}', source=source, location=at)
        speaker, value = turn["from"], turn["value"]
        if not isinstance(speaker, str) or speaker.lower() not in _SPEAKERS:
            raise FormatError(f"unknown speaker {speaker!r}", source=source, location=f"{at}.from")
        if not isinstance(value, str):
            raise FormatError("expected a string", source=source, location=f"{at}.value")
        kind = _SPEAKERS[speaker.lower()]
        if kind == "call":
            part = _tool_call(value)
            if part is None:
                losses.append(Loss("function_call value is not {name, arguments} JSON; kept as "
                                   "text", message_index=len(messages)))
                messages.append(Message.text("assistant", value))
                continue
            last_call_name = part.name
            # A call joins the assistant turn before it (its text, earlier calls): one
            # assistant message, as the wire formats expect.
            if messages and messages[-1].role == "assistant" and i > 0:
                messages[-1].parts.append(part)
            else:
                messages.append(Message(role="assistant", parts=[part]))
        elif kind == "result":
            messages.append(Message(role="tool", parts=[ToolResultPart(name=last_call_name,
                                                                      output=value)]))
        else:
            messages.append(Message.text(kind, value))  # type: ignore[arg-type]
    return Imported(Conversation(messages=messages, settings=settings), losses)


def _tool_call(value: str) -> ToolCallPart | None:
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        return None
    if not (isinstance(data, dict) and isinstance(data.get("name"), str)):
        return None
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ToolCallPart(name=data["name"], arguments=arguments)


def load_nth(data: Any, n: int, source: str | None = None) -> Imported:
    """Conversation ``n`` (1-based) of a JSONL text; 1 for a single document."""
    if isinstance(data, str):
        try:
            docs, lines = _parse_text(data)
        except FormatError as exc:
            raise exc.with_source(source) if source else exc from None
    else:
        docs, lines = [data], [1]
    if not docs:
        raise FormatError("no conversation in the input", source=source)
    if not 1 <= n <= len(docs):
        raise FormatError(f"conversation {n} asked for, but the input holds {len(docs)}",
                          source=source)
    where = "$" if len(docs) == 1 else f"line {lines[n - 1]}: $"
    imported = _conversation(docs[n - 1], where, source)
    if len(docs) > 1:
        others = len(docs) - 1
        imported.losses.insert(0, Loss(f"imported conversation {n} of {len(docs)}; {others} "
                                       f"other(s) skipped (pick one with --conversation N)"))
    return imported


def load(data: Any, source: str | None) -> Imported:
    return load_nth(data, 1, source)


def _turn(speaker: str, value: str) -> dict[str, str]:
    return {"from": speaker, "value": value}


def dump(conversation: Conversation) -> Exported:
    turns: list[dict[str, str]] = []
    losses: list[Loss] = []
    for mi, message in enumerate(conversation.messages):
        if message.provider_metadata:
            losses.append(Loss("message provider_metadata dropped", mi))
        texts: list[str] = []
        for pi, part in enumerate(message.parts):
            if part.provider_metadata:
                losses.append(Loss("provider_metadata dropped", mi, pi))
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ReasoningPart):
                losses.append(Loss("reasoning dropped", mi, pi, dropped=bool(part.text)))
            elif isinstance(part, AttachmentPart):
                name = part.attachment.display_name if part.attachment else "attachment"
                losses.append(Loss(f"attachment {name} dropped", mi, pi, dropped=True))
            elif isinstance(part, ToolCallPart):
                if part.tool_call_id:
                    losses.append(Loss("tool_call_id dropped", mi, pi))
                call = {"name": part.name, "arguments": part.arguments}
                turns.append(_turn("function_call", json.dumps(call, ensure_ascii=False)))
            elif isinstance(part, ToolResultPart):
                if part.tool_call_id:
                    losses.append(Loss("tool_call_id dropped", mi, pi))
                if part.attachments:
                    losses.append(Loss("tool result attachments dropped", mi, pi, dropped=True))
                if part.exception:
                    losses.append(Loss("tool result exception dropped", mi, pi))
                turns.append(_turn("observation", part.output))
        if texts:
            if len(texts) > 1:
                losses.append(Loss(f"{len(texts)} text parts joined into one", mi))
            role = _SPEAKER_OF[message.role]
            if message.role == "tool":
                losses.append(Loss("text in a tool message sent as a human turn", mi))
            # Text first, then the calls it introduced: ShareGPT's usual order.
            turns.insert(len(turns) - _calls_added(message), _turn(role, "\n\n".join(texts)))
    doc: dict[str, Any] = {"conversations": turns}
    if conversation.settings.tools:
        doc["tools"] = json.dumps([t.to_dict() for t in conversation.settings.tools],
                                  ensure_ascii=False)
    if conversation.settings.response_schema:
        losses.append(Loss("response schema dropped", dropped=True))
    return Exported(json.dumps(doc, ensure_ascii=False) + "\n", losses)


def _calls_added(message: Message) -> int:
    return sum(isinstance(p, (ToolCallPart, ToolResultPart)) for p in message.parts)


FORMAT = Format(
    name="sharegpt",
    title="ShareGPT conversations (JSON or JSONL)",
    extensions=(".json", ".jsonl"),
    input_kind="text",
    detect=detect,
    load=load,
    dump=dump,
)
