"""OpenAI Responses API request bodies (``POST /v1/responses``): import and export.

Import takes a bare ``input`` items array or a whole request body; export builds the request
body the provider sends. Consecutive assistant-side items (reasoning, function calls, assistant
messages, hosted tool calls) become one assistant message; consecutive ``function_call_output``
items become one tool message.

Provider metadata lives under the ``"openai"`` key:
- reasoning parts: the item's own fields (``id``, ``encrypted_content``...) verbatim, plus the
  ``summary`` list when the part text alone cannot rebuild it;
- function calls and assistant text: the item ``id`` (and ``status``/``phase`` when given);
- hosted tool calls (web search...) and generated images: the whole ``item``, re-sent verbatim;
- client-run tool calls (custom, apply_patch, shell, local_shell, client tool_search): the item
  without its input, which the part's arguments hold (a custom tool's as ``{"input": text}``);
  their answers go back as the matching ``*_output`` item.

Function tools are sent with ``strict`` (false unless the tool sets it), images with ``detail``
(``auto`` unless said), and a tool ``{"type": "custom"}`` as a custom (free-form) tool.

Settings the format has no neutral name for stay in ``settings.extra_body``, which export merges
last, recursively: dicts merge, a ``None`` value deletes the key, and the ``tools`` and
``include`` lists are appended to (hosted tools such as web search live there).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._wire import (
    arguments_text,
    dump_body,
    merge_extra,
)
from composer.models.formats.base import Exported, Loss
from composer.models.formats.openai_responses.wire import (
    CLIENT_CALLS,
    KEY,
    client_call_item,
    client_output_item,
    reasoning_text,
)
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import Tool


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


def _tool_type(tools: list[Tool], name: Any) -> str:
    """``custom`` for a custom tool of that name, else ``function``."""
    for tool in tools:
        if tool.name == name and (tool.model_extra or {}).get("type") == "custom":
            return "custom"
    return "function"


def _detail(meta: dict[str, Any], part: AttachmentPart | None) -> str:
    """``input_image.detail`` (required by the API): the part's own, the one a Chat server's
    ``image_url`` had, else ``auto``."""
    if isinstance(meta.get("detail"), str):
        return meta["detail"]
    chat = ((part.provider_metadata if part else None) or {}).get("openai-chat")
    image = chat.get("image_url") if isinstance(chat, dict) else None
    if isinstance(image, dict) and isinstance(image.get("detail"), str):
        return image["detail"]
    return "auto"


class _Exporter:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.losses: list[Loss] = []
        self.input: list[dict[str, Any]] = []
        self.call_kinds: dict[str, str] = {}  # call id -> item type of a client-run call

    def loss(self, problem: str, m: int | None, p: int | None = None,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, m, p, dropped))

    def attachment(self, att: Attachment | None, meta: dict[str, Any], m: int, p: int,
                   part: AttachmentPart | None = None) -> dict[str, Any] | None:
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
                return {"type": "input_image", "image_url": url, "detail": _detail(meta, part)}
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
            return self.attachment(part.attachment, _meta(part), m, p, part)
        return None

    def tool_output(self, part: ToolResultPart, m: int, p: int) -> dict[str, Any] | None:
        kind = self.call_kinds.get(part.tool_call_id or "") or _meta(part).get("answers")
        if kind in CLIENT_CALLS and part.tool_call_id:
            if part.attachments:
                self.loss(f"attachments of the {kind} answer left out: only a function call's "
                          "output holds files", m, p)
            item, problem = client_output_item(kind, part.tool_call_id, part.output,
                                               part.exception)
            if item is None:
                self.loss(f"tool result {part.name or '?'}: {problem}", m, p, dropped=True)
            return item
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
                elif (output := self.tool_output(part, m, p)) is not None:
                    self.input.append(output)
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
        item_meta = meta.get("item")
        if isinstance(item_meta, dict) and item_meta.get("type") in CLIENT_CALLS:
            kept = {k: v for k, v in item_meta.items() if replay_ids or k != "id"}
            self.call_kinds[part.tool_call_id or ""] = str(item_meta["type"])
            self.input.append(client_call_item(kept, part.name, part.arguments,
                                               part.tool_call_id))
            if not part.tool_call_id:
                self.loss(f"tool call {part.name} has no tool call id", m, p, dropped=True)
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
            body["tool_choice"] = {"type": _tool_type(s.tools, choice["name"]),
                                   "name": choice["name"]}
        elif choice is not None:
            body["tool_choice"] = choice
        if s.response_schema is not None:
            body["text"] = {"format": {"type": "json_schema", "name": "response",
                                       "schema": s.response_schema}}
            if s.schema_strict is not None:
                body["text"]["format"]["strict"] = s.schema_strict
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
        extra = dict(tool.model_extra or {})
        out: dict[str, Any] = {"type": "function", "name": tool.name}
        if tool.description is not None:
            out["description"] = tool.description
        if extra.get("type") == "custom":  # free-form input, maybe with a grammar "format"
            return {**out, **extra}
        out["parameters"] = tool.parameters
        # Unsaid, Responses may make the schema strict on its own: off unless the tool says so,
        # as Chat Completions has it.
        out["strict"] = False
        out.update(extra)
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
