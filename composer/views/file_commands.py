"""The window's file commands that ask first: Open, Save As, Import, Export and the recent
files, each through one file dialog, and the Save / Discard / Cancel question before a change
would be lost. A mixin of MainWindow (composer/views/window.py), which holds the document."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composer.models import files as model_files
from composer.providers import presets
from composer.views import dialogs
from composer.views.attachments import run_off_thread
from composer.views.dialogs import Button

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from composer.models.conversation import Conversation
    from composer.models.formats.base import Format
    from composer.views.files import DraftStore

JSON_FILTER = "Composer files (*.json)"


class FileCommands:
    """Needs the window's ``document``, ``file_path``, ``undo_stack``, ``recent``, ``commands``,
    ``drafts``, ``request_panel``, ``open_path_later``, ``export_to``, ``vouch_saved``,
    ``show_written``, ``_display_name``, ``_error``, ``_title_note``, ``_update_title`` and
    ``_write_state``."""

    _dialog_filter = ""
    saving: QObject | None = None  # the Save being written on a worker
    _after_save: list[Callable[[], object]] | None = None  # to run once it is written

    # -- saving -------------------------------------------------------------------------------

    def save(self) -> None:
        if self.file_path is not None and not self._title_note:
            self.save_later(self.file_path)
        else:
            self.choose_save_as()

    def save_to(self, path: str | os.PathLike[str]) -> bool:
        """Save to ``path``, written when this returns (the programmatic entry point; the menus
        save with ``save_later``)."""
        p = Path(os.path.abspath(path))
        conversation = self.document.conversation.snapshot()
        chosen = self.request_panel.provenance.chosen()
        return self._saved(p, _write(p, conversation, self.drafts), conversation, chosen)

    def save_later(self, path: str | os.PathLike[str],
                   then: Callable[[], None] | None = None) -> None:
        """Save to ``path`` with the encoding and the writing on a worker: a big conversation's
        (20 MB, half a second) froze the window. What the window holds now is written, edits
        go on meanwhile; ``then`` runs once the file is written. A Save asked for while one is
        written follows it."""
        if self.saving is not None:
            self.after_save(lambda: self.save_later(path, then))
            return
        p = Path(os.path.abspath(path))
        conversation = self.document.conversation.snapshot()
        chosen = self.request_panel.provenance.chosen()
        replaced: list[bool] = []  # another file opened meanwhile: this one is not its file

        def on_replaced() -> None:
            replaced.append(True)

        self.document_replaced.connect(on_replaced)
        self.statusBar().showMessage(f"Saving {p}…")

        def written(outcome: object) -> None:
            self.saving = None
            self.document_replaced.disconnect(on_replaced)
            if replaced:
                self._say_saved(p, outcome)
            elif self._saved(p, outcome, conversation, chosen) and then is not None:
                then()
            waiting, self._after_save = self._after_save or [], None
            for each in waiting:
                each()

        self.saving = run_off_thread(self, lambda: _write(p, conversation, self.drafts), written)

    def after_save(self, then: Callable[[], object]) -> None:
        """Run ``then`` once the Save being written is done (now when there is none)."""
        if self.saving is None:
            then()
        else:
            self._after_save = [*(self._after_save or []), then]

    def _saved(self, p: Path, outcome: object, conversation: Conversation,
               chosen: list[str]) -> bool:
        """The window after ``conversation`` was written to ``p`` (``outcome``: _write's)."""
        if not self._say_saved(p, outcome):
            return False
        assert isinstance(outcome, tuple)
        self.vouch_saved(p, outcome[0], chosen)
        self.file_path = p
        self._title_note = ""
        if conversation == self.document.conversation:
            self.undo_stack.setClean()
        else:  # edited while it was written: no state of the undo stack is the file's now
            self.undo_stack.resetClean()
        self._update_title()
        self.recent.add(p)
        self._write_state(clean_exit=False)
        self.file_saved.emit(str(p))
        return True

    def _say_saved(self, p: Path, outcome: object) -> bool:
        if isinstance(outcome, BaseException):
            self._error("Could not save", model_files.write_problem(p, outcome))
            return False
        assert isinstance(outcome, tuple)
        self.show_written(f"Saved {p}", outcome[1])
        return True

    def choose_open(self) -> None:
        from composer.models import formats  # the formats load on first use

        exts = sorted({e for f in formats.importers() for e in f.extensions})
        readable = f"Conversations in any format ({' '.join('*' + e for e in exts)})"
        filters = [readable, JSON_FILTER, "All files (*)"]
        self.confirm_discard(lambda: self._file_dialog(
            "Open", QFileDialog.AcceptMode.AcceptOpen, filters, self.open_path_later))

    def choose_save_as(self, then: Callable[[], None] | None = None) -> None:
        def chosen(path: str) -> None:
            if not Path(path).suffix:
                path += ".json"
            self.save_later(path, then)

        self._file_dialog("Save As", QFileDialog.AcceptMode.AcceptSave, [JSON_FILTER], chosen)

    def choose_import(self) -> None:
        from composer.models import formats  # the formats load on first use

        fmts = formats.importers()
        by_filter = {_filter(f): f.name for f in fmts}
        exts = sorted({e for f in fmts for e in f.extensions})
        auto = f"All importable files ({' '.join('*' + e for e in exts)})"

        def chosen(path: str) -> None:
            self.open_path_later(path, by_filter.get(self._dialog_filter), as_import=True)

        self.confirm_discard(lambda: self._file_dialog(
            "Import", QFileDialog.AcceptMode.AcceptOpen, [auto, *by_filter, "All files (*)"],
            chosen))

    def choose_export(self) -> None:
        """The format first offered is the one the conversation is sent in (its provider's
        wire format), or Composer's own when it is sent in none (a replay, an llm model)."""
        from composer.models import formats  # the formats load on first use

        fmts = formats.exporters()
        by_filter = {_filter(f): f for f in fmts}
        try:
            sent_in = presets.resolve(self.document.conversation.settings.provider).protocol
        except presets.UnknownProvider:
            sent_in = ""
        first = next((flt for flt, f in by_filter.items() if f.name == sent_in),
                     _filter(formats.get("composer")))

        def chosen(path: str) -> None:
            fmt = by_filter.get(self._dialog_filter) or formats.get("composer")
            if not Path(path).suffix and fmt.extensions:
                path += fmt.extensions[0]
            self.export_to(path, fmt.name)

        dialog = self._file_dialog("Export", QFileDialog.AcceptMode.AcceptSave, list(by_filter),
                                   chosen)
        dialog.selectNameFilter(first)

    def confirm_discard(self, then: Callable[[], None]) -> QMessageBox | None:
        """Run ``then`` now when nothing is unsaved; else ask Save / Discard / Cancel first.
        While a Save is written, once it is."""
        if self.saving is not None:
            self.after_save(lambda: self.confirm_discard(then))
            return None
        if self.undo_stack.isClean():
            then()
            return None

        def answered(button: Button) -> None:
            if button == Button.Discard:
                then()
            elif button == Button.Save:
                if self.file_path is not None and not self._title_note:
                    self.save_later(self.file_path, then)
                else:
                    self.choose_save_as(then)

        self._dialog = dialogs.ask(
            self, "Unsaved changes", f"Save the changes to {self._display_name()}?",
            [Button.Save, Button.Discard, Button.Cancel], answered, default=Button.Save)
        return self._dialog

    def fill_recent_menu(self) -> None:
        menu = self.commands.recent_menu
        menu.clear()
        paths_ = self.recent.paths()
        for path in paths_:
            action = menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self._open_recent(p))
        if paths_:
            menu.addSeparator()
            menu.addAction("Clear List").triggered.connect(lambda _c=False: self.recent.clear())
        else:
            menu.addAction("No recent files").setEnabled(False)

    def _open_recent(self, path: str) -> None:
        if not Path(path).is_file():
            self.recent.remove(path)
            self._error("Could not open the file", f"{path}: no such file (removed from the list)")
            return
        self.confirm_discard(lambda: self.open_path_later(path))

    def _file_dialog(self, title: str, mode: QFileDialog.AcceptMode, filters: list[str],
                     on_selected: Callable[[str], object]) -> QFileDialog:
        start = str(self.file_path.parent) if self.file_path else str(Path.home())
        dialog = QFileDialog(self, title, start)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setAcceptMode(mode)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile
                           if mode == QFileDialog.AcceptMode.AcceptOpen
                           else QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters(filters)

        def selected(path: str) -> None:
            self._dialog_filter = dialog.selectedNameFilter()
            on_selected(path)

        dialog.fileSelected.connect(selected)
        dialog.open()
        self._dialog = dialog
        return dialog



def _filter(fmt: Format) -> str:
    exts = " ".join(f"*{e}" for e in fmt.extensions) or "*"
    return f"{fmt.title} ({exts})"


def _write(p: Path, conversation: Conversation, drafts: DraftStore
           ) -> tuple[str, int] | Exception:
    """Write ``conversation`` to ``p``: its sha256 and the characters replaced, or what went
    wrong (disk full, no permission, a bug: each is said, none is raised)."""
    try:
        data, replaced = model_files.encode_doc(conversation)
        digest = hashlib.sha256(data).hexdigest()
        drafts.begin_save(p, digest)
        model_files.atomic_write_bytes(p, data)
    except Exception as exc:  # noqa: BLE001
        return exc
    return digest, replaced
