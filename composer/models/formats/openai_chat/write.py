"""OpenAI Chat Completions: a bare ``messages`` array or a whole ``/chat/completions`` body.

This is the one mapping between our messages and the Chat wire shape; the ``openai-chat``
provider sends ``to_body``'s result.

Provider metadata, under the key ``"openai-chat"`` (whatever preset or server was used):

- on a message: ``role`` (``"developer"`` when the wire said so; we hold it as ``system``) and
  ``fields``, the message's keys we have no place for (``name``, ``cache_control``, ``audio``...),
  replayed verbatim;
- on a reasoning part: ``field`` (``"reasoning_content"`` or ``"reasoning"``: which message key
  carries its text; ``"thinking"``: a Mistral ``thinking`` chunk in ``content``, with its other
  keys in ``block``), ``reasoning_details`` (OpenRouter/Vercel signatures and encrypted blobs,
  verbatim) and ``fields`` (any other reasoning key, verbatim);
- on a text part: ``refusal`` (``"field"`` or ``"part"``) and ``fields`` (e.g. ``cache_control``);
- on an attachment part: ``image_url`` (``detail``), ``file_id``, ``fields``;
- on a tool call: ``fields`` (keys beside ``id``/``type``/``function``), and ``custom`` when it
  called a custom tool (free-form input, held as ``{"input": text}``).

Unparsable tool-call arguments are kept as ``{"composer": {"raw_arguments": ...}}``, as the
assembler does. Reasoning whose metadata belongs to another provider is stripped on export (a
note); reasoning blobs are replayed to whichever Chat server the conversation is sent to —
compatible servers ignore fields they do not know.
"""

from __future__ import annotations

import re
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._wire import arguments_text, dump_body, merge_extra
from composer.models.formats.base import Exported, Loss
from composer.models.formats.openai_chat.wire import DEFAULT_SCHEMA_NAME, META
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import Tool

_AUDIO_MIMES = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
                "audio/vnd.wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}
# OpenAI's reasoning models refuse max_tokens; they take max_completion_tokens.
_COMPLETION_TOKENS_MODEL = re.compile(r"^(o\d|gpt-5|gpt-oss)")




