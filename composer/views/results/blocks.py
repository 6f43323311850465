"""One widget per reply part, built to grow while the part streams.

Text goes in at a persistent end cursor (never ``setText`` per delta); Markdown is rendered only
when a text block finishes, or at a throttled pace while it streams (last call wins: the next
render shows whatever arrived meanwhile). Rendered text loads no resource: images in a reply
are links, and ``loadResource`` refuses anything that is not inline data. Links open on click.
"""

from __future__ import annotations

import html
import json
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFontDatabase,
    QPalette,
    QPixmap,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.attachment import Attachment
from composer.models.parts import Citation, ToolCallPart
from composer.views.results.footer import dim
from composer.views.results.live import LiveMarkdown
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from composer.models.exchange import ErrorInfo

THUMBNAIL_SIZE = 240
SAFE_LINK_SCHEMES = ("http", "https", "mailto")


def open_safe_link(link: QUrl | str) -> None:
    """Open a clicked link in the browser or mail client; any other scheme is ignored."""
    url = QUrl(link)
    if url.scheme() in SAFE_LINK_SCHEMES:
        QDesktopServices.openUrl(url)


def _header(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # tool names come from the provider
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ReplyText(QTextBrowser):
    """Read-only text that is as tall as its content, opens links only when clicked and never
    fetches a resource. ``refused_resources`` lists what it declined to load."""

    def __init__(self, parent: QWidget | None = None, *, monospace: bool = False):
        super().__init__(parent)
        self.refused_resources: list[str] = []
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(open_safe_link)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        doc = self.document()
        doc.setUndoRedoEnabled(False)
        doc.setDocumentMargin(2)
        if monospace:
            doc.setDefaultFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        doc.documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def _fit(self, *_args) -> None:
        height = math.ceil(self.document().size().height()) + 2 * self.frameWidth()
        if height != self.height():
            self.setFixedHeight(max(height, 8))

    def end_cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    # -- Qt overrides -------------------------------------------------------------------------

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802
        if url.scheme() == "data":
            return super().loadResource(kind, url)
        self.refused_resources.append(url.toString())
        return None

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().sizeHint().width(), self.height())


class Block(QFrame):
    """Base of the part blocks: a header line over a body."""

    kind = ""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.finished = False
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(4, 4, 4, 4)
        self.layout_.setSpacing(2)
        self.header = _header(title)
        self.layout_.addWidget(self.header)

    def finish(self) -> None:
        self.finished = True

    # What the pane asks of every block; only the live ones (text, reasoning) have any of it.
    busy = False  # finished Markdown blocks wait for the next frames to render them
    backlog = 0  # characters that came and are not rendered yet

    def maybe_render(self) -> None:
        """Render what has finished arriving."""

    def set_markdown(self, on: bool) -> None:
        """Show the text as rendered Markdown, or as the raw text."""


class StreamText:
    """Text kept as chunks and shown by appending at the view's end cursor."""

    def __init__(self, view: ReplyText):
        self.view = view
        self.chunks: list[str] = []
        self._format = QTextCharFormat()
        self._cursor = view.end_cursor()

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""

    def append(self, text: str) -> None:
        if not text:
            return
        self.chunks.append(text)
        self._cursor.movePosition(QTextCursor.MoveOperation.End)
        self._cursor.insertText(text, self._format)

    def replace(self, text: str) -> None:
        self.chunks = [text] if text else []
        self.view.setPlainText(text)
        self._cursor = self.view.end_cursor()


class LiveBlock(Block):
    """A block whose text streams into a LiveMarkdown: its finished Markdown blocks are rendered
    a few at a time over the next frames (``busy`` while some wait), continued in new views
    (pages) as it grows."""

    stream: LiveMarkdown

    def _new_page(self) -> ReplyText:
        page = self._make_view()
        page.setAccessibleName(f"{self.view.accessibleName()}, continued")
        self.layout_.insertWidget(self.layout_.indexOf(self.stream.view) + 1, page)
        page.show()
        return page

    def _make_view(self) -> ReplyText:
        return ReplyText()

    @property
    def renders(self) -> int:
        return self.stream.renders

    @property
    def text(self) -> str:
        return self.stream.text

    def append(self, text: str) -> None:
        self.stream.append(text)

    def maybe_render(self) -> None:
        """While streaming: render the Markdown blocks that have finished, and the open one
        when the throttle allows."""
        self.stream.update(_code_background(self))

    @property
    def busy(self) -> bool:
        return self.stream.busy

    @property
    def backlog(self) -> int:
        return self.stream.backlog


