"""The Anthropic Messages request body, both ways: import (``from_body``) and export (``to_body``).

One mapping per protocol: the ``anthropic`` provider builds its request body with ``to_body``.

What goes where:
- top-level ``system`` (string or text blocks) is one ``system`` message, first;
- a user message's ``tool_result`` blocks become a ``tool`` message (text, images after them
  stay a ``user`` message); on export a ``tool`` message and the user message after it merge
  back into one user turn, as the API wants all results of a turn in one message;
- keys of a content block that we do not map (``cache_control``, ``signature``, ``data``,
  ``citations``, ``title``, ``context``...) are kept verbatim in the part's
  ``provider_metadata["anthropic"]`` and written back into the block on export, so a cache hint
  or a thinking signature is never lost;
- server tools (``server_tool_use``, ``web_search_tool_result``...) are server-executed tool
  call/result parts of the assistant message, the result's raw block kept in metadata;
- request keys we have no neutral name for stay in ``settings.extra_body``; nested objects in
  ``extra_body`` (``thinking``, ``tool_choice``, ``output_config``) merge one level deep.
"""

from __future__ import annotations

import base64
import mimetypes
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._wire import dump_body, json_kind, looks_base64, merge_extra
from composer.models.formats.base import Exported, Format, Imported, Loss, guarded
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

KEY = "anthropic"
DEFAULT_MAX_TOKENS = 4096
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# Request keys mapped onto settings; everything else goes to extra_body.
_MAPPED_KEYS = frozenset({
    "model", "messages", "system", "max_tokens", "temperature", "top_p", "stop_sequences",
    "thinking", "tools", "tool_choice", "output_config", "output_format", "stream",
})
_CHOICE_IN = {"auto": "auto", "any": "required", "none": "none"}
_CHOICE_OUT = {"auto": "auto", "required": "any", "none": "none"}
# Block types only Anthropic uses; how detect() tells its messages from other formats'.
_OWN_BLOCKS = frozenset({
    "tool_use", "tool_result", "thinking", "redacted_thinking", "server_tool_use", "document",
    "web_search_tool_result", "web_fetch_tool_result", "search_result",
})


# -- detection --------------------------------------------------------------------------------


def _block_score(messages: list[Any]) -> float:
    """1 when some content block is Anthropic-typed, 0.5 for plain role/content, 0 otherwise."""
    own = False
    for m in messages[:200]:
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            return 0.0
        content = m.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            return 0.0
        for b in content:
            if not isinstance(b, dict):
                return 0.0
            kind = b.get("type")
            if not isinstance(kind, str):
                return 0.0
            if kind in _OWN_BLOCKS or (kind == "image" and isinstance(b.get("source"), dict)):
                own = True
            elif kind in ("image_url", "input_audio", "file", "input_text", "output_text",
                          "input_image", "refusal"):
                return 0.0
    return 1.0 if own else 0.5


def detect(data: Any) -> float:
    if isinstance(data, list):
        if not data:
            return 0.0
        return 0.9 if _block_score(data) == 1.0 else 0.0
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return 0.0
    if any(k in data for k in ("composer", "prompt", "contents", "input")):
        return 0.0
    score = _block_score(data["messages"])
    if score == 0.0:
        return 0.0
    if "anthropic_version" in data:
        return 0.95
    system = data.get("system")
    if isinstance(system, str) or (isinstance(system, list) and system
                                   and all(isinstance(b, dict) for b in system)):
        return 0.9
    if score == 1.0:
        return 0.9
    tools = data.get("tools")
    if isinstance(tools, list) and tools and all(
            isinstance(t, dict) and ("input_schema" in t or str(t.get("type", "")).endswith(
                tuple("0123456789"))) for t in tools):
        # Anthropic tools carry input_schema (custom) or a dated type (web_search_20250305).
        return 0.9
    choice = data.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return 0.9
    if isinstance(data.get("thinking"), dict) or "stop_sequences" in data:
        return 0.8
    # Plain role/content messages with max_tokens: could be OpenAI Chat as well.
    return 0.2 if "max_tokens" in data else 0.0


# -- import -----------------------------------------------------------------------------------


