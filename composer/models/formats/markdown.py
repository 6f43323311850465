"""A Markdown transcript: readable on GitHub, and read back by Composer.

Export writes one ``## Role`` section per message and one block per part: text as is, reasoning
in a ``<details>`` block, tool calls as fenced JSON, tool results in a fence, attachments by
name, type and size. Before each message and part an HTML comment (invisible when rendered)
records what the block is::

    <!-- composer:message {"role": "user"} -->
    <!-- composer:part {"type": "tool_call", "name": "get_weather", "tool_call_id": "c1"} -->

Each part's block is written as ``"\\n" + body + "\\n\\n"`` after its marker line, so import
recovers text, roles, tool calls and results exactly. Markdown cannot hold attachment bytes,
provider metadata or citations: export reports them.

Markdown without our markers is read by its headings (found with markdown-it): a heading whose
text is a role name (``## User``, ``### Assistant:``) starts a message, and the source text up
to the next such heading is its text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markdown_it import MarkdownIt

from composer.models import jsontext
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats.base import Exported, Format, Imported, Loss
from composer.models.parts import (
    ROLES,
    AttachmentPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

_MARKER = re.compile(r"^<!-- composer:(transcript|message|part) (.*) -->$")
_REASONING_OPEN = "<details><summary>Reasoning</summary>\n\n"
_REASONING_CLOSE = "\n\n</details>"
_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def _marker(kind: str, data: dict[str, Any]) -> str:
    # ">" escaped so no value can close the comment early; still valid JSON.
    return f"<!-- composer:{kind} " + json.dumps(data, ensure_ascii=False).replace(">", "\\u003e") \
        + " -->"


def _fence(body: str, info: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def _fence_at_end(block: str, info: str) -> str | None:
    """The body of the fenced block that ends ``block``, found from its closing line: the
    title above it may hold anything (a tool name with blank lines or backticks), the body
    no run of backticks as long as the fence's."""
    closing = block.rsplit("\n", 1)[-1]
    if "\n" not in block or re.fullmatch(r"`{3,}", closing) is None:
        return None
    opening = f"{closing}{info}\n"
    start = block.rfind("\n" + opening, 0, len(block) - len(closing))
    if start >= 0:
        start += 1
    elif block.startswith(opening):
        start = 0
    else:
        return None
    inner = block[start + len(opening): len(block) - len(closing)]
    return inner[:-1] if inner.endswith("\n") else None


def _size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


# -- export -------------------------------------------------------------------------------------


def _part_block(part: Part, mi: int, pi: int, losses: list[Loss]) -> tuple[dict, str]:
    if part.provider_metadata:
        losses.append(Loss("provider_metadata dropped", mi, pi))
    if isinstance(part, TextPart):
        if part.citations:
            losses.append(Loss("citations dropped", mi, pi))
        return {"type": "text"}, part.text
    if isinstance(part, ReasoningPart):
        head: dict[str, Any] = {"type": "reasoning"}
        if part.redacted:
            head["redacted"] = True
        if part.token_count is not None:
            head["token_count"] = part.token_count
        return head, _REASONING_OPEN + part.text + _REASONING_CLOSE
    if isinstance(part, ToolCallPart):
        head = {"type": "tool_call", "name": part.name}
        if part.tool_call_id is not None:
            head["tool_call_id"] = part.tool_call_id
        if part.server_executed:
            head["server_executed"] = True
        body = json.dumps(part.arguments, ensure_ascii=False, indent=2)
        return head, f"**Tool call** `{part.name}`\n\n" + _fence(body, "json")
    if isinstance(part, ToolResultPart):
        head = {"type": "tool_result", "name": part.name}
        if part.tool_call_id is not None:
            head["tool_call_id"] = part.tool_call_id
        if part.server_executed:
            head["server_executed"] = True
        if part.exception is not None:
            head["exception"] = part.exception
        lines = [f"**Tool result** `{part.name}`", "", _fence(part.output, "text")]
        for att in part.attachments:
            losses.append(Loss(f"tool result attachment {att.display_name} kept by name only",
                               mi, pi, dropped=att.content is not None))
            lines += ["", f"Attachment: `{att.display_name}` ({att.mime}, {_size(att.size)})"]
        return head, "\n".join(lines)
    att = part.attachment
    head = {"type": "attachment"}
    if att is None:
        return head, "Attachment: (none)"
    for key, field in (("mime", "type"), ("path", "path"), ("url", "url")):
        value = getattr(att, field)
        if value is not None:
            head[key] = value
    name = (att.model_extra or {}).get("name")
    if isinstance(name, str):
        head["name"] = name
    if att.content is not None:
        losses.append(Loss(f"attachment {att.display_name}: content not embedded, kept by "
                           f"{'path' if att.path else 'url' if att.url else 'name'}", mi, pi,
                           dropped=not (att.path or att.url)))
    where = f" <{att.url}>" if att.url and not att.url.startswith("data:") else ""
    return head, f"Attachment: `{att.display_name}` ({att.mime}, {_size(att.size)}){where}"