class TextBlock(LiveBlock):
    kind = "text"

    def __init__(self, markdown: bool = True, parent: QWidget | None = None):
        super().__init__("", parent)
        self.header.hide()
        self.view = self._make_view()
        self.view.setAccessibleName("Reply text")
        self.stream = LiveMarkdown(self.view, markdown, self._new_page)
        self.layout_.addWidget(self.view)
        self.citations = WrappedLabel()
        self.citations.setTextFormat(Qt.TextFormat.RichText)  # links; every text is escaped
        self.citations.setOpenExternalLinks(False)
        self.citations.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                               | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.citations.linkActivated.connect(open_safe_link)
        self.citations.hide()
        self.layout_.addWidget(self.citations)
        self.markdown = markdown
        self._citations: list[Citation] = []

    def render(self) -> None:
        self.stream.show(self.markdown, _code_background(self))

    def set_markdown(self, on: bool) -> None:
        if on != self.markdown:
            self.markdown = on
            self.render()

    def finish(self) -> None:
        super().finish()
        self.stream.finish(_code_background(self))

    def add_citations(self, citations: list[Citation]) -> None:
        self._citations = list(citations)
        links = []
        for c in self._citations:
            title = html.escape(c.title or c.url or "source")
            links.append(f"<a href='{html.escape(c.url)}'>{title}</a>" if c.url else title)
        self.citations.setText("Sources: " + " · ".join(links))
        self.citations.setVisible(bool(links))


class ReasoningBlock(LiveBlock):
    kind = "reasoning"

    def __init__(self, markdown: bool = True, parent: QWidget | None = None):
        super().__init__("", parent)
        self.header.hide()
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.toggled.connect(self.set_expanded)
        self.layout_.insertWidget(0, self.toggle)
        self.view = self._make_view()
        self.view.setAccessibleName("Reasoning")
        self.stream = LiveMarkdown(self.view, markdown, self._new_page)
        self.layout_.addWidget(self.view)
        self.redacted = False
        self.token_count: int | None = None
        self.markdown = markdown
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._update_title()

    def _make_view(self) -> ReplyText:
        view = ReplyText()
        dim(view)
        italic = view.font()
        italic.setItalic(True)
        view.document().setDefaultFont(italic)
        return view

    def finish(self) -> None:
        super().finish()
        if self.stream.text:  # (a redacted block shows its note instead)
            self.stream.finish(_code_background(self))

    def set_markdown(self, on: bool) -> None:
        """Rendered like a reply as it streams (summaries come with **headings**), or raw."""
        if on != self.markdown:
            self.markdown = on
            if self.stream.text:
                self.stream.show(on, _code_background(self))

    def set_redacted(self, redacted: bool, token_count: int | None) -> None:
        changed = redacted != self.redacted or token_count != self.token_count
        self.redacted = redacted or self.redacted
        self.token_count = token_count if token_count is not None else self.token_count
        if changed:
            self._update_title()
            if self.redacted and not self.stream.text:
                self.view.setPlainText("The provider withheld this reasoning (redacted); it is "
                                       "kept, encrypted, to send back with the next turn.")
                self.stream.reset_cursor()

    def set_expanded(self, on: bool) -> None:
        for page in self.stream.pages:
            page.setVisible(on)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _update_title(self) -> None:
        title = "Reasoning (redacted)" if self.redacted else "Reasoning"
        if self.token_count is not None:
            title += f" · {self.token_count} tokens"
        self.toggle.setText(title)


