"""Cell delegates: a role combo (and a row's variants, "◀ 2/3 ▶", clickable), a multi-line
text editor, and attachment chips.

Chips (icon, name, size, ×) are painted, not widgets, so thousands of rows cost nothing; a
click on × removes the attachment (undoable), a click on the chip asks for a preview.
"""

from __future__ import annotations

from msgspec import Struct
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
from composer.views.table.cell_images import CellImages
from composer.views.table.layout_cache import LayoutCache
from composer.views.table.looks import PROBLEM_BRUSH, RowLook
from composer.views.table.marks import cache_icon
from composer.views.table.model import MessageRole

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


class VariantArrows(Struct, frozen=True):
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


class CellHeights:
    """How tall each cell of a row asks to be, in one font: what the delegates' size hints say
    and what the table measures its rows by (view.py), so the two cannot differ."""

    def __init__(self, option: QStyleOptionViewItem):
        fm = option.fontMetrics
        self.option = option
        self.line = fm.lineSpacing()
        # One line is all a role needs (the content and attachment cells set the row's
        # height); a row with variants has the arrows on a second line.
        self.plain_role = fm.height() + 2 * TEXT_MARGIN
        self.variant_role = max(self.plain_role, 2 * self.line + 10)
        self.no_chips = fm.height() + 12

    def role(self, look: RowLook) -> int:
        return self.variant_role if look.variant else self.plain_role

    def content(self, look: RowLook) -> int:
        """As tall as the preview's lines (preview.py caps them)."""
        return min(look.preview.count("\n") + 1, preview.MAX_LINES) * self.line + 8

    def attachments(self, look: RowLook, width: int) -> int:
        if not look.attached:
            return self.no_chips
        return attachments_size(look, width, self.option).height()


def look_of(index) -> RowLook:
    """What the row of ``index`` shows, from the table model (looks.py): no trip through Qt."""
    return index.model().look(index.row())


def cell_option(option: QStyleOptionViewItem, index, look: RowLook) -> QStyleOptionViewItem:
    """The option a content or attachment cell is drawn with: what ``initStyleOption`` gives
    these cells (no font, alignment, colour, icon or check of their own; the text is painted
    by the delegate), without its dozen model reads per cell at every paint."""
    opt = QStyleOptionViewItem(option)
    opt.index = index
    if look.problem:
        opt.backgroundBrush = PROBLEM_BRUSH
    return opt


_SELECTED = QStyle.StateFlag.State_Selected
_ENABLED = QStyle.StateFlag.State_Enabled
_OPEN = QStyle.StateFlag.State_Open
_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_HAS_DECORATION = QStyleOptionViewItem.ViewItemFeature.HasDecoration
_ITEM = QStyle.ControlElement.CE_ItemViewItem
_TEXT_RECT = QStyle.SubElement.SE_ItemViewItemText
_NORMAL, _DISABLED = QPalette.ColorGroup.Normal, QPalette.ColorGroup.Disabled
_TEXT, _HIGHLIGHTED_TEXT = QPalette.ColorRole.Text, QPalette.ColorRole.HighlightedText
_PLACEHOLDER_TEXT = QPalette.ColorRole.PlaceholderText
_LEFT_CENTRE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT_CENTRE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


_DISPLAYED: dict[int, QStyleOptionViewItem.ViewItemFeature] = {}


def _with_display(features: QStyleOptionViewItem.ViewItemFeature):
    """``features | HasDisplay``, kept by value: an enum flag operation costs microseconds."""
    found = _DISPLAYED.get(features.value)
    if found is None:
        found = _DISPLAYED[features.value] = features | _HAS_DISPLAY
    return found


def role_option(option: QStyleOptionViewItem, index, look: RowLook,
                text: str) -> QStyleOptionViewItem:
    """The role cell's option as ``initStyleOption`` makes it from the model's roles (the cache
    tag as its icon, the role as its text, a problem's background), from the row's look."""
    opt = QStyleOptionViewItem(option)
    opt.index = index
    if look.ttl is not None:
        icon = cache_icon(look.ttl)
        state = option.state
        mode = (QIcon.Mode.Disabled if _ENABLED not in state else
                QIcon.Mode.Selected if _SELECTED in state else QIcon.Mode.Normal)
        size = opt.decorationSize
        actual = icon.actualSize(size, mode, QIcon.State.On if _OPEN in state else QIcon.State.Off)
        opt.features = opt.features | _HAS_DECORATION
        opt.icon = icon
        opt.decorationSize = QSize(min(size.width(), actual.width()),
                                   min(size.height(), actual.height()))
    opt.features = _with_display(opt.features)
    opt.text = text
    if look.problem:
        opt.backgroundBrush = PROBLEM_BRUSH
    opt.styleObject = None
    return opt