class _Reader:
    """Reads one body; every problem is one FormatError naming its JSON path."""

    def __init__(self, source: str | None, root: str):
        self.source = source
        self.root = root
        self.losses: list[Loss] = []
        self.messages: list[Message] = []
        self.call_names: dict[str, str] = {}

    def fail(self, problem: str, where: str) -> FormatError:
        return FormatError(problem, source=self.source, location=where)

    def string(self, value: Any, where: str, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{what} must be a string, not {json_kind(value)}", where)
        return value

    def obj(self, value: Any, where: str, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be an object, not {json_kind(value)}", where)
        return value

    def array(self, value: Any, where: str, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"{what} must be an array, not {json_kind(value)}", where)
        return value

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
            self.messages.append(Message(role=run_role or "user", parts=run))  # type: ignore[arg-type]

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


# -- export -----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, conversation: Conversation):
        self.conversation = conversation
        self.losses: list[Loss] = []
        self.pending: list[tuple[str, str]] = []  # (id, name) of calls awaiting a result
        self.made_ids = 0

    def loss(self, problem: str, i: int | None, j: int | None = None, *,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, i, j, dropped=dropped))

    def setting(self, name: str, problem: str) -> None:
        """A setting this protocol cannot take: ``"name: problem"``, refused by the provider."""
        self.losses.append(Loss(f"{name}: {problem}", dropped=True))

    # -- messages -------------------------------------------------------------------------

    def system(self) -> list[dict[str, Any]]:
        blocks = []
        seen_other = False
        for i, m in enumerate(self.conversation.messages):
            if m.role != "system":
                seen_other = True
                continue
            if seen_other:
                self.loss("system message moved to the top-level system prompt", i)
            for j, p in enumerate(m.parts):
                if isinstance(p, TextPart):
                    if p.text or _own(p):
                        blocks.append({**_own(p), "type": "text", "text": p.text})
                elif isinstance(p, ReasoningPart):
                    self.loss("reasoning in a system message left out", i, j)
                else:
                    self.loss(f"a system prompt holds only text; {p.type} left out", i, j,
                              dropped=True)
        return blocks

    def messages(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        prev_role: str | None = None
        for i, m in enumerate(self.conversation.messages):
            if m.role == "system":
                continue
            if m.role == "assistant":
                blocks = self.assistant(m, i)
                role = "assistant"
            else:
                blocks = self.user(m, i)
                role = "user"
            if not blocks:
                if m.parts:
                    self.loss("nothing left to send in this message; left out", i)
                continue
            if out and role == "user" and out[-1]["role"] == "user" and prev_role == "tool":
                out[-1]["content"].extend(blocks)
            else:
                out.append({"role": role, "content": blocks})
            prev_role = m.role
        for message in out:
            # One plain text block reads better as a string; the API takes both.
            content = message["content"]
            if len(content) == 1 and set(content[0]) == {"type", "text"} \
                    and content[0]["type"] == "text":
                message["content"] = content[0]["text"]
        return out

    def user(self, m: Message, i: int) -> list[dict[str, Any]]:
        blocks = []
        for j, p in enumerate(m.parts):
            if isinstance(p, TextPart):
                if p.text or _own(p):
                    blocks.append({**_own(p), "type": "text", "text": p.text})
            elif isinstance(p, AttachmentPart):
                block = self.attachment(p.attachment, _own(p), i, j)
                if block is not None:
                    blocks.append(block)
            elif isinstance(p, ToolResultPart):
                if p.server_executed and _own(p):
                    self.loss("a server tool's result belongs to an assistant message; "
                              "left out", i, j, dropped=True)
                    continue
                blocks.append(self.tool_result(p, i, j))
            elif isinstance(p, ToolCallPart):
                self.loss(f"tool call {p.name!r} in a {m.role} message: only the assistant "
                          "calls tools", i, j, dropped=True)
            elif isinstance(p, ReasoningPart):
                self.loss(f"reasoning in a {m.role} message left out", i, j)
        return blocks

    def assistant(self, m: Message, i: int) -> list[dict[str, Any]]:
        blocks = []
        for j, p in enumerate(m.parts):
            own = _own(p)
            if isinstance(p, TextPart):
                if p.text or own:
                    blocks.append({**own, "type": "text", "text": p.text})
            elif isinstance(p, ReasoningPart):
                block = self.reasoning(p, own, i, j)
                if block is not None:
                    blocks.append(block)
            elif p.type in ("tool_call", "tool_result") and p.server_executed \
                    and not _anthropic_server_part(p, own):
                self.loss(f"server-side tool {p.type.replace('_', ' ')} {p.name!r} from another "
                          "provider left out", i, j)
            elif isinstance(p, ToolCallPart):
                blocks.append(self.tool_call(p, own, i))
            elif isinstance(p, ToolResultPart):
                if p.server_executed:
                    blocks.append({**own, "type": own.get("type", "web_search_tool_result"),
                                   "tool_use_id": p.tool_call_id or "",
                                   "content": own.get("content", p.output)})
                else:
                    self.loss(f"result of tool {p.name!r} in an assistant message: move it to "
                              "a tool row", i, j, dropped=True)
            elif isinstance(p, AttachmentPart):
                self.loss("the Anthropic API takes no attachments in assistant messages",
                          i, j, dropped=True)
        return blocks

    def reasoning(self, p: ReasoningPart, own: dict[str, Any], i: int,
                  j: int) -> dict[str, Any] | None:
        # Ours mark redacted=True; llm-anthropic's leave it False and say so in the metadata.
        if (p.redacted or own.get("type") == "redacted_thinking") \
                and isinstance(own.get("data"), str):
            return {**own, "type": "redacted_thinking"}
        if isinstance(own.get("signature"), str):
            return {**own, "type": "thinking", "thinking": p.text}
        others = [k for k in (p.provider_metadata or {}) if k != KEY]
        whose = f"from {', '.join(others)} " if others else "without an Anthropic signature "
        self.loss(f"reasoning {whose}left out", i, j)
        return None

    def tool_call(self, p: ToolCallPart, own: dict[str, Any], i: int) -> dict[str, Any]:
        call_id = p.tool_call_id
        if not call_id:
            self.made_ids += 1
            call_id = f"toolu_composer_{i + 1}_{self.made_ids}"
        self.pending.append((call_id, p.name))
        kind = own.get("type", "server_tool_use") if p.server_executed else "tool_use"
        return {**own, "type": kind, "id": call_id, "name": p.name, "input": p.arguments}

    def result_id(self, p: ToolResultPart) -> str:
        if p.tool_call_id:
            self.pending = [c for c in self.pending if c[0] != p.tool_call_id]
            return p.tool_call_id
        match = next((c for c in self.pending if c[1] == p.name), None) or \
            (self.pending[0] if self.pending else None)
        if match is None:
            return ""
        self.pending.remove(match)
        return match[0]

    def tool_result(self, p: ToolResultPart, i: int, j: int) -> dict[str, Any]:
        block: dict[str, Any] = {**_own(p), "type": "tool_result", "tool_use_id": self.result_id(p)}
        if not block["tool_use_id"]:
            self.loss(f"result of tool {p.name!r} answers no tool call (no tool_call_id)",
                      i, j, dropped=True)
        text = p.output or (p.exception or "")
        if p.attachments:
            content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
            for att in p.attachments:
                made = self.attachment(att, {}, i, j)
                if made is not None:
                    content.append(made)
            block["content"] = content
        else:
            block["content"] = text
        if p.exception:
            block["is_error"] = True
        return block

    def attachment(self, att: Attachment | None, own: dict[str, Any], i: int,
                   j: int) -> dict[str, Any] | None:
        if att is None:
            self.loss("empty attachment left out", i, j)
            return None
        name = att.display_name
        kept = own.get("source")
        if att.content is None and att.url is None and att.path is None:
            if isinstance(kept, dict):
                kind = "image" if att.kind == "image" else "document"
                return {**own, "type": kind}
            self.loss(f"attachment {name} has no content, URL or file", i, j, dropped=True)
            return None
        meta = {k: v for k, v in own.items() if k != "source"}
        kind = att.kind
        if kind == "image":
            mime = att.mime
            if att.url is not None and att.content is None:
                return {**meta, "type": "image", "source": {"type": "url", "url": att.url}}
            if mime not in IMAGE_TYPES:
                self.loss(f"image {name} is {mime}; Anthropic takes JPEG, PNG, GIF or WebP",
                          i, j, dropped=True)
                return None
            data = self.read(att, i, j)
            if data is None:
                return None
            return {**meta, "type": "image",
                    "source": {"type": "base64", "media_type": mime, "data": data}}
        if kind == "pdf":
            if att.url is not None and att.content is None:
                return {**meta, "type": "document", "source": {"type": "url", "url": att.url}}
            data = self.read(att, i, j)
            if data is None:
                return None
            return {**meta, "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": data}}
        if kind == "text":
            if att.content is None and att.path is None:
                self.loss(f"text file {name} by URL: Anthropic takes text files inline only; "
                          "attach the file", i, j, dropped=True)
                return None
            try:
                text = att.data().decode("utf-8")
            except (OSError, ValueError) as exc:
                self.loss(f"text file {name} cannot be read: {exc}", i, j, dropped=True)
                return None
            if (att.path or att.model_extra and att.model_extra.get("name")) \
                    and "title" not in meta:
                meta["title"] = name
            return {**meta, "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": text}}
        self.loss(f"{att.mime} attachment {name}: Anthropic takes images, PDFs and text files "
                  "only", i, j, dropped=True)
        return None

    def read(self, att: Attachment, i: int, j: int) -> str | None:
        try:
            return att.base64()
        except (OSError, ValueError) as exc:
            self.loss(f"attachment {att.display_name} cannot be read: {exc}", i, j,
                      dropped=True)
            return None

    # -- settings -------------------------------------------------------------------------

    def settings(self, body: dict[str, Any]) -> None:
        s = self.conversation.settings
        options = dict(s.options)
        budget = options.pop("thinking_budget", None)
        max_tokens = options.pop("max_tokens", None)
        if budget is not None and not _whole(budget):
            self.setting("thinking_budget", "must be a whole number of tokens")
            budget = None
        if max_tokens is None:
            max_tokens = DEFAULT_MAX_TOKENS
            if budget and max_tokens <= budget:
                max_tokens = budget + DEFAULT_MAX_TOKENS
        elif not _whole(max_tokens) or max_tokens < 1:
            self.setting("max_tokens", f"must be a whole number of tokens, not {max_tokens!r}")
        elif budget and max_tokens <= budget:
            self.setting("max_tokens", f"({max_tokens}) must be larger than thinking_budget "
                         f"({budget})")
        body["max_tokens"] = max_tokens
        if budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        for key in ("temperature", "top_p"):
            if options.get(key) is not None:
                body[key] = options.pop(key)
        stop = options.pop("stop", None)
        if stop:
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        if options.pop("seed", None) is not None:
            self.setting("seed", "Anthropic has no seed; clear it to send")
        effort = options.pop("reasoning_effort", None)
        output: dict[str, Any] = {}
        if effort is not None:
            output["effort"] = effort
        if s.response_schema is not None:
            output["format"] = {"type": "json_schema", "schema": s.response_schema}
        if output:
            body["output_config"] = output
        for key, value in options.items():
            if value is not None:
                body[key] = value
        if s.tools:
            body["tools"] = [self.tool(t) for t in s.tools]
        choice = s.tool_choice
        if choice is not None:
            if isinstance(choice, dict) and isinstance(choice.get("name"), str):
                body["tool_choice"] = {"type": "tool", "name": choice["name"]}
            elif isinstance(choice, str) and choice in _CHOICE_OUT:
                body["tool_choice"] = {"type": _CHOICE_OUT[choice]}
            else:
                self.setting("tool_choice", f"{choice!r} is not one of auto, none, required "
                             "or a tool name")

    @staticmethod
    def tool(tool: Tool) -> dict[str, Any]:
        own = dict(((tool.model_extra or {}).get("provider_metadata") or {}).get(KEY) or {})
        if own.get("type") not in (None, "custom"):
            return {"name": tool.name, **own}
        spec: dict[str, Any] = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        spec["input_schema"] = tool.parameters
        return {**spec, **own}