class ToolCallBlock(Block):
    kind = "tool_call"

    def __init__(self, name: str, tool_call_id: str | None, server_executed: bool,
                 parent: QWidget | None = None):
        where = "Server tool call" if server_executed else "Tool call"
        super().__init__(f"{where}: {name}", parent)
        self.name = name
        self.tool_call_id = tool_call_id
        self.server_executed = server_executed
        self.id_label = QLabel(tool_call_id or "")
        self.id_label.setTextFormat(Qt.TextFormat.PlainText)
        dim(self.id_label)
        self.id_label.setVisible(bool(tool_call_id))
        self.id_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_.addWidget(self.id_label)
        self.view = ReplyText(monospace=True)
        self.view.setAccessibleName("Tool call arguments")
        self.stream = StreamText(self.view)
        self.layout_.addWidget(self.view)
        self.setFrameShape(QFrame.Shape.StyledPanel)

    @classmethod
    def for_part(cls, part: ToolCallPart) -> ToolCallBlock:
        return cls(part.name, part.tool_call_id, part.server_executed)

    @property
    def arguments_text(self) -> str:
        return self.stream.text

    def append(self, fragment: str) -> None:
        self.stream.append(fragment)

    def set_arguments(self, part: ToolCallPart) -> None:
        """The finished call: arguments pretty-printed (the raw text when it did not parse)."""
        raw = (part.provider_metadata or {}).get("composer", {}).get("raw_arguments")
        text = raw if raw is not None else json.dumps(part.arguments, ensure_ascii=False, indent=2)
        self.stream.replace(text)


class ToolResultBlock(Block):
    kind = "tool_result"
    SHOWN_CHARS = 20000

    def __init__(self, name: str, output: str, server_executed: bool,
                 parent: QWidget | None = None):
        where = "Server tool result" if server_executed else "Tool result"
        super().__init__(f"{where}: {name}", parent)
        self.output = output
        self.view = ReplyText(monospace=True)
        self.view.setAccessibleName("Tool result output")
        shown = output if len(output) <= self.SHOWN_CHARS else \
            output[:self.SHOWN_CHARS] + f"\n… ({len(output) - self.SHOWN_CHARS} more characters)"
        self.view.setPlainText(shown)
        self.layout_.addWidget(self.view)
        self.setFrameShape(QFrame.Shape.StyledPanel)


