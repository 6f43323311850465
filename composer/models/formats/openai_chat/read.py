"""Chat Completions bodies in: a bare ``messages`` array or a whole ``/chat/completions`` body,
read into a conversation with a FormatError naming the JSON path of the first bad value.
"""

from __future__ import annotations

from typing import Any

from composer.models.assembler import parse_arguments
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._reader import Reader, json_kind
from composer.models.formats.base import Imported, guarded
from composer.models.formats.openai_chat.wire import (
    DEFAULT_SCHEMA_NAME,
    META,
    NAME,
    thinking_text,
)
from composer.models.formats.openai_chat.wire import fields as _fields
from composer.models.formats.openai_chat.wire import fields_meta as _meta
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "tool_call_id", "refusal",
                           "reasoning_content", "reasoning", "reasoning_details"})
# Keys of a body we drop on import: the transport sets them for every request.
_TRANSPORT_KEYS = frozenset({"stream", "stream_options"})
_AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}

class _Reader(Reader):
    """Walks one body, raising a FormatError with a JSON path at the first bad value."""

    def __init__(self, source: str | None) -> None:
        super().__init__(source)
        self.call_names: dict[str, str] = {}

    # -- messages --

    def messages(self, data: Any, location: str) -> list[Message]:
        if not isinstance(data, list):
            raise self.fail(f"messages must be an array, not {json_kind(data)}", location)
        return [self.message(m, i, f"{location}[{i}]") for i, m in enumerate(data)]

    def message(self, m: Any, index: int, loc: str) -> Message:
        if not isinstance(m, dict):
            raise self.fail(f"a message must be an object, not {json_kind(m)}", loc)
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
            raise self.fail(f"content must be a string or an array, not {json_kind(content)}", loc)
        parts = []
        for j, item in enumerate(content):
            part = self.content_part(item, index, len(parts), f"{loc}[{j}]", role)
            if part is not None:
                parts.append(part)
        return parts

    def content_part(self, item: Any, index: int, pindex: int, loc: str, role: str):
        if not isinstance(item, dict):
            raise self.fail(f"a content part must be an object, not {json_kind(item)}", loc)
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
                raise self.fail(f"image_url must be an object, not {json_kind(image)}",
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
                raise self.fail(f"input_audio must be an object, not {json_kind(audio)}",
                                f"{loc}.input_audio")
            data = self.string(audio.get("data"), f"{loc}.input_audio.data")
            fmt = self.string(audio.get("format"), f"{loc}.input_audio.format")
            mime = _AUDIO_FORMATS.get(fmt, f"audio/{fmt}")
            return AttachmentPart(attachment=Attachment(type=mime, content=data),
                                  provider_metadata=_meta(_fields(item, "type", "input_audio")))
        if kind == "file":
            return self.file_part(item, loc)
        if kind == "thinking" and role == "assistant" and isinstance(item.get("thinking"), list):
            meta = {"field": "thinking"}
            if extra := _fields(item, "type", "thinking"):
                meta["block"] = extra
            return ReasoningPart(text=thinking_text(item["thinking"]),
                                 provider_metadata={META: meta})
        self.note(f"content part of type {kind!r} has no equivalent; dropped", index, pindex,
                  dropped=True)
        return None

    def file_part(self, item: dict, loc: str) -> AttachmentPart:
        f = item.get("file")
        if not isinstance(f, dict):
            raise self.fail(f"file must be an object, not {json_kind(f)}", f"{loc}.file")
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
                raise self.fail(f"tool_calls must be an array, not {json_kind(calls)}",
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
            raise self.fail(f"reasoning_details must be an array, not {json_kind(details)}",
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
            raise self.fail(f"a tool call must be an object, not {json_kind(call)}", loc)
        kind = call.get("type", "function")
        if kind == "custom" and isinstance(call.get("custom"), dict):
            custom = call["custom"]
            name = self.string(custom.get("name"), f"{loc}.custom.name")
            text = self.string(custom.get("input", ""), f"{loc}.custom.input")
            call_id = self.string(call.get("id"), f"{loc}.id", optional=True)
            own: dict[str, Any] = {"custom": True}
            if extra := _fields(call, "id", "type", "custom", "index"):
                own["fields"] = extra
            if call_id:
                self.call_names[call_id] = name
            return ToolCallPart(name=name, arguments={"input": text}, tool_call_id=call_id,
                                provider_metadata={META: own})
        if kind != "function":
            self.note(f"tool call of type {kind!r} has no equivalent; dropped", index, pindex,
                      dropped=True)
            return None
        fn = call.get("function")
        if not isinstance(fn, dict):
            raise self.fail(f"function must be an object, not {json_kind(fn)}", f"{loc}.function")
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
            raise self.fail(f"content must be a string or an array, not {json_kind(content)}",
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
                    if isinstance(rest.get("strict"), bool):
                        settings.schema_strict = rest.pop("strict")
                    if rest.get("name") == DEFAULT_SCHEMA_NAME:
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
            raise self.fail(f"tools must be an array, not {json_kind(value)}", loc)
        tools = []
        for i, t in enumerate(value):
            if not isinstance(t, dict):
                raise self.fail(f"a tool must be an object, not {json_kind(t)}", f"{loc}[{i}]")
            if t.get("type") == "custom" and isinstance(t.get("custom"), dict):
                custom = t["custom"]
                name = self.string(custom.get("name"), f"{loc}[{i}].custom.name")
                tools.append(Tool(name=name, type="custom", **_fields(custom, "name")))
                continue
            if t.get("type") != "function" or not isinstance(t.get("function"), dict):
                extra.setdefault("tools", []).append(t)  # hosted tools travel as they are
                continue
            fn = t["function"]
            name = self.string(fn.get("name"), f"{loc}[{i}].function.name")
            params = fn.get("parameters", {"type": "object", "properties": {}})
            if not isinstance(params, dict):
                raise self.fail(f"parameters must be an object, not {json_kind(params)}",
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
