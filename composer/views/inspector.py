"""The inspector tabs: the exact request and the raw event log.

``RequestInspector`` shows what Send would send for the current table and settings — method,
URL, headers with the key redacted, the pretty JSON body — rebuilt (debounced) as they change,
and after a Send the request that was sent. "Copy as curl" writes the key as ``$ENV_VAR``, for
every provider. ``EventLogView`` lists a run's raw stream events with their times.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import AttachmentPart, ToolResultPart
from composer.providers.presets import UnknownProvider, resolve
from composer.run.cache_check import cache_problems
from composer.run.prepare import preview_call
from composer.views import keychain, memory, theme
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from composer.models.exchange import LogEntry
    from composer.providers.base import HttpRequest

DEBOUNCE_MS = 300


def _monospace(edit: QPlainTextEdit) -> None:
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    edit.setReadOnly(True)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    edit.document().setUndoRedoEnabled(False)
    edit.setMinimumHeight(24)  # the output tabs must not force the window taller


# A base64 image or PDF in the body is megabytes on one line: the inspector shows its start and
# its length (a text view lays out 14 MB in seconds); Copy as curl still copies it whole.
BODY_STRING_CHARS = 2000


def _abbreviated(value: Any) -> Any:
    if isinstance(value, str) and len(value) > BODY_STRING_CHARS:
        return f"{value[:120]}… (+{len(value) - 120:,} characters)"
    if isinstance(value, dict):
        return {k: _abbreviated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_abbreviated(v) for v in value]
    return value


def request_text(request: HttpRequest) -> str:
    """The request as a reader wants it: first line, headers (key redacted), blank, body (long
    strings cut, with their length)."""
    from composer.providers.transport import safe_url  # loaded by the preview's call anyway

    shown = request.redacted()
    lines = [f"{shown.method} {safe_url(shown.url)}"]
    lines += [f"{k}: {v}" for k, v in shown.headers.items()]
    lines.append("")
    if shown.body is not None:
        lines.append(json.dumps(_abbreviated(shown.body), ensure_ascii=False, indent=2))
    return "\n".join(lines)


def _asks_keychain(conversation: Conversation) -> bool:
    """Whether building a request asks the keychain: for a provider that sends a key and
    whose keychain answer is not known yet (it may answer over D-Bus, or ask to be unlocked)."""
    try:
        preset = resolve(conversation.settings.provider)
    except UnknownProvider:
        return False
    return keychain.unasked(preset)


def _reads_files(conversation: Conversation) -> bool:
    """Whether building a request reads files: an attachment kept by path only."""
    for message in conversation.messages:
        for part in message.parts:
            attachments = ([part.attachment] if isinstance(part, AttachmentPart)
                           else part.attachments if isinstance(part, ToolResultPart) else [])
            if any(a is not None and a.content is None and a.path for a in attachments):
                return True
    return False


def preview_request(conversation: Conversation, last_hashes: dict[str, str] | None = None
                    ) -> tuple[HttpRequest | None, str | None, list[str]]:
    """(request, key variable, notes) for what Send would send now, prepared by the run layer
    as Send prepares it; the request is None and the notes say why when it cannot be built.
    The cache checks' lines come last (``last_hashes``: the last run's prefix digests)."""
    prepared, notes = preview_call(conversation)
    notes = [*notes, *(p.line() for p in cache_problems(conversation, last_hashes))]
    if prepared is None:
        return None, None, notes
    return prepared.call.request, prepared.key_env, notes


class RequestInspector(QWidget):
    """What Send sends. ``refreshed`` fires after each rebuild."""

    refreshed = Signal()
    _built = Signal(int, object)  # generation, preview_request's result (from a worker thread)

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self._generation = 0
        self._built.connect(self._on_built)
        self._document = document
        self._request: HttpRequest | None = None
        self._key_env: str | None = None
        # The last run's prefix digests, for the "cache will miss" check (the run controller's).
        self.last_hashes: Callable[[], dict[str, str] | None] = lambda: None
        self._heading = WrappedLabel()
        self._heading.setTextFormat(Qt.TextFormat.PlainText)
        self._notes = WrappedLabel()
        self._notes.setTextFormat(Qt.TextFormat.PlainText)  # notes quote names from the file
        self._notes.setStyleSheet(f"color: {theme.colour('warning')};")
        self._text = QPlainTextEdit()
        self._text.setAccessibleName("Request as sent")
        _monospace(self._text)
        self._copy_curl_button = QPushButton("Copy as curl")
        self._copy_curl_button.setToolTip("Copy a curl command that sends this request; the "
                                          "key is read from its environment variable")
        self._copy_curl_button.clicked.connect(self.copy_curl)
        row = QHBoxLayout()
        row.addWidget(self._heading, 1)
        row.addWidget(self._copy_curl_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self._notes)
        layout.addWidget(self._text, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        document.subscribe(self._on_document_changed)
        self.destroyed.connect(lambda *_: document.unsubscribe(self._on_document_changed))
        # The first preview is built when the inspector is first shown or read: not with the
        # window (it loads the transport and may look up a key), nor for a window whose
        # inspector nobody looks at.
        self._stale = True
        self._held_back = False
        self._text_shown = True  # nothing to show yet

    def _text_now(self) -> QPlainTextEdit:
        self._built_now()._show_text()
        return self._text

    def _built_now(self) -> QWidget:
        if self._stale:
            self.refresh()
        return self

    # What the preview shows, built first if it is still to be built.
    heading = property(lambda self: self._built_now()._heading)
    notes = property(lambda self: self._built_now()._notes)
    text = property(lambda self: self._text_now())
    copy_curl_button = property(lambda self: self._built_now()._copy_curl_button)
    request = property(lambda self: self._built_now()._request_now()[0])
    key_env = property(lambda self: self._built_now()._request_now()[1])

    def _request_now(self) -> tuple[HttpRequest | None, str | None]:
        """The shown request and its key variable, built again if it was let go (``_show``)."""
        if self._held_back:
            self._held_back = False
            self._request, self._key_env, _notes = preview_request(self._document.conversation,
                                                                   self.last_hashes())
        return self._request, self._key_env

    def _on_document_changed(self, _notice: object) -> None:
        self.schedule_refresh()

    def schedule_refresh(self) -> None:
        """Build the preview again once edits pause; while the inspector is hidden, when it is
        next shown or read (building it runs the whole request's preparation on the GUI
        thread: ~0.4 s at 10,000 messages, after every edit, for a tab nobody looks at)."""
        if self.isVisible():
            self._timer.start()
        else:
            self._timer.stop()
            self._stale = True

    def refresh(self) -> None:
        """Rebuild the preview for the current table and settings. Attachments kept by path
        are read from disk to build it, and a provider's key may be asked of the keychain: then
        it is built on a worker thread."""
        self._timer.stop()
        self._stale = False
        self._generation += 1
        conversation = self._document.conversation
        last = self.last_hashes()
        reads = _reads_files(conversation)
        if not reads and not _asks_keychain(conversation):
            request, key_env, notes = preview_request(conversation, last)
            self._show(request, key_env, notes, "Request that Send will make", rebuilt=True)
            return
        snapshot = conversation.snapshot()
        generation = self._generation
        self._heading.setText("Reading attached files to build the request…" if reads
                              else "Asking the keychain for the key…")

        def build() -> None:
            built = preview_request(snapshot, last)
            try:
                self._built.emit(generation, built)
            except RuntimeError:  # the inspector was closed meanwhile
                pass

        threading.Thread(target=memory.collection_paused(build), name="composer-preview",
                         daemon=True).start()

    def _on_built(self, generation: int, built: tuple) -> None:
        if generation == self._generation:  # else a newer refresh (or a sent request) won
            self._show(*built, "Request that Send will make")

    def show_sent(self, request: HttpRequest, key_env: str | None) -> None:
        """The request a run actually sent (until the table or settings change)."""
        self._timer.stop()
        self._stale = False
        self._generation += 1
        self._show(request, key_env, list(request.notes), "Request sent")

    def _show(self, request: HttpRequest | None, key_env: str | None, notes: list[str],
              heading: str, *, rebuilt: bool = False) -> None:
        """Show a request. ``rebuilt``: it can be built again from the document at once (no
        file to read), so while the inspector is hidden it is let go once its heading, notes
        and button are set: a long conversation's request holds every attachment again (as a
        data URL). Whatever reads it builds it again."""
        self._request, self._key_env = request, key_env
        self._held_back = False
        self._heading.setText("No request can be built yet" if request is None else heading)
        # The text (megabytes for a long conversation) is laid out only when it is looked at.
        self._text_shown = False
        self._text.clear()
        if self.isVisible():
            self._show_text()
        self._notes.setText("\n".join(notes))
        self._notes.setVisible(bool(notes))
        self._copy_curl_button.setEnabled(request is not None and request.method != "REPLAY")
        if rebuilt and not self.isVisible() and request is not None:
            self._request, self._key_env, self._held_back = None, None, True
        self.refreshed.emit()

    def _show_text(self) -> None:
        if not self._text_shown:
            self._text_shown = True
            request, _key_env = self._request_now()
            self._text.setPlainText(request_text(request) if request else "")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._built_now()._show_text()

    def curl(self) -> str:
        return self.request.curl(self.key_env) if self.request is not None else ""

    def copy_curl(self) -> str:
        command = self.curl()
        if command:
            QGuiApplication.clipboard().setText(command)
        return command


# An event carrying an image or audio clip can be megabytes of base64 on one line; the view shows
# its start and says how much more there is (the saved exchange keeps it whole).
LOG_LINE_CHARS = 4000


def log_line(entry: LogEntry) -> str:
    data = entry.data
    if len(data) > LOG_LINE_CHARS:
        data = f"{data[:LOG_LINE_CHARS]}… (+{len(data) - LOG_LINE_CHARS:,} characters)"
    if entry.event:  # named events (Anthropic, Responses): the names line up
        return f"{entry.t:9.3f}  {entry.event:<22} {data}"
    return f"{entry.t:9.3f}  {data}"  # unnamed (Chat Completions, Gemini): no empty column


class EventLogView(QWidget):
    """A run's raw events, ``t`` seconds after the request, as they came off the wire."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.count = 0
        self.summary = QLabel("No run yet.")
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Event log")
        _monospace(self.text)
        # Events are long one-line JSON: wrapped, the time and event name stay in view.
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)

    def begin(self) -> None:
        self.count = 0
        self.text.clear()
        self.summary.setText("Waiting for the first event…")

    def append(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        bar = self.text.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.text.appendPlainText("\n".join(log_line(e) for e in entries))
        self.count += len(entries)
        self.summary.setText(f"{self.count} events")
        if at_end:
            bar.setValue(bar.maximum())

    def show_entries(self, entries: list[LogEntry]) -> None:
        self.begin()
        self.append(entries)
        if not entries:
            self.summary.setText("This run has no recorded events.")
