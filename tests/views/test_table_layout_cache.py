"""The message table lays a row's content preview out once and draws it from then on; an edit,
a wider column or another font lays it out again. A long message's preview reads only its start."""

from __future__ import annotations

from PySide6.QtGui import QFont, QUndoStack

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import Message
from composer.views.table import preview
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor


def _table(qtbot) -> MessageTable:
    messages = [Message.text("user" if i % 2 else "assistant", f"Message {i}: **hello** there")
                for i in range(8)]
    view = MessageTable(DocumentEditor(Document(Conversation(messages=messages)), QUndoStack()))
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def _paint(view: MessageTable) -> None:
    view.viewport().grab()  # paints every visible cell


def test_a_repaint_lays_out_no_preview_again(qtbot):
    view = _table(qtbot)
    _paint(view)
    cache = view._content_delegate.layouts
    laid = cache.layouts
    assert laid >= 8  # every visible row, once
    for _ in range(3):
        _paint(view)
    assert cache.layouts == laid


def test_an_edit_lays_that_row_out_again_and_shows_the_new_text(qtbot):
    view = _table(qtbot)
    _paint(view)
    cache = view._content_delegate.layouts
    laid = cache.layouts
    view.editor.set_text(3, "Changed *text*")
    _paint(view)
    assert cache.layouts == laid + 1
    assert any(key[0] == "Changed text" for key in cache._cache)


def test_a_wider_column_or_another_font_lays_out_again(qtbot):
    view = _table(qtbot)
    _paint(view)
    cache = view._content_delegate.layouts
    laid = cache.layouts
    column = view.horizontalHeader().logicalIndexAt(view.viewport().width() // 2)
    view.setColumnWidth(column, view.columnWidth(column) + 120)
    view.resize(1000, 500)
    _paint(view)
    assert cache.layouts >= laid + 8
    laid = cache.layouts
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() + 3)
    view.setFont(font)
    _paint(view)
    assert cache.layouts >= laid + 8


def test_the_cache_keeps_a_bounded_number_of_layouts(qtbot):
    view = _table(qtbot)
    cache = view._content_delegate.layouts
    cache.limit = 5
    for i in range(20):
        cache.get(f"text {i}", 100, view.font())
    assert len(cache) == 5


def test_a_long_message_preview_reads_its_start_and_says_how_much_is_left():
    text = ("A line of *text* that goes on. " * 20 + "\n") * 300
    shown = preview.content_preview(Message.text("user", text))
    assert shown.startswith("A line of text that goes on.")
    assert len(shown) < preview.MAX_CHARS + 40
    more = int(shown.rsplit("(+", 1)[1].split(" ")[0].replace(",", ""))
    assert len(text) - preview.MAX_CHARS - 100 < more <= len(text)


def test_a_painted_preview_keeps_its_lines_and_never_wraps_past_the_row(qtbot):
    """Seen in the README screenshot: a long first line wrapped inside a row only as tall as
    the preview's lines, so its end was cut off; and Qt hands the delegate its lines joined by
    U+2028, which must still count as line breaks."""
    from composer.views.table.layout_cache import LayoutCache

    font = QFont()
    long = "word " * 80
    static = LayoutCache().get(f"{long}\u2028second\u2028third", 200, font)
    lines = static.text().split("\u2028")
    assert len(lines) == 3 and lines[0].endswith("…") and lines[1:] == ["second", "third"]
    one = LayoutCache().get("x", 200, font).size().height()
    assert static.size().height() == 3 * one  # three rows of text, none wrapped


def test_a_preview_line_is_elided_as_qt_elides_it(qtbot):
    """Long lines of simple characters are elided from a start a little wider than the cell
    (Qt lays out all it is given), short ones not at all: the result must be Qt's own, for
    lines of every kind, at every width, in fonts of several sizes."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    from composer.views.table.layout_cache import LayoutCache, _clipped

    lines = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 12,
             "AVAVAVAV To Ta Yo We fi fl ffi " * 20, "→ lookup({\"q\": 12})", "• item — “quoted” …",
             "iiiiiiiiiiii" * 40, "WWWWWWWWWW" * 40, "Émoji 🎉 and 漢字 text " * 10,
             "tab\there " * 40,
             "", "x", "words " * 300]
    for size in (7, 10, 14):
        font = QFont()
        font.setPointSize(size)
        metrics = QFontMetrics(font)
        cache = LayoutCache()
        for room in [*range(1, 80, 9), *range(80, 1300, 61)]:
            static = cache.get("\n".join(lines), room, font)
            expected = [metrics.elidedText(_clipped(line, room), Qt.TextElideMode.ElideRight,
                                           room) for line in lines]
            assert static.text().split("\u2028") == expected, (size, room)
