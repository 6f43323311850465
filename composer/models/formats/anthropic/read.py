"""Reading an Anthropic Messages request body (or bare messages array) as a conversation."""

from __future__ import annotations

import base64
import mimetypes
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._reader import Reader, json_kind
from composer.models.formats._wire import looks_base64
from composer.models.formats.anthropic.wire import KEY
from composer.models.formats.base import Imported, Loss, guarded
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

# Request keys mapped onto settings; everything else goes to extra_body.
_MAPPED_KEYS = frozenset({
    "model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences",
    "thinking", "tools", "tool_choice", "output_config", "output_format", "stream",
})
_CHOICE_IN = {"auto": "auto", "any": "required", "none": "none"}


class _Reader(Reader):
    """Reads one body; every problem is one FormatError naming its JSON path."""

    def __init__(self, source: str | None, root: str):
        super().__init__(source)
        self.root = root
        self.messages: list[Message] = []
        self.call_names: dict[str, str] = {}

    # -- messages -------------------------------------------------------------------------

    def read_messages(self, items: list[Any], base: str) -> None:
        for i, raw in enumerate(items):
            where = f"{base}[{i}]"
            m = self.obj(raw, where, "a message")
            role = m.get("role")
            if role not in ("user", "assistant"):
                raise self.fail(f"role must be \"user\" or \"assistant\", not {role!r}"
                                if isinstance(role, str) else "message has no role",
                                f"{where}.role")
            content = m.get("content")
            if isinstance(content, str):
                self.messages.append(Message.text(role, content))
                continue
            blocks = self.array(content, f"{where}.content", "content")
            if role == "assistant":
                parts = [p for j, b in enumerate(blocks)
                         if (p := self.assistant_block(b, f"{where}.content[{j}]")) is not None]
                self.messages.append(Message(role="assistant", parts=parts))
            else:
                self.user_blocks(blocks, f"{where}.content")

    def user_blocks(self, blocks: list[Any], where: str) -> None:
        """A user turn; runs of tool_result blocks become ``tool`` messages."""
        run_role: str | None = None
        run: list[Any] = []
        for j, raw in enumerate(blocks):
            loc = f"{where}[{j}]"
            block = self.obj(raw, loc, "a content block")
            if block.get("type") == "tool_result":
                role, part = "tool", self.tool_result(block, loc)
            else:
                role, part = "user", self.user_block(block, loc)
            if part is None:
                continue
            if role != run_role and run:
                self.messages.append(Message(role=run_role, parts=run))  # type: ignore[arg-type]
                run = []
            run_role = role
            run.append(part)
        if run or not blocks:
            self.messages.append(
                Message(role=run_role or "user", parts=run))  # type: ignore[arg-type]

    def block_type(self, block: dict[str, Any], where: str) -> str:
        return self.string(block.get("type"), f"{where}.type", "block type")

    def user_block(self, block: dict[str, Any], where: str) -> Any:
        kind = self.block_type(block, where)
        if kind == "text":
            return self.text(block, where)
        if kind in ("image", "document"):
            return self.attachment_part(block, kind, where)
        if kind in ("thinking", "redacted_thinking"):
            return self.reasoning(block, kind, where)
        return self.unknown(kind, where)

    def assistant_block(self, raw: Any, where: str) -> Any:
        block = self.obj(raw, where, "a content block")
        kind = self.block_type(block, where)
        if kind == "text":
            return self.text(block, where)
        if kind in ("thinking", "redacted_thinking"):
            return self.reasoning(block, kind, where)
        if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            return self.tool_call(block, kind, where)
        if kind.endswith("_tool_result"):
            return self.server_result(block, kind, where)
        if kind in ("image", "document"):
            return self.attachment_part(block, kind, where)
        return self.unknown(kind, where)

    def unknown(self, kind: str, where: str) -> None:
        self.losses.append(Loss(f"content block of type {kind!r} at {where} is not supported; "
                                "left out", len(self.messages), dropped=True))
        return None

    def text(self, block: dict[str, Any], where: str) -> TextPart:
        text = self.string(block.get("text"), f"{where}.text", "text")
        meta = _rest(block, ("type", "text"))
        citations = None
        if "citations" in meta and meta["citations"] is not None:
            raw = self.array(meta["citations"], f"{where}.citations", "citations")
            citations = [_citation(c) for c in raw if isinstance(c, dict)] or None
        return TextPart(text=text, citations=citations, provider_metadata=_meta(meta))

    def reasoning(self, block: dict[str, Any], kind: str, where: str) -> ReasoningPart:
        if kind == "redacted_thinking":
            self.string(block.get("data"), f"{where}.data", "redacted thinking data")
            # The block whole, as llm-anthropic keeps it: {"type": "redacted_thinking", "data"}.
            return ReasoningPart(redacted=True, provider_metadata=_meta(dict(block)))
        text = self.string(block.get("thinking"), f"{where}.thinking", "thinking")
        if "signature" in block:
            self.string(block["signature"], f"{where}.signature", "signature")
        return ReasoningPart(text=text,
                             provider_metadata=_meta(_rest(block, ("type", "thinking"))))

    def tool_call(self, block: dict[str, Any], kind: str, where: str) -> ToolCallPart:
        name = self.string(block.get("name"), f"{where}.name", "tool name")
        call_id = self.string(block.get("id"), f"{where}.id", "tool_use id")
        arguments = block.get("input", {})
        arguments = self.obj(arguments, f"{where}.input", "tool input")
        self.call_names[call_id] = name
        rest = _rest(block, ("type", "name", "id", "input"))
        if kind != "tool_use" and kind != "server_tool_use":
            rest["type"] = kind
        return ToolCallPart(name=name, arguments=arguments, tool_call_id=call_id,
                            server_executed=kind != "tool_use", provider_metadata=_meta(rest))

    def server_result(self, block: dict[str, Any], kind: str, where: str) -> ToolResultPart:
        call_id = self.string(block.get("tool_use_id"), f"{where}.tool_use_id", "tool_use_id")
        rest = _rest(block, ("tool_use_id",))
        return ToolResultPart(name=self.call_names.get(call_id, kind.removesuffix("_tool_result")),
                              output=server_output(block.get("content")),
                              tool_call_id=call_id, server_executed=True,
                              provider_metadata=_meta(rest))

    def tool_result(self, block: dict[str, Any], where: str) -> ToolResultPart:
        call_id = self.string(block.get("tool_use_id"), f"{where}.tool_use_id", "tool_use_id")
        content = block.get("content", "")
        texts: list[str] = []
        attachments: list[Attachment] = []
        if isinstance(content, str):
            texts.append(content)
        else:
            items = self.array(content, f"{where}.content", "tool result content")
            for k, raw in enumerate(items):
                loc = f"{where}.content[{k}]"
                item = self.obj(raw, loc, "a content block")
                kind = self.block_type(item, loc)
                if kind == "text":
                    texts.append(self.string(item.get("text"), f"{loc}.text", "text"))
                elif kind in ("image", "document"):
                    att, _ = self.attachment(item, kind, loc)
                    attachments.append(att)
                else:
                    self.unknown(kind, loc)
        output = "\n".join(texts)
        is_error = block.get("is_error", False)
        if not isinstance(is_error, bool):
            raise self.fail("is_error must be true or false", f"{where}.is_error")
        rest = _rest(block, ("type", "tool_use_id", "content", "is_error"))
        return ToolResultPart(name=self.call_names.get(call_id, ""), output=output,
                              tool_call_id=call_id, attachments=attachments,
                              exception=(output or "tool error") if is_error else None,
                              provider_metadata=_meta(rest))

    def attachment_part(self, block: dict[str, Any], kind: str, where: str) -> AttachmentPart:
        att, meta = self.attachment(block, kind, where)
        return AttachmentPart(attachment=att, provider_metadata=_meta(meta))

    def attachment(self, block: dict[str, Any], kind: str,
                   where: str) -> tuple[Attachment, dict[str, Any]]:
        """An image or document block: the attachment, and the block keys kept as metadata."""
        source = self.obj(block.get("source"), f"{where}.source", f"{kind} source")
        stype = self.string(source.get("type"), f"{where}.source.type", "source type")
        meta = _rest(block, ("type", "source"))
        media = source.get("media_type")
        if media is not None:
            media = self.string(media, f"{where}.source.media_type", "media_type")
        if stype == "base64":
            data = self.string(source.get("data"), f"{where}.source.data", "base64 data")
            if not looks_base64(data):
                raise self.fail("data is not base64", f"{where}.source.data")
            default = "image/*" if kind == "image" else "application/pdf"
            return Attachment(type=media or default, content=data), meta
        if stype == "url":
            url = self.string(source.get("url"), f"{where}.source.url", "url")
            guessed = mimetypes.guess_type(url.split("?")[0])[0]
            if kind == "document":
                guessed = "application/pdf"
            return Attachment(type=guessed or "image/*", url=url), meta
        if stype == "text" and kind == "document":
            data = self.string(source.get("data"), f"{where}.source.data", "text data")
            encoded = base64.b64encode(data.encode("utf-8", "surrogatepass")).decode("ascii")
            return Attachment(type=media or "text/plain", content=encoded), meta
        # file ids, content-block documents: kept as they are, sent back as they were.
        meta["source"] = source
        fallback = "image/*" if kind == "image" else "application/octet-stream"
        return Attachment(type=media or fallback), meta

    # -- settings -------------------------------------------------------------------------

    def read_system(self, system: Any) -> None:
        if isinstance(system, str):
            self.messages.append(Message.text("system", system))
            return
        blocks = self.array(system, "$.system", "system")
        parts = []
        for j, raw in enumerate(blocks):
            loc = f"$.system[{j}]"
            block = self.obj(raw, loc, "a system block")
            if self.block_type(block, loc) != "text":
                raise self.fail("system blocks must be text blocks", f"{loc}.type")
            parts.append(self.text(block, loc))
        self.messages.append(Message(role="system", parts=parts))

    def read_settings(self, body: dict[str, Any]) -> RequestSettings:
        options: dict[str, Any] = {}
        extra: dict[str, Any] = {k: v for k, v in body.items() if k not in _MAPPED_KEYS}
        model = body.get("model", "")
        model = self.string(model, "$.model", "model") if model is not None else ""
        for key, what in (("max_tokens", "an integer"), ("temperature", "a number"),
                          ("top_p", "a number")):
            if key in body and body[key] is not None:
                value = body[key]
                ok = (isinstance(value, int) if key == "max_tokens"
                      else isinstance(value, int | float))
                if not ok or isinstance(value, bool):
                    raise self.fail(f"{key} must be {what}", f"$.{key}")
                options[key] = value
        if body.get("stop_sequences") is not None:
            stops = self.array(body["stop_sequences"], "$.stop_sequences", "stop_sequences")
            for k, s in enumerate(stops):
                self.string(s, f"$.stop_sequences[{k}]", "a stop sequence")
            options["stop"] = list(stops)
        thinking = body.get("thinking")
        if thinking is not None:
            thinking = self.obj(thinking, "$.thinking", "thinking")
            budget = thinking.get("budget_tokens")
            if thinking.get("type") == "enabled" and isinstance(budget, int) \
                    and not isinstance(budget, bool):
                options["thinking_budget"] = budget
                rest = _rest(thinking, ("type", "budget_tokens"))
                if rest:
                    extra["thinking"] = rest
            else:
                extra["thinking"] = thinking
        schema = None
        output = body.get("output_config")
        if output is not None:
            output = dict(self.obj(output, "$.output_config", "output_config"))
            if isinstance(output.get("effort"), str):
                options["reasoning_effort"] = output.pop("effort")
            fmt = output.get("format")
            if isinstance(fmt, dict) and fmt.get("type") == "json_schema" \
                    and isinstance(fmt.get("schema"), dict):
                schema = fmt["schema"]
                del output["format"]
            if output:
                extra["output_config"] = output
        legacy = body.get("output_format")
        if legacy is not None:
            legacy = self.obj(legacy, "$.output_format", "output_format")
            if legacy.get("type") == "json_schema" and isinstance(legacy.get("schema"), dict):
                schema = legacy["schema"]
            else:
                extra["output_format"] = legacy
        tools = [self.tool(t, f"$.tools[{k}]") for k, t in enumerate(
            self.array(body.get("tools") or [], "$.tools", "tools"))]
        choice = None
        if body.get("tool_choice") is not None:
            raw = self.obj(body["tool_choice"], "$.tool_choice", "tool_choice")
            kind = self.string(raw.get("type"), "$.tool_choice.type", "tool_choice type")
            if kind == "tool":
                choice = {"name": self.string(raw.get("name"), "$.tool_choice.name", "tool name")}
            elif kind in _CHOICE_IN:
                choice = _CHOICE_IN[kind]
            else:
                raise self.fail(f"unknown tool_choice type {kind!r}", "$.tool_choice.type")
            rest = _rest(raw, ("type", "name"))
            if rest:
                extra["tool_choice"] = rest
        return RequestSettings(provider=KEY, model=model, options=options, tools=tools,
                               tool_choice=choice, response_schema=schema, extra_body=extra)

    def tool(self, raw: Any, where: str) -> Tool:
        spec = self.obj(raw, where, "a tool")
        name = self.string(spec.get("name"), f"{where}.name", "tool name")
        kind = spec.get("type")
        if kind not in (None, "custom") or "input_schema" not in spec:
            # A tool Anthropic defines (computer, web_search, bash...): kept as written.
            return Tool(name=name, provider_metadata={KEY: _rest(spec, ("name",))})
        schema = self.obj(spec["input_schema"], f"{where}.input_schema", "input_schema")
        description = spec.get("description")
        if description is not None:
            description = self.string(description, f"{where}.description", "description")
        rest = _rest(spec, ("name", "description", "input_schema"))
        extra = {"provider_metadata": {KEY: rest}} if rest else {}
        return Tool(name=name, description=description, parameters=schema, **extra)


