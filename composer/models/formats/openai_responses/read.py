"""Responses request bodies in: a bare ``input`` items array or a whole request body.

Consecutive assistant-side items (reasoning, function calls, assistant messages, hosted tool
calls) become one assistant message; consecutive ``function_call_output`` items become one tool
message. Settings with no neutral name stay in ``settings.extra_body``.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from composer.models.assembler import parse_arguments
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._reader import json_kind, need
from composer.models.formats._wire import looks_base64
from composer.models.formats.base import Imported, Loss, guarded
from composer.models.formats.openai_responses.wire import (
    CLIENT_OUTPUTS,
    KEY,
    client_call,
    is_client_call,
    reasoning_metadata,
    reasoning_text,
)
from composer.models.parts import (
    AttachmentPart,
    Citation,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

_MAPPED_KEYS = frozenset({"model", "input", "instructions", "tools", "tool_choice", "text",
                          "reasoning", "temperature", "top_p", "max_output_tokens", "stream"})
_AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_IMAGE_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


_NUMBER = (int, float)


class _Importer:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # "$.input" for a body, "$" for a bare array
        self.messages: list[Message] = []
        self.losses: list[Loss] = []
        self.call_names: dict[str, str] = {}
        self.call_kinds: dict[str, str] = {}  # call id -> item type of a client-run call
        self._pending: list[tuple[str, int | None, bool]] = []

    # Consecutive assistant-side items share one message, as do consecutive tool outputs.
    def _append(self, role: str, part: Any) -> None:
        last = self.messages[-1] if self.messages else None
        if last is not None and last.role == role and role in ("assistant", "tool"):
            last.parts.append(part)
        else:
            self.messages.append(Message(role=role, parts=[part]))

    def _loss(self, problem: str, part_index: int | None = None, dropped: bool = False) -> None:
        """Noted now, placed once the item's message exists (see ``items``)."""
        self._pending.append((problem, part_index, dropped))

    def items(self, items: list[Any]) -> None:
        for i, item in enumerate(items):
            loc = f"{self.prefix}[{i}]"
            need(item, dict, "input item", loc)
            kind = item.get("type")
            if kind is None and "role" in item:
                kind = "message"
            if not isinstance(kind, str):
                raise FormatError("input item has no type and no role", location=loc)
            handler = getattr(self, f"_item_{kind}", None)
            if is_client_call(item):
                handler = self._client_call
            elif kind in CLIENT_OUTPUTS and (kind != "tool_search_output"
                                             or item.get("execution") == "client"):
                handler = self._client_output
            if handler is not None:
                handler(item, loc)
                where = len(self.messages) - 1 if self.messages else None
                self.losses += [Loss(f"{problem} ({loc})", where, part, dropped)
                                for problem, part, dropped in self._pending]
                self._pending.clear()
            elif kind.endswith("_output"):
                self._append("tool", ToolResultPart(
                    name=kind.removesuffix("_output"), output=_output_text(item.get("output")),
                    tool_call_id=_str_or_none(item.get("call_id")), server_executed=True,
                    provider_metadata={KEY: {"item": item}}))
            else:
                arguments = item.get("action") or item.get("arguments") or {}
                if isinstance(arguments, str):
                    arguments, _ = parse_arguments(arguments)
                if not isinstance(arguments, dict):
                    arguments = {"value": arguments}
                self._append("assistant", ToolCallPart(
                    name=kind.removesuffix("_call"), arguments=arguments,
                    tool_call_id=_str_or_none(item.get("id") or item.get("call_id")),
                    server_executed=True, provider_metadata={KEY: {"item": item}}))

    def _client_call(self, item: dict[str, Any], loc: str) -> None:
        name, call_id, arguments, meta = client_call(item)
        if call_id is None:
            raise FormatError(f"{item['type']} has no call_id", location=f"{loc}.call_id")
        self.call_names[call_id] = name
        self.call_kinds[call_id] = str(item["type"])
        self._append("assistant", ToolCallPart(name=name, arguments=arguments,
                                               tool_call_id=call_id,
                                               provider_metadata={KEY: meta}))

    def _client_output(self, item: dict[str, Any], loc: str) -> None:
        kind = str(item["type"])
        id_key = "id" if kind == "local_shell_call_output" else "call_id"
        call_id = need(item.get(id_key), str, id_key, f"{loc}.{id_key}")
        raw = item.get("tools") if kind == "tool_search_output" else item.get("output")
        output, exception = _output_text(raw), None
        if item.get("status") == "failed":
            output, exception = "", output or "failed"
        extra = {k: v for k, v in item.items()
                 if k not in ("type", id_key, "output", "tools", "status", "execution")}
        meta = {"answers": self.call_kinds.get(call_id, CLIENT_OUTPUTS[kind]), **extra}
        self._append("tool", ToolResultPart(
            name=self.call_names.get(call_id, ""), output=output, exception=exception,
            tool_call_id=call_id, provider_metadata={KEY: meta}))

    def _item_message(self, item: dict[str, Any], loc: str) -> None:
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise FormatError(f"unknown role {role!r}", location=f"{loc}.role")
        content = item.get("content")
        if isinstance(content, str):
            parts: list[Any] = [TextPart(text=content)]
        else:
            need(content, list, "message content", f"{loc}.content")
            parts = []
            for j, entry in enumerate(content):
                part = self._content(entry, f"{loc}.content[{j}]", j)
                if part is not None:
                    parts.append(part)
        if role == "assistant":
            item_meta = {k: item[k] for k in ("id", "status", "phase") if k in item}
            for part in parts:
                if item_meta:
                    meta = dict((part.provider_metadata or {}).get(KEY, {}))
                    part.provider_metadata = {KEY: {**item_meta, **meta}}
                self._append("assistant", part)
            if not parts:
                self._append("assistant", TextPart(text="", provider_metadata={KEY: item_meta}
                                                   if item_meta else None))
            return
        message = Message(role="user" if role == "user" else "system", parts=parts)
        if role == "developer":
            message.provider_metadata = {KEY: {"role": "developer"}}
        self.messages.append(message)

    def _content(self, entry: Any, loc: str, index: int) -> Any:
        need(entry, dict, "content part", loc)
        kind = entry.get("type")
        if kind in ("input_text", "output_text", "text"):
            text = need(entry.get("text"), str, "text", f"{loc}.text")
            meta = {}
            citations = None
            annotations = entry.get("annotations")
            if isinstance(annotations, list) and annotations:
                meta["annotations"] = annotations
                citations = [Citation(url=_str_or_none(a.get("url")),
                                      title=_str_or_none(a.get("title")))
                             for a in annotations if isinstance(a, dict)
                             and a.get("type") == "url_citation"] or None
            return TextPart(text=text, citations=citations,
                            provider_metadata={KEY: meta} if meta else None)
        if kind == "refusal":
            text = need(entry.get("refusal"), str, "refusal", f"{loc}.refusal")
            return TextPart(text=text, provider_metadata={KEY: {"type": "refusal"}})
        if kind == "input_image":
            meta = {k: entry[k] for k in ("detail", "file_id") if k in entry}
            url = entry.get("image_url")
            if url is None and "file_id" not in entry:
                raise FormatError("input_image has neither image_url nor file_id", location=loc)
            if url is not None:
                need(url, str, "image_url", f"{loc}.image_url")
                att = Attachment.from_url(url)
                att.type = att.type or "image/*"
            else:
                att = Attachment(type="image/*")
            return AttachmentPart(attachment=att, provider_metadata={KEY: meta} if meta else None)
        if kind == "input_file":
            return AttachmentPart(attachment=_file_attachment(entry, loc),
                                  provider_metadata={KEY: {"file_id": entry["file_id"]}}
                                  if "file_id" in entry else None)
        if kind == "input_audio":
            audio = need(entry.get("input_audio"), dict, "input_audio", f"{loc}.input_audio")
            data = need(audio.get("data"), str, "audio data", f"{loc}.input_audio.data")
            fmt = audio.get("format")
            mime = _AUDIO_FORMATS.get(fmt, f"audio/{fmt}" if isinstance(fmt, str) else "audio/wav")
            return AttachmentPart(attachment=Attachment(type=mime, content=data))
        self._loss(f"content part of type {kind!r} is not understood; dropped",
                   index, dropped=True)
        return None

    def _item_function_call(self, item: dict[str, Any], loc: str) -> None:
        call_id = need(item.get("call_id"), str, "call_id", f"{loc}.call_id")
        name = need(item.get("name"), str, "name", f"{loc}.name")
        raw = item.get("arguments", "")
        if isinstance(raw, dict):
            arguments, problem = raw, None
        else:
            raw = need(raw, str, "arguments", f"{loc}.arguments")
            arguments, problem = parse_arguments(raw)
        self.call_names[call_id] = name
        meta: dict[str, Any] = {}
        extra = {k: v for k, v in item.items()
                 if k not in ("type", "call_id", "name", "arguments")}
        if extra:
            meta[KEY] = extra
        if problem:
            meta["composer"] = {"raw_arguments": raw}
        self._append("assistant", ToolCallPart(name=name, arguments=arguments,
                                               tool_call_id=call_id,
                                               provider_metadata=meta or None))
        if problem:
            self._loss(f"tool call {name}: {problem}; kept as raw text",
                       len(self.messages[-1].parts) - 1)

    def _item_function_call_output(self, item: dict[str, Any], loc: str) -> None:
        call_id = need(item.get("call_id"), str, "call_id", f"{loc}.call_id")
        output = item.get("output", "")
        attachments: list[Attachment] = []
        if isinstance(output, list):
            texts = []
            for j, entry in enumerate(output):
                part = self._content(entry, f"{loc}.output[{j}]", j)
                if isinstance(part, TextPart):
                    texts.append(part.text)
                elif isinstance(part, AttachmentPart) and part.attachment is not None:
                    attachments.append(part.attachment)
            output = "\n\n".join(texts)
        elif not isinstance(output, str):
            output = json.dumps(output, ensure_ascii=False)
        extra = {k: v for k, v in item.items() if k not in ("type", "call_id", "output")}
        self._append("tool", ToolResultPart(
            name=self.call_names.get(call_id, ""), output=output, tool_call_id=call_id,
            attachments=attachments, provider_metadata={KEY: extra} if extra else None))

    def _item_reasoning(self, item: dict[str, Any], loc: str) -> None:
        for field in ("summary", "content"):
            if field in item and item[field] is not None:
                need(item[field], list, f"reasoning {field}", f"{loc}.{field}")
        self._append("assistant", ReasoningPart(text=reasoning_text(item),
                                                provider_metadata={KEY: reasoning_metadata(item)}))

    def _item_image_generation_call(self, item: dict[str, Any], loc: str) -> None:
        result = item.get("result")
        if result is not None:
            need(result, str, "image result", f"{loc}.result")
        rest = {k: v for k, v in item.items() if k != "result"}
        mime = _IMAGE_FORMATS.get(item.get("output_format"), "image/png")
        self._append("assistant", AttachmentPart(attachment=Attachment(type=mime, content=result),
                                                 provider_metadata={KEY: {"item": rest}}))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _output_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)


