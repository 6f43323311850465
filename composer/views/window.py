"""The main window: the message table over the part detail editor on the left, the request panel
over the output tabs on the right; menus, toolbar, status bar; the file operations.

The window owns no conversation state of its own: the Document holds it and every message edit
goes through ``window.editor`` (undoable). The undo stack's clean state is the "modified" star.

File operations never lose work: a file that cannot be read leaves the document untouched and
says so in one line (``FormatError.one_line()``); replacing a modified document asks first
(Open, New, Import, a dropped file, closing); the draft is autosaved every few seconds.
``open_path``, ``save_to``, ``import_path`` and ``export_to`` are the programmatic entry points:
they do not ask about unsaved changes (the menu commands do, before calling them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from composer import __version__, paths
from composer.models import files as model_files
from composer.models.conversation import Conversation
from composer.models.document import Document, SettingsChanged
from composer.models.errors import FormatError
from composer.models.parts import Message
from composer.preferences import Preferences
from composer.views import (
    announce,
    dialogs,
    lazy,
    memory,
    menus,
    shortcuts,
)
from composer.views.attachments import (
    DEFAULT_EMBED,
    DEFAULT_SIZE_LIMIT,
    AttachmentLoader,
    run_off_thread,
)
from composer.views.branches.commands import install as install_branches
from composer.views.compare import install as install_compare
from composer.views.compose import install as install_compose
from composer.views.detail.editor import PartDetailEditor
from composer.views.file_commands import FileCommands
from composer.views.file_urls import local_paths
from composer.views.files import (
    Autosaver,
    DraftState,
    DraftStore,
    RecentFiles,
)
from composer.views.icon import app_icon
from composer.views.linked_files import install as install_linked_files
from composer.views.request_panel import RequestPanel
from composer.views.run_ui import install_run_ui
from composer.views.session import DraftSession
from composer.views.table.view import MessageTable
from composer.views.token_count import install as install_token_count
from composer.views.undo import DocumentEditor
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    import asyncio

    import httpx

    from composer.models.formats.base import Imported, Loss
    from composer.views import opening
    from composer.views.settings_dialog import SettingsDialog

Button = QMessageBox.StandardButton
LOSS_LINES_SHOWN = 25


class MainWindow(FileCommands, DraftSession, QMainWindow):
    closed = Signal()
    # After Open/New/Import/recovery replaced the whole conversation.
    document_replaced = Signal()
    file_saved = Signal(str)
    # An exchange file was opened: its reply goes to the results pane.
    exchange_opened = Signal(object)

    def __init__(self, document: Document | None = None, *,
                 user_dir: str | os.PathLike[str] | None = None,
                 http_client: httpx.AsyncClient | None = None, reopen: bool = True):
        super().__init__()
        self.user_dir = Path(user_dir) if user_dir is not None else paths.user_dir()
        self.user_dir.mkdir(parents=True, exist_ok=True)
        self.recent = RecentFiles(self.user_dir)
        self.drafts = DraftStore(self.user_dir)
        self.http_client = http_client
        self.file_path: Path | None = None
        self._title_note = ""  # "(imported)" after an import, until saved
        self._foreign_name = ""  # an imported file's name, shown until it is saved as ours
        self._close_confirmed = False
        self._recovery: tuple[Path, DraftState] | None = None
        self._vouched: tuple[str, list[str]] | None = None  # session.py: the saved file's
        self._last_saved = DraftState()  # session.py: the file this window last saved
        self._dialog: QWidget | None = None
        self._on_example = False  # opened on the bundled example (a first start)
        # Opens a conversation in a window of its own (set by the app's window list); None:
        # a promoted branch replaces this window's conversation, as New does.
        self.open_conversation_window: Callable[[Conversation], object] | None = None
        # Quit: every window of the app closes (set by the app's window list); None: this one.
        self.quit_app: Callable[[], None] | None = None
        self._quiet_settings = False
        startup_note = ""
        if document is None:
            document, startup_note = self._initial_document(reopen)

        self.document = document
        self.undo_stack = QUndoStack(self)
        self.editor = DocumentEditor(document, self.undo_stack)
        self.table = MessageTable(self.editor)
        self.detail = PartDetailEditor(self.editor)
        self.preferences = Preferences.load(self.user_dir)
        self.request_panel = RequestPanel(document, http_client=http_client)
        self.adopt_reopened()
        self.output_tabs = QTabWidget()
        self.output_tabs.setDocumentMode(True)
        hint = WrappedLabel("Replies appear here when you send the conversation.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        self.output_tabs.addTab(hint, "Results")

        self._lay_out()

        self.commands = menus.build(self)  # actions, menus, toolbar
        self.status_state = QLabel("Ready")
        self.status_state.setTextFormat(Qt.TextFormat.PlainText)  # shows provider errors
        self.statusBar().addPermanentWidget(self.status_state)

        self.autosaver = Autosaver(self.drafts, self._draft_snapshot, self)
        self.autosaver.failed.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.autosaver.resumed.connect(
            lambda: self.statusBar().showMessage("The draft is being saved again.", 5000))
        self.table.notice.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self.document.subscribe(self._on_document_changed)
        self.table.current_row_changed.connect(self.detail.show_row)
        self.request_panel.settings_dialog_requested.connect(self.show_settings)

        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._update_title()
        self._write_state(clean_exit=False, if_changed=True)
        if startup_note:
            self.statusBar().showMessage(startup_note, 10000)
        if len(self.document):
            self.table.selectRow(0)
        self._install_features()

    def _lay_out(self) -> None:
        """Table over part details on the left, request panel over results on the right."""
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.addWidget(self.table)
        self.left_splitter.addWidget(self.detail)
        self.left_splitter.setStretchFactor(0, 3)
        self.left_splitter.setStretchFactor(1, 2)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.request_panel)
        self.right_splitter.addWidget(self.output_tabs)
        # The panel keeps its natural height; the results get the rest.
        self.right_splitter.setStretchFactor(0, 0)
        self.right_splitter.setStretchFactor(1, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        for splitter in (self.left_splitter, self.right_splitter, self.main_splitter):
            splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.main_splitter)
        self._split_done = False

    def _install_features(self) -> None:
        """What the window does beyond editing, each installed by its own module."""
        # Send/Stop, results, inspector and runs (composer/views/run_ui.py).
        self.run_ui = install_run_ui(self, report_error=self._error, file_dialog=self._file_dialog)
        # Input tokens and cost as the conversation stands, and each run's (token_count.py).
        self.token_count = install_token_count(self, self.run_ui)
        self.token_count.failed.connect(self._on_count_failed)
        self.token_count.problem_gone.connect(self._on_count_problem_gone)
        self.compose = install_compose(self)  # the next message, under the table
        # To every attachment loader, now all are in the window; they start with the defaults,
        # so with default preferences there is nothing to apply (and no walk over the window).
        if (self.preferences.embed_attachments, self.preferences.attachment_size_limit) != \
                (DEFAULT_EMBED, DEFAULT_SIZE_LIMIT):
            self._apply_preferences()
        self.compare_ui = install_compare(self)  # Run ▸ Compare…: several targets side by side
        self.linked_files = install_linked_files(self)  # asks before reading outside files
        self.branches = install_branches(self)  # regenerate, variants, the branches dock
        shortcuts.install(self)  # after every action exists: the focus keys, the user's keys
        self.announcer = announce.install(self)  # run start, finish, errors: said aloud

    def use_client(self, http_client: httpx.AsyncClient | None) -> None:
        """The HTTP client runs, model lists and counts share (without one, each makes its own)."""
        self.http_client = http_client
        self.request_panel.use_client(http_client)

    def build_deferred(self) -> None:
        """Build every part of the window that waits for its first use (composer/views/lazy.py):
        what walks the whole window (the shortcut list, the collision check) sees them all."""
        lazy.build_all(self)

    # -- start and finish ---------------------------------------------------------------------

    def choose_first_provider(self) -> asyncio.Task | None:
        """On a first start, point the example at a provider the user can reach (a key, a local
        server) instead of replay; in the background, so the window is usable at once."""
        import asyncio

        if not self._on_example or self.http_client is None:
            return None

        from composer.providers.defaults import choose_default  # brings httpx: not at start

        async def choose() -> None:
            try:
                preset, model = await choose_default(self.http_client)
            except Exception:  # noqa: BLE001 (a closed client at exit...): replay stays
                return
            settings = self.document.conversation.settings
            if preset == "replay" or settings.provider != "replay":
                return  # nothing better found, or the user already chose
            self._quiet_settings = True  # the untitled example stays unmodified
            try:
                self.document.set_settings(settings.model_copy(
                    update={"provider": preset, "model": model}))
            finally:
                self._quiet_settings = False

        self._first_provider = asyncio.ensure_future(choose())
        return self._first_provider

    # -- the document changing ----------------------------------------------------------------

    def _on_document_changed(self, notice: object) -> None:
        if self._quiet_settings:
            return
        if isinstance(notice, SettingsChanged) and self.undo_stack.isClean():
            # Settings are not undoable, but they are a change the file does not hold yet.
            self.undo_stack.resetClean()
        self.autosaver.mark_changed()

    def _on_count_failed(self, line: str) -> None:
        if not self.statusBar().currentMessage():  # a message of the user's action comes first
            self.statusBar().showMessage(line, 10000)

    def _on_count_problem_gone(self, line: str) -> None:
        if self.statusBar().currentMessage() == line:  # not left saying what is no longer so
            self.statusBar().clearMessage()

    def _on_undo_stack_clean_changed(self, _clean: bool) -> None:
        self._update_title()
        self.autosaver.mark_changed()

    def _display_name(self) -> str:
        return self.file_path.name if self.file_path else self._foreign_name or "Untitled"

    def _update_title(self) -> None:
        note = f" {self._title_note}" if self._title_note else ""
        self.setWindowTitle(f"{self._display_name()}{note}[*] — Composer")
        self.setWindowModified(not self.undo_stack.isClean())

    def _replace(self, conversation: Conversation, path: Path | None, note: str = "", *,
                 vouched: tuple[str, list[str]] | None = None) -> None:
        """``vouched``: ``path`` holds what this window saved (opening.read_for_open); of any
        other file nothing is vouched for."""
        self._vouched = vouched
        self.editor.replace_all(conversation)
        self.adopt_reopened()
        self.file_path = path
        self._title_note = note
        self._foreign_name = ""
        self.table.clear_problems()
        self._update_title()
        if len(self.document):
            self.table.selectRow(0)
        self.detail.show_row(0 if len(self.document) else -1)
        self._write_state(clean_exit=False)
        self.document_replaced.emit()
        # The freed peak of reading a big file goes back to the system, once the work an open
        # sets off (the request preview, the token count: debounced, then a moment) is done.
        QTimer.singleShot(memory.AFTER_OPEN_MS, self, memory.give_back_freed)

    # -- file operations (programmatic: no questions about unsaved changes) -------------------

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Open a conversation or exchange file (an exchange opens as its conversation). A file
        in another format is imported instead. False, with a message, when it cannot be read."""
        from composer.views import opening  # the readers of every format: with the first open

        p = Path(os.path.abspath(path))  # the state and recent files outlive the cwd
        memory.keep_heaps_trimmed()
        return self._apply_open(p, opening.read_for_open(p, self._last_saved)) is not False

    def open_path_later(self, path: str | os.PathLike[str], fmt: str | None = None,
                        *, as_import: bool = False) -> None:
        """``open_path`` (or ``import_path``) with the reading and detection on a worker
        thread, so a big file does not freeze the window; the result is applied when ready."""
        from composer.views import opening

        p = Path(os.path.abspath(path))
        memory.keep_heaps_trimmed()  # before the reader's heap holds a big file's texts
        self.statusBar().showMessage(f"Reading {p}…")
        work = (lambda: opening.read_for_import(p, fmt)) if as_import else \
            (lambda: opening.read_for_open(p, self._last_saved))
        self._reading = run_off_thread(self, work, lambda outcome: self._apply_open(p, outcome))

    def _apply_open(self, p: Path, outcome: opening.Outcome) -> bool | None:
        doc = outcome.result
        if outcome.how == "choose":  # several conversations in the file: which one?
            from composer.views import picker  # dialogs load when they open, not at start

            self._dialog = picker.pick(self, p.name, outcome.choices,
                                       lambda key: self.import_path(p, outcome.fmt, key))
            return None
        if outcome.how == "import":
            return self._apply_import(p, doc)
        if isinstance(doc, FormatError):
            self._error("Could not open the file", doc.one_line())
            return False
        exchange = None if isinstance(doc, Conversation) else doc
        self._replace(exchange.conversation() if exchange else doc, p, vouched=outcome.vouched)
        self.recent.add(p)
        note = f" ({outcome.note})" if outcome.note else ""
        self.statusBar().showMessage(f"Opened {p}{note}", 10000 if note else 5000)
        if exchange is not None:
            self.exchange_opened.emit(exchange)
        return True

    def import_path(self, path: str | os.PathLike[str], fmt: str | None = None,
                    key: str | None = None) -> bool | None:
        """Import a file in any known format, as a new unsaved conversation named after it.
        A file holding several conversations (a logs.db, ShareGPT JSONL) asks which one first,
        and a lossy import shows the report first; the user may cancel either. Then None is
        returned and the answer applies it later. ``key`` picks one of several (Choice.key)."""
        from composer.views import opening

        p = Path(os.path.abspath(path))
        return self._apply_open(p, opening.read_for_import(p, fmt, key))

    def _apply_import(self, p: Path, imported: Imported | FormatError) -> bool | None:
        if isinstance(imported, FormatError):
            self._error("Could not import the file", imported.one_line())
            return False

        def apply() -> None:
            # A foreign file holds no settings of the user's: the provider, base URL, model and
            # headers chosen here stay (the file's tools, schema and options come with it).
            current, theirs = self.document.conversation.settings, imported.conversation.settings
            imported.conversation.settings = theirs.model_copy(update={
                "provider": current.provider, "base_url": current.base_url,
                "model": current.model, "headers": current.headers})
            self._replace(imported.conversation, None, f"(imported from {p.name})")
            self._foreign_name = p.stem
            # A foreign file is not saved as ours until the user saves it.
            self.undo_stack.resetClean()
            self.recent.add(p)
            kept = (f" (its model {theirs.model} was not applied: the model chosen here stays)"
                    if theirs.model and theirs.model != current.model else "")
            self.statusBar().showMessage(f"Imported {p}{kept}", 10000 if kept else 5000)

        if not imported.losses:
            apply()
            return True
        self._dialog = dialogs.ask(
            self, "Import with losses",
            f"{p.name}: {len(imported.losses)} thing(s) will not come through as they are. "
            "Import anyway?", [Button.Ok, Button.Cancel],
            lambda b: apply() if b == Button.Ok else None,
            default=Button.Ok, detail=_loss_report(imported.losses))
        return None

    def export_to(self, path: str | os.PathLike[str], fmt: str) -> bool:
        p = Path(path)
        from composer.models import formats  # the formats load on first use

        try:
            exported = formats.export(self.document.conversation, fmt)
        except FormatError as exc:
            self._error("Could not export", exc.one_line())
            return False
        except Exception as exc:  # a bug in an exporter is still one line, never a traceback
            self._error("Could not export", f"{fmt}: {type(exc).__name__}: {exc}")
            return False
        try:
            replaced = model_files.atomic_write_text(p, exported.text)
        except Exception as exc:  # noqa: BLE001
            self._error("Could not export", model_files.write_problem(p, exc))
            return False
        if exported.losses:
            self._dialog = dialogs.inform(
                self, "Exported with losses",
                f"{p.name} was written, but {formats.get(fmt).title} could not hold "
                f"{len(exported.losses)} thing(s).", detail=_loss_report(exported.losses))
        self.show_written(f"Exported {p} as {fmt}", replaced)
        return True

    def show_written(self, message: str, replaced: int) -> None:
        """Say a file was written, and how many characters saving had to replace."""
        if replaced:
            message += f"; {model_files.replaced_note(replaced)}"
        self.statusBar().showMessage(message, 15000 if replaced else 5000)

    def replace_with_new(self, conversation: Conversation, note: str = "") -> None:
        """Show ``conversation`` as a new unsaved one (a promoted branch)."""
        self._replace(conversation, None, note)
        self.undo_stack.resetClean()

    def new_document(self) -> None:
        """A new conversation with one empty user row; provider settings carry over."""
        settings = self.document.conversation.settings
        self._replace(Conversation(messages=[Message.text("user", "")], settings=settings), None)

    # -- commands (menus, toolbar, drops): they ask before losing changes ---------------------

    def new_file(self) -> None:
        self.confirm_discard(self.new_document)

    def keep_compare_replies(self, replies: list[list[Message]], chosen: int) -> bool:
        """Compare's Keep: ``replies[chosen]`` becomes the next turn and the other columns'
        replies its variants (a column with no reply adds none): one undo step."""
        if not 0 <= chosen < len(replies) or not replies[chosen]:
            return False
        columns = [i for i, reply in enumerate(replies) if reply]
        self.branches.keep_replies_as_variants(
            [[m.model_copy(deep=True) for m in replies[i]] for i in columns],
            columns.index(chosen), text="Keep compared reply")
        return True

    def show_settings(self) -> SettingsDialog:
        from composer.views.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self, self.document.conversation.settings.provider,
                                self.preferences)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.keys_changed.connect(self.request_panel._update_key_note)
        dialog.preferences_changed.connect(self._on_preferences_changed)
        dialog.shortcuts_requested.connect(self.show_shortcuts)
        dialog.open()
        self._dialog = dialog
        return dialog

    def _apply_preferences(self) -> None:
        for loader in self.findChildren(AttachmentLoader):
            loader.embed = self.preferences.embed_attachments
            loader.size_limit = self.preferences.attachment_size_limit

    def _on_preferences_changed(self, preferences: Preferences) -> None:
        self.preferences = preferences
        self._apply_preferences()
        try:
            preferences.save(self.user_dir)
        except OSError as exc:
            self.statusBar().showMessage(f"Could not save preferences: {exc.strerror}", 10000)

    def update_preferences(self, **changes: object) -> None:
        """Change some preferences (a menu toggle): saved and applied as the dialog's are."""
        from composer.views.settings_dialog import SettingsDialog

        self._on_preferences_changed(self.preferences.model_copy(update=changes))
        if isinstance(self._dialog, SettingsDialog):  # its copy must not undo the change
            self._dialog.preferences = self.preferences

    def show_shortcuts(self) -> QDialog:
        from composer.views import shortcuts_dialog

        self._dialog = shortcuts_dialog.open_dialog(self)
        return self._dialog

    def show_about(self) -> QMessageBox:
        box = dialogs.inform(self, "About Composer",
                             f"Composer {__version__}: a workbench for multi-turn LLM requests.")
        box.setIconPixmap(app_icon().pixmap(64, 64))
        self._dialog = box
        return box

    # -- helpers ------------------------------------------------------------------------------

    def _error(self, title: str, line: str) -> None:
        self.statusBar().showMessage(line, 10000)
        self._dialog = dialogs.inform(self, title, line, warning=True)


    # -- Qt overrides -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._split_done:
            # Size hints alone give the request form's fields most of the width; the table
            # and the results are what the user reads, so they get it.
            self._split_done = True
            width = self.main_splitter.width()
            self.main_splitter.setSizes([width * 11 // 20, width - width * 11 // 20])
            height = self.right_splitter.height()
            # The tab widget asks for its tallest page (the JSON editors); size for the one shown.
            tabs = self.request_panel.tabs
            spare = tabs.sizeHint().height() - tabs.currentWidget().sizeHint().height()
            panel = min(self.request_panel.sizeHint().height() - max(spare, 0) + 24, height // 2)
            self.right_splitter.setSizes([panel, height - panel])
            left = self.left_splitter.height()
            self.left_splitter.setSizes([left // 2, left - left // 2])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.saving is not None:  # the file is written first (it may be all that changed)
            event.ignore()
            self.after_save(self.close)
            return
        if not self._close_confirmed and not self.undo_stack.isClean():
            event.ignore()
            self.confirm_discard(self._close_now)
            return
        self._finish_session()
        super().closeEvent(event)
        self.closed.emit()

    def quit(self) -> None:
        """File ▸ Quit: close every window of the app (each asks about its unsaved changes)."""
        if self.quit_app is not None:
            self.quit_app()
        else:
            self.close()

    def _close_now(self) -> None:
        self._close_confirmed = True
        self.close()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        found = local_paths(event.mimeData())
        if not found:
            event.ignore()
            return
        event.acceptProposedAction()
        path = found[0]
        if len(found) == 1 and _is_conversation_file(path):
            self.confirm_discard(lambda: self.open_path_later(path))
        else:  # pictures, PDFs...: attached, as on the table's empty space (a new user row)
            self.table.loader.add_files(found, None)


def _is_conversation_file(path: str) -> bool:
    """A file to open rather than attach: an extension one of our importers reads."""
    from composer.models import formats

    suffix = Path(path).suffix.lower()
    return any(suffix in fmt.extensions for fmt in formats.importers())


def _loss_report(losses: list[Loss]) -> str:
    lines = [loss.line() for loss in losses[:LOSS_LINES_SHOWN]]
    if len(losses) > LOSS_LINES_SHOWN:
        lines.append(f"… and {len(losses) - LOSS_LINES_SHOWN} more")
    return "\n".join(lines)