class _RoleFonts:
    """For one font: the smaller one the token figure is painted in, and what the role cell
    measures at every paint (a figure's width, a role elided to a width), kept."""

    LIMIT = 2000  # measures kept: the figures differ from row to row

    def __init__(self, font: QFont, metrics: QFontMetrics):
        self.font = QFont(font)  # a copy: the option's own font dies with it
        self.metrics = QFontMetrics(metrics)
        self.height = metrics.height()
        self.small = QFont(font)
        self.small.setPointSizeF(max(self.small.pointSizeF() * 0.85, 6.0))
        self._small_metrics = QFontMetrics(self.small)
        self._figures: dict[str, int] = {}
        self._elided: dict[tuple[str, int], str] = {}

    def figure_width(self, figure: str) -> int:
        width = self._figures.get(figure)
        if width is None:
            if len(self._figures) > self.LIMIT:
                self._figures.clear()
            width = self._figures[figure] = self._small_metrics.horizontalAdvance(figure)
        return width

    def elided(self, role: str, room: int) -> str:
        key = (role, room)
        text = self._elided.get(key)
        if text is None:
            if len(self._elided) > self.LIMIT:
                self._elided.clear()
            text = self._elided[key] = self.metrics.elidedText(role, Qt.TextElideMode.ElideRight,
                                                               room)
        return text


class RoleDelegate(QStyledItemDelegate):
    """The role; at the cell's right the row's share of the input tokens, small and dimmed;
    under the role, on a row with variants, "◀ 2/3 ▶": a click on an arrow asks for the
    previous or next variant (``step_requested``). Painted: no widget per row."""

    step_requested = Signal(int, int)  # row, -1 or +1

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._fonts: _RoleFonts | None = None
        self.images = CellImages()  # plain role cells, as the style draws them (cell_images.py)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        look = index.model().look(index.row())
        figure, variant = look.figure, look.variant
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        if not figure and not variant:  # the style paints it all, as the plain delegate would
            if widget is None or not self.images.paint(
                    painter, option, style, widget, (look.role, look.ttl, look.problem),
                    lambda: role_option(option, index, look, look.role)):
                style.drawControl(_ITEM, role_option(option, index, look, look.role), painter,
                                  widget)
            return
        opt = role_option(option, index, look, "")  # the style paints the cell; the rest is ours
        role = look.role
        style.drawControl(_ITEM, opt, painter, widget)
        selected = _SELECTED in option.state
        palette = option.palette
        colour = palette.color(_HIGHLIGHTED_TEXT if selected else _TEXT)
        # Where the style puts the text: after the cache tag's icon, when the row has one.
        rect = style.subElementRect(_TEXT_RECT, opt, widget)
        rect = rect.adjusted(1, 0, -TEXT_MARGIN - 1, 0)
        font = option.font
        fonts = self._fonts_for(font, option.fontMetrics)
        if variant:  # the role on the first line, the arrows on the last
            rect = QRect(rect.left(), rect.top() + 2, rect.width(), fonts.height)
        painter.save()
        painter.setClipRect(option.rect)
        room = rect.width()
        if figure:
            room -= fonts.figure_width(figure) + CHIP_GAP
            painter.setFont(fonts.small)
            painter.setPen(palette.color(_HIGHLIGHTED_TEXT if selected else _PLACEHOLDER_TEXT))
            painter.drawText(rect, _RIGHT_CENTRE, figure)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(QRect(rect.left(), rect.top(), max(room, 0), rect.height()),
                         _LEFT_CENTRE, fonts.elided(role, room))
        if variant:
            self._paint_arrows(painter, option, opt, variant, colour)
        painter.restore()

    def _fonts_for(self, font: QFont, metrics: QFontMetrics) -> _RoleFonts:
        """The role cell's fonts and measures for the view's font, made again when it changes."""
        fonts = self._fonts
        if fonts is None or fonts.font != font or fonts.metrics != metrics:
            fonts = self._fonts = _RoleFonts(font, metrics)
        return fonts

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
        look = look_of(index)
        return QSize(option.fontMetrics.horizontalAdvance(look.role) + 2 * TEXT_MARGIN,
                     CellHeights(option).role(look))

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem,
                    index: QModelIndex) -> bool:
        kinds = (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                 QEvent.Type.MouseButtonPress)
        if event.type() not in kinds:
            return False
        variant = look_of(index).variant
        if not variant or event.button() != Qt.MouseButton.LeftButton:
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
        widget = option.widget
        if widget is None:
            return super().paint(painter, option, index)
        style = widget.style()
        look = index.model().look(index.row())
        opt = cell_option(option, index, look)
        style.drawControl(_ITEM, opt, painter, widget)
        text = look.preview
        if not text:
            return
        rect = style.subElementRect(_TEXT_RECT, opt, widget)
        rect.adjust(TEXT_MARGIN, 0, -TEXT_MARGIN, 0)
        state = option.state
        colour = option.palette.color(_NORMAL if _ENABLED in state else _DISABLED,
                                      _HIGHLIGHTED_TEXT if _SELECTED in state else _TEXT)
        font = option.font
        static = self.layouts.get(text, rect.width(), font)
        painter.save()
        painter.setClipRect(rect)
        painter.setFont(font)
        painter.setPen(colour)
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
        return QSize(200, CellHeights(option).content(look_of(index)))