class _Writer:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.losses: list[Loss] = []
        # Ids we made up for tool calls that had none, by tool name, for their results.
        self.made_ids: dict[str, list[str]] = {}
        self.thinking_host: str | None = None

    def loss(self, problem: str, message: int | None = None, part: int | None = None,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, message, part, dropped))

    def messages(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, message in enumerate(self.conversation.messages):
            out += self.message(message, i)
        return out

    def message(self, message: Message, i: int) -> list[dict[str, Any]]:
        meta = (message.provider_metadata or {}).get(META) or {}
        fields = meta.get("fields") if isinstance(meta.get("fields"), dict) else {}
        role = message.role
        if role == "system":
            wire_role = "developer" if meta.get("role") == "developer" else "system"
            content = self.content(message, i, text_only=True)
            return [{"role": wire_role, "content": _collapse(content), **fields}]
        if role == "assistant":
            return [self.assistant(message, i, fields)]
        # user and tool messages: tool results first (they must follow the calls), then the rest.
        out = []
        moved: list[dict[str, Any]] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, ToolResultPart):
                out.append(self.tool_result(part, i, j, fields if role == "tool" else {}))
                for att in part.attachments:
                    block = self.attachment(att, None, i, j)
                    if block is not None:
                        moved.append(block)
        if moved:
            self.loss("tool result attachments sent in a user message (Chat tool results "
                      "hold text only)", i)
        rest = [p for p in message.parts if not isinstance(p, ToolResultPart)]
        if role == "tool":
            for j, part in enumerate(message.parts):
                if not isinstance(part, ToolResultPart):
                    self.loss(f"a {part.type} part in a tool message has no place in Chat "
                              "Completions", i, j, dropped=True)
            if moved:
                out.append({"role": "user", "content": moved})
            return out
        if rest or not out:
            content = self.content(message, i, text_only=False) + moved
            out.append({"role": "user", "content": _collapse(content), **fields})
        elif moved:
            out.append({"role": "user", "content": moved})
        return out

    def content(self, message: Message, i: int, *, text_only: bool) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, TextPart):
                blocks.append(self.text(part, i, j))
            elif isinstance(part, AttachmentPart):
                if part.attachment is None:
                    continue
                block = self.attachment(part.attachment, part, i, j, text_only=text_only)
                if block is not None:
                    blocks.append(block)
            elif isinstance(part, ReasoningPart):
                self.loss("reasoning in a non-assistant message stripped", i, j)
            elif isinstance(part, ToolCallPart):
                self.loss(f"tool call {part.name} outside an assistant message has no place in "
                          "Chat Completions", i, j, dropped=True)
        return blocks

    def text(self, part: TextPart, i: int, j: int) -> dict[str, Any]:
        if part.citations:
            self.loss(f"{len(part.citations)} citation(s) left out: Chat Completions text has "
                      "no place for them", i, j)
        meta = (part.provider_metadata or {}).get(META) or {}
        fields = meta.get("fields") if isinstance(meta.get("fields"), dict) else {}
        return {"type": "text", "text": part.text, **fields}

    def attachment(self, att: Attachment, part: AttachmentPart | None, i: int, j: int, *,
                   text_only: bool = False) -> dict[str, Any] | None:
        meta = ((part.provider_metadata if part else None) or {}).get(META) or {}
        fields = meta.get("fields") if isinstance(meta.get("fields"), dict) else {}
        name = att.display_name
        kind = att.kind
        if meta.get("file_id") and att.content is None and att.path is None and not text_only:
            return {"type": "file", "file": {"file_id": meta["file_id"],
                                             **(meta.get("file") or {})}, **fields}
        if kind == "text":
            if att.content is None and att.path is None:
                self.loss(f"text file {name} is only a URL; Chat Completions cannot fetch it",
                          i, j, dropped=True)
                return None
            try:
                text = att.data().decode("utf-8", errors="replace")
            except (OSError, ValueError) as exc:
                self.loss(f"cannot read {name}: {exc}", i, j, dropped=True)
                return None
            self.loss(f"text file {name} inlined as text", i, j)
            return {"type": "text", "text": f"{name}\n```\n{text}\n```"}
        if text_only:
            self.loss(f"{kind} attachment {name} cannot go in a system message", i, j,
                      dropped=True)
            return None
        if kind == "image":
            if att.url and not att.url.startswith("data:") and att.content is None:
                url = att.url
            else:
                url = self._data_url(att, i, j)
                if url is None:
                    return None
            return {"type": "image_url", "image_url": {"url": url, **(meta.get("image_url") or {})},
                    **fields}
        if kind == "audio":
            fmt = _AUDIO_MIMES.get(att.mime)
            if fmt is None:
                self.loss(f"audio {name} is {att.mime}; Chat Completions takes wav or mp3 only",
                          i, j, dropped=True)
                return None
            if att.content is None and att.path is None:
                self.loss(f"audio {name} is only a URL; Chat Completions takes it inline only",
                          i, j, dropped=True)
                return None
            try:
                data = att.base64()
            except (OSError, ValueError) as exc:
                self.loss(f"cannot read {name}: {exc}", i, j, dropped=True)
                return None
            return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}, **fields}
        if kind == "video":
            self.loss(f"video {name} cannot be sent over Chat Completions (send frames as "
                      "images)", i, j, dropped=True)
            return None
        if att.content is None and att.path is None:
            self.loss(f"file {name} is only a URL; Chat Completions takes files inline only",
                      i, j, dropped=True)
            return None
        url = self._data_url(att, i, j)
        if url is None:
            return None
        return {"type": "file", "file": {"filename": _filename(att), "file_data": url,
                                         **(meta.get("file") or {})}, **fields}

    def _data_url(self, att: Attachment, i: int, j: int) -> str | None:
        try:
            return att.data_url()
        except (OSError, ValueError) as exc:
            self.loss(f"cannot read {att.display_name}: {exc}", i, j, dropped=True)
            return None

    def assistant(self, message: Message, i: int, fields: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"role": "assistant"}
        texts: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        details: list[Any] = []
        for j, part in enumerate(message.parts):
            if isinstance(part, TextPart):
                meta = (part.provider_metadata or {}).get(META) or {}
                if meta.get("refusal") == "field":
                    out["refusal"] = part.text
                elif meta.get("refusal") == "part":
                    texts.append({"type": "refusal", "refusal": part.text,
                                  **(meta.get("fields") or {})})
                else:
                    texts.append(self.text(part, i, j))
            elif isinstance(part, ReasoningPart):
                block = self.reasoning(part, i, j, out, details)
                if block is not None:
                    texts.append(block)
            elif isinstance(part, ToolCallPart):
                call = self.tool_call(part, i, j)
                if call is not None:
                    calls.append(call)
            elif isinstance(part, ToolResultPart):
                if part.server_executed:
                    self.loss(f"server-side tool result {part.name} left out", i, j)
                else:
                    self.loss(f"tool result {part.name} in an assistant message has no place "
                              "in Chat Completions", i, j, dropped=True)
            elif isinstance(part, AttachmentPart):
                att = part.attachment
                if att is not None and att.kind == "audio" and "audio" in fields:
                    continue  # the message's audio id stands for it
                self.loss(f"attachment {att.display_name if att else ''} in an assistant "
                          "message has no place in Chat Completions", i, j, dropped=True)
        if texts:
            out["content"] = _collapse(texts)
        elif calls:
            out["content"] = None
        elif "refusal" not in out:
            out["content"] = ""
        if details:
            out["reasoning_details"] = details
        if calls:
            out["tool_calls"] = calls
        out.update(fields)
        return out

    def reasoning(self, part: ReasoningPart, i: int, j: int, out: dict[str, Any],
                  details: list[Any]) -> dict[str, Any] | None:
        """Puts the part's message fields into ``out``; returns a content block (Mistral's
        ``thinking`` chunk) when the reasoning travels in ``content``."""
        meta = (part.provider_metadata or {}).get(META)
        if not isinstance(meta, dict):
            owners = ", ".join(sorted(part.provider_metadata or {}))
            why = f"belongs to {owners}" if owners else "was not made by a Chat server"
            self.loss(f"reasoning stripped: it {why}", i, j)
            return None
        field = meta.get("field")
        if field == "thinking" and self.thinking_host:
            self.loss(f"Mistral reasoning left out: {self.thinking_host} takes no thinking "
                      "content chunks", i, j)
            return None
        if field == "thinking":
            block = meta.get("block") if isinstance(meta.get("block"), dict) else {}
            return {"type": "thinking", "thinking": [{"type": "text", "text": part.text}],
                    **block}
        if field in ("reasoning_content", "reasoning"):
            out[field] = out.get(field, "") + part.text
        if isinstance(meta.get("reasoning_details"), list):
            details += meta["reasoning_details"]
        if isinstance(meta.get("fields"), dict):
            out.update(meta["fields"])
        return None

    def tool_call(self, part: ToolCallPart, i: int, j: int) -> dict[str, Any] | None:
        if part.server_executed:
            self.loss(f"server-side tool call {part.name} left out", i, j)
            return None
        meta = part.provider_metadata or {}
        arguments = arguments_text(part)
        call_id = part.tool_call_id
        if not call_id:
            call_id = f"call_{i + 1}_{j + 1}"
            self.made_ids.setdefault(part.name, []).append(call_id)
            self.loss(f"tool call {part.name} had no id; sent as {call_id}", i, j)
        own = meta.get(META) or {}
        fields = own.get("fields") or {}
        if own.get("custom"):
            value = part.arguments.get("input")
            text = value if isinstance(value, str) else arguments
            return {"id": call_id, "type": "custom",
                    "custom": {"name": part.name, "input": text}, **fields}
        return {"id": call_id, "type": "function",
                "function": {"name": part.name, "arguments": arguments}, **fields}

    def tool_result(self, part: ToolResultPart, i: int, j: int,
                    fields: dict[str, Any]) -> dict[str, Any]:
        call_id = part.tool_call_id
        if not call_id:
            made = self.made_ids.get(part.name)
            if made:
                call_id = made.pop(0)
            else:
                self.loss(f"tool result {part.name or ''} has no tool_call_id; Chat Completions "
                          "needs one", i, j, dropped=True)
                call_id = ""
        output = part.output
        if part.exception:
            output = (f"{output}\n\nError: {part.exception}" if output
                      else f"Error: {part.exception}")
        return {"role": "tool", "tool_call_id": call_id, "content": output, **fields}

    # -- settings --

    def settings(self, body: dict[str, Any]) -> None:
        s = self.conversation.settings
        if s.tools:
            body["tools"] = [_tool(t) for t in s.tools]
        if s.tool_choice is not None:
            choice = s.tool_choice
            if isinstance(choice, dict) and isinstance(choice.get("name"), str):
                if s.tools and choice["name"] not in {t.name for t in s.tools}:
                    self.loss(f"tool_choice names {choice['name']!r}, which is not among the "
                              "tools", dropped=True)
                custom = any(t.name == choice["name"] and (t.model_extra or {}).get("type")
                             == "custom" for t in s.tools)
                kind = "custom" if custom else "function"
                body["tool_choice"] = {"type": kind, kind: {"name": choice["name"]}}
            else:
                body["tool_choice"] = choice
        if s.response_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": DEFAULT_SCHEMA_NAME, "schema": s.response_schema}}
            if s.schema_strict is not None:
                body["response_format"]["json_schema"]["strict"] = s.schema_strict
        for key, value in s.options.items():
            if value is None:
                continue
            if key == "max_tokens":
                model = s.model.rsplit("/", 1)[-1]
                wire = ("max_completion_tokens" if _COMPLETION_TOKENS_MODEL.match(model)
                        else "max_tokens")
                body[wire] = value
            elif key == "thinking_budget":
                self.loss("thinking_budget has no Chat Completions field; use reasoning_effort, "
                          "or the server's own field in extra_body", dropped=True)
            else:
                body[key] = value


