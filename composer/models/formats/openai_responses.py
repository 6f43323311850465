"""OpenAI Responses API request bodies (``POST /v1/responses``): import and export.

Import takes a bare ``input`` items array or a whole request body; export builds the request
body the provider sends. Consecutive assistant-side items (reasoning, function calls, assistant
messages, hosted tool calls) become one assistant message; consecutive ``function_call_output``
items become one tool message.

Provider metadata lives under the ``"openai"`` key:
- reasoning parts: the item's own fields (``id``, ``encrypted_content``...) verbatim, plus the
  ``summary`` list when the part text alone cannot rebuild it;
- function calls and assistant text: the item ``id`` (and ``status``/``phase`` when given);
- hosted tool calls (web search...) and generated images: the whole ``item``, re-sent verbatim.

Settings the format has no neutral name for stay in ``settings.extra_body``, which export merges
last, recursively: dicts merge, a ``None`` value deletes the key, and the ``tools`` and
``include`` lists are appended to (hosted tools such as web search live there).
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from composer.models.assembler import parse_arguments
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._wire import (
    arguments_text,
    dump_body,
    json_kind,
    looks_base64,
    merge_extra,
)
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

KEY = "openai"

ITEM_TYPES = frozenset({
    "message", "function_call", "function_call_output", "reasoning", "item_reference",
    "web_search_call", "file_search_call", "computer_call", "computer_call_output",
    "image_generation_call", "code_interpreter_call", "local_shell_call",
    "local_shell_call_output", "mcp_call", "mcp_list_tools", "mcp_approval_request",
    "mcp_approval_response", "custom_tool_call", "custom_tool_call_output",
})
CONTENT_TYPES = frozenset({"input_text", "input_image", "input_file", "input_audio",
                           "output_text", "refusal"})
# Body keys mapped to neutral settings; everything else goes to extra_body untouched.
_MAPPED_KEYS = frozenset({"model", "input", "instructions", "tools", "tool_choice", "text",
                          "reasoning", "temperature", "top_p", "max_output_tokens", "stream"})
_AUDIO_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_IMAGE_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


# -- detection ---------------------------------------------------------------------------------

def _looks_like_item(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    # robustness: a "type" that is not a string (a list is unhashable) is no item type
    if isinstance(item.get("type"), str) and item["type"] in ITEM_TYPES:
        return True
    content = item.get("content")
    return isinstance(content, list) and any(
        isinstance(c, dict) and isinstance(c.get("type"), str) and c["type"] in CONTENT_TYPES
        for c in content)


def detect(data: Any) -> float:
    if isinstance(data, dict):
        if "messages" in data or "contents" in data or "input" not in data:
            return 0.0
        items = data["input"]
        if isinstance(items, list) and any(_looks_like_item(i) for i in items):
            return 0.95
        if "model" in data and isinstance(items, str | list):
            return 0.85
        return 0.0
    if isinstance(data, list) and data and all(isinstance(i, dict) for i in data):
        if any(_looks_like_item(i) for i in data):
            return 0.85
    return 0.0


# -- import ------------------------------------------------------------------------------------

_NUMBER = (int, float)


def _need(value: Any, kind: type | tuple[type, ...], what: str, loc: str) -> Any:
    """``value`` when it has the JSON type ``kind``; else a FormatError at ``loc``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        want = " or ".join(dict.fromkeys(json_kind(k()) for k in kinds))
        raise FormatError(f"{what} is {json_kind(value)}, expected {want}", location=loc)
    return value


def reasoning_text(item: dict[str, Any]) -> str:
    """A reasoning item's readable text: its summaries, else its raw reasoning content."""
    for field in ("summary", "content"):
        entries = item.get(field)
        if isinstance(entries, list):
            texts = [e["text"] for e in entries if isinstance(e, dict)
                     and isinstance(e.get("text"), str)]
            if texts:
                return "\n\n".join(texts)
    return ""


def reasoning_metadata(item: dict[str, Any]) -> dict[str, Any]:
    """What a reasoning part keeps of its item so that export rebuilds the item verbatim."""
    meta = {k: v for k, v in item.items() if k != "type"}
    summary = meta.get("summary")
    if isinstance(summary, list) and len(summary) <= 1 and all(
            isinstance(s, dict) and set(s) <= {"type", "text"} and s.get("type") == "summary_text"
            for s in summary):
        if not summary or summary[0].get("text") == reasoning_text(item):
            del meta["summary"]
    return meta