class Chip(Struct, frozen=True):
    part_index: int
    rect: QRect
    icon_rect: QRect
    close_rect: QRect
    label: str
    kind: str


ChipLabel = tuple[int, str, str, int]  # part index, label, kind, the label's width


def chip_labels(message: Message, fm: QFontMetrics) -> list[ChipLabel]:
    """What each of the message's chips says, and how wide that is in ``fm``."""
    labels = []
    for part_index in preview.attachment_indices(message):
        att = message.parts[part_index].attachment
        name = att.display_name
        if len(name) > CHIP_NAME_CHARS:
            name = name[:CHIP_NAME_CHARS - 1] + "…"
        label = f"{KIND_LABELS.get(att.kind, 'File')} · {name} · {preview.size_text(att)}"
        labels.append((part_index, label, att.kind, fm.horizontalAdvance(label)))
    return labels


def chip_layout(message: Message, rect: QRect, option: QStyleOptionViewItem,
                labels: list[ChipLabel] | None = None) -> list[Chip]:
    """Chips left to right, wrapping onto further lines when the cell is too narrow."""
    fm = option.fontMetrics
    if labels is None:
        labels = chip_labels(message, fm)
    height = fm.height() + 4
    icon = fm.height() - 2
    close_w = fm.horizontalAdvance("×") + CHIP_PAD
    placed: list[tuple[int, int, int, int, str, str]] = []  # part, x, line, width, label, kind
    x, line = rect.left() + CHIP_GAP, 0
    for part_index, label, kind, advance in labels:
        width = CHIP_PAD + icon + 4 + advance + CHIP_PAD + close_w
        if placed and x + width > rect.right() - CHIP_GAP:
            x, line = rect.left() + CHIP_GAP, line + 1
        placed.append((part_index, x, line, width, label, kind))
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


def look_labels(look: RowLook, option: QStyleOptionViewItem) -> list[ChipLabel]:
    """The row's chip labels in the option's font, kept on its look until the font changes."""
    font = option.font
    if look.labels is not None and look.labels[0] == font:
        return look.labels[1]
    labels = chip_labels(look.message, option.fontMetrics)
    look.labels = (QFont(font), labels)  # a copy: the option's own font dies with it
    return labels


def attachments_size(look: RowLook, width: int, option: QStyleOptionViewItem) -> QSize:
    """The attachment cell's size hint: its chips wrapped at ``width`` (on one line when the
    width is not known yet)."""
    chips = chip_layout(look.message, QRect(0, 0, width if width > 0 else 10_000, 0), option,
                        look_labels(look, option)) if look.attached else []
    if not chips:
        return QSize(40, option.fontMetrics.height() + 12)
    right = max(c.rect.right() for c in chips) + CHIP_GAP
    return QSize(right, chips[-1].rect.bottom() + CHIP_GAP + 1)


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
        look = index.model().look(index.row())
        widget = option.widget
        style = widget.style() if widget else None
        if style is not None:
            style.drawControl(_ITEM, cell_option(option, index, look), painter, widget)
        if not look.attached:
            return
        rect = option.rect
        painter.save()
        painter.setClipRect(rect)
        painter.translate(rect.left(), rect.top())  # the chips are laid out at (0, 0)
        pal = option.palette
        for chip in self._chips(look, rect, option):
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

    @staticmethod
    def _chips(look: RowLook, rect: QRect, option: QStyleOptionViewItem) -> list[Chip]:
        """The row's chips laid out in a cell of ``rect``'s size at (0, 0), kept on its look
        until the cell's size or font changes."""
        width, height, font = rect.width(), rect.height(), option.font
        if look.chips is not None:
            (w, h, f), chips = look.chips
            if w == width and h == height and f == font:
                return chips
        chips = chip_layout(look.message, QRect(0, 0, width, height), option,
                            look_labels(look, option))
        look.chips = ((width, height, QFont(font)), chips)  # the option's own font dies with it
        return chips

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        # The table passes the column width when it measures a row (word wrap is on), so the
        # row grows to fit chips that wrap; with no width, lay them out on one line.
        return attachments_size(look_of(index), option.rect.width(), option)

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
