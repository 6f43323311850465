"""The runs of one conversation: numbered exchanges, the one shown, and what follows a reply
(the tool calls still to answer, whether the reply is already in the document)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from msgspec import Struct, field

from composer.models.conversation import Conversation
from composer.models.parts import Message, ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    from composer.models.exchange import Exchange


class Run(Struct):
    exchange: Exchange
    number: int
    # The document rows (their ids) the reply was added as, once it was (kept or appended).
    rows: tuple[int, ...] = ()

    @property
    def title(self) -> str:
        e = self.exchange
        when = ""
        if e.datetime_utc:
            try:
                when = datetime.fromisoformat(e.datetime_utc).strftime("%H:%M:%S")
            except ValueError:
                when = e.datetime_utc
        total = e.composer.timing.total_ms
        pieces = [f"#{self.number}", when, e.model or e.composer.settings.provider,
                  e.composer.stop_reason or "", f"{total / 1000:.1f} s" if total else ""]
        return " · ".join(p for p in pieces if p)


class RunRecord(Struct):
    """Every run sent for the conversation, numbered from 1; ``current`` is the exchange shown
    (the last run's, or one reopened); ``last_sent`` the conversation the last run sent (what
    Retry sends again)."""

    runs: list[Run] = field(default_factory=list)
    current: Exchange | None = None
    last_sent: Conversation | None = None

    def add(self, exchange: Exchange) -> Run:
        """A finished run: numbered, kept, and made current."""
        run = Run(exchange, len(self.runs) + 1)
        self.runs.append(run)
        self.current = exchange
        return run

    def run(self, number: int) -> Run:
        return self.runs[number - 1]

    def clear(self) -> None:
        """Another conversation came in: these were runs of the last one."""
        self.runs.clear()
        self.current = None
        self.last_sent = None

    def tool_calls(self) -> list[ToolCallPart]:
        """The current reply's tool calls the client must answer (not the server's own)."""
        if self.current is None:
            return []
        return [p for m in self.current.messages for p in m.parts
                if isinstance(p, ToolCallPart) and not p.server_executed]

    def tool_rows(self) -> list[Message]:
        """A tool message per call still to answer: its name and id, an empty output."""
        return [Message(role="tool", parts=[ToolResultPart(name=c.name,
                                                           tool_call_id=c.tool_call_id,
                                                           output="")])
                for c in self.tool_calls()]

    def reply(self) -> list[Message]:
        """Copies of the current reply's messages (to append to the document)."""
        if self.current is None:
            return []
        return [m.model_copy(deep=True) for m in self.current.messages]

    def current_run(self) -> Run | None:
        """The run whose exchange is shown (None for an opened exchange file)."""
        return next((r for r in reversed(self.runs) if r.exchange is self.current), None)

    def mark_in(self, row_ids: Sequence[int]) -> None:
        """The current reply was just added to the document as these rows."""
        run = self.current_run()
        if run is not None:
            run.rows = tuple(row_ids)

    def reply_in(self, messages: list[Message], row_ids: Sequence[int] | None = None) -> bool:
        """Whether the current reply is already in ``messages`` (appended before). Given the
        document's ``row_ids``, a run of this record is in while a row it was added as is
        still there (undo takes it out, redo puts it back; an earlier run's identical reply
        does not count); otherwise (an opened exchange file) the messages are compared."""
        if self.current is None or not self.current.messages:
            return False
        run = self.current_run()
        if run is not None and row_ids is not None:
            return not set(run.rows).isdisjoint(row_ids)
        reply = self.current.messages
        return messages[-len(reply):] == reply or any(m == reply[-1] for m in messages)
