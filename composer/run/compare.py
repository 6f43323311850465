"""Compare: one conversation sent to several targets at once, one column per target.

Each target's call is prepared by ``prepare_call`` (its key, the trust rule) and scheduled by
``Lanes``: calls to the same local server go one after another, calls to remote providers run
in parallel. A column reports as it goes, through one listener called with the column and the
event (``None`` when only the column's state changed), so a window can render each column
incrementally and a terminal can print progress; at the end every column holds its Exchange.

Faults stay in their column: a target that is refused before sending (an unknown preset, no
key, a key bound for a base URL the user did not choose), that fails on the wire (an HTTP
error, a refused connection) or whose code fails below us ends with its error, and the others
go on. ``stop`` cancels every column; each keeps the parts that arrived.

Trust: a target's own ``base_url`` was typed by the user (on the command line, in the compare
dialog), so it counts as chosen; a base URL the target inherits from the conversation's file
counts as chosen only when the caller says so (``chosen_base_url``: ``--trust-base-url``, or a
base URL the user typed in the window's request panel).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from msgspec import Struct, field
from msgspec.structs import replace

from composer.models import pricing
from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.events import (
    ReasoningDelta,
    Retrying,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
)
from composer.models.exchange import ErrorInfo, Exchange, ExchangeExtras, Prompt
from composer.models.parts import Message
from composer.providers import keys
from composer.providers.refused import RequestRefused
from composer.providers.trust import KeyTarget, TrustedHosts
from composer.run.lanes import Lanes
from composer.run.metrics import Metrics
from composer.run.prepare import KeyStore, prepare_call

if TYPE_CHECKING:  # the transport (httpx) loads with the first call, not with the window
    import httpx

    from composer.providers.transport import Call, CallConfig
from composer.run.state import RunState
from composer.run.targets import Target, TargetError

MAX_TARGETS = 6
_CONTENT = (TextDelta, ReasoningDelta, ToolCallStart, ToolCallDelta)
_ENDED = (RunState.DONE, RunState.ERROR, RunState.STOPPED, RunState.REFUSED)


class Column(Struct, eq=False):
    """One target's side of a compare: its call, the parts so far, its state and figures."""

    index: int
    target: Target
    conversation: Conversation  # as sent to this target
    state: RunState = RunState.QUEUED
    assembler: Assembler = field(default_factory=Assembler)
    call: Call | None = None
    exchange: Exchange | None = None
    notes: list[str] = field(default_factory=list)
    title: str = ""  # the target's name, numbered when two targets share it

    @property
    def name(self) -> str:
        """What the column, the progress lines and the table call this target."""
        return self.title or self.target.name

    @property
    def ended(self) -> bool:
        return self.state in _ENDED

    @property
    def sent_to(self) -> Target:
        """The target with the base URL it is really sent to (its own, or the conversation's),
        so a local server named only by the file still gets its one-at-a-time lane."""
        url = self.conversation.settings.base_url
        return replace(self.target, base_url=url) if url else self.target

    @property
    def lane(self) -> str | None:
        """The one-request-at-a-time server this column queues for, if any."""
        try:
            return self.sent_to.lane()
        except TargetError:
            return None

    @property
    def reply(self) -> list[Message]:
        """Copies of the finished reply's messages (nothing while it runs)."""
        if self.exchange is None:
            return []
        return [m.model_copy(deep=True) for m in self.exchange.messages]

    @property
    def metrics(self) -> Metrics:
        """The finished run's figures; while it runs, what is known so far."""
        if self.exchange is not None:
            return Metrics.of(self.exchange)
        if self.call is None or self.state == RunState.QUEUED:
            return Metrics()
        timing = self.call.timing
        return Metrics(first_token_ms=timing.first_token_ms,
                       elapsed_ms=self.call.elapsed_ms() if timing.started_utc else None)


Listener = Callable[[Column, StreamEvent | None, int | None], None]


