"""The window's file commands that ask first: Open, Save As, Import, Export and the recent
files, each through one file dialog, and the Save / Discard / Cancel question before a change
would be lost. A mixin of MainWindow (composer/views/window.py), which holds the document."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composer.providers import presets
from composer.views import dialogs
from composer.views.dialogs import Button

if TYPE_CHECKING:
    from composer.models.formats.base import Format

JSON_FILTER = "Composer files (*.json)"


class FileCommands:
    """Needs the window's ``document``, ``file_path``, ``undo_stack``, ``recent``, ``commands``,
    ``open_path_later``, ``save_to``, ``export_to``, ``_display_name``, ``_error`` and
    ``_title_note``."""

    _dialog_filter = ""

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
            if self.save_to(path) and then is not None:
                then()

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
        """Run ``then`` now when nothing is unsaved; else ask Save / Discard / Cancel first."""
        if self.undo_stack.isClean():
            then()
            return None

        def answered(button: Button) -> None:
            if button == Button.Discard:
                then()
            elif button == Button.Save:
                if self.file_path is not None and not self._title_note:
                    if self.save_to(self.file_path):
                        then()
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