def _rest(block: dict[str, Any], mapped: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k not in mapped}


def _meta(rest: dict[str, Any]) -> dict[str, Any] | None:
    return {KEY: rest} if rest else None


def _citation(raw: dict[str, Any]) -> Citation:
    def s(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    return Citation(url=s("url"), title=s("title") or s("document_title"),
                    cited_text=s("cited_text"))


def server_output(content: Any) -> str:
    """A readable summary of a server tool's result (the raw block stays in metadata)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        lines = []
        for item in content:
            if isinstance(item, dict):
                title, url = item.get("title"), item.get("url")
                if isinstance(url, str):
                    lines.append(f"{title} <{url}>" if isinstance(title, str) else url)
                elif isinstance(item.get("text"), str):
                    lines.append(item["text"])
        return "\n".join(lines)
    if isinstance(content, dict):
        if isinstance(content.get("error_code"), str):
            return f"error: {content['error_code']}"
        for key in ("stdout", "content", "text"):
            if isinstance(content.get(key), str):
                return content[key]
    return ""


@guarded("Anthropic request")
def from_body(data: Any, source: str | None = None) -> Imported:
    """An Anthropic request body (or bare messages array) as a conversation."""
    if isinstance(data, list):
        reader = _Reader(source, "$")
        reader.read_messages(data, "$")
        conversation = Conversation(messages=reader.messages,
                                    settings=RequestSettings(provider=KEY))
        return Imported(conversation, reader.losses)
    if not isinstance(data, dict):
        raise FormatError(f"expected an Anthropic request body or messages array, not "
                          f"{json_kind(data)}", source=source, location="$")
    reader = _Reader(source, "$")
    messages = reader.array(data.get("messages"), "$.messages", "messages")
    if data.get("system") is not None:
        reader.read_system(data["system"])
    reader.read_messages(messages, "$.messages")
    settings = reader.read_settings(data)
    return Imported(Conversation(messages=reader.messages, settings=settings), reader.losses)