class Compare:
    """Send ``conversation`` to ``targets``; ``run()`` returns one Exchange per target, in order.

    ``listener(column, event, part_index)`` sees every stream event as the column's assembler
    applies it, and ``(column, None, None)`` whenever a column's state changes."""

    def __init__(self, conversation: Conversation, targets: Sequence[Target], *,
                 listener: Listener | None = None, lanes: Lanes | None = None,
                 key_store: KeyStore = keys.find_key, trusted: TrustedHosts | None = None,
                 chosen_base_url: bool = False, client: httpx.AsyncClient | None = None,
                 config: CallConfig | None = None,
                 trust_hint: str = "give the target its own base_url to send it there"):
        if not targets:
            raise ValueError("compare needs at least one target")
        self.columns = [Column(i, t, t.apply(conversation), title=title)
                        for i, (t, title) in enumerate(zip(targets, titles(targets), strict=True))]
        self.listener = listener
        self.lanes = lanes or Lanes()
        self._key_store = key_store
        self._trusted = trusted
        self._chosen_base_url = chosen_base_url
        self.client = client  # shared by every call (None: each makes its own)
        self._config = config
        self._trust_hint = trust_hint  # how the user allows a key to go to a file's base URL
        self._tasks: dict[int, asyncio.Task] = {}

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks.values())

    async def run(self) -> list[Exchange]:
        """Send to every target (each column's lane permitting) and wait for all of them."""
        for column in self.columns:
            self._start(column)
        await self._wait(list(self._tasks.values()))
        return [c.exchange for c in self.columns if c.exchange is not None]

    async def rerun(self, index: int) -> Exchange:
        """Send to one target again (a column's Retry); its earlier reply is replaced."""
        column = self.columns[index]
        task = self._tasks.get(index)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        column.assembler, column.call, column.exchange, column.notes = Assembler(), None, None, []
        self._set_state(column, RunState.QUEUED)
        await self._wait([self._start(column)])
        assert column.exchange is not None
        return column.exchange

    def stop(self) -> None:
        """Cancel every column still queued or streaming; each keeps what arrived."""
        for task in self._tasks.values():
            if not task.done():
                task.cancel()

    # -- one column -----------------------------------------------------------------------------

    def _start(self, column: Column) -> asyncio.Task:
        task = asyncio.ensure_future(self._run_column(column))
        self._tasks[column.index] = task
        return task

    async def _wait(self, tasks: list[asyncio.Task]) -> None:
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            # Whoever awaited these columns was cancelled: so are they, and they end first.
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            raise

    async def _run_column(self, column: Column) -> None:
        refused = self._prepare(column)
        if refused is not None:
            self._refuse(column, refused)
            return
        assert column.call is not None
        call = column.call
        try:
            await self.lanes.run(column.sent_to, lambda: self._stream(column))
        except asyncio.CancelledError:  # stopped while it waited for its lane
            column.assembler.feed(StreamError("cancelled by the user", kind="cancelled"))
            from composer.providers.transport import build_exchange

            self._finish(column, build_exchange(call, column.assembler))
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()

    def _prepare(self, column: Column) -> str | None:
        """Make the column's call; the one line saying why it cannot be made, if so."""
        try:
            prepared = prepare_call(
                column.conversation, key_store=self._key_store, trusted=self._trusted,
                chosen=bool(column.target.base_url) or self._chosen_base_url,
                client=self.client, config=self._config)
        except RequestRefused as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 (a bug: this column says so, the rest go on)
            return f"cannot prepare the call: {type(exc).__name__}: {exc}"
        if prepared.key_target is not None:
            return prepared.key_target.refusal(self._trust_hint)
        column.call = prepared.call
        column.notes = [*prepared.notes, *prepared.key_problems]
        return None

    async def _stream(self, column: Column) -> None:
        from composer.providers.transport import build_exchange, run_call

        call = column.call
        assert call is not None
        self._set_state(column, RunState.SENDING)

        def on_event(event: StreamEvent, index: int | None) -> None:
            if isinstance(event, Retrying):
                self._set_state(column, RunState.RETRYING)
            elif column.state != RunState.STREAMING and isinstance(event, _CONTENT):
                self._set_state(column, RunState.STREAMING)
            if self.listener is not None:
                self.listener(column, event, index)

        try:
            exchange = await run_call(call, column.assembler, on_event)
        except Exception as exc:  # noqa: BLE001 (a bug below us ends this column, not the rest)
            exchange = build_exchange(call, column.assembler)
            exchange.composer.error = ErrorInfo(message=f"{type(exc).__name__}: {exc}",
                                                kind="provider")
            exchange.composer.stop_reason = "error"
        self._finish(column, exchange)

    def _refuse(self, column: Column, line: str) -> None:
        conversation = column.conversation
        settings = conversation.settings.model_copy(deep=True)
        error = ErrorInfo(message=f"{column.name}: {line}", kind="refused")
        column.exchange = Exchange(
            model=settings.model,
            prompt=Prompt(messages=list(conversation.messages),  # as build_exchange shares them
                          options=dict(settings.options) or None),
            composer=ExchangeExtras(settings=settings, stop_reason="error", error=error))
        self._set_state(column, RunState.REFUSED)

    def _finish(self, column: Column, exchange: Exchange) -> None:
        pricing.record_cost(exchange)  # what send writes: the cost (or why none) in the file
        column.exchange = exchange
        error = exchange.composer.error
        if error is None:
            state = RunState.DONE
        elif error.kind == "cancelled":
            state = RunState.STOPPED
        else:
            state = RunState.ERROR
        self._set_state(column, state)

    def _set_state(self, column: Column, state: RunState) -> None:
        column.state = state
        if self.listener is not None:
            self.listener(column, None, None)


def key_question(conversation: Conversation, targets: Sequence[Target], *,
                 key_store: KeyStore = keys.find_key,
                 trusted: TrustedHosts | None = None) -> KeyTarget | None:
    """The first key this compare would send to a base URL only the file chose (a target
    without its own base URL inherits the conversation's): a question to ask before sending,
    as the window's Send asks it. None when there is none (nothing is sent here)."""
    for target in targets:
        if target.base_url:
            continue  # typed by the user: chosen
        try:
            prepared = prepare_call(target.apply(conversation), key_store=key_store,
                                    trusted=trusted)
        except RequestRefused:
            continue  # refused in its column anyway
        if prepared.key_target is not None:
            return prepared.key_target
    return None


# -- names ------------------------------------------------------------------------------------

def titles(targets: Sequence[Target]) -> list[str]:
    """Each target's name, ``#2``, ``#3``… after a name an earlier target already has (the same
    model at two temperatures)."""
    seen: dict[str, int] = {}
    out = []
    for target in targets:
        seen[target.name] = seen.get(target.name, 0) + 1
        out.append(target.name if seen[target.name] == 1 else f"{target.name} #{seen[target.name]}")
    return out


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_names(targets: Sequence[Target], suffix: str = ".json") -> list[str]:
    """A file name per target, after its name: safe on every file system (no separators, no
    leading dot, no reserved characters) and distinct even where case does not count."""
    names: list[str] = []
    taken: set[str] = set()
    for target in targets:
        stem = _UNSAFE.sub("-", target.name).strip("-.")[:80].rstrip("-.") or "target"
        name, n = stem, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name.lower())
        names.append(name + suffix)
    return names
