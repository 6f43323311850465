"""Attachment previews: an image thumbnail, a text excerpt, a PDF's first page (where QtPdf is
installed: it is not in PySide6-Essentials), otherwise name, type and size.

A preview never raises: an attachment whose bytes cannot be read shows why, in one line.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from composer.models.attachment import Attachment
from composer.views.table.preview import human_size

try:  # QtPdf ships with the full PySide6 only
    from PySide6.QtPdf import QPdfDocument
except ImportError:  # pragma: no cover - depends on the installed wheel
    QPdfDocument = None

THUMBNAIL = QSize(320, 200)
TEXT_EXCERPT_CHARS = 2000
# Larger images are not decoded for a thumbnail on the GUI thread.
MAX_THUMBNAIL_BYTES = 12 * 1024 * 1024


def describe(att: Attachment) -> str:
    where = att.path or (att.url if att.url and not att.url.startswith("data:") else None)
    line = f"{att.display_name} · {att.mime} · {human_size(att.size)}"
    return f"{line}\n{where}" if where and where != att.display_name else line


def text_excerpt(att: Attachment, limit: int = TEXT_EXCERPT_CHARS) -> str:
    data = att.data()[: limit * 4]
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
    """What an attachment looks like, as far as we can show it."""

    def __init__(self, att: Attachment, parent: QWidget | None = None):
        super().__init__(parent)
        self.attachment = att
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.info = QLabel(describe(att))
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)
        self.kind = "info"  # what the preview shows: image, text, pdf, info or error
        self.error: str | None = None
        try:
            self._add_preview(layout)
        except (OSError, ValueError) as exc:
            self.kind = "error"
            self.error = str(exc)
            label = QLabel(f"Cannot preview: {exc}")
            label.setWordWrap(True)
            layout.addWidget(label)

    def _add_preview(self, layout: QVBoxLayout) -> None:
        att = self.attachment
        if att.content is None and not att.path:
            return  # a remote URL: name and type are all we know
        if att.kind == "image":
            image = thumbnail(att)
            if not image.isNull():
                label = QLabel()
                label.setPixmap(QPixmap.fromImage(image))
                layout.addWidget(label)
                self.kind = "image"
                self.image_size = image.size()
        elif att.kind == "text":
            view = QPlainTextEdit()
            view.setReadOnly(True)
            view.setPlainText(text_excerpt(att))
            view.setMaximumHeight(160)
            layout.addWidget(view)
            self.kind = "text"
            self.excerpt = view
        elif att.kind == "pdf":
            image = pdf_first_page(att)
            if not image.isNull():
                label = QLabel()
                label.setPixmap(QPixmap.fromImage(image))
                layout.addWidget(label)
                self.kind = "pdf"