class AttachmentBlock(Block):
    """An image (thumbnail; open large; save) or audio (play when QtMultimedia is there; save)
    the model produced. A URL-only output is a link, never fetched."""

    kind = "attachment"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Output", parent)
        self.attachment: Attachment | None = None
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.preview.linkActivated.connect(open_safe_link)
        self.layout_.addWidget(self.preview)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open Large")
        self.play_button = QPushButton("Play")
        self.save_button = QPushButton("Save…")
        for b in (self.open_button, self.play_button, self.save_button):
            b.hide()
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.open_button.clicked.connect(self.open_large)
        self.save_button.clicked.connect(self.choose_save)
        self.play_button.clicked.connect(self.play)
        self.pixmap = QPixmap()
        self._viewer: QWidget | None = None
        self._dialog: QFileDialog | None = None
        self._player = None
        self.setFrameShape(QFrame.Shape.StyledPanel)

    def set_attachment(self, attachment: Attachment, partial: bool = False) -> None:
        self.attachment = attachment
        kind = attachment.kind
        label = {"image": "Image", "audio": "Audio", "video": "Video"}.get(kind, "File")
        self.header.setText(f"{label} output · {attachment.mime}" + (" (preview)" if partial
                                                                     else ""))
        has_data = attachment.content is not None
        # Plain text, but for the link to a URL-only output (escaped).
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        if not has_data and attachment.url:
            url = html.escape(attachment.url)
            self.preview.setTextFormat(Qt.TextFormat.RichText)
            self.preview.setText(f"<a href='{url}'>{url}</a> (not loaded)")
        elif kind == "image":
            try:
                self.pixmap.loadFromData(attachment.data())
            except (OSError, ValueError) as exc:
                self.preview.setText(f"Cannot show the image: {exc}")
            if not self.pixmap.isNull():
                self.preview.setPixmap(self.pixmap.scaled(
                    THUMBNAIL_SIZE, THUMBNAIL_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation))
                self.preview.setToolTip(f"{self.pixmap.width()} × {self.pixmap.height()}")
            elif not self.preview.text():
                self.preview.setText("The image data cannot be decoded.")
        elif kind == "audio":
            size = attachment.size or 0
            self.preview.setText(f"Audio clip, {size:,} bytes"
                                 + ("" if multimedia_available() else
                                    " (playback needs QtMultimedia: save it to listen)"))
        else:
            self.preview.setText(f"{attachment.display_name}, {attachment.size or 0:,} bytes")
        self.open_button.setVisible(kind == "image" and not self.pixmap.isNull())
        self.play_button.setVisible(kind == "audio" and has_data and multimedia_available())
        self.save_button.setVisible(has_data)

    def open_large(self) -> QWidget:
        viewer = QScrollArea()
        viewer.setWindowTitle("Image output")
        label = QLabel()
        label.setPixmap(self.pixmap)
        viewer.setWidget(label)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.resize(min(self.pixmap.width() + 24, 1200), min(self.pixmap.height() + 24, 900))
        viewer.show()
        self._viewer = viewer
        return viewer

    def save_to(self, path: str | Path) -> str | None:
        """Write the bytes; an error line, or None when saved."""
        if self.attachment is None:
            return "nothing to save"
        try:
            Path(path).write_bytes(self.attachment.data())
        except (OSError, ValueError) as exc:
            return f"{path}: {getattr(exc, 'strerror', None) or exc}"
        return None

    def choose_save(self) -> QFileDialog:
        ext = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp",
               "audio/wav": ".wav", "audio/mpeg": ".mp3"}.get(
            self.attachment.mime if self.attachment else "", "")
        dialog = QFileDialog(self.window(), "Save Output", f"output{ext}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            problem = self.save_to(path)
            self.preview.setToolTip(problem or f"Saved {path}")

        dialog.fileSelected.connect(chosen)
        dialog.open()
        self._dialog = dialog
        return dialog

    def play(self) -> None:
        if self.attachment is None or not multimedia_available():
            return
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        suffix = "." + (self.attachment.mime.split("/")[-1] or "wav")
        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as fh:
            fh.write(self.attachment.data())
        player = QMediaPlayer(self)
        output = QAudioOutput(self)
        player.setAudioOutput(output)
        player.setSource(QUrl.fromLocalFile(fh.name))
        player.play()
        self._player = (player, output)


def multimedia_available() -> bool:
    """QtMultimedia is not in PySide6-Essentials: audio plays only where it is installed."""
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        return False
    return True


class ErrorBlock(Block):
    """A failed or cut-short reply, as a part: status, the provider's message, request id, and
    Retry."""

    kind = "error"
    retry_clicked = Signal()

    def __init__(self, error: ErrorInfo, parent: QWidget | None = None):
        titles = {"cancelled": "Stopped", "refused": "Not sent", "truncated": "Cut short",
                  "network": "Connection problem", "timeout": "Timed out"}
        title = titles.get(error.kind, "Error")
        if error.status:
            title += f" · HTTP {error.status}"
        if error.provider_type:
            title += f" · {error.provider_type}"
        super().__init__(title, parent)
        self.error = error
        self.message = WrappedLabel(error.message)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_.addWidget(self.message)
        self.request_id = QLabel(f"Request id: {error.request_id}" if error.request_id else "")
        self.request_id.setTextFormat(Qt.TextFormat.PlainText)
        self.request_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.request_id.setVisible(bool(error.request_id))
        self.layout_.addWidget(self.request_id)
        row = QHBoxLayout()
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry_clicked)
        self.retry_button.setVisible(error.kind != "refused")
        row.addWidget(self.retry_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        color = "#8a6d3b" if error.kind == "cancelled" else "#d9534f"
        self.header.setStyleSheet(f"color: {color};")


def _code_background(widget: QWidget) -> str:
    base = widget.palette().color(QPalette.ColorRole.Base)
    shade = base.darker(106) if base.lightness() > 128 else base.lighter(140)
    return QColor(shade).name()
