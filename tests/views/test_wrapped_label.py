"""The word-wrapped label that keeps its heights (views/wrapped_label.py): it answers as QLabel
does, whatever changed, lays its text out once per width, and is every word-wrapped label the
windows hold."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel

from composer.views.wrapped_label import WrappedLabel

NOTE = ("Replay plays back a saved exchange, so Send works without a key. To ask a real model, "
        "pick its provider and <a href='https://example.com/keys'>add a key</a>.")
WIDTHS = (60, 120, 226, 487, 900)


def _pair(qtbot) -> tuple[WrappedLabel, QLabel]:
    kept, plain = WrappedLabel(NOTE), QLabel(NOTE)
    plain.setWordWrap(True)
    for label in (kept, plain):
        qtbot.addWidget(label)
        label.setTextFormat(Qt.TextFormat.RichText)
    return kept, plain


def _same(kept: WrappedLabel, plain: QLabel) -> None:
    for width in WIDTHS:
        assert kept.heightForWidth(width) == plain.heightForWidth(width), width


def test_each_width_is_laid_out_once(qtbot):
    kept, plain = _pair(qtbot)
    _same(kept, plain)
    _same(kept, plain)
    assert kept.layouts == len(WIDTHS)


def test_it_answers_as_qlabel_after_every_change(qtbot):
    kept, plain = _pair(qtbot)
    _same(kept, plain)
    changes = [
        lambda label: label.setText(NOTE + " And one more sentence to wrap."),
        lambda label: label.setFont(QFont(label.font().family(), 19)),
        lambda label: label.setContentsMargins(30, 4, 30, 4),
        lambda label: label.setMargin(12),
        lambda label: label.setIndent(40),
        lambda label: label.setTextFormat(Qt.TextFormat.PlainText),
        lambda label: label.setStyleSheet("QLabel { padding: 9px; }"),
    ]
    for change in changes:
        change(kept)
        change(plain)
        _same(kept, plain)
    # Every change was a new answer, never a stale one: each width was laid out again.
    assert kept.layouts == len(WIDTHS) * (len(changes) + 1)


def test_every_word_wrapped_label_of_the_windows_is_one(qtbot, make_window):
    window = make_window()
    window.build_deferred()  # the tabs and panels built on first use too
    others = [window.compare_ui.view, window.run_ui.test_runs.show_workspace()]
    labels = [label for root in (window, *others) for label in root.findChildren(QLabel)]
    wrapped = [label for label in labels if label.wordWrap()]
    assert len(wrapped) >= 10
    assert [label for label in wrapped if not isinstance(label, WrappedLabel)] == []
