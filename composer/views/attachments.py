"""Files into attachments: read and encoded off the event loop, all-or-nothing, one undo step.

``AttachmentLoader.add_files(paths, row=…)`` checks the files first on the GUI thread (cheap
``stat`` calls): a missing or unreadable file gets a clear one-line message naming it; a file
over ``size_limit`` asks before reading. The reading and base64 encoding run on a QThreadPool
worker, so a big file never freezes the window. The result lands back on the GUI thread as one
DocumentEditor call, so a batch is attached whole or not at all, and undone in one step. The
target row is remembered by its id: if it is deleted meanwhile, the files get a new user row.
``read_files`` does the same checking and reading but hands the attachments to its caller (the
compose box holds them until its message is added).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from composer.models.attachment import Attachment
from composer.views import dialogs, memory
from composer.views.short_text import human_size
from composer.views.undo import DocumentEditor

DEFAULT_SIZE_LIMIT = 20 * 1024 * 1024
DEFAULT_EMBED = True  # a loader embeds files' bytes unless the preferences say otherwise


def check_paths(paths: Sequence[str]) -> tuple[list[tuple[str, int]], str | None]:
    """[(path, size)] for readable regular files, or the first problem as one line."""
    checked = []
    for path in paths:
        p = Path(path)
        try:
            st = p.stat()
        except FileNotFoundError:
            return [], f"{path}: no such file"
        except OSError as exc:
            return [], f"{path}: {exc.strerror or exc}"
        if stat.S_ISDIR(st.st_mode):
            return [], f"{path}: is a folder, not a file"
        if not stat.S_ISREG(st.st_mode):
            return [], f"{path}: not a regular file (a device, FIFO or socket)"
        if not os.access(p, os.R_OK):
            return [], f"{path}: permission denied"
        checked.append((str(p), st.st_size))
    return checked, None


def read_attachments(paths: Sequence[str], embed: bool = True) -> list[Attachment]:
    """Read every file (runs on a worker thread). Raises OSError naming the file."""
    out = []
    for path in paths:
        try:
            out.append(Attachment.from_path(path, embed=embed))
        except OSError as exc:
            raise OSError(f"{path}: {exc.strerror or exc}") from None
    return out


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    data = bytes(buffer.data().data())
    buffer.close()
    return data


class _Job(QObject):
    """Carries one worker's result back to the GUI thread (a queued signal)."""

    done = Signal(object)


class _Worker(QRunnable):
    def __init__(self, job: _Job, work: Callable[[], object]):
        super().__init__()
        self.job = job
        self.work = work
        self._run = memory.collection_paused(self._work_and_deliver)

    def run(self) -> None:
        self._run()

    def _work_and_deliver(self) -> None:
        try:
            result: object = self.work()
        except (OSError, ValueError) as exc:
            result = exc
        try:
            self.job.done.emit(result)
        except RuntimeError:
            pass  # the window closed while we read: nothing is left to attach to


def run_off_thread(owner: QObject, work: Callable[[], object],
                   on_done: Callable[[object], None]) -> QObject:
    """Run ``work()`` on the global QThreadPool; ``on_done(result)`` (an OSError/ValueError
    counts as a result) then runs on the GUI thread, unless ``owner`` was deleted first.
    Returns the job object, a child of ``owner``. No garbage is collected on the worker's
    thread (memory.collection_paused)."""
    job = _Job(owner)
    job.done.connect(on_done)
    QThreadPool.globalInstance().start(_Worker(job, work))
    return job


