"""OpenAI Chat Completions: a bare ``messages`` array or a whole ``/chat/completions`` body.

This is the one mapping between our messages and the Chat wire shape; the ``openai-chat``
provider sends ``to_body``'s result.

Provider metadata, under the key ``"openai-chat"`` (whatever preset or server was used):

- on a message: ``role`` (``"developer"`` when the wire said so; we hold it as ``system``) and
  ``fields``, the message's keys we have no place for (``name``, ``cache_control``, ``audio``...),
  replayed verbatim;
- on a reasoning part: ``field`` (``"reasoning_content"`` or ``"reasoning"``: which message key
  carries its text), ``reasoning_details`` (OpenRouter/Vercel signatures and encrypted blobs,
  verbatim) and ``fields`` (any other reasoning key, verbatim);
- on a text part: ``refusal`` (``"field"`` or ``"part"``) and ``fields`` (e.g. ``cache_control``);
- on an attachment part: ``image_url`` (``detail``), ``file_id``, ``fields``;
- on a tool call: ``fields`` (keys beside ``id``/``type``/``function``).

Unparsable tool-call arguments are kept as ``{"composer": {"raw_arguments": ...}}``, as the
assembler does. Reasoning whose metadata belongs to another provider is stripped on export (a
note); reasoning blobs are replayed to whichever Chat server the conversation is sent to —
compatible servers ignore fields they do not know.
"""

from __future__ import annotations

import re
from typing import Any

from composer.models.assembler import parse_arguments
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._wire import arguments_text, dump_body, json_kind, merge_extra
from composer.models.formats.base import Exported, Format, Imported, Loss, guarded
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

NAME = "openai-chat"
META = "openai-chat"

_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id", "refusal",
                           "reasoning_content", "reasoning", "reasoning_details"})
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_CHAT_ONLY_PART_TYPES = frozenset({"image_url", "input_audio", "file"})
_FOREIGN_PART_TYPES = frozenset({"image", "document", "tool_use", "tool_result", "thinking",
                                 "redacted_thinking", "input_text", "input_image", "input_file",
                                 "output_text", "function_call", "function_call_output"})
_CHAT_ONLY_BODY_KEYS = frozenset({"stream_options", "response_format", "max_completion_tokens",
                                  "reasoning_effort", "frequency_penalty", "presence_penalty",
                                  "logit_bias", "n", "logprobs", "top_logprobs", "seed",
                                  "parallel_tool_calls", "modalities", "audio"})
_FOREIGN_BODY_KEYS = frozenset({"system", "contents", "input", "anthropic_version",
                                "generationConfig", "systemInstruction"})
# Keys of a body we drop on import: the transport sets them for every request.
_TRANSPORT_KEYS = frozenset({"stream", "stream_options"})
_AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_AUDIO_MIMES = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
                "audio/vnd.wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3"}
_DEFAULT_SCHEMA_NAME = "response"
# OpenAI's reasoning models refuse max_tokens; they take max_completion_tokens.
_COMPLETION_TOKENS_MODEL = re.compile(r"^(o\d|gpt-5|gpt-oss)")


# -- detection -------------------------------------------------------------------------------


def _message_score(messages: list[Any]) -> float:
    """0 when a list is not Chat messages; 0.6 when it could be several formats; 0.9 when sure."""
    if not messages:
        return 0.0
    sure = False
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return 0.0
        if "parts" in m or "type" in m or m["role"] == "model":
            return 0.0
        role = m["role"]
        if role not in ("system", "developer", "user", "assistant", "tool", "function"):
            return 0.0
        content = m.get("content")
        if isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    return 0.0
                kind = part.get("type")
                if not isinstance(kind, str):  # robustness: a list here is unhashable
                    return 0.0
                if kind in _FOREIGN_PART_TYPES or kind not in _PART_TYPES:
                    return 0.0
                if kind in _CHAT_ONLY_PART_TYPES:
                    sure = True
        elif content is None:
            if not (role == "assistant" and ("tool_calls" in m or "reasoning_content" in m)):
                return 0.0
        elif not isinstance(content, str):
            return 0.0
        if role in ("developer", "tool") or "tool_calls" in m or "tool_call_id" in m:
            sure = True
        if "reasoning_content" in m or "reasoning_details" in m:
            sure = True
    return 0.9 if sure else 0.6