class _Importer:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # "$.input" for a body, "$" for a bare array
        self.messages: list[Message] = []
        self.losses: list[Loss] = []
        self.call_names: dict[str, str] = {}
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
            _need(item, dict, "input item", loc)
            kind = item.get("type")
            if kind is None and "role" in item:
                kind = "message"
            if not isinstance(kind, str):
                raise FormatError("input item has no type and no role", location=loc)
            handler = getattr(self, f"_item_{kind}", None)
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

    def _item_message(self, item: dict[str, Any], loc: str) -> None:
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise FormatError(f"unknown role {role!r}", location=f"{loc}.role")
        content = item.get("content")
        if isinstance(content, str):
            parts: list[Any] = [TextPart(text=content)]
        else:
            _need(content, list, "message content", f"{loc}.content")
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
        _need(entry, dict, "content part", loc)
        kind = entry.get("type")
        if kind in ("input_text", "output_text", "text"):
            text = _need(entry.get("text"), str, "text", f"{loc}.text")
            meta = {}
            citations = None
            annotations = entry.get("annotations")
            if isinstance(annotations, list) and annotations:
                meta["annotations"] = annotations
                citations = [{"url": a.get("url"), "title": a.get("title")}
                             for a in annotations if isinstance(a, dict)
                             and a.get("type") == "url_citation"] or None
            return TextPart(text=text, citations=citations,
                            provider_metadata={KEY: meta} if meta else None)
        if kind == "refusal":
            text = _need(entry.get("refusal"), str, "refusal", f"{loc}.refusal")
            return TextPart(text=text, provider_metadata={KEY: {"type": "refusal"}})
        if kind == "input_image":
            meta = {k: entry[k] for k in ("detail", "file_id") if k in entry}
            url = entry.get("image_url")
            if url is None and "file_id" not in entry:
                raise FormatError("input_image has neither image_url nor file_id", location=loc)
            if url is not None:
                _need(url, str, "image_url", f"{loc}.image_url")
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
            audio = _need(entry.get("input_audio"), dict, "input_audio", f"{loc}.input_audio")
            data = _need(audio.get("data"), str, "audio data", f"{loc}.input_audio.data")
            fmt = audio.get("format")
            mime = _AUDIO_FORMATS.get(fmt, f"audio/{fmt}" if isinstance(fmt, str) else "audio/wav")
            return AttachmentPart(attachment=Attachment(type=mime, content=data))
        self._loss(f"content part of type {kind!r} is not understood; dropped",
                   index, dropped=True)
        return None

    def _item_function_call(self, item: dict[str, Any], loc: str) -> None:
        call_id = _need(item.get("call_id"), str, "call_id", f"{loc}.call_id")
        name = _need(item.get("name"), str, "name", f"{loc}.name")
        raw = item.get("arguments", "")
        if isinstance(raw, dict):
            arguments, problem = raw, None
        else:
            raw = _need(raw, str, "arguments", f"{loc}.arguments")
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
        call_id = _need(item.get("call_id"), str, "call_id", f"{loc}.call_id")
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
                _need(item[field], list, f"reasoning {field}", f"{loc}.{field}")
        self._append("assistant", ReasoningPart(text=reasoning_text(item),
                                                provider_metadata={KEY: reasoning_metadata(item)}))

    def _item_image_generation_call(self, item: dict[str, Any], loc: str) -> None:
        result = item.get("result")
        if result is not None:
            _need(result, str, "image result", f"{loc}.result")
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
        data = _need(entry["file_data"], str, "file_data", f"{loc}.file_data")
        if data.startswith("data:"):
            att = Attachment.from_url(data)
            att.type = att.type or guessed
        else:
            if not looks_base64(data):
                raise FormatError("file_data is neither a data URL nor base64",
                                  location=f"{loc}.file_data")
            att = Attachment(type=guessed or "application/octet-stream", content=data)
        return Attachment(**att.model_dump(exclude_none=True), **extra)
    if "file_url" in entry:
        url = _need(entry["file_url"], str, "file_url", f"{loc}.file_url")
        att = Attachment.from_url(url)
        return Attachment(type=att.type or guessed or "application/pdf", url=url, **extra)
    if "file_id" in entry:
        _need(entry["file_id"], str, "file_id", f"{loc}.file_id")
        return Attachment(type=guessed or "application/pdf", **extra)
    raise FormatError("input_file has none of file_data, file_url, file_id", location=loc)


