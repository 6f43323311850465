"""The assembler: stream events in, llm-shaped parts out. Pure, no I/O, shared by CLI and GUI.

Text is kept as a list of chunks per part and joined only when parts are asked for, so a long
reply costs linear time however many deltas it arrives in. ``feed`` returns the index of the part
an event touched, which is what an incremental view needs to append in place.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from composer.models import jsontext
from composer.models.attachment import Attachment
from composer.models.events import (
    CitationAdded,
    Finish,
    OutputAttachment,
    PartMetadata,
    ReasoningDelta,
    ResponseInfo,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolResult,
    UsageReport,
)
from composer.models.exchange import Usage
from composer.models.parts import (
    AttachmentPart,
    Citation,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)


class _Slot(Struct):
    kind: str
    chunks: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    arguments: dict[str, Any] | None = None
    ended: bool = False

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""


def parse_arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    """Tool-call arguments from their JSON text: (arguments, problem or None).

    Text that is not a JSON object gives ``{}`` and a problem; callers keep the text itself
    (``{"composer": {"raw_arguments"}}``) so it goes back to the provider exactly as it came.
    """
    try:
        return jsontext.loads_object(raw), None  # also bounded nesting, long numbers, Unicode
    except jsontext.NotAnObject:
        return {}, "arguments are not a JSON object"
    except jsontext.JSONTextError as exc:
        where = f" at {exc.location}" if exc.location else ""
        return {}, f"arguments are not valid JSON ({exc.msg}{where})"


class Assembler:
    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._index: dict[tuple[str, str], int] = {}
        self.usage = Usage()
        self._usage_seen = False
        self.finish: Finish | None = None
        self.error: StreamError | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.message_metadata: dict[str, Any] = {}
        self.cancelled = False
        self._replaced = 0  # lone surrogates the last parts() replaced

    # -- feeding ------------------------------------------------------------------------------

    def _slot(self, kind: str, key: str) -> tuple[int, _Slot]:
        idx = self._index.get((kind, key))
        if idx is None:
            idx = len(self._slots)
            self._slots.append(_Slot(kind))
            self._index[(kind, key)] = idx
        return idx, self._slots[idx]

    def _slot_any(self, key: str) -> tuple[int, _Slot] | None:
        for kind in ("tool_call", "text", "reasoning", "attachment", "tool_result"):
            idx = self._index.get((kind, key))
            if idx is not None:
                return idx, self._slots[idx]
        return None

    def feed(self, event: StreamEvent) -> int | None:
        """Apply one event; returns the index of the part it changed, if any."""
        match event:
            case TextDelta(key=key, text=text):
                idx, slot = self._slot("text", key)
                slot.chunks.append(text)
                return idx
            case ReasoningDelta(key=key, text=text, redacted=redacted, token_count=count):
                idx, slot = self._slot("reasoning", key)
                if text:
                    slot.chunks.append(text)
                if redacted:
                    slot.fields["redacted"] = True
                if count is not None:
                    slot.fields["token_count"] = count
                return idx
            case ToolCallStart(key=key, name=name, tool_call_id=call_id, server_executed=srv):
                idx, slot = self._slot("tool_call", key)
                slot.fields.update(name=name, tool_call_id=call_id, server_executed=srv)
                return idx
            case ToolCallDelta(key=key, arguments=fragment):
                idx, slot = self._slot("tool_call", key)
                slot.chunks.append(fragment)
                return idx
            case ToolCallEnd(key=key, arguments=arguments):
                idx, slot = self._slot("tool_call", key)
                slot.ended = True
                if arguments is not None:
                    slot.arguments = arguments
                return idx
            case ToolResult(key=key, name=name, output=output, tool_call_id=cid,
                            server_executed=srv):
                idx, slot = self._slot("tool_result", key)
                slot.fields.update(name=name, tool_call_id=cid, server_executed=srv)
                slot.chunks = [output]
                return idx
            case OutputAttachment(key=key, mime=mime, content=content, url=url, partial=partial):
                idx, slot = self._slot("attachment", key)
                slot.fields.update(mime=mime, url=url, partial=partial)
                if content is not None:
                    slot.chunks = [content]
                return idx
            case CitationAdded(key=key, url=url, title=title, cited_text=cited):
                idx, slot = self._slot("text", key)
                slot.citations.append(Citation(url=url, title=title, cited_text=cited))
                return idx
            case PartMetadata(key=key, provider=provider, data=data):
                found = self._slot_any(key)
                if found is None:
                    return None
                idx, slot = found
                slot.metadata.setdefault(provider, {}).update(data)
                return idx
            case ResponseInfo(id=rid, model=model, provider_metadata=meta):
                # Only strings: a parser passes the wire's id through, whatever its type.
                self.response_id = _text(rid) or self.response_id
                self.model = _text(model) or self.model
                for provider, data in (meta or {}).items():
                    self.message_metadata.setdefault(provider, {}).update(data)
            case UsageReport():
                self._merge_usage(event)
            case Finish():
                self.finish = event
            case StreamError():
                if event.kind == "cancelled":
                    self.cancelled = True
                self.error = event
        return None

    def _merge_usage(self, event: UsageReport) -> None:
        self._usage_seen = True
        u = self.usage
        if event.input is not None:
            u.input = event.input
        if event.output is not None:
            u.output = event.output
        if event.details:
            u.details = {**(u.details or {}), **event.details}

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slots)

    def partial_arguments(self, index: int) -> str:
        """The tool call's argument text so far, for showing it grow."""
        return self._slots[index].text

    def part(self, index: int) -> Part:
        slot = self._slots[index]
        meta = slot.metadata or None
        if slot.kind == "text":
            return TextPart(text=slot.text, provider_metadata=meta,
                            citations=slot.citations or None)
        if slot.kind == "reasoning":
            return ReasoningPart(text=slot.text, provider_metadata=meta, **slot.fields)
        if slot.kind == "tool_call":
            if slot.arguments is not None:
                arguments = slot.arguments
            else:
                arguments, problem = parse_arguments(slot.text)
                if problem and slot.ended:
                    meta = {**(meta or {}), "composer": {"raw_arguments": slot.text}}
            return ToolCallPart(
                name=slot.fields.get("name", ""),
                arguments=arguments,
                tool_call_id=slot.fields.get("tool_call_id"),
                server_executed=slot.fields.get("server_executed", False),
                provider_metadata=meta,
            )
        if slot.kind == "tool_result":
            return ToolResultPart(output=slot.text, provider_metadata=meta, **slot.fields)
        att = Attachment(type=slot.fields.get("mime"), url=slot.fields.get("url"),
                         content=slot.text or None)
        return AttachmentPart(attachment=att, provider_metadata=meta)

    def parts(self) -> list[Part]:
        """The parts so far, as valid Unicode: a surrogate pair split over two deltas is joined
        (the chunks are joined first), a lone surrogate becomes U+FFFD (counted in ``notes``)."""
        out = []
        replaced = 0
        for i in range(len(self._slots)):
            part = self.part(i)
            data = part.to_dict()
            fixed, count = jsontext.repair_value(data)
            if count:
                replaced += count
                part = type(part).model_validate(fixed)
            out.append(part)
        self._replaced = replaced
        return out

    def reply_text(self) -> str:
        """The text of the reply's text parts, joined (what a response schema is checked on)."""
        return "".join(slot.text for slot in self._slots if slot.kind == "text")

    def message(self) -> Message:
        parts = self.parts()
        metadata, count = jsontext.repair_value(self.message_metadata)
        self._replaced += count
        return Message(role="assistant", parts=parts, provider_metadata=metadata or None)

    def notes(self) -> list[str]:
        """What the user should know about the reply as assembled: tool-call arguments that did
        not parse, invalid characters replaced (counted by the last ``parts``/``message``)."""
        notes = self.argument_problems()
        if self._replaced:
            notes.append(f"reply: {jsontext.replaced_note(self._replaced)}")
        return notes

    def argument_problems(self) -> list[str]:
        problems = []
        for slot in self._slots:
            if slot.kind == "tool_call" and slot.arguments is None and slot.ended:
                _, problem = parse_arguments(slot.text)
                if problem:
                    problems.append(f"tool call {slot.fields.get('name', '?')}: {problem}")
        return problems

    @property
    def stop_reason(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.error is not None:
            return "error"
        return self.finish.reason if self.finish else "unknown"

    def usage_or_none(self) -> Usage | None:
        return self.usage if self._usage_seen else None

    def error_info(self) -> StreamError | None:
        """The error to keep in the exchange: a copy of the event's own record, its text made
        valid Unicode."""
        e = self.error
        if e is None:
            return None
        return e.model_copy(update={
            "message": jsontext.repair(e.message)[0], "provider_type": _clean(e.provider_type),
            "request_id": _clean(e.request_id), "body": _clean(e.body)})


def _text(value: Any) -> str | None:
    return jsontext.repair(value)[0] if isinstance(value, str) else None


def _clean(text: str | None) -> str | None:
    return jsontext.repair(text)[0] if isinstance(text, str) else text