class AttachmentLoader(QObject):
    attached = Signal(int)  # the row the files went to
    failed = Signal(str)  # one line naming the file and the problem
    finished = Signal()  # a batch ended: attached, refused, declined or failed

    def __init__(self, editor: DocumentEditor, parent_widget: QWidget | None = None,
                 size_limit: int = DEFAULT_SIZE_LIMIT):
        super().__init__(parent_widget)
        self.editor = editor
        self.parent_widget = parent_widget
        self.size_limit = size_limit
        # False: keep only each file's path (Preferences.embed_attachments).
        self.embed = DEFAULT_EMBED
        self.show_messages = True
        self._jobs: set[QObject] = set()

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    # -- entry points -------------------------------------------------------------------------

    def add_files(self, paths: Sequence[str], row: int | None = None,
                  insert_at: int | None = None) -> None:
        """Attach files to ``row``; with no row, to a new user row at ``insert_at`` (or end)."""
        target = self._target(row, insert_at)
        self.read_files(paths, lambda attachments: self._attach(target, attachments))

    def read_files(self, paths: Sequence[str],
                   deliver: Callable[[list[Attachment]], None]) -> None:
        """Check, ask about big files, read off the GUI thread, then ``deliver`` the
        attachments on the GUI thread (not called when a file fails or the user declines)."""
        if not paths:
            return
        checked, problem = check_paths(paths)
        if problem is not None:
            self._fail(problem)
            return
        big = [(p, s) for p, s in checked if s > self.size_limit]
        files = [p for p, _s in checked]
        embed = self.embed
        if not big:
            self._start(lambda: read_attachments(files, embed), deliver)
            return
        names = "\n".join(f"{Path(p).name} ({human_size(s)})" for p, s in big)

        def answered(button: QMessageBox.StandardButton) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self._start(lambda: read_attachments(files, embed), deliver)
            else:
                self.finished.emit()

        dialogs.ask(self.parent_widget, "Attach large files",
                    f"Over the {human_size(self.size_limit)} limit:\n{names}\n\nAttach anyway?",
                    [QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel],
                    answered, default=QMessageBox.StandardButton.Cancel)

    def add_image(self, image: QImage, row: int | None = None, name: str = "pasted.png") -> None:
        """Attach a clipboard image as PNG (encoded on the worker)."""
        target = self._target(row, None)
        self.read_image(image, lambda attachments: self._attach(target, attachments), name)

    def read_image(self, image: QImage, deliver: Callable[[list[Attachment]], None],
                   name: str = "pasted.png") -> None:
        """A clipboard image as a PNG attachment, encoded on the worker, then ``deliver``ed."""
        if image.isNull():
            self._fail("the clipboard image is empty")
            return
        copy = image.copy()  # QImage is safe to use on another thread; QPixmap is not
        self._start(lambda: [Attachment.from_bytes(png_bytes(copy), name=name,
                                                   mime="image/png")], deliver)

    def choose_files(self, row: int | None) -> QFileDialog:
        """Ask for files to attach to ``row`` (or a new user row); the row is followed by its
        id while the dialog is open."""
        document = self.editor.document
        row_id = document.row_id(row) if row is not None and 0 <= row < len(document) else None
        dialog = QFileDialog(self.parent_widget, "Attach Files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda paths: self.add_files(
            paths, document.index_of(row_id) if row_id is not None else None))
        dialog.open()
        return dialog

    # -- internals ----------------------------------------------------------------------------

    def _target(self, row: int | None, insert_at: int | None) -> tuple[str, int | None]:
        if row is not None and 0 <= row < len(self.editor.document):
            return ("row", self.editor.document.row_id(row))
        return ("new", insert_at)

    def _start(self, work: Callable[[], object],
               deliver: Callable[[list[Attachment]], None]) -> None:
        job: QObject | None = None

        def done(result: object) -> None:
            self._on_job_done(job, deliver, result)

        job = run_off_thread(self, work, done)
        self._jobs.add(job)

    def _on_job_done(self, job: QObject | None, deliver: Callable[[list[Attachment]], None],
                     result: object) -> None:
        self._jobs.discard(job)
        job.deleteLater()
        if isinstance(result, Exception):
            self._fail(str(result))
            return
        assert isinstance(result, list)
        deliver(result)
        self.finished.emit()

    def _attach(self, target: tuple[str, int | None], attachments: list[Attachment]) -> None:
        """Read files land in the document: the row they were meant for (followed by its id),
        or a new user row."""
        kind, where = target
        row = self.editor.document.index_of(where) if kind == "row" and where is not None else None
        if row is not None:
            self.editor.add_attachments(row, attachments)
        elif kind == "new" and where is not None:
            row = self.editor.insert_attachment_row(where, attachments)
        else:
            row = self.editor.add_attachments(None, attachments)
        self.attached.emit(row)

    def _fail(self, message: str) -> None:
        self.failed.emit(message)
        if self.show_messages:
            dialogs.inform(self.parent_widget, "Could not attach", message, warning=True)
        self.finished.emit()

    def wait(self, msecs: int = 5000) -> bool:
        """Block until running reads end (for shutdown and benchmarks)."""
        return QThreadPool.globalInstance().waitForDone(msecs)


def image_from_bytes(data: bytes) -> QImage:
    image = QImage()
    image.loadFromData(QByteArray(data))
    return image