def dump(conversation: Conversation) -> Exported:
    losses: list[Loss] = []
    header: dict[str, Any] = {"version": 1}
    if conversation.settings.model:
        header["model"] = conversation.settings.model
    out = [_marker("transcript", header), "# Conversation", ""]
    if conversation.settings.model:
        out += [f"*Model: {conversation.settings.model}*", ""]
    for mi, message in enumerate(conversation.messages):
        if message.provider_metadata:
            losses.append(Loss("message provider_metadata dropped", mi))
        out += [_marker("message", {"role": message.role}), f"## {_HEADINGS[message.role]}", ""]
        for pi, part in enumerate(message.parts):
            head, body = _part_block(part, mi, pi, losses)
            # Between this marker line and the next: "\n" + body + "\n", exactly.
            out += [_marker("part", head), "", body, ""]
    settings = conversation.settings
    if settings.tools:
        losses.append(Loss(f"{len(settings.tools)} tool definition(s) dropped", dropped=True))
    if settings.response_schema:
        losses.append(Loss("response schema dropped", dropped=True))
    return Exported("\n".join(out), losses)


# -- import -------------------------------------------------------------------------------------


# Detection only asks whether a line near the start may be a role heading (ATX "## User", or
# setext "User" over "----"), with one regex over the first MiB (the first heading of a
# transcript comes early): bounded time on any input. The Markdown parser, whose time grows
# fast on hostile text, runs when the text is loaded.
_DETECT_HEAD = 1 << 20
_MAYBE_ROLE_HEADING = re.compile(
    r"^ {0,3}(?:#{1,6}[ \t]+(?:system|user|assistant|tool)[ \t]*:?[ \t]*#*[ \t]*"
    r"|(?:system|user|assistant|tool)[ \t]*:?[ \t]*\n {0,3}(?:=+|-+)[ \t]*)$",
    re.MULTILINE)


