"""Writing a conversation as an Anthropic Messages request body."""

from __future__ import annotations

from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._wire import dump_body, merge_extra
from composer.models.formats.anthropic.wire import DEFAULT_MAX_TOKENS, IMAGE_TYPES, KEY
from composer.models.formats.base import Exported, Loss
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import Tool

_CHOICE_OUT = {"auto": "auto", "required": "any", "none": "none"}


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
        if options.pop("prompt_cache_key", None) is not None:
            self.losses.append(Loss("prompt_cache_key: Anthropic caches at cache breakpoints "
                                    "(set on a part), not by key; left out"))
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