def _file_attachment(entry: dict[str, Any], loc: str) -> Attachment:
    name = entry.get("filename")
    extra = {"name": name} if isinstance(name, str) and name else {}
    guessed = mimetypes.guess_type(name)[0] if extra else None
    if "file_data" in entry:
        data = need(entry["file_data"], str, "file_data", f"{loc}.file_data")
        if data.startswith("data:"):
            att = Attachment.from_url(data)
            att.type = att.type or guessed
        else:
            if not looks_base64(data):
                raise FormatError("file_data is neither a data URL nor base64",
                                  location=f"{loc}.file_data")
            att = Attachment(type=guessed or "application/octet-stream", content=data)
        return Attachment(**att.to_dict(), **extra)
    if "file_url" in entry:
        url = need(entry["file_url"], str, "file_url", f"{loc}.file_url")
        att = Attachment.from_url(url)
        return Attachment(type=att.type or guessed or "application/pdf", url=url, **extra)
    if "file_id" in entry:
        need(entry["file_id"], str, "file_id", f"{loc}.file_id")
        return Attachment(type=guessed or "application/pdf", **extra)
    raise FormatError("input_file has none of file_data, file_url, file_id", location=loc)


def _settings_from_body(body: dict[str, Any]) -> RequestSettings:
    settings = RequestSettings(provider="openai-responses")
    extra = {k: v for k, v in body.items() if k not in _MAPPED_KEYS}
    if "model" in body:
        settings.model = need(body["model"], str, "model", "$.model")
    for name, option in (("temperature", "temperature"), ("top_p", "top_p"),
                         ("max_output_tokens", "max_tokens")):
        if body.get(name) is not None:
            settings.options[option] = need(body[name], _NUMBER, name, f"$.{name}")
    reasoning = body.get("reasoning")
    if reasoning is not None:
        need(reasoning, dict, "reasoning", "$.reasoning")
        rest = dict(reasoning)
        if rest.get("effort") is not None:
            settings.options["reasoning_effort"] = rest.pop("effort")
            # export adds summary "auto" when effort is set; remember its absence.
            rest.setdefault("summary", None)
        if rest:
            extra["reasoning"] = rest
    tools = body.get("tools")
    if tools is not None:
        need(tools, list, "tools", "$.tools")
        hosted = []
        for i, tool in enumerate(tools):
            need(tool, dict, "tool", f"$.tools[{i}]")
            if tool.get("type") == "custom":
                name = need(tool.get("name"), str, "tool name", f"$.tools[{i}].name")
                fields = {k: v for k, v in tool.items() if k != "name" and v is not None}
                settings.tools.append(Tool(name=name, **fields))
            elif tool.get("type", "function") == "function":
                name = need(tool.get("name"), str, "tool name", f"$.tools[{i}].name")
                params = tool.get("parameters")
                fields = {k: v for k, v in tool.items()
                          if k not in ("type", "name", "parameters") and v is not None}
                settings.tools.append(Tool(
                    name=name, **fields,
                    **({"parameters": need(params, dict, "parameters",
                                            f"$.tools[{i}].parameters")} if params else {})))
            else:
                hosted.append(tool)
        if hosted:
            extra["tools"] = hosted
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function" and set(choice) <= {
            "type", "name"}:
        settings.tool_choice = {"name": need(choice.get("name"), str, "tool_choice name",
                                              "$.tool_choice.name")}
    elif choice is not None:
        settings.tool_choice = need(choice, (str, dict), "tool_choice", "$.tool_choice")
    text = body.get("text")
    if text is not None:
        need(text, dict, "text", "$.text")
        rest = dict(text)
        fmt = rest.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            settings.response_schema = need(fmt.get("schema"), dict, "schema",
                                             "$.text.format.schema")
            rest["format"] = {k: v for k, v in fmt.items() if k not in ("type", "schema")}
            if isinstance(rest["format"].get("strict"), bool):
                settings.schema_strict = rest["format"].pop("strict")
            if not rest["format"]:
                del rest["format"]
        elif isinstance(fmt, dict) and fmt.get("type") == "text" and len(fmt) == 1:
            del rest["format"]
        if rest:
            extra["text"] = rest
    settings.extra_body = extra
    return settings


@guarded("Responses request")
def from_body(data: Any, source: str | None = None) -> Imported:
    """A Responses request body (or bare input array) as a conversation plus what was lossy."""
    if isinstance(data, list):
        importer = _Importer("$")
        importer.items(data)
        return Imported(Conversation(messages=importer.messages,
                                     settings=RequestSettings(provider="openai-responses")),
                        importer.losses)
    if not isinstance(data, dict):
        raise FormatError("expected a Responses request body or input array, got "
                          f"{json_kind(data)}", location="$")
    if "input" not in data:
        raise FormatError("a Responses request body needs an input array", location="$.input")
    settings = _settings_from_body(data)
    importer = _Importer("$.input")
    instructions = data.get("instructions")
    if isinstance(instructions, str):
        importer.messages.append(Message(role="system", parts=[TextPart(text=instructions)],
                                         provider_metadata={KEY: {"placement": "instructions"}}))
    elif instructions is not None:
        settings.extra_body["instructions"] = instructions
    items = data["input"]
    if isinstance(items, str):
        importer.messages.append(Message.text("user", items))
    else:
        importer.items(need(items, list, "input", "$.input"))
    return Imported(Conversation(messages=importer.messages, settings=settings), importer.losses)
