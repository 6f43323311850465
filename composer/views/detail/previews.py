"""Attachment previews: an image thumbnail, a text excerpt, a PDF's first page (where QtPdf is
installed: it is not in PySide6-Essentials), otherwise name, type and size.

A preview never raises: an attachment whose bytes cannot be read shows why, in one line.
Decoding runs on a worker, so opening a row with a large picture never blocks the window.
A preview never reads the disk: an attachment linked by path whose file was not read (allowed)
shows "linked, not loaded" and a button to load it (composer/views/linked_files.py).
"""

from __future__ import annotations

import base64
import binascii

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from composer.models.attachment import Attachment
from composer.views.attachments import run_off_thread
from composer.views.table.preview import LINKED, size_text
from composer.views.wrapped_label import WrappedLabel

try:  # QtPdf ships with the full PySide6 only
    from PySide6.QtPdf import QPdfDocument
except ImportError:  # pragma: no cover - depends on the installed wheel
    QPdfDocument = None

THUMBNAIL = QSize(320, 200)
TEXT_EXCERPT_CHARS = 2000
# Larger images are not decoded for a thumbnail at all (memory, not time: it is off-thread).
MAX_THUMBNAIL_BYTES = 64 * 1024 * 1024


def describe(att: Attachment) -> str:
    where = att.path or (att.url if att.url and not att.url.startswith("data:") else None)
    line = f"{att.display_name} · {att.mime} · {size_text(att)}"
    return f"{line}\n{where}" if where and where != att.display_name else line


def head_bytes(att: Attachment, n: int) -> bytes:
    """The first ``n`` bytes, decoding only that much of the base64 (NotLoaded for a linked
    file not read: a preview never opens a path)."""
    chunk = att.base64()[: (n // 3 + 1) * 4]
    return base64.b64decode(chunk[: len(chunk) // 4 * 4] or b"", validate=False)[:n]


def text_excerpt(att: Attachment, limit: int = TEXT_EXCERPT_CHARS) -> str:
    try:
        data = head_bytes(att, limit * 4)
    except binascii.Error as exc:
        raise ValueError(f"attachment {att.display_name}: content is not base64") from exc
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


def thumbnail(att: Attachment, size: QSize = THUMBNAIL) -> QImage:
    """The image scaled to fit ``size``; a null QImage when it cannot be decoded."""
    if (att.size or 0) > MAX_THUMBNAIL_BYTES:
        return QImage()
    image = QImage()
    image.loadFromData(QByteArray(att.data()))
    if image.isNull():
        return image
    return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


def pdf_first_page(att: Attachment, size: QSize = THUMBNAIL) -> QImage:
    """The PDF's first page, or a null QImage without QtPdf or for an unreadable PDF."""
    if QPdfDocument is None:
        return QImage()
    doc = QPdfDocument()
    buffer = QBuffer()
    buffer.setData(QByteArray(att.data()))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc.load(buffer)
    if doc.pageCount() < 1:
        return QImage()
    page = doc.pagePointSize(0).toSize().scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
    return doc.render(0, page)


class AttachmentPreview(QWidget):
    """What an attachment looks like, as far as we can show it.

    Images and PDF pages are decoded and scaled on a worker thread (a big picture must not
    freeze the window while the row is shown); ``ready`` fires when the preview is final.
    ``kind`` says what it shows: loading, image, pdf, text, info or error.
    """

    ready = Signal()
    load_requested = Signal(object)  # the attachment: the user allows reading its linked file

    def __init__(self, att: Attachment, parent: QWidget | None = None):
        super().__init__(parent)
        self.attachment = att
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.info = QLabel(describe(att))
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # the file's own name
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout.addWidget(self.info)
        self.kind = "info"
        self.error: str | None = None
        self.image_size = QSize()
        try:
            self._add_preview()
        except (OSError, ValueError) as exc:
            self._show_error(exc)
        if self.kind != "loading":
            self.ready.emit()

    def _add_preview(self) -> None:
        att = self.attachment
        if att.linked:
            self._add_linked()
            return
        if att.content is None and not att.path:
            return  # a remote URL: name and type are all we know
        if att.kind == "text":
            view = QPlainTextEdit()
            view.setAccessibleName("Text preview")
            view.setReadOnly(True)
            view.setPlainText(text_excerpt(att))
            view.setMaximumHeight(160)
            self._layout.addWidget(view)
            self.kind = "text"
            self.excerpt = view
        elif att.kind in ("image", "pdf"):
            render = thumbnail if att.kind == "image" else pdf_first_page
            if att.kind == "pdf" and QPdfDocument is None:
                return
            self.kind = "loading"
            run_off_thread(self, lambda: render(att), self._on_render_done)

    def _add_linked(self) -> None:
        self.kind = "linked"
        note = WrappedLabel(f"{LINKED.capitalize()}: the file this conversation names is not "
                            "read (nor sent) until you allow it.")
        self._layout.addWidget(note)
        self.load_button = QPushButton("&Load File")
        self.load_button.setToolTip("Read this file now (a regular file, up to the attachment "
                                    "size limit), so it can be previewed and sent")
        self.load_button.clicked.connect(lambda: self.load_requested.emit(self.attachment))
        self._layout.addWidget(self.load_button, 0, Qt.AlignmentFlag.AlignLeft)

    def _on_render_done(self, result: object) -> None:
        if isinstance(result, Exception):
            self._show_error(result)
        elif isinstance(result, QImage) and not result.isNull():
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(result))
            self._layout.addWidget(label)
            self.kind = self.attachment.kind
            self.image_size = result.size()
        else:
            self.kind = "info"
        self.ready.emit()

    def _show_error(self, exc: Exception) -> None:
        self.kind = "error"
        self.error = str(exc)
        label = WrappedLabel(f"Cannot preview: {exc}")
        label.setTextFormat(Qt.TextFormat.PlainText)
        self._layout.addWidget(label)