def _lines(text: str) -> str:
    """Line ends made ``\n``: Markdown also ends lines with ``\r\n`` and a lone ``\r``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect(text: Any) -> float:
    if not isinstance(text, str):
        return 0.0
    if text.startswith("<!-- composer:transcript ") or "\n<!-- composer:message " in text:
        return 1.0
    head = _lines(text[:_DETECT_HEAD]).lower()
    return 0.4 if _MAYBE_ROLE_HEADING.search(head) else 0.0


def _decode(raw: str, line: int, source: str | None) -> dict[str, Any]:
    try:
        data, _ = jsontext.loads(raw)
    except jsontext.JSONTextError as exc:
        raise FormatError(f"marker is not valid JSON ({exc.msg})", source=source,
                          location=f"line {line}") from None
    if not isinstance(data, dict):
        raise FormatError("marker must hold a JSON object", source=source, location=f"line {line}")
    return data


def _body(block: str) -> str:
    if len(block) >= 2 and block.startswith("\n") and block.endswith("\n"):
        return block[1:-1]
    return block.strip("\n")  # hand-edited: be forgiving about blank lines


def _str_field(head: dict, key: str, line: int, source: str | None, default: Any = "") -> Any:
    value = head.get(key, default)
    if value is not None and value is not default and not isinstance(value, str):
        raise FormatError(f"{key} must be a string", source=source, location=f"line {line}")
    return value


def _after_title(body: str, title: str) -> str:
    if body.startswith(title + "\n\n"):
        return body[len(title) + 2:]
    return body.split("\n\n", 1)[1] if "\n\n" in body else body


def _part(head: dict[str, Any], body: str, line: int, source: str | None) -> Part:
    kind = head.get("type")
    where = f"line {line}"
    if kind == "text":
        return TextPart(text=body)
    if kind == "reasoning":
        if body.startswith(_REASONING_OPEN) and body.endswith(_REASONING_CLOSE):
            body = body[len(_REASONING_OPEN): len(body) - len(_REASONING_CLOSE)]
        count = head.get("token_count")
        return ReasoningPart(text=body, redacted=head.get("redacted") is True,
                             token_count=count if isinstance(count, int) else None)
    name = _str_field(head, "name", line, source)
    call_id = _str_field(head, "tool_call_id", line, source, None)
    if kind == "tool_call":
        fenced = _fence_at_end(body, "json")
        if fenced is None:
            raise FormatError("tool call without a fenced JSON block of arguments",
                              source=source, location=where)
        try:
            arguments, _ = jsontext.loads(fenced)
        except jsontext.JSONTextError as exc:
            raise FormatError(f"tool call arguments are not valid JSON ({exc.msg})",
                              source=source, location=where) from None
        if not isinstance(arguments, dict):
            raise FormatError("tool call arguments must be a JSON object", source=source,
                              location=where)
        return ToolCallPart(name=name, arguments=arguments, tool_call_id=call_id,
                            server_executed=head.get("server_executed") is True)
    if kind == "tool_result":
        output = None
        # The fence ends where the attachment lines (if any) begin.
        for end in [len(body), *[m.start() for m in re.finditer(r"\n\nAttachment: `", body)]]:
            output = _fence_at_end(body[:end], "text")
            if output is not None:
                break
        if output is None:
            output = _after_title(body, f"**Tool result** `{name}`")
        return ToolResultPart(name=name, output=output, tool_call_id=call_id,
                              server_executed=head.get("server_executed") is True,
                              exception=_str_field(head, "exception", line, source, None))
    if kind == "attachment":
        fields = {field: head[key] for key, field in
                  (("mime", "type"), ("path", "path"), ("url", "url"), ("name", "name"))
                  if head.get(key) is not None}
        for key, value in fields.items():
            if not isinstance(value, str):
                raise FormatError(f"attachment {key} must be a string", source=source,
                                  location=where)
        return AttachmentPart(attachment=Attachment(**fields) if fields else None)
    raise FormatError(f"unknown part type {kind!r}", source=source, location=where)


def _load_marked(text: str, source: str | None) -> Imported:
    lines = text.split("\n")
    conversation = Conversation()
    losses: list[Loss] = []
    current: Message | None = None
    pending: tuple[dict[str, Any], int] | None = None
    block: list[str] = []

    def flush() -> None:
        if pending is not None and current is not None:
            head, line = pending
            current.parts.append(_part(head, _body("\n".join(block)), line, source))

    for number, line in enumerate(lines, 1):
        match = _MARKER.match(line)
        if match is None:
            block.append(line)
            continue
        kind, raw = match.groups()
        head = _decode(raw, number, source)
        flush()
        pending, block = None, []
        if kind == "transcript":
            model = head.get("model")
            if isinstance(model, str):
                conversation.settings.model = model
        elif kind == "message":
            role = head.get("role")
            if role not in ROLES:
                raise FormatError(f"unknown role {role!r}", source=source,
                                  location=f"line {number}")
            current = Message(role=role)
            conversation.messages.append(current)
        else:
            if current is None:
                raise FormatError("part before any message", source=source,
                                  location=f"line {number}")
            pending = (head, number)
    # Text after the last marker line: its block, ending at EOF.
    flush()
    return Imported(conversation, losses)


def _role_headings(text: str) -> list[tuple[str, int, int]]:
    """(role, first line of the heading, line after it) for headings named after a role."""
    text = _lines(text)
    found = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "heading_open" or token.map is None:
            continue
        found.append(token.map)
    out = []
    lines = text.split("\n")
    for start, end in found:
        title = re.sub(r"^#+\s*|\s*#*\s*$", "", lines[start]).strip().rstrip(":").lower()
        if title in ROLES:
            out.append((title, start, end))
    return out


def _load_headed(text: str, source: str | None) -> Imported:
    headings = _role_headings(text)
    if not headings:
        raise FormatError("no role headings (## User, ## Assistant...) found", source=source)
    lines = text.split("\n")
    conversation = Conversation()
    losses = []
    if "\n".join(lines[: headings[0][1]]).strip():
        losses.append(Loss("text before the first role heading dropped", dropped=True))
    for i, (role, _start, end) in enumerate(headings):
        stop = headings[i + 1][1] if i + 1 < len(headings) else len(lines)
        body = "\n".join(lines[end:stop]).strip("\n")
        conversation.messages.append(Message.text(role, body) if body else Message(role=role))
    return Imported(conversation, losses)


def load(data: Any, source: str | None) -> Imported:
    if not isinstance(data, str):
        raise FormatError("expected Markdown text", source=source)
    text = _lines(data)
    if any(_MARKER.match(line) for line in text.split("\n")):
        return _load_marked(text, source)
    return _load_headed(text, source)


FORMAT = Format(
    name="markdown",
    title="Markdown transcript",
    extensions=(".md", ".markdown"),
    input_kind="text",
    detect=detect,
    load=load,
    dump=dump,
)