def _settings_from_body(body: dict[str, Any]) -> RequestSettings:
    settings = RequestSettings(provider="openai-responses")
    extra = {k: v for k, v in body.items() if k not in _MAPPED_KEYS}
    if "model" in body:
        settings.model = _need(body["model"], str, "model", "$.model")
    for name, option in (("temperature", "temperature"), ("top_p", "top_p"),
                         ("max_output_tokens", "max_tokens")):
        if body.get(name) is not None:
            settings.options[option] = _need(body[name], _NUMBER, name, f"$.{name}")
    reasoning = body.get("reasoning")
    if reasoning is not None:
        _need(reasoning, dict, "reasoning", "$.reasoning")
        rest = dict(reasoning)
        if rest.get("effort") is not None:
            settings.options["reasoning_effort"] = rest.pop("effort")
            # export adds summary "auto" when effort is set; remember its absence.
            rest.setdefault("summary", None)
        if rest:
            extra["reasoning"] = rest
    tools = body.get("tools")
    if tools is not None:
        _need(tools, list, "tools", "$.tools")
        hosted = []
        for i, tool in enumerate(tools):
            _need(tool, dict, "tool", f"$.tools[{i}]")
            if tool.get("type", "function") == "function":
                name = _need(tool.get("name"), str, "tool name", f"$.tools[{i}].name")
                params = tool.get("parameters")
                fields = {k: v for k, v in tool.items()
                          if k not in ("type", "name", "parameters") and v is not None}
                settings.tools.append(Tool(
                    name=name, **fields,
                    **({"parameters": _need(params, dict, "parameters",
                                            f"$.tools[{i}].parameters")} if params else {})))
            else:
                hosted.append(tool)
        if hosted:
            extra["tools"] = hosted
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function" and set(choice) <= {
            "type", "name"}:
        settings.tool_choice = {"name": _need(choice.get("name"), str, "tool_choice name",
                                              "$.tool_choice.name")}
    elif choice is not None:
        settings.tool_choice = _need(choice, (str, dict), "tool_choice", "$.tool_choice")
    text = body.get("text")
    if text is not None:
        _need(text, dict, "text", "$.text")
        rest = dict(text)
        fmt = rest.get("format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            settings.response_schema = _need(fmt.get("schema"), dict, "schema",
                                             "$.text.format.schema")
            rest["format"] = {k: v for k, v in fmt.items() if k not in ("type", "schema")}
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
        raise FormatError(f"expected a Responses request body or input array, got {json_kind(data)}",
                          location="$")
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
        importer.items(_need(items, list, "input", "$.input"))
    return Imported(Conversation(messages=importer.messages, settings=settings), importer.losses)


# -- export ------------------------------------------------------------------------------------

def _meta(part_or_message: Any) -> dict[str, Any]:
    meta = (part_or_message.provider_metadata or {}).get(KEY)
    return meta if isinstance(meta, dict) else {}


def _replayable_reasoning(part: ReasoningPart) -> bool:
    meta = _meta(part)
    return bool(meta.get("id") or meta.get("encrypted_content"))


def _reasoning_item(part: ReasoningPart) -> dict[str, Any]:
    meta = _meta(part)
    item: dict[str, Any] = {"type": "reasoning", **meta}
    summary = meta.get("summary")
    if isinstance(summary, list) and reasoning_text({"summary": summary}) == part.text \
            and (summary or not part.text):
        return item
    from_content = reasoning_text({"content": meta.get("content")}) == part.text
    if not part.text or from_content and not isinstance(summary, list):
        item["summary"] = []
    else:
        # No stored summary, or the text was edited: the part's text is the summary.
        item["summary"] = [{"type": "summary_text", "text": part.text}]
    return item


def _file_name(att: Attachment) -> str:
    name = att.display_name
    if name == att.type or name == "attachment":
        ext = mimetypes.guess_extension(att.mime) or ""
        return f"attachment{ext}"
    return name


