"""The reply's footer line, and the dimmed text it shares with the reasoning and the tool call
ids. Every pane has a footer from the start; the part blocks (blocks.py) come with the first
reply a pane shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from composer.views.wrapped_label import WrappedLabel


def dim(widget: QWidget) -> None:
    palette = widget.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Text,
                         palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
    widget.setPalette(palette)


class FooterBlock(WrappedLabel):
    """Stop reason, tokens in/out/reasoning, time to first token, tokens per second."""

    kind = "footer"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # the model name is the provider's
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dim(self)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.9, 6))
        self.setFont(font)
