"""Cell delegates: a role combo (and a row's variants, "◀ 2/3 ▶", clickable), a multi-line
text editor, and attachment chips.

Chips (icon, name, size, ×) are painted, not widgets, so thousands of rows cost nothing; a
click on × removes the attachment (undoable), a click on the chip asks for a preview.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QApplication,
    QComboBox,
    QPlainTextEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from composer.models.parts import ROLES, Message
from composer.views.table import preview
from composer.views.table.layout_cache import LayoutCache
from composer.views.table.model import MessageRole, TokensRole, VariantRole

# Freedesktop icon names; where the theme lacks one, the style's generic file icon is used.
# Said on the chip too: without an icon theme every kind would get the same file icon.
KIND_LABELS = {"image": "Image", "audio": "Audio", "video": "Video", "pdf": "PDF",
               "text": "Text", "file": "File"}
KIND_ICONS = {"image": "image-x-generic", "audio": "audio-x-generic",
              "video": "video-x-generic", "pdf": "application-pdf", "text": "text-x-generic",
              "file": "unknown"}
CHIP_GAP = 4
CHIP_PAD = 6
CHIP_NAME_CHARS = 22
TEXT_MARGIN = 3  # as the style keeps text off a cell's edges


@dataclass(frozen=True)
class VariantArrows:
    previous: QRect
    label: QRect
    next: QRect


def variant_arrows(rect: QRect, option: QStyleOptionViewItem, count: int) -> VariantArrows:
    """Where "◀ i/n ▶" sits in a role cell: its last line, arrows wide enough to hit."""
    fm = option.fontMetrics
    height = fm.height() + 2
    top = rect.bottom() - height - 2
    arrow = fm.horizontalAdvance("◀") + 10
    label = fm.horizontalAdvance(f"{count}/{count}") + 6
    left = rect.left() + TEXT_MARGIN
    return VariantArrows(QRect(left, top, arrow, height), QRect(left + arrow, top, label, height),
                         QRect(left + arrow + label, top, arrow, height))


def cell_option(option: QStyleOptionViewItem, index) -> QStyleOptionViewItem:
    """The option a content or attachment cell is drawn with: what ``initStyleOption`` gives
    these cells (no font, alignment, colour, icon or check of their own; the text is painted
    by the delegate), without its dozen model reads per cell at every paint."""
    opt = QStyleOptionViewItem(option)
    opt.index = index
    background = index.data(Qt.ItemDataRole.BackgroundRole)  # a row with a problem
    if background is not None:
        opt.backgroundBrush = background
    return opt


class RoleDelegate(QStyledItemDelegate):
    """The role; at the cell's right the row's share of the input tokens, small and dimmed;
    under the role, on a row with variants, "◀ 2/3 ▶": a click on an arrow asks for the
    previous or next variant (``step_requested``). Painted: no widget per row."""

    step_requested = Signal(int, int)  # row, -1 or +1

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        figure, variant = index.data(TokensRole), index.data(VariantRole)
        if not figure and not variant:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        role, opt.text = opt.text, ""  # the style paints the cell; the rest is ours
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        colour = opt.palette.color(QPalette.ColorRole.HighlightedText if selected
                                   else QPalette.ColorRole.Text)
        # Where the style puts the text: after the cache tag's icon, when the row has one.
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        rect = rect.adjusted(1, 0, -TEXT_MARGIN - 1, 0)
        if variant:  # the role on the first line, the arrows on the last
            rect = QRect(rect.left(), rect.top() + 2, rect.width(), opt.fontMetrics.height())
        centre = Qt.AlignmentFlag.AlignVCenter
        painter.save()
        painter.setClipRect(option.rect)
        room = rect.width()
        if figure:
            small = QFont(opt.font)
            small.setPointSizeF(max(small.pointSizeF() * 0.85, 6.0))
            room -= QFontMetrics(small).horizontalAdvance(figure) + CHIP_GAP
            painter.setFont(small)
            painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText if selected
                                             else QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | centre, figure)
        painter.setFont(opt.font)
        painter.setPen(colour)
        painter.drawText(QRect(rect.left(), rect.top(), max(room, 0), rect.height()),
                         Qt.AlignmentFlag.AlignLeft | centre,
                         opt.fontMetrics.elidedText(role, Qt.TextElideMode.ElideRight, room))
        if variant:
            self._paint_arrows(painter, option, opt, variant, colour)
        painter.restore()

    @staticmethod
    def _paint_arrows(painter: QPainter, option: QStyleOptionViewItem,
                      opt: QStyleOptionViewItem, variant: tuple[int, int], colour) -> None:
        dim = opt.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        shown, count = variant
        arrows = variant_arrows(option.rect, opt, count)
        centre = Qt.AlignmentFlag.AlignCenter
        painter.setPen(colour if shown > 0 else dim)
        painter.drawText(arrows.previous, centre, "◀")
        painter.setPen(colour)
        painter.drawText(arrows.label, centre, f"{shown + 1}/{count}")
        painter.setPen(colour if shown < count - 1 else dim)
        painter.drawText(arrows.next, centre, "▶")

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        # Measured for every row as it comes into view; one line is all a role needs (the
        # content and attachment cells set the row's height), without the style's full layout;
        # a row with variants has the arrows on a second line.
        height = option.fontMetrics.height() + 2 * TEXT_MARGIN
        if index.data(VariantRole):
            height = max(height, 2 * option.fontMetrics.lineSpacing() + 10)
        return QSize(option.fontMetrics.horizontalAdvance(index.data() or "") + 2 * TEXT_MARGIN,
                     height)

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,
                    index: QModelIndex) -> bool:
        kinds = (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                 QEvent.Type.MouseButtonPress)
        variant = index.data(VariantRole)
        if event.type() not in kinds or not variant or \
                event.button() != Qt.MouseButton.LeftButton:
            return False
        arrows = variant_arrows(option.rect, option, variant[1])
        pos = event.position().toPoint()
        for rect, delta in ((arrows.previous, -1), (arrows.next, +1)):
            if rect.contains(pos):
                # Press and double-click are taken too: no selection change, no role editor.
                if event.type() == QEvent.Type.MouseButtonRelease:
                    self.step_requested.emit(index.row(), delta)
                return True
        return False

    def createEditor(self, parent: QWidget, option, index) -> QWidget:
        combo = QComboBox(parent)
        combo.addItems(list(ROLES))
        # Commit as soon as a role is picked, not when focus leaves.
        combo.activated.connect(lambda _i: self._commit(combo))
        return combo

    def _commit(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole) or "user")

    def setModelData(self, editor: QWidget, model, index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class _CtrlReturnCommits(QObject):
    """Return inserts a newline in the cell editor; Ctrl+Return commits, Escape cancels."""

    def __init__(self, delegate: ContentDelegate):
        super().__init__(delegate)
        self.delegate = delegate

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                    and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                editor = obj.parent() if not isinstance(obj, QPlainTextEdit) else obj
                self.delegate.commitData.emit(editor)
                self.delegate.closeEditor.emit(editor,
                                               QAbstractItemDelegate.EndEditHint.NoHint)
                return True
        return False


class ContentDelegate(QStyledItemDelegate):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._filter = _CtrlReturnCommits(self)
        self.layouts = LayoutCache()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        """The cell as the style draws it, its text from the row's cached layout."""
        opt = cell_option(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        widget = opt.widget
        style = widget.style() if widget else None
        if style is None:
            return super().paint(painter, option, index)
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if not text:
            return
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect.adjust(TEXT_MARGIN, 0, -TEXT_MARGIN, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal if opt.state & QStyle.StateFlag.State_Enabled \
            else QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setClipRect(rect)
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(group, role))
        static = self.layouts.get(text, rect.width(), opt.font)
        top = rect.top() + max(0, (rect.height() - int(static.size().height())) // 2)
        painter.drawStaticText(rect.left(), top, static)
        painter.restore()

    def createEditor(self, parent: QWidget, option, index) -> QWidget:
        edit = QPlainTextEdit(parent)
        edit.setTabChangesFocus(True)
        edit.installEventFilter(self._filter)
        return edit

    def setEditorData(self, editor: QWidget, index) -> None:
        assert isinstance(editor, QPlainTextEdit)
        editor.setPlainText(index.data(Qt.ItemDataRole.EditRole) or "")

    def setModelData(self, editor: QWidget, model, index) -> None:
        assert isinstance(editor, QPlainTextEdit)
        model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option, index) -> None:
        rect = QRect(option.rect)
        rect.setHeight(max(rect.height(), 6 * option.fontMetrics.height()))
        editor.setGeometry(rect)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        lines = min(text.count("\n") + 1, preview.MAX_LINES)
        return QSize(200, lines * option.fontMetrics.lineSpacing() + 8)


@dataclass(frozen=True)
class Chip:
    part_index: int
    rect: QRect
    icon_rect: QRect
    close_rect: QRect
    label: str
    kind: str


def chip_layout(message: Message, rect: QRect, option: QStyleOptionViewItem) -> list[Chip]:
    """Chips left to right, wrapping onto further lines when the cell is too narrow."""
    fm = option.fontMetrics
    height = fm.height() + 4
    icon = fm.height() - 2
    close_w = fm.horizontalAdvance("×") + CHIP_PAD
    placed: list[tuple[int, int, int, int, str, str]] = []  # part, x, line, width, label, kind
    x, line = rect.left() + CHIP_GAP, 0
    for part_index in preview.attachment_indices(message):
        att = message.parts[part_index].attachment
        name = att.display_name
        if len(name) > CHIP_NAME_CHARS:
            name = name[:CHIP_NAME_CHARS - 1] + "…"
        label = f"{KIND_LABELS.get(att.kind, 'File')} · {name} · {preview.size_text(att)}"
        width = CHIP_PAD + icon + 4 + fm.horizontalAdvance(label) + CHIP_PAD + close_w
        if placed and x + width > rect.right() - CHIP_GAP:
            x, line = rect.left() + CHIP_GAP, line + 1
        placed.append((part_index, x, line, width, label, att.kind))
        x += width + CHIP_GAP
    block = (line + 1) * height + line * CHIP_GAP
    first_top = rect.top() + max(CHIP_GAP, (min(rect.height(), block + 2 * CHIP_GAP) - block) // 2)
    chips = []
    for part_index, x, line_no, width, label, kind in placed:
        top = first_top + line_no * (height + CHIP_GAP)
        chip = QRect(x, top, width, height)
        icon_rect = QRect(x + CHIP_PAD, top + (height - icon) // 2, icon, icon)
        close = QRect(chip.right() - close_w, top, close_w, height)
        chips.append(Chip(part_index, chip, icon_rect, close, label, kind))
    return chips


class AttachmentDelegate(QStyledItemDelegate):
    attachment_clicked = Signal(int, int)  # row, part index
    remove_requested = Signal(int, int)  # row, part index

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._icons: dict[str, QIcon] = {}

    def icon(self, kind: str, style: QStyle) -> QIcon:
        if kind not in self._icons:
            fallback = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
            self._icons[kind] = QIcon.fromTheme(KIND_ICONS.get(kind, "unknown"), fallback)
        return self._icons[kind]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        opt = cell_option(option, index)
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        message = index.data(MessageRole)
        if message is None or not message.attachments:
            return
        painter.save()
        painter.setClipRect(option.rect)
        pal = option.palette
        for chip in chip_layout(message, option.rect, option):
            painter.setPen(pal.color(QPalette.ColorRole.Mid))
            painter.setBrush(pal.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(chip.rect, 6, 6)
            painter.setPen(pal.color(QPalette.ColorRole.Text))
            if style is not None:
                self.icon(chip.kind, style).paint(painter, chip.icon_rect)
            text_rect = QRect(chip.icon_rect.right() + 5, chip.rect.top(),
                              chip.close_rect.left() - chip.icon_rect.right() - 5,
                              chip.rect.height())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, chip.label)
            painter.drawText(chip.close_rect, Qt.AlignmentFlag.AlignCenter, "×")
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        message = index.data(MessageRole)
        # The table passes the column width when it measures a row (word wrap is on), so the
        # row grows to fit chips that wrap; with no width, lay them out on one line.
        width = option.rect.width() if option.rect.width() > 0 else 10_000
        chips = chip_layout(message, QRect(0, 0, width, 0), option) \
            if message is not None and message.attachments else []
        if not chips:
            return QSize(40, option.fontMetrics.height() + 12)
        right = max(c.rect.right() for c in chips) + CHIP_GAP
        return QSize(right, chips[-1].rect.bottom() + CHIP_GAP + 1)

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,
                    index: QModelIndex) -> bool:
        if event.type() != QEvent.Type.MouseButtonRelease:
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        message = index.data(MessageRole)
        if message is None:
            return False
        pos = event.position().toPoint()
        for chip in chip_layout(message, option.rect, option):
            if chip.close_rect.contains(pos):
                self.remove_requested.emit(index.row(), chip.part_index)
                return True
            if chip.rect.contains(pos):
                self.attachment_clicked.emit(index.row(), chip.part_index)
                return True
        return False