def _anthropic_server_part(part: Any, own: dict[str, Any]) -> bool:
    """A server tool call or result Anthropic ran (others' cannot be replayed to it)."""
    return bool(own) or (part.tool_call_id or "").startswith("srvtoolu_")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _own(part: Any) -> dict[str, Any]:
    """This protocol's metadata on a part: block keys to write back verbatim."""
    meta = (part.provider_metadata or {}).get(KEY)
    return dict(meta) if isinstance(meta, dict) else {}


def _merge_extra(body: dict[str, Any], extra: dict[str, Any]) -> None:
    """``extra_body`` last, so a kept ``thinking.display`` or
    ``tool_choice.disable_parallel_tool_use`` joins what the settings built."""
    merge_extra(body, extra)
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and "type" not in choice:
        if body.get("tools"):
            body["tool_choice"] = {"type": "auto", **choice}
        else:
            del body["tool_choice"]


def to_body(conversation: Conversation) -> tuple[dict[str, Any], list[Loss]]:
    """The request body for this conversation (without ``stream``) and what it could not hold."""
    writer = _Writer(conversation)
    body: dict[str, Any] = {}
    if conversation.settings.model:
        body["model"] = conversation.settings.model
    system = writer.system()
    messages = writer.messages()
    writer.settings(body)
    if system:
        plain = len(system) == 1 and set(system[0]) == {"type", "text"}
        body["system"] = system[0]["text"] if plain else system
    body["messages"] = messages
    _merge_extra(body, conversation.settings.extra_body)
    return body, writer.losses


def dump(conversation: Conversation) -> Exported:
    body, losses = to_body(conversation)
    return dump_body(body, losses)


FORMAT = Format(
    name="anthropic",
    title="Anthropic Messages (messages or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)
