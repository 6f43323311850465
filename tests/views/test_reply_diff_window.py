"""The reply diff window: any two replies side by side, changes marked word by word, JSON
fields listed, long unchanged stretches folded, and nothing from a reply loaded or run."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication

from composer.models.parts import Message, ReasoningPart, TextPart, ToolCallPart
from composer.views.reply_diff import show_reply_diff
from composer.views.reply_diff.page import LIGHT, UNFOLD, build_page


def reply(*parts) -> list[Message]:
    return [Message(role="assistant", parts=list(parts))]


def open_diff(qtbot, a, b, titles=("variant 1", "variant 2")):
    window = show_reply_diff(None, titles[0], a, titles[1], b)
    qtbot.addWidget(window)
    window.finish()
    return window


def test_reasoning_text_and_tool_call_are_sections_with_fields_listed(qtbot):
    a = reply(ReasoningPart(text="Think about Paris."), TextPart(text="It is sunny."),
              ToolCallPart(name="weather", arguments={"city": "Paris", "days": 2}))
    b = reply(ReasoningPart(text="Think about Lyon."), TextPart(text="It is sunny."),
              ToolCallPart(name="weather", arguments={"city": "Lyon", "days": 2}))
    window = open_diff(qtbot, a, b)
    assert window.windowTitle() == "Compare variant 1 with variant 2"
    assert window.verdict.text() == "2 parts differ"
    shown = window.view.toPlainText()
    for heading in ("Reasoning — changed", "Text — the same", "Tool call weather — changed"):
        assert heading in shown
    # The field table: path, A, B.
    assert "field\nA\nB\ncity\n\"Paris\"\n\"Lyon\"" in shown
    html = window.view.toHtml()
    assert f"background-color:{LIGHT.removed};\">Paris</span>" in html
    assert f"background-color:{LIGHT.added};\">Lyon</span>" in html


def test_long_unchanged_stretches_fold_and_open_on_click_or_all_at_once(qtbot):
    lines = [f"Line {n} is the same in both." for n in range(200)]
    changed = [*lines[:100], "Line 100 is different.", *lines[101:]]
    window = open_diff(qtbot, reply(TextPart(text="\n".join(lines))),
                       reply(TextPart(text="\n".join(changed))))
    shown = window.view.toPlainText()
    assert "⋯ 97 unchanged lines" in shown and "⋯ 96 unchanged lines" in shown
    assert "Line 50 is the same" not in shown and "Line 97 is the same" in shown
    # A click on the first fold opens it, and only it.
    window.view.anchorClicked.emit(QUrl(f"{UNFOLD}0:0"))
    window.finish()
    shown = window.view.toPlainText()
    assert "Line 50 is the same" in shown and "Line 150 is the same" not in shown
    window.show_all.setChecked(True)
    window.finish()
    assert "Line 150 is the same" in window.view.toPlainText()
    assert "unchanged lines" not in window.view.toPlainText()


def test_next_change_scrolls_to_each_change_in_turn(qtbot):
    parts = [f"Paragraph {n} says nothing new." for n in range(300)]
    edited = list(parts)
    edited[150] = "Paragraph 150 says something new."
    edited[290] = "Paragraph 290 says something else."
    window = open_diff(qtbot, reply(TextPart(text="\n\n".join(parts))),
                       reply(TextPart(text="\n\n".join(edited))))
    window.show_all.setChecked(True)
    window.finish()
    bar = window.view.verticalScrollBar()
    assert window.changes == 2 and bar.value() == 0
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.view.setFocus()  # the keys go where the reader is: the page

    def press(modifier=Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F7, modifier)

    press()
    first = bar.value()
    assert first > 0
    press()
    assert bar.value() > first
    press(Qt.KeyboardModifier.ShiftModifier)
    assert bar.value() == first


def test_equal_replies_say_so_and_offer_no_changes(qtbot):
    a = reply(TextPart(text="Same words."))
    window = open_diff(qtbot, a, [m.model_copy(deep=True) for m in a])
    assert window.verdict.text() == "The replies are the same."
    assert not window.next_button.isEnabled() and not window.previous_button.isEnabled()
    assert "The replies are the same." in window.view.toPlainText()


def test_a_reply_is_shown_as_text_and_never_loads_anything(qtbot):
    hostile = '<img src="http://127.0.0.1:9/x.png"> <b>bold</b> <a href="file:///etc">x</a>'
    window = open_diff(qtbot, reply(TextPart(text="plain")), reply(TextPart(text=hostile)),
                       titles=("<i>A</i>", "<script>B</script>"))
    window.grab()
    shown = window.view.toPlainText()
    assert hostile in shown and "A: <i>A</i>" in shown and "B: <script>B</script>" in shown
    assert "<img" not in window.view.toHtml() and window.view.refused_resources == []


def test_the_page_comes_in_pieces_and_the_window_adds_them_all(qtbot):
    text = "\n\n".join(f"Paragraph {n}: " + "words " * 40 for n in range(200))
    a, b = reply(TextPart(text=text)), reply(TextPart(text=text.replace("Paragraph 1:", "P 1:")))
    window = show_reply_diff(None, "A", a, "B", b)
    qtbot.addWidget(window)
    window.show_all.setChecked(True)
    pieces = build_page(window.result, "A", "B", LIGHT, window.folds).pieces
    assert len(pieces) > 5 and len(window.pending) == len(pieces) - 1  # the rest to come …
    assert "Paragraph 199:" not in window.view.toPlainText()
    qtbot.waitUntil(lambda: not window.pending, timeout=5000)  # … one per event-loop turn
    assert "Paragraph 199:" in window.view.toPlainText()


def test_the_marks_follow_the_system_going_dark(qtbot, qapp):
    from composer.views import theme
    from composer.views.reply_diff.page import DARK

    window = open_diff(qtbot, reply(TextPart(text="light words")),
                       reply(TextPart(text="dark words")))
    assert f"background-color:{LIGHT.removed};" in window.view.toHtml()
    light = qapp.palette()
    qapp.setPalette(theme.ensure_contrast(theme.dark_palette()))
    try:
        qtbot.waitUntil(lambda: f"background-color:{DARK.removed};" in window.view.toHtml(),
                        timeout=3000)
    finally:
        qapp.setPalette(light)


def test_marked_text_is_readable_on_either_scheme(qapp):
    from PySide6.QtGui import QColor, QPalette

    from composer.views import theme
    from composer.views.reply_diff.page import DARK

    text = QPalette.ColorRole.Text
    for colours, palette in ((LIGHT, theme.ensure_contrast(qapp.palette())),
                             (DARK, theme.ensure_contrast(theme.dark_palette()))):
        for background in (colours.removed, colours.added, colours.removed_row,
                           colours.added_row, colours.rule):
            assert theme.contrast(palette.color(text), QColor(background)) >= theme.AA, background
        assert theme.contrast(QColor(colours.muted), QColor(colours.rule)) >= theme.AA
