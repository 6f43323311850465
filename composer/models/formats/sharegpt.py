"""ShareGPT: ``{"conversations": [{"from", "value"}, ...]}``, a bare list of turns, or JSONL.

Speakers: ``human``/``user``, ``gpt``/``assistant``, ``system``, ``function_call`` (an assistant
tool call whose value is ``{"name", "arguments"}`` JSON) and ``observation``/``tool`` (a tool
result). A top-level ``system`` string becomes the first message; a ``tools`` list (or JSON
string of one, LLaMA-Factory style) becomes the tool definitions.

JSONL holds one conversation per line, and the original dataset is a JSON array of
``{"id", "conversations"}``: both hold several. Import takes the first by default and notes how
many were skipped; ``load_nth(text, n)`` (the CLI's ``--conversation N``, or an ``id``) picks
another, and ``list_conversations(text)`` lists them for a picker. Export writes one line, which
is both a JSON document and a one-line JSONL file.

Keys ShareGPT tools add beside ``from``/``value`` (``weight``, ``loss``...) and beside
``conversations`` (``id``, ``source``...) are kept under ``"sharegpt"`` on the message and on
the conversation, and written back on export.

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


EXTRAS_KEY = "sharegpt"
_DOC_KEYS = frozenset({"conversations", "system", "tools"})
_TURN_KEYS = frozenset({"from", "value"})


def _is_dataset(data: Any) -> bool:
    """The original ShareGPT dataset: a JSON array of {"id", "conversations"} objects."""
    return (isinstance(data, list) and bool(data)
            and all(isinstance(d, dict) and isinstance(d.get("conversations"), list)
                    for d in data))


def _turns_of(data: Any) -> list | None:
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        return data["conversations"]
    if isinstance(data, list) and data and all(_is_turn(t) for t in data):
        return data
    return None


def _parse_text(text: str) -> tuple[list[Any], list[int]]:
    """(documents, their line numbers): one JSON document, or one per non-blank JSONL line."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        pass
    else:
        if _is_dataset(whole):
            return whole, list(range(1, len(whole) + 1))
        return [whole], [1]
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
        return 0.9 if _turns_of(text) is not None or _is_dataset(text) else 0.0
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
    if _is_dataset(first):
        return 0.9
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
    kept: dict[str, Any] = {}
    if isinstance(doc, dict):
        system = doc.get("system")
        if isinstance(system, str) and system:
            messages.append(Message.text("system", system))
        if doc.get("tools"):
            settings.tools = _tools(doc["tools"], f"{where}.tools", source)
        kept = {k: v for k, v in doc.items() if k not in _DOC_KEYS}
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
        extra = {k: v for k, v in turn.items() if k not in _TURN_KEYS}
        if extra and kind != "call":  # a call joins a message; its keys would be misplaced
            setattr(messages[-1], EXTRAS_KEY, extra)
        elif extra:
            losses.append(Loss(f"function_call turn keys {', '.join(extra)} dropped",
                               message_index=len(messages) - 1))
    conversation = Conversation(messages=messages, settings=settings)
    if kept:
        setattr(conversation, EXTRAS_KEY, kept)
    return Imported(conversation, losses)


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


def _documents(data: Any, source: str | None) -> tuple[list[Any], list[str]]:
    """(the conversations, where each is: "$", "$[i]" in a dataset array, "line N: $")."""
    if isinstance(data, str):
        try:
            docs, lines = _parse_text(data)
        except FormatError as exc:
            raise (exc.with_source(source) if source else exc) from None
        if data.lstrip().startswith("[") and docs and isinstance(docs[0], dict):  # a dataset
            return docs, [f"$[{i}]" for i in range(len(docs))]
        return docs, ["$" if len(docs) == 1 else f"line {n}: $" for n in lines]
    if _is_dataset(data):
        return list(data), [f"$[{i}]" for i in range(len(data))]
    return [data], ["$"]


def list_conversations(data: Any, source: str | None = None) -> list[tuple[str, str]]:
    """(key for ``load_nth``, a title) for every conversation: its id or first human words."""
    docs, _ = _documents(data, source)
    out = []
    for n, doc in enumerate(docs, 1):
        title = ""
        if isinstance(doc, dict) and isinstance(doc.get("id"), str | int):
            title = str(doc["id"])
        turns = _turns_of(doc) or []
        first = next((t["value"] for t in turns if _is_turn(t) and isinstance(t["value"], str)
                      and str(t["from"]).lower() in ("human", "user")), "")
        words = " ".join(first.split())[:60]
        out.append((str(n), f"{title}: {words}" if title and words else title or words))
    return out


def load_nth(data: Any, n: int | str, source: str | None = None) -> Imported:
    """Conversation ``n`` (1-based, or a dataset ``id``) of several; 1 for a single document."""
    docs, wheres = _documents(data, source)
    if not docs:
        raise FormatError("no conversation in the input", source=source)
    if isinstance(n, str):
        ids = [str(d.get("id")) if isinstance(d, dict) else None for d in docs]
        if n in ids:
            n = ids.index(n) + 1
        elif n.isdigit():
            n = int(n)
        else:
            raise FormatError(f"no conversation {n!r}: pick a number from 1 to {len(docs)} or "
                              "an id", source=source)
    if not 1 <= n <= len(docs):
        raise FormatError(f"conversation {n} asked for, but the input holds {len(docs)}",
                          source=source)
    imported = _conversation(docs[n - 1], wheres[n - 1], source)
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
            turn = {**_kept(message), **_turn(role, "\n\n".join(texts))}
            turns.insert(len(turns) - _calls_added(message), turn)
    doc: dict[str, Any] = {**_kept(conversation), "conversations": turns}
    if conversation.settings.tools:
        doc["tools"] = json.dumps([t.to_dict() for t in conversation.settings.tools],
                                  ensure_ascii=False)
    if conversation.settings.response_schema:
        losses.append(Loss("response schema dropped", dropped=True))
    return Exported(json.dumps(doc, ensure_ascii=False) + "\n", losses)


def _kept(value: Message | Conversation) -> dict[str, Any]:
    """The ShareGPT keys an import kept on a message or conversation (see EXTRAS_KEY)."""
    kept = (value.model_extra or {}).get(EXTRAS_KEY)
    return {k: v for k, v in kept.items() if k not in _DOC_KEYS | _TURN_KEYS} \
        if isinstance(kept, dict) else {}


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
