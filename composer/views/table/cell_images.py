"""Cells drawn once and kept as images, for cells that look alike from row to row.

A role cell shows one of a few roles, with or without a cache tag or a problem's background,
at one of a few row heights, selected or not; yet the style lays out and draws its text at
every paint. Such a cell is drawn once into an image as the table would draw it in place (the
viewport's background, the row's panel with its alternate colour or selection, then the
style's cell), kept under everything that decides those pixels (what the cell shows, the
option's size, state, features, palette, font, alignment and icon size, the style, the
background), and then copied over the cell: the same pixels, for the cost of a copy.

A cell with the focus or under the mouse (a style may draw these with patterns or effects
tied to where the cell is), a background that is not one opaque colour, or a painter that
scales (another pixel ratio) is drawn directly, as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem

LIMIT = 128  # images kept (a few KB each): roles × tags × heights × states, with room to spare

# Compared as ints: an enum flag's own hash and tests run in Python, a few times a cell.
_FOCUS_OR_HOVER = (QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_MouseOver).value
_ITEM = QStyle.ControlElement.CE_ItemViewItem
_ROW = QStyle.PrimitiveElement.PE_PanelItemViewRow
_SOLID = Qt.BrushStyle.SolidPattern
_FORMAT = QImage.Format.Format_ARGB32_Premultiplied


class CellImages:
    """The kept images of one delegate's cells. The view brackets its paint with ``begin`` and
    ``end``: what holds for every cell of a paint (the background, the style, the view's item
    options) is read once there, and a cell painted outside a view's paint (a drag's picture)
    is drawn directly."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self.made = 0  # images drawn, in all (what the cache saves shows here)
        self._images: OrderedDict[tuple, QImage] = OrderedDict()
        self._paint: tuple | None = None  # what holds for the cells of the paint under way
        self._colour = None
        self._font = QFont()
        self._fonts = 0  # a number for the last font seen (QFont.key() is slow to make)

    def __len__(self) -> int:
        return len(self._images)

    def begin(self, view: QAbstractItemView) -> None:
        viewport = view.viewport()
        background = viewport.palette().brush(viewport.backgroundRole())
        colour = background.color()
        if (background.style() != _SOLID or colour.alpha() != 255
                or view.devicePixelRatioF() != 1.0):
            self._paint = None
            return
        option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        size = option.decorationSize
        self._colour = colour
        self._paint = (colour.rgba(), id(view.style()), option.displayAlignment,
                       option.textElideMode, option.direction, size.width(), size.height())

    def end(self) -> None:
        self._paint = None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, style: QStyle,
              view: QAbstractItemView, shows: tuple,
              cell_option: Callable[[], QStyleOptionViewItem]) -> bool:
        """Copy the cell at ``option`` showing ``shows`` (what in it comes from the row; the
        style draws it with ``cell_option()``) from its image, drawn now when it is not kept;
        False when it must be drawn directly (see the module's docstring)."""
        under_way = self._paint
        if under_way is None:
            return False
        state = option.state._value_
        if state & _FOCUS_OR_HOVER:
            return False
        font = option.font
        if font != self._font:
            self._font = QFont(font)  # a copy: the option's own font dies with it
            self._fonts += 1
        rect = option.rect
        key = (shows, rect.width(), rect.height(), state, option.features._value_,
               option.palette.cacheKey(), self._fonts, under_way)
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = self._draw(cell_option(), style, view)
            if len(self._images) > self.limit:
                self._images.popitem(last=False)
        painter.drawImage(rect.topLeft(), image)
        return True

    def _draw(self, option: QStyleOptionViewItem, style: QStyle,
              view: QAbstractItemView) -> QImage:
        rect = option.rect
        image = QImage(rect.width(), rect.height(), _FORMAT)
        image.fill(self._colour)
        at_origin = QStyleOptionViewItem(option)
        at_origin.rect = QRect(0, 0, rect.width(), rect.height())
        painter = QPainter(image)
        style.drawPrimitive(_ROW, at_origin, painter, view)  # as the table does before the cell
        style.drawControl(_ITEM, at_origin, painter, view)
        painter.end()
        self.made += 1
        return image

    def clear(self) -> None:
        self._images.clear()