def detect(data: Any) -> float:
    if isinstance(data, list):
        return _message_score(data)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return 0.0
    if _FOREIGN_BODY_KEYS & data.keys() or "composer" in data:
        return 0.0
    score = _message_score(data["messages"])
    if score == 0:
        return 0.0
    if isinstance(data.get("model"), str):
        score += 0.05
    if _CHAT_ONLY_BODY_KEYS & data.keys():
        score = max(score, 0.9)
    tools = data.get("tools")
    if isinstance(tools, list) and tools and all(
            isinstance(t, dict) and t.get("type") == "function" and "function" in t for t in tools):
        score = max(score, 0.9)
    return min(score, 0.95)


# -- import ----------------------------------------------------------------------------------


class _Reader:
    """Walks one body, raising a FormatError with a JSON path at the first bad value."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.losses: list[Loss] = []
        self.call_names: dict[str, str] = {}

    def fail(self, problem: str, location: str) -> FormatError:
        return FormatError(problem, source=self.source, location=location)

    def note(self, problem: str, message: int | None = None, part: int | None = None,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, message, part, dropped))

    def string(self, value: Any, location: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(f"expected a string, found {json_kind(value)}", location)
        return value

    # -- messages --

    def messages(self, data: Any, location: str) -> list[Message]:
        if not isinstance(data, list):
            raise self.fail(f"expected an array of messages, found {json_kind(data)}", location)
        return [self.message(m, i, f"{location}[{i}]") for i, m in enumerate(data)]

    def message(self, m: Any, index: int, loc: str) -> Message:
        if not isinstance(m, dict):
            raise self.fail(f"expected a message object, found {json_kind(m)}", loc)
        role = m.get("role")
        if not isinstance(role, str):
            raise self.fail("message has no role", loc)
        meta: dict[str, Any] = {}
        fields = {k: v for k, v in m.items() if k not in _MESSAGE_KEYS}
        if role == "developer":
            meta["role"] = "developer"
            role = "system"
        if role in ("system", "user"):
            parts = self.content(m.get("content"), index, f"{loc}.content", role)
        elif role == "assistant":
            parts = self.assistant(m, index, loc)
        elif role == "tool":
            parts = [self.tool_result(m, loc)]
        else:
            raise self.fail(f"unknown role {role!r}", f"{loc}.role")
        if role != "assistant":
            for key in ("reasoning_content", "reasoning", "reasoning_details", "refusal",
                        "tool_calls"):
                if key in m and m[key] is not None:
                    fields[key] = m[key]
        if role != "tool" and "tool_call_id" in m:
            fields["tool_call_id"] = m["tool_call_id"]
        if fields:
            meta["fields"] = fields
        return Message(role=role, parts=parts,
                       provider_metadata={META: meta} if meta else None)

    def content(self, content: Any, index: int, loc: str, role: str) -> list:
        if content is None:
            return []
        if isinstance(content, str):
            return [TextPart(text=content)]
        if not isinstance(content, list):
            raise self.fail(f"content must be a string or an array, found {json_kind(content)}", loc)
        parts = []
        for j, item in enumerate(content):
            part = self.content_part(item, index, len(parts), f"{loc}[{j}]", role)
            if part is not None:
                parts.append(part)
        return parts

    def content_part(self, item: Any, index: int, pindex: int, loc: str, role: str):
        if not isinstance(item, dict):
            raise self.fail(f"expected a content part object, found {json_kind(item)}", loc)
        kind = item.get("type")
        if not isinstance(kind, str):
            raise self.fail("content part has no type", loc)
        if kind == "text":
            text = self.string(item.get("text"), f"{loc}.text")
            return TextPart(text=text, provider_metadata=_meta(_fields(item, "type", "text")))
        if kind == "refusal":
            text = self.string(item.get("refusal"), f"{loc}.refusal")
            extra = _fields(item, "type", "refusal")
            meta = {"refusal": "part", **({"fields": extra} if extra else {})}
            return TextPart(text=text, provider_metadata={META: meta})
        if kind == "image_url":
            image = item.get("image_url")
            if isinstance(image, str):
                image = {"url": image}
            if not isinstance(image, dict):
                raise self.fail(f"image_url must be an object, found {json_kind(image)}",
                                f"{loc}.image_url")
            url = self.string(image.get("url"), f"{loc}.image_url.url")
            meta: dict[str, Any] = {}
            if rest := _fields(image, "url"):
                meta["image_url"] = rest
            if extra := _fields(item, "type", "image_url"):
                meta["fields"] = extra
            att = Attachment.from_url(url)
            if att.content is not None and att.type is None:
                att.type = "image/png"
            return AttachmentPart(attachment=att, provider_metadata={META: meta} if meta else None)
        if kind == "input_audio":
            audio = item.get("input_audio")
            if not isinstance(audio, dict):
                raise self.fail(f"input_audio must be an object, found {json_kind(audio)}",
                                f"{loc}.input_audio")
            data = self.string(audio.get("data"), f"{loc}.input_audio.data")
            fmt = self.string(audio.get("format"), f"{loc}.input_audio.format")
            mime = _AUDIO_FORMATS.get(fmt, f"audio/{fmt}")
            return AttachmentPart(attachment=Attachment(type=mime, content=data),
                                  provider_metadata=_meta(_fields(item, "type", "input_audio")))
        if kind == "file":
            return self.file_part(item, loc)
        self.note(f"content part of type {kind!r} has no equivalent; dropped", index, pindex,
                  dropped=True)
        return None

    def file_part(self, item: dict, loc: str) -> AttachmentPart:
        f = item.get("file")
        if not isinstance(f, dict):
            raise self.fail(f"file must be an object, found {json_kind(f)}", f"{loc}.file")
        name = self.string(f.get("filename"), f"{loc}.file.filename", optional=True)
        data = self.string(f.get("file_data"), f"{loc}.file.file_data", optional=True)
        file_id = self.string(f.get("file_id"), f"{loc}.file.file_id", optional=True)
        if data is None and file_id is None:
            raise self.fail("file has neither file_data nor file_id", f"{loc}.file")
        extra = {"name": name} if name else {}
        if data is None:
            att = Attachment(**extra)
        elif data.startswith("data:"):
            att = Attachment.from_url(data)
            if name:
                att = Attachment(type=att.type, content=att.content, name=name)
        else:
            att = Attachment(type=_mime_for(name) or "application/pdf", content=data, **extra)
        meta: dict[str, Any] = {}
        if file_id is not None:
            meta["file_id"] = file_id
        if rest := _fields(f, "filename", "file_data", "file_id"):
            meta["file"] = rest
        if rest := _fields(item, "type", "file"):
            meta["fields"] = rest
        return AttachmentPart(attachment=att, provider_metadata={META: meta} if meta else None)

    def assistant(self, m: dict, index: int, loc: str) -> list:
        parts: list = []
        reasoning = self.reasoning(m, loc)
        if reasoning is not None:
            parts.append(reasoning)
        parts += self.content(m.get("content"), index, f"{loc}.content", "assistant")
        refusal = m.get("refusal")
        if refusal is not None:
            text = self.string(refusal, f"{loc}.refusal")
            parts.append(TextPart(text=text, provider_metadata={META: {"refusal": "field"}}))
        calls = m.get("tool_calls")
        if calls is not None:
            if not isinstance(calls, list):
                raise self.fail(f"tool_calls must be an array, found {json_kind(calls)}",
                                f"{loc}.tool_calls")
            for j, call in enumerate(calls):
                part = self.tool_call(call, index, len(parts), f"{loc}.tool_calls[{j}]")
                if part is not None:
                    parts.append(part)
        return parts

    def reasoning(self, m: dict, loc: str) -> ReasoningPart | None:
        rc = self.string(m.get("reasoning_content"), f"{loc}.reasoning_content", optional=True)
        r = m.get("reasoning")
        details = m.get("reasoning_details")
        if details is not None and not isinstance(details, list):
            raise self.fail(f"reasoning_details must be an array, found {json_kind(details)}",
                            f"{loc}.reasoning_details")
        meta: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        text = None
        if rc is not None:
            meta["field"], text = "reasoning_content", rc
        if isinstance(r, str):
            if text is None:
                meta["field"], text = "reasoning", r
            else:
                fields["reasoning"] = r
        elif r is not None:
            fields["reasoning"] = r  # some servers send an object here; keep it as it came
        if details is not None:
            meta["reasoning_details"] = details
        if fields:
            meta["fields"] = fields
        if not meta:
            return None
        redacted = False
        if text is None:
            text = _details_text(details or [])
            redacted = not text and any(isinstance(d, dict) and "encrypted" in str(d.get("type"))
                                        for d in details or [])
        return ReasoningPart(text=text, redacted=redacted, provider_metadata={META: meta})

    def tool_call(self, call: Any, index: int, pindex: int, loc: str) -> ToolCallPart | None:
        if not isinstance(call, dict):
            raise self.fail(f"expected a tool call object, found {json_kind(call)}", loc)
        kind = call.get("type", "function")
        if kind != "function":
            self.note(f"tool call of type {kind!r} has no equivalent; dropped", index, pindex,
                      dropped=True)
            return None
        fn = call.get("function")
        if not isinstance(fn, dict):
            raise self.fail(f"function must be an object, found {json_kind(fn)}", f"{loc}.function")
        name = self.string(fn.get("name"), f"{loc}.function.name")
        call_id = self.string(call.get("id"), f"{loc}.id", optional=True)
        raw = fn.get("arguments")
        meta: dict[str, Any] = {}
        if isinstance(raw, dict):
            arguments = raw
        elif raw is None:
            arguments = {}
        else:
            raw = self.string(raw, f"{loc}.function.arguments")
            arguments, problem = parse_arguments(raw)
            if problem:
                meta["composer"] = {"raw_arguments": raw}
                self.note(f"tool call {name}: {problem}; kept verbatim", index, pindex)
        extra = _fields(call, "id", "type", "function", "index")
        if extra:
            meta[META] = {"fields": extra}
        if call_id:
            self.call_names[call_id] = name
        return ToolCallPart(name=name, arguments=arguments, tool_call_id=call_id,
                            provider_metadata=meta or None)

    def tool_result(self, m: dict, loc: str) -> ToolResultPart:
        call_id = self.string(m.get("tool_call_id"), f"{loc}.tool_call_id", optional=True)
        content = m.get("content")
        if content is None:
            output = ""
        elif isinstance(content, str):
            output = content
        elif isinstance(content, list):
            texts = []
            for j, item in enumerate(content):
                if not isinstance(item, dict) or item.get("type") != "text":
                    raise self.fail("a tool message's content may hold only text parts",
                                    f"{loc}.content[{j}]")
                texts.append(self.string(item.get("text"), f"{loc}.content[{j}].text"))
            output = "".join(texts)
        else:
            raise self.fail(f"content must be a string or an array, found {json_kind(content)}",
                            f"{loc}.content")
        name = self.call_names.get(call_id or "", "")
        if isinstance(m.get("name"), str) and not name:
            name = m["name"]
        return ToolResultPart(name=name, output=output, tool_call_id=call_id)

    # -- settings --

    def settings(self, body: dict) -> RequestSettings:
        extra: dict[str, Any] = {}
        options: dict[str, Any] = {}
        settings = RequestSettings(provider=NAME)
        for key, value in body.items():
            loc = f"$.{key}"
            if key in ("messages",) or key in _TRANSPORT_KEYS:
                continue
            if key == "model":
                settings.model = self.string(value, loc)
            elif key == "tools":
                settings.tools = self.tools(value, loc, extra)
            elif key == "tool_choice":
                if isinstance(value, dict) and value.get("type") == "function" and isinstance(
                        (value.get("function") or {}).get("name"), str):
                    settings.tool_choice = {"name": value["function"]["name"]}
                elif isinstance(value, str):
                    settings.tool_choice = value
                else:
                    extra[key] = value
            elif key == "response_format":
                schema = _schema_of(value)
                if schema is None:
                    extra[key] = value
                else:
                    settings.response_schema = schema
                    rest = _fields(value["json_schema"], "schema")
                    if rest.get("name") == _DEFAULT_SCHEMA_NAME:
                        del rest["name"]
                    if rest:
                        extra[key] = {"json_schema": rest}
            elif key in ("temperature", "top_p", "stop", "seed", "reasoning_effort"):
                options[key] = value
            elif key == "max_completion_tokens":
                options["max_tokens"] = value
            elif key == "max_tokens" and "max_completion_tokens" not in body:
                options["max_tokens"] = value
            else:
                extra[key] = value
        settings.options = options
        settings.extra_body = extra
        return settings

    def tools(self, value: Any, loc: str, extra: dict) -> list[Tool]:
        if not isinstance(value, list):
            raise self.fail(f"tools must be an array, found {json_kind(value)}", loc)
        tools = []
        for i, t in enumerate(value):
            if not isinstance(t, dict):
                raise self.fail(f"expected a tool object, found {json_kind(t)}", f"{loc}[{i}]")
            if t.get("type") != "function" or not isinstance(t.get("function"), dict):
                extra.setdefault("tools", []).append(t)  # hosted tools travel as they are
                continue
            fn = t["function"]
            name = self.string(fn.get("name"), f"{loc}[{i}].function.name")
            params = fn.get("parameters", {"type": "object", "properties": {}})
            if not isinstance(params, dict):
                raise self.fail(f"parameters must be an object, found {json_kind(params)}",
                                f"{loc}[{i}].function.parameters")
            desc = self.string(fn.get("description"), f"{loc}[{i}].function.description",
                               optional=True)
            tools.append(Tool(name=name, description=desc, parameters=params,
                              **_fields(fn, "name", "description", "parameters")))
        return tools


@guarded("Chat Completions body")
def from_body(data: Any, source: str | None = None) -> Imported:
    """A Chat Completions body (or bare messages array) as a conversation, plus what was lossy."""
    reader = _Reader(source)
    if isinstance(data, list):
        conversation = Conversation(messages=reader.messages(data, "$"))
    elif isinstance(data, dict):
        if "messages" not in data:
            raise reader.fail("no \"messages\" array", "$")
        messages = reader.messages(data["messages"], "$.messages")
        conversation = Conversation(messages=messages, settings=reader.settings(data))
    else:
        raise reader.fail(f"expected a messages array or a request object, found "
                          f"{json_kind(data)}", "$")
    return Imported(conversation, reader.losses)


# -- export ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.losses: list[Loss] = []
        # Ids we made up for tool calls that had none, by tool name, for their results.
        self.made_ids: dict[str, list[str]] = {}

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
                blocks.append(self.text(part))
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

    def text(self, part: TextPart) -> dict[str, Any]:
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
                    texts.append(self.text(part))
            elif isinstance(part, ReasoningPart):
                self.reasoning(part, i, j, out, details)
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
                  details: list[Any]) -> None:
        meta = (part.provider_metadata or {}).get(META)
        if not isinstance(meta, dict):
            owners = ", ".join(sorted(part.provider_metadata or {}))
            why = f"belongs to {owners}" if owners else "was not made by a Chat server"
            self.loss(f"reasoning stripped: it {why}", i, j)
            return
        field = meta.get("field")
        if field in ("reasoning_content", "reasoning"):
            out[field] = out.get(field, "") + part.text
        if isinstance(meta.get("reasoning_details"), list):
            details += meta["reasoning_details"]
        if isinstance(meta.get("fields"), dict):
            out.update(meta["fields"])

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
        fields = (meta.get(META) or {}).get("fields") or {}
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
            output = f"{output}\n\nError: {part.exception}" if output else f"Error: {part.exception}"
        return {"role": "tool", "tool_call_id": call_id, "content": output, **fields}

    # -- settings --

    def settings(self, body: dict[str, Any]) -> None:
        s = self.conversation.settings
        if s.tools:
            body["tools"] = [{"type": "function", "function": _tool_function(t)} for t in s.tools]
        if s.tool_choice is not None:
            choice = s.tool_choice
            if isinstance(choice, dict) and isinstance(choice.get("name"), str):
                if s.tools and choice["name"] not in {t.name for t in s.tools}:
                    self.loss(f"tool_choice names {choice['name']!r}, which is not among the "
                              "tools", dropped=True)
                body["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
            else:
                body["tool_choice"] = choice
        if s.response_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": _DEFAULT_SCHEMA_NAME, "schema": s.response_schema}}
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


def to_body(conversation: Conversation) -> tuple[dict[str, Any], list[Loss]]:
    """The Chat Completions request body for a conversation (no streaming flags), and losses."""
    writer = _Writer(conversation)
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


FORMAT = Format(
    name=NAME,
    title="OpenAI Chat Completions (messages or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)


# -- helpers ---------------------------------------------------------------------------------


def _fields(d: dict, *known: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in known}


def _meta(fields: dict[str, Any]) -> dict[str, Any] | None:
    return {META: {"fields": fields}} if fields else None


def _details_text(details: list[Any]) -> str:
    texts = []
    for d in details:
        if isinstance(d, dict):
            for key in ("text", "summary"):
                if isinstance(d.get(key), str):
                    texts.append(d[key])
    return "".join(texts)


def _schema_of(value: Any) -> dict[str, Any] | None:
    if (isinstance(value, dict) and value.get("type") == "json_schema"
            and isinstance(value.get("json_schema"), dict)
            and isinstance(value["json_schema"].get("schema"), dict)
            and set(value) <= {"type", "json_schema"}):
        return value["json_schema"]["schema"]
    return None


def _mime_for(name: str | None) -> str | None:
    if not name:
        return None
    import mimetypes

    return mimetypes.guess_type(name)[0]


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


def _tool_function(tool: Tool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        fn["description"] = tool.description
    fn["parameters"] = tool.parameters
    fn.update(tool.model_extra or {})
    return fn


