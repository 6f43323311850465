"""Which block shows what: each streamed event goes to the block of its part (made when the
part starts), each part of a finished reply gets a block of its kind. Loaded with the first
reply a pane shows; the pane itself, empty, is part of the window's first paint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from composer.models.events import (
    CitationAdded,
    OutputAttachment,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolResult,
)
from composer.models.parts import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.views.results.blocks import (
    AttachmentBlock,
    Block,
    LiveBlock,
    ReasoningBlock,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
)
from composer.views.results.frames import scheduler

if TYPE_CHECKING:
    from composer.views.results.pane import ResultsPane


def show_event(pane: ResultsPane, event: StreamEvent, index: int,
               texts: dict[int, list[str]]) -> None:
    """Show ``event`` of part ``index``: text goes to ``texts`` (appended once per frame)."""
    asm = pane.assembler
    assert asm is not None
    match event:
        case TextDelta(text=text):
            _ensure(pane, index, lambda: TextBlock(pane.markdown))
            texts.setdefault(index, []).append(text)
        case ReasoningDelta(text=text, redacted=redacted, token_count=count):
            block = _ensure(pane, index, lambda: ReasoningBlock(pane.markdown))
            if text:
                texts.setdefault(index, []).append(text)
            if redacted or count is not None:
                block.set_redacted(redacted, count)
        case ToolCallStart(name=name, tool_call_id=cid, server_executed=srv):
            _ensure(pane, index, lambda: ToolCallBlock(name, cid, srv))
        case ToolCallDelta(arguments=fragment):
            _ensure(pane, index, lambda: ToolCallBlock.for_part(asm.part(index)))
            texts.setdefault(index, []).append(fragment)
        case ToolCallEnd():
            part = asm.part(index)
            block = _ensure(pane, index, lambda: ToolCallBlock.for_part(part))
            pane.flush_text(index, texts)
            block.set_arguments(part)
            block.finish()
        case ToolResult(name=name, output=output, server_executed=srv):
            _ensure(pane, index, lambda: ToolResultBlock(name, output, srv))
        case OutputAttachment(partial=partial):
            part = asm.part(index)
            block = _ensure(pane, index, AttachmentBlock)
            if part.attachment is not None:
                block.set_attachment(part.attachment, partial)
        case CitationAdded():
            block = _ensure(pane, index, lambda: TextBlock(pane.markdown))
            block.add_citations(asm.part(index).citations or [])


def _ensure(pane: ResultsPane, index: int, make: Callable[[], Block]) -> Block:
    block = pane.blocks.get(index)
    if block is None:
        # A new part starts: the text (or reasoning) before it is finished, render its
        # Markdown now.
        for earlier in pane.blocks.values():
            if isinstance(earlier, LiveBlock) and not earlier.finished:
                earlier.finish()
                if earlier.busy:
                    scheduler.want(pane)
        block = make()
        pane.blocks[index] = block
        pane.insert_block(block)
    return block


def block_for_part(part: Part, markdown: bool) -> Block | None:
    """A finished block showing ``part``; None for a part no block shows."""
    block: Block
    if isinstance(part, TextPart):
        block = TextBlock(markdown)
        block.stream.chunks = [part.text] if part.text else []
        if part.citations:
            block.add_citations(part.citations)
    elif isinstance(part, ReasoningPart):
        block = ReasoningBlock(markdown)
        block.set_redacted(part.redacted, part.token_count)
        block.append(part.text)
    elif isinstance(part, ToolCallPart):
        block = ToolCallBlock.for_part(part)
        block.set_arguments(part)
    elif isinstance(part, ToolResultPart):
        block = ToolResultBlock(part.name, part.output, part.server_executed)
    elif isinstance(part, AttachmentPart) and part.attachment is not None:
        block = AttachmentBlock()
        block.set_attachment(part.attachment)
    else:
        return None
    block.finish()
    return block