def to_body(conversation: Conversation, *, thinking_host: str | None = None
            ) -> tuple[dict[str, Any], list[Loss]]:
    """The Chat Completions request body for a conversation (no streaming flags), and losses.
    ``thinking_host``: a server known to reject Mistral's ``thinking`` content chunks, which
    are then left out with a note."""
    writer = _Writer(conversation)
    writer.thinking_host = thinking_host
    body: dict[str, Any] = {}
    if conversation.settings.model:
        body["model"] = conversation.settings.model
    body["messages"] = writer.messages()
    writer.settings(body)
    merge_extra(body, conversation.settings.extra_body)
    return body, writer.losses


def dump(conversation: Conversation) -> Exported:
    body, losses = to_body(conversation)
    return dump_body(body, losses)




# -- helpers ---------------------------------------------------------------------------------


def _filename(att: Attachment) -> str:
    name = (att.model_extra or {}).get("name")
    if isinstance(name, str) and name:
        return name
    if att.path:
        return att.path.replace("\\", "/").rsplit("/", 1)[-1]
    ext = {"application/pdf": ".pdf"}.get(att.mime, "")
    return f"file{ext}"


def _collapse(blocks: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """A single plain text part goes as a string, as every client sends it."""
    if not blocks:
        return ""
    if len(blocks) == 1 and set(blocks[0]) == {"type", "text"} and blocks[0]["type"] == "text":
        return blocks[0]["text"]
    return blocks


def _tool(tool: Tool) -> dict[str, Any]:
    extra = tool.model_extra or {}
    if extra.get("type") == "custom":  # free-form input: {"type": "custom", "custom": {...}}
        custom: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            custom["description"] = tool.description
        custom.update({k: v for k, v in extra.items() if k != "type"})
        return {"type": "custom", "custom": custom}
    return {"type": "function", "function": _tool_function(tool)}


def _tool_function(tool: Tool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        fn["description"] = tool.description
    fn["parameters"] = tool.parameters
    fn.update(tool.model_extra or {})
    return fn
