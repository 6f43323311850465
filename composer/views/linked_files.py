"""The window's side of attachments linked by path (the rule is composer/models/linked.py).

When a conversation is shown (opened, imported, recovered, or reopened at start-up), its linked
files are looked at on a worker: those inside the file's own folder may be read; if any lie
outside it, one question lists them all before anything at all is read. Reading runs on a
worker too (regular files only, up to the Preferences size limit). Until a file is read its
attachment shows "linked, not loaded" and Send refuses it; the user can still load one from
its preview (``load``), which counts as allowing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from composer.models import linked
from composer.models.attachment import Attachment
from composer.models.document import Document, ReplaceMessage
from composer.views import dialogs
from composer.views.attachments import run_off_thread

Button = QMessageBox.StandardButton


def _read(found: list[linked.Link], limit: int) -> list[tuple[linked.Link, bytes | str]]:
    """On a worker: each link's bytes, or the one line saying why not."""
    out: list[tuple[linked.Link, bytes | str]] = []
    for link in found:
        try:
            out.append((link, linked.read_regular(link.path, limit)))
        except linked.LinkedFileError as exc:
            out.append((link, f"row {link.row + 1}: {exc}"))
    return out


class LinkedFiles(QObject):
    asked = Signal(object)  # the question box listing the outside paths (tests answer it)
    finished = Signal(list)  # a batch was read: the problems, one line each (maybe none)

    def __init__(self, document_of, file_path_of, limit_of, parent: QWidget):
        """``document_of()``, ``file_path_of()`` and ``limit_of()`` give the window's current
        document, file (None when untitled or imported) and attachment size limit."""
        super().__init__(parent)
        self._document_of = document_of
        self._file_path_of = file_path_of
        self._limit_of = limit_of
        self._generation = 0
        self.pending = 0  # batches being looked at or read

    def base_dir(self) -> Path | None:
        path = self._file_path_of()
        return Path(os.path.realpath(path)).parent if path is not None else None

    def check(self) -> None:
        """Look at the document the window starts with; ask about outside paths, then read.
        (No worker unless it links a file: none starts before the first paint.)"""
        self._generation += 1
        if linked.not_loaded(self._document_of().conversation):
            self._look()

    def check_opened(self) -> None:
        """``check`` for a document just opened, whose every part is looked at on a worker:
        at 10,000 messages the walk took ~12 ms of the open on the window's thread."""
        self._generation += 1
        self._look()

    def _look(self) -> None:
        generation, base = self._generation, self.base_dir()
        snapshot = self._document_of().conversation.snapshot()
        self.pending += 1
        run_off_thread(self, lambda: linked.links(snapshot, base),
                       lambda found: self._found(generation, found))

    def load(self, attachment: Attachment) -> None:
        """The user asked for this one attachment's file: read it."""
        if not attachment.linked:
            return
        path = linked.resolve(attachment.path or "", self.base_dir())
        row = next((r for r, a in linked.not_loaded(self._document_of().conversation)
                    if a is attachment), 0)
        self._start([linked.Link(row, attachment, path, True)])

    def _found(self, generation: int, found: object) -> None:
        self.pending -= 1
        if generation != self._generation or not isinstance(found, list) or not found:
            return
        outside = [link for link in found if not link.inside]
        if not outside:
            self._start(found)
            return
        inside = [link for link in found if link.inside]
        folder = self.base_dir()
        where = f"outside its folder ({folder})" if folder else "on this computer"
        self.pending += 1

        def answered(button: Button) -> None:
            self.pending -= 1
            if generation == self._generation:
                self._start(found if button == Button.Yes else inside)

        box = dialogs.ask(
            self.parent(), "Read linked files?",
            f"This conversation names {len(outside)} file(s) {where}. A file you were sent "
            "can name any file on your disk, and Send would upload it. Read them?",
            [Button.Yes, Button.No], answered, default=Button.No,
            detail="\n".join(link.describe() for link in outside))
        box.button(Button.Yes).setText("&Read Them")
        box.button(Button.No).setText("&Don't Read")
        self.asked.emit(box)

    def _start(self, found: list[linked.Link]) -> None:
        if not found:
            self.finished.emit([])
            return
        limit = self._limit_of()
        self.pending += 1
        run_off_thread(self, lambda: _read(found, limit), self._done)

    def _done(self, results: object) -> None:
        self.pending -= 1
        if not isinstance(results, list):
            results = []
        problems = []
        for link, data in results:
            if isinstance(data, bytes):
                link.attachment.set_loaded(data)
            else:
                problems.append(data)
        self._refresh_rows({id(link.attachment) for link, data in results
                            if isinstance(data, bytes)})
        if problems:
            dialogs.inform(self.parent(), "Linked files not loaded",
                           f"{len(problems)} linked file(s) could not be read and stay "
                           "linked, not loaded.", detail="\n".join(problems), warning=True)
        self.finished.emit(problems)

    def _refresh_rows(self, loaded: set[int]) -> None:
        """Tell the table and the detail editor about rows whose files arrived (no undo
        step: the conversation itself did not change)."""
        document: Document = self._document_of()
        for row, message in enumerate(document.messages):
            atts = list(message.attachments)
            for part in message.parts:
                atts += getattr(part, "attachments", None) or []
            if any(id(a) in loaded for a in atts):
                document.apply(ReplaceMessage(row, message))


def install(window) -> LinkedFiles:
    """``window``'s LinkedFiles (the window keeps it), wired, after a look at the document it
    starts with."""
    files = LinkedFiles(lambda: window.document, lambda: window.file_path,
                        lambda: window.preferences.attachment_size_limit, window)
    window.document_replaced.connect(files.check_opened)
    window.detail.link_load_requested.connect(files.load)
    files.check()
    return files