class _Exporter:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.losses: list[Loss] = []
        self.input: list[dict[str, Any]] = []

    def loss(self, problem: str, m: int | None, p: int | None = None,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, m, p, dropped))

    def attachment(self, att: Attachment | None, meta: dict[str, Any], m: int,
                   p: int) -> dict[str, Any] | None:
        if att is None:
            self.loss("attachment part without a file; dropped", m, p, dropped=True)
            return None
        kind = att.kind
        if meta.get("file_id"):
            return {"type": "input_image" if kind == "image" else "input_file",
                    "file_id": meta["file_id"]}
        if kind in ("audio", "video"):
            self.loss(f"{att.display_name}: the Responses API takes no {kind} input",
                      m, p, dropped=True)
            return None
        try:
            if kind == "image":
                url = att.url if att.url and att.content is None else att.data_url()
                out = {"type": "input_image", "image_url": url}
                if "detail" in meta:
                    out["detail"] = meta["detail"]
                return out
            if kind == "text" and (att.content is not None or att.path):
                try:
                    text = att.data().decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None:
                    self.loss(f"text file {att.display_name} sent inline as text", m, p)
                    return {"type": "input_text", "text": text}
            if att.url and att.content is None:
                return {"type": "input_file", "file_url": att.url}
            return {"type": "input_file", "filename": _file_name(att),
                    "file_data": att.data_url()}
        except (OSError, ValueError) as exc:
            self.loss(f"cannot read {att.display_name}: {exc}", m, p, dropped=True)
            return None

    def content_part(self, part: Any, role: str, m: int, p: int) -> dict[str, Any] | None:
        if isinstance(part, TextPart):
            meta = _meta(part)
            if role == "assistant":
                if meta.get("type") == "refusal":
                    return {"type": "refusal", "refusal": part.text}
                out = {"type": "output_text", "text": part.text}
                if meta.get("annotations"):
                    out["annotations"] = meta["annotations"]
                return out
            return {"type": "input_text", "text": part.text}
        if isinstance(part, AttachmentPart):
            return self.attachment(part.attachment, _meta(part), m, p)
        return None

    def tool_output(self, part: ToolResultPart, m: int, p: int) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "function_call_output",
                                "call_id": part.tool_call_id or "",
                                "output": part.output or part.exception or ""}
        if not part.tool_call_id:
            self.loss(f"tool result {part.name or '?'} has no tool call id", m, p, dropped=True)
        if part.attachments:
            output: list[dict[str, Any]] = []
            if item["output"]:
                output.append({"type": "input_text", "text": item["output"]})
            for att in part.attachments:
                entry = self.attachment(att, {}, m, p)
                if entry is not None:
                    output.append(entry)
            item["output"] = output
        return item

    def message(self, m: int, message: Message) -> None:
        role = message.role
        if role == "system" and not any(not isinstance(x, TextPart) for x in message.parts):
            wire_role = _meta(message).get("role", "system")
            self.input.append({"role": wire_role if wire_role in ("system", "developer")
                               else "system", "content": message.plain_text})
            return
        replay_ids = role == "assistant" and any(
            isinstance(x, ReasoningPart) and _replayable_reasoning(x) for x in message.parts)
        content: list[dict[str, Any]] = []
        content_id: Any = None

        def flush() -> None:
            nonlocal content
            if not content:
                return
            if role == "assistant":
                item: dict[str, Any] = {"type": "message", "role": "assistant"}
                if replay_ids and content_id:
                    item["id"] = content_id
                item["content"] = content
            else:
                wire = _meta(message).get("role", "system") if role == "system" else "user"
                item = {"role": wire, "content": content}
            self.input.append(item)
            content = []

        for p, part in enumerate(message.parts):
            if isinstance(part, TextPart | AttachmentPart):
                meta = _meta(part)
                if role == "assistant" and isinstance(part, AttachmentPart):
                    item = meta.get("item")
                    if isinstance(item, dict) and item.get("type") == "image_generation_call":
                        flush()
                        result = part.attachment.content if part.attachment else None
                        self.input.append({**item, "result": result} if result else item)
                    else:
                        self.loss("the Responses API has no place for a file in an assistant "
                                  "message", m, p, dropped=True)
                    continue
                if role == "tool":
                    self.loss("sent as a user message: a tool message holds only results here",
                              m, p)
                if role == "assistant" and meta.get("id") != content_id:
                    flush()
                    content_id = meta.get("id")
                entry = self.content_part(part, "assistant" if role == "assistant" else "user",
                                          m, p)
                if entry is not None:
                    content.append(entry)
                continue
            flush()
            if isinstance(part, ReasoningPart):
                if _replayable_reasoning(part):
                    self.input.append(_reasoning_item(part))
                else:
                    whose = ", ".join(sorted((part.provider_metadata or {}).keys())) or "no"
                    self.loss(f"reasoning not sent: it has {whose} provider metadata, not "
                              "OpenAI's", m, p)
            elif isinstance(part, ToolCallPart):
                self.tool_call(part, replay_ids, m, p)
            elif isinstance(part, ToolResultPart):
                item = _meta(part).get("item")
                if part.server_executed and isinstance(item, dict):
                    self.input.append(item)
                elif part.server_executed:
                    self.loss(f"server-side tool result {part.name} not sent: it belongs to "
                              "another provider", m, p)
                else:
                    self.input.append(self.tool_output(part, m, p))
        flush()

    def tool_call(self, part: ToolCallPart, replay_ids: bool, m: int, p: int) -> None:
        meta = _meta(part)
        if part.server_executed:
            if isinstance(meta.get("item"), dict):
                self.input.append(meta["item"])
            else:
                self.loss(f"server-side tool call {part.name} not sent: it belongs to another "
                          "provider", m, p)
            return
        # Compact, as the model itself writes arguments.
        arguments = arguments_text(part, separators=(",", ":"))
        item: dict[str, Any] = {"type": "function_call"}
        extra = {k: v for k, v in meta.items() if replay_ids or k != "id"}
        item.update(extra)
        item.update(call_id=part.tool_call_id or "", name=part.name, arguments=arguments)
        if not part.tool_call_id:
            self.loss(f"tool call {part.name} has no tool call id", m, p, dropped=True)
        self.input.append(item)

    def run(self) -> tuple[dict[str, Any], list[Loss]]:
        conv = self.conversation
        s = conv.settings
        body: dict[str, Any] = {}
        if s.model:
            body["model"] = s.model
        for m, message in enumerate(conv.messages):
            if (message.role == "system" and _meta(message).get("placement") == "instructions"
                    and "instructions" not in body
                    and all(isinstance(x, TextPart) for x in message.parts)):
                body["instructions"] = message.plain_text
                continue
            self.message(m, message)
        body["input"] = self.input
        if s.tools:
            body["tools"] = [self.tool(t) for t in s.tools]
        choice = s.tool_choice
        if isinstance(choice, dict) and set(choice) == {"name"}:
            body["tool_choice"] = {"type": "function", "name": choice["name"]}
        elif choice is not None:
            body["tool_choice"] = choice
        if s.response_schema is not None:
            body["text"] = {"format": {"type": "json_schema", "name": "response",
                                       "schema": s.response_schema}}
        self.options(body, s.options)
        extra = dict(s.extra_body)
        text_extra = extra.get("text")
        if s.response_schema is None and isinstance(text_extra, dict) and isinstance(
                text_extra.get("format"), dict) and "type" not in text_extra["format"]:
            # name/strict of a schema the user has since removed: nothing to attach them to.
            extra["text"] = {k: v for k, v in text_extra.items() if k != "format"}
        return merge_extra(body, extra), self.losses

    @staticmethod
    def tool(tool: Tool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "function", "name": tool.name}
        if tool.description is not None:
            out["description"] = tool.description
        out["parameters"] = tool.parameters
        out.update(tool.model_extra or {})
        return out

    def options(self, body: dict[str, Any], options: dict[str, Any]) -> None:
        for name, value in options.items():
            if value is None:
                continue
            if name in ("temperature", "top_p"):
                body[name] = value
            elif name == "max_tokens":
                body["max_output_tokens"] = value
            elif name == "reasoning_effort":
                body["reasoning"] = {"effort": value, "summary": "auto"}
            elif name == "stop":
                self.loss("the Responses API has no stop sequences (option stop)", None,
                          dropped=True)
            elif name == "seed":
                self.loss("the Responses API takes no seed (option seed)", None, dropped=True)
            elif name == "thinking_budget":
                self.loss("the Responses API takes reasoning_effort (low, medium, high), "
                          "not a token budget (option thinking_budget)", None, dropped=True)
            else:
                body[name] = value


def to_body(conversation: Conversation) -> tuple[dict[str, Any], list[Loss]]:
    """The Responses request body for a conversation, and what it could not hold."""
    return _Exporter(conversation).run()


def dump(conversation: Conversation) -> Exported:
    body, losses = to_body(conversation)
    return dump_body(body, losses)


FORMAT = Format(
    name="openai-responses",
    title="OpenAI Responses (input items or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)
