"""Send and Stop, and what follows a reply: append it, answer its tool calls, save it.

Calls are checked and prepared by the run layer (composer.run.preflight over prepare_call, the
one place the command line and the inspector prepare theirs too); the runs are kept in a
``RunRecord``. The window hands in how to report an error, open a file dialog and ask the
key-trust question (composer/views/run_ui.py puts the controller into the window).

One run at a time: a new Send cancels the one streaming and drops its late results (each run
has a token; events of an older token are ignored). The run is an asyncio task on the qasync
loop that we keep a reference to; Stop cancels it and the parts that arrived stay. Problems
found before sending (a part the provider cannot take, a missing key, tools that do not parse,
tool calls with no result...) are listed all at once (composer/views/preflight_dialog.py),
marked on their rows, and nothing is sent; the notes of what the provider will not receive
are listed at Send too, with "Send anyway" (composer/views/send_problems.py shows them). The
checks run on a worker: a Send is a task that checks, then sends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QStyle

from composer.models import files as model_files
from composer.models.conversation import Conversation
from composer.models.problems import Field
from composer.providers.call_config import CallConfig
from composer.providers.trust import KeyTarget, TrustedHosts
from composer.run import Finding, Run, RunRecord, RunState
from composer.run.cache_check import last_prefix_hashes
from composer.run.metrics import hidden_reasoning
from composer.run.preflight import Preflight, preflight
from composer.views.output_pages import OutputPages
from composer.views.results.pane import ResultsPane
from composer.views.results.stats import saved_text, timing_text, usage_text
from composer.views.send_problems import SendProblems
from composer.views.trust import ask_key_target

if TYPE_CHECKING:
    import asyncio

    from composer.models.assembler import Assembler
    from composer.models.events import StreamEvent
    from composer.models.exchange import Exchange
    from composer.providers.transport import Call
    from composer.views.preflight_dialog import PreflightDialog
    from composer.views.window import MainWindow

Pixmap = QStyle.StandardPixmap


ReportError = Callable[[str, str], None]  # (title, line)
FileDialog = Callable[[str, QFileDialog.AcceptMode, list[str], Callable[[str], object]],
                      QFileDialog]
AskKeyTarget = Callable[[KeyTarget, Callable[[bool, bool], None]], QMessageBox]


def _checks(check: Callable[[], Preflight], alongside: list[Callable[[], object]]) -> Preflight:
    checked = check()
    for work in alongside:
        with contextlib.suppress(Exception):  # work done ahead: undone, it is done later
            work()
    return checked


class RunController(SendProblems, QObject):
    state_changed = Signal(str)  # a RunState
    run_started = Signal()
    run_finished = Signal(object)  # Exchange

    def __init__(self, window: MainWindow, *, report_error: ReportError,
                 file_dialog: FileDialog, ask_key: AskKeyTarget | None = None):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.editor = window.editor
        self._report_error = report_error
        self._file_dialog = file_dialog
        self._ask_key = ask_key or (lambda target, then: ask_key_target(window, target, then))
        self.call_config = CallConfig()
        self.pane = ResultsPane()
        self.record = RunRecord()
        self._hashed: tuple[object, dict[str, str] | None] = (None, None)
        # The Request, Events and Runs tabs: built when first shown or used (output_pages.py).
        self.pages = OutputPages(window.document, self.record, self._last_hashes,
                                 self._on_runs_show_requested, self._on_runs_save_requested)
        self.task: asyncio.Task | None = None
        self.call: Call | None = None
        # Who keeps the running call's reply when not the table (a regenerate), and whether the
        # last finished run's reply was kept so (then nothing else appends it).
        self.reply_keeper: Callable[[Exchange], None] | None = None
        self.reply_kept = False
        self._retry_keep: Callable[[Exchange], None] | None = None
        self.llm_log_task: asyncio.Future | None = None  # "log to llm" writing the last run
        self.state = RunState.IDLE
        self.checking = False  # a Send's checks are running (on a worker)
        self._before_checks: tuple[RunState, str] = (self.state, "")  # restored if it stops
        self._token = 0
        self._logged = 0
        self._dialog: QFileDialog | QMessageBox | None = None
        self.preflight_dialog: PreflightDialog | None = None  # what the last Send found
        self._notes_silenced: frozenset[str] = frozenset()  # "don't ask again" for these
        self._confirmed: frozenset[str] = frozenset()  # the notes the last run went with
        self.menu: QMenu | None = None  # the Run menu, once run_ui has put it in the window
        # What is typed outside the table that a Send takes first (the compose box's message);
        # one answering False stops the Send (it said why).
        self.before_send: list[Callable[[], bool]] = []
        # Work for a Send's checks' worker: each is called at the press, on this thread, and
        # what it returns runs on the worker after the checks (the branch commit's plan).
        self.alongside_checks: list[Callable[[], Callable[[], object]]] = []
        self.key_trust = TrustedHosts.load(window.user_dir)
        window.request_panel.key_trust = self.key_trust
        self.stats_label = QLabel()
        self.stats_label.setTextFormat(Qt.TextFormat.PlainText)
        self._make_actions()
        self._make_keep_action()
        window.undo_stack.indexChanged.connect(self._update_actions)  # the reply in or out
        self.pane.retry_requested.connect(self.retry)
        self.pane.flushed.connect(self._on_pane_flushed)
        window.document_replaced.connect(self._on_document_replaced)
        self._update_actions()

    inspector = property(lambda self: self.pages.inspector)
    event_log = property(lambda self: self.pages.event_log)
    runs = property(lambda self: self.pages.runs)

    @property
    def current(self) -> Exchange | None:
        """The exchange the pane shows."""
        return self.record.current

    # -- actions ------------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcuts: list[str], icon: Pixmap | None,
                tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if icon is not None:
            action.setIcon(self.window.style().standardIcon(icon))
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({shortcuts[0]})" if shortcuts else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _make_actions(self) -> None:
        self.send_action = self._action("&Send", self.send, ["Ctrl+Return", "Ctrl+Enter"],
                                        Pixmap.SP_MediaPlay, "Send the conversation")
        self.stop_action = self._action("S&top", self.stop, ["Esc"], Pixmap.SP_MediaStop,
                                        "Stop the reply, keeping what arrived")
        self.append_action = self._action(
            "&Append Reply to Conversation", self.append_reply, ["Ctrl+Shift+Return"], None,
            "Add the reply, every part intact, as the next row(s)")
        self.answer_action = self._action(
            "Answer &Tool Calls", self.answer_tool_calls, ["Ctrl+Shift+T"], None,
            "Add a tool row for each tool call of the reply, to fill in")
        self.save_exchange_action = self._action(
            "Save E&xchange…", self.choose_save_exchange, ["Ctrl+Alt+S"], None,
            "Save the request, the reply, timings and the raw events as an exchange file")

        self.append_action.setIconText("Append Reply")
        self.save_exchange_action.setIconText("Save Exchange")

    def _update_actions(self) -> None:
        running = self.task is not None and not self.task.done()
        self.stop_action.setEnabled(running)
        reply = self.current.messages if self.current is not None else []
        self.append_action.setEnabled(not running and bool(reply) and not self._reply_in())
        self.answer_action.setEnabled(not running and bool(self.record.tool_calls()))
        self.save_exchange_action.setEnabled(not running and self.current is not None)

    # -- sending ------------------------------------------------------------------------------

    def send(self, conversation: Conversation | None = None, *,
             notes_seen: frozenset[str] = frozenset(),
             keep: Callable[[Exchange], None] | None = None,
             upto: int | None = None) -> asyncio.Task | None:
        """Start a run of the current conversation (its first ``upto`` rows: a regenerate), or
        of ``conversation``: the task that checks it, then sends it. The checks (preflight:
        the request built, every row read) run on a worker, as a 10,000-message conversation's
        held the window ~150 ms; when problems they found stop it (listed, and shown on their
        rows and fields), or the notes of what the provider will not receive wait for "Send
        anyway" (those in ``notes_seen`` were confirmed already), the task ends with nothing
        sent. None when what is typed outside the table stopped the Send before any check.
        ``keep`` takes the finished reply instead of the table (a regenerate keeps it as a
        variant); a run sent with it finishes with ``reply_kept`` True."""
        if self.task is not None and not self.task.done():
            self._token += 1  # the old run's late results are dropped
            self.task.cancel()
        self.window.table.clear_problems()
        self._close_preflight()
        typed: list[Finding] = []
        if conversation is None:
            # Ctrl+Return while typing sends what is typed, never the text before.
            self.window.table.commit_open_edit()
            if upto is None and not all(take() for take in self.before_send):
                return None  # (the compose box's message is the next turn, not a regenerate's)
            typed = self._typing_findings()
            conversation = self.document.conversation.snapshot()
            if upto is not None:
                conversation.messages = conversation.messages[:upto]
        import asyncio

        check = partial(_checks, partial(
            preflight, conversation, last_hashes=self._last_hashes(),
            client=self.window.http_client, config=self.call_config,
            chosen=self.window.request_panel.provenance.base_url_chosen,
            trusted=self.key_trust), [work() for work in self.alongside_checks])
        self._token += 1
        self.task = asyncio.ensure_future(
            self._checked_run(check, conversation, typed, notes_seen, keep, self._token))
        if not self.checking:  # (a Send replacing one being checked keeps what was before it)
            self._before_checks = (self.state, self.window.status_state.text())
        self.checking = True
        self._set_state(RunState.SENDING, "Checking…")
        self._update_actions()
        return self.task

    async def _checked_run(self, check: Callable[[], Preflight], conversation: Conversation,
                           typed: list[Finding], notes_seen: frozenset[str],
                           keep: Callable[[Exchange], None] | None, token: int) -> None:
        from composer.providers.threads import in_thread

        try:
            checked = await in_thread(check)
        except BaseException:  # Stop while checking (or a bug): nothing was sent
            if token == self._token:
                self._checks_over()
            raise
        if token != self._token:
            return
        self.checking, self.task = False, None  # a refusal or a question ends it here
        started = self._start(checked, conversation, typed, notes_seen, keep)
        if started is None:
            self._checks_over()
        else:
            await self._run(*started, token)

    def _checks_over(self) -> None:
        """Nothing was sent (refused, stopped, or a question asked)."""
        self.checking = False
        if self.state == RunState.SENDING:  # stopped, or a question asked: as before the Send
            self._set_state(*self._before_checks)
        self.task = None
        self._update_actions()

    def _start(self, checked: Preflight, conversation: Conversation, typed: list[Finding],
               notes_seen: frozenset[str], keep: Callable[[Exchange], None] | None
               ) -> tuple[Call, Assembler] | None:
        """After the checks: refuse, ask (the notes, the key's host), or start the run."""
        # A missing key is shown at the key (the panel's note); the provider's 401 says it too.
        notes = [f for f in checked.notes if f.field is not Field.API_KEY]
        blocking = [*typed, *checked.blocking]
        if blocking:
            if len(blocking) + len(notes) > 1:  # one problem alone is shown where it is
                self._show_preflight([*blocking, *notes])
            return self._refuse(blocking)
        lines = frozenset(f.line() for f in notes)
        if not lines <= notes_seen | self._notes_silenced:
            self._show_preflight(notes, conversation, keep)
            return None
        prepared = checked.prepared
        assert prepared is not None
        if prepared.key_target is not None:
            self._ask_trust(conversation, prepared.key_target, lines, keep)
            return None
        self._confirmed = lines
        self.window.request_panel.clear_field_problem()  # what it said no longer holds
        self.record.last_sent = conversation
        self.reply_keeper = keep
        self._retry_keep = keep  # a retry keeps its reply where the first try would have
        from composer.models.assembler import Assembler  # with the first send

        assembler = Assembler()
        call = self.call = prepared.call
        self.record.current = None
        self._logged = 0
        self.pane.begin(assembler, prepared.title, call.settings.response_schema)
        self.event_log.begin()
        self.inspector.show_sent(call.request, prepared.key_env)
        self.output_tabs_show(self.pane)
        self.window.status_state.setText("Sending…")  # (the state is since the checks began)
        import asyncio

        self.task = asyncio.current_task()
        self._update_actions()
        self.run_started.emit()
        return call, assembler

    def _last_hashes(self) -> dict[str, str] | None:
        """The prefix digests of what the last run sent, or of the exchange shown when it was
        reopened from a file (worked out once per run)."""
        sent = self.record.last_sent or self.record.current
        if self._hashed[0] is not sent:
            self._hashed = (sent, last_prefix_hashes(sent))
        return self._hashed[1]

    def retry(self) -> asyncio.Task | None:
        """Send the last run's conversation again (its notes were confirmed when it went)."""
        if self.record.last_sent is None:
            return self.send()
        return self.send(self.record.last_sent.snapshot(), notes_seen=self._confirmed,
                         keep=self._retry_keep)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run(self, call: Call, assembler: Assembler, token: int) -> None:
        from composer.models.events import (
            ReasoningDelta,
            Retrying,
            TextDelta,
            ToolCallDelta,
            ToolCallStart,
        )

        content = (TextDelta, ReasoningDelta, ToolCallStart, ToolCallDelta)

        def on_event(event: StreamEvent, index: int | None) -> None:
            if token != self._token:
                return
            self.pane.feed(event, index)
            if isinstance(event, Retrying):
                self._set_state(RunState.RETRYING, f"Retrying in {event.delay:.1f} s "
                                f"({event.attempt}/{event.of}): {event.reason}")
            elif self.state != RunState.STREAMING and isinstance(event, content):
                self._set_state(RunState.STREAMING, "Streaming…")

        # The transport (httpx) is loaded with the first run, not before the first paint.
        from composer.models.exchange import ErrorInfo
        from composer.providers.transport import build_exchange, run_call

        try:
            exchange = await run_call(call, assembler, on_event)
        except Exception as exc:  # a bug below us still ends the run with the parts so far
            exchange = build_exchange(call, assembler)
            exchange.composer.error = ErrorInfo(message=f"{type(exc).__name__}: {exc}",
                                                kind="provider")
            exchange.composer.stop_reason = "error"
        if token != self._token:
            return
        self._finish(exchange)

    def _finish(self, exchange: Exchange) -> None:
        self.pane.end(exchange)
        self._on_pane_flushed()
        run = self.runs.add(exchange)
        self.pane._set_title(f"Run {run.number}: {run.title}")
        error = exchange.composer.error
        stats = " · ".join(t for t in (timing_text(exchange.usage, exchange.composer.timing,
                                                   hidden_reasoning=hidden_reasoning(exchange)),
                                       usage_text(exchange.usage), saved_text(exchange)) if t)
        self.stats_label.setText(stats)
        if error is not None and error.kind == "cancelled":
            self._set_state(RunState.STOPPED, "Stopped; the parts that arrived are kept")
        elif error is not None:
            from composer.providers.transport import describe_error

            self._set_state(RunState.ERROR, f"Error: {describe_error(error)}")
        else:
            self._set_state(RunState.DONE, "Done")
        self.task = None
        self._update_actions()
        if self.window.preferences.log_to_llm:
            import asyncio

            self.llm_log_task = asyncio.ensure_future(self._log_to_llm(exchange))
        keeper, self.reply_keeper = self.reply_keeper, None
        self.reply_kept = keeper is not None
        if keeper is not None:
            keeper(exchange)  # a regenerate's variant: not the table's next turn
        else:
            self._keep_reply(exchange)
        self.run_finished.emit(exchange)

    async def _log_to_llm(self, exchange: Exchange) -> None:
        """The preference "log to llm": llm's own code writes its logs.db, off the GUI thread."""
        from composer.providers.llm_log import LogFailed, log_exchange
        from composer.providers.threads import in_thread

        try:
            await in_thread(log_exchange, exchange)  # loading llm takes seconds the first time
        except LogFailed as exc:
            self.window.statusBar().showMessage(str(exc), 10000)

    def _on_pane_flushed(self) -> None:
        call = self.call
        if call is None:
            return
        new = call.log[self._logged:]
        self._logged = len(call.log)
        self.event_log.append(new)
        if self.state == RunState.STREAMING and call.timing.first_token_ms is not None:
            self.stats_label.setText(f"first token {call.timing.first_token_ms / 1000:.2f} s")

    def _set_state(self, state: RunState, text: str) -> None:
        if state in (RunState.SENDING, RunState.STREAMING):
            self.window.statusBar().clearMessage()  # an earlier refusal or note is old news
        self.state = state
        self.window.status_state.setText(text)
        self.state_changed.emit(state)

    # -- after a reply ------------------------------------------------------------------------

    def _make_keep_action(self) -> None:
        self.keep_action = QAction("&Keep Replies", self.window)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(self.window.preferences.keep_replies)
        self.keep_action.setStatusTip("Add each reply to the table as it finishes (or is "
                                      "stopped); off, Append Reply adds it")
        self.keep_action.toggled.connect(
            lambda on: self.window.update_preferences(keep_replies=on))

    def _keep_reply(self, exchange: Exchange) -> None:
        """A reply finished or was stopped: with Keep Replies on, it goes into the table by
        itself (one undo step); a failed run's partial reply stays in the pane only."""
        error = exchange.composer.error
        if not self.keep_action.isChecked() or (error is not None and error.kind != "cancelled"):
            return
        if not any(m.parts for m in exchange.messages):
            return  # stopped before anything arrived
        if self.append_reply(select=False):
            self.window.table.scrollToBottom()

    def append_reply(self, *, select: bool = True) -> bool:
        """Add the reply's message(s), parts and provider metadata intact (undoable); never
        twice (False when it is already in the table)."""
        messages = self.record.reply()
        if not messages or self._reply_in():
            return False
        first = len(self.document)
        self.editor.insert_messages(first, messages, text="Append reply")
        self.record.mark_in(self.document.ids[first:first + len(messages)])
        if select:
            self.window.table.select_rows([len(self.document) - 1])
        self._update_actions()
        return True

    def mark_reply_in(self, row_ids: list[int]) -> None:
        """The current reply went into the document as these rows by another way (a
        regenerate's variant): Append Reply must not add it again."""
        self.record.mark_in(row_ids)
        self._update_actions()

    def _reply_in(self) -> bool:
        return self.record.reply_in(self.document.messages, self.document.ids)

    def answer_tool_calls(self) -> list[int]:
        """A tool row per tool call of the reply (its name and id, empty output), after the
        reply (appended first when it is not in the table yet); returns the new rows."""
        rows = self.record.tool_rows()
        if not rows:
            return []
        with self.editor.macro("Answer tool calls"):
            if not self._reply_in():
                self.append_reply()
            first = len(self.document)
            self.editor.insert_messages(first, rows, text="Answer tool calls")
        new = list(range(first, first + len(rows)))
        self.window.table.select_rows(new, current=first)
        self.window.detail.focus_part(0)  # the first call's output, to be typed at once
        return new

    # -- saving and showing runs --------------------------------------------------------------

    def save_exchange_to(self, path: str | os.PathLike[str],
                         exchange: Exchange | None = None) -> bool:
        exchange = exchange or self.current
        if exchange is None:
            return False
        try:
            replaced = model_files.save(exchange, path)
        except Exception as exc:  # noqa: BLE001 (disk full, no permission, a bug: all said)
            self._report_error("Could not save the exchange", model_files.write_problem(path, exc))
            return False
        self.window.show_written(f"Saved exchange {path}", replaced)
        return True

    def choose_save_exchange(self, exchange: Exchange | None = None) -> QFileDialog | None:
        exchange = exchange or self.current
        if exchange is None:
            return None

        def chosen(path: str) -> None:
            if not Path(path).suffix:
                path += ".json"
            self.save_exchange_to(path, exchange)

        self._dialog = self._file_dialog(
            "Save Exchange", QFileDialog.AcceptMode.AcceptSave, ["Exchange files (*.json)"], chosen)
        return self._dialog

    def show_exchange(self, exchange: Exchange, title: str = "") -> None:
        """Show a finished exchange (a reopened run, an opened exchange file)."""
        if self.task is not None and not self.task.done():
            return  # a live run owns the pane
        self.call = None
        self.record.current = exchange
        self.pane.show_exchange(exchange, title)
        self.event_log.show_entries(exchange.composer.events)
        self._update_actions()

    def _on_runs_show_requested(self, run: Run) -> None:
        self.show_exchange(run.exchange, f"Run {run.number}: {run.title}")
        self.output_tabs_show(self.pane)

    def _on_runs_save_requested(self, run: Run) -> None:
        self.choose_save_exchange(run.exchange)

    def _on_document_replaced(self) -> None:
        """Open, Import, New: the runs and the reply shown were of the conversation that went;
        a run still streaming for it is stopped and its results dropped."""
        self.shutdown()
        self._close_preflight()
        self._notes_silenced = self._confirmed = frozenset()
        self.task = None
        self.call = None
        self.pages.clear()  # the runs (and the record), the events, the request preview
        self.pane.clear()
        self.pane.hint.show()
        self.stats_label.clear()
        self._set_state(RunState.IDLE, "Idle")
        self._update_actions()

    def output_tabs_show(self, widget) -> None:
        tabs = self.window.output_tabs
        i = tabs.indexOf(widget)
        if i >= 0:
            tabs.setCurrentIndex(i)

    def shutdown(self) -> None:
        """Cancel a running request (the window is closing)."""
        self._token += 1
        self.stop()
