"""The results pane's schema line: while a reply with a response schema streams, the first place
it already breaks the schema; at the end, the verdict (composer.models.structured does the
checking, throttled by its own cost; this label only shows what it says)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from composer.views import theme
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from composer.models.assembler import Assembler
    from composer.models.exchange import SchemaVerdict
    from composer.models.structured import LiveCheck

COLOURS = {"valid": "success", "invalid": "error", "cut_off": "warning", "unchecked": "muted"}


def _sentence(line: str) -> str:
    return line[:1].upper() + line[1:]


class SchemaStatus(WrappedLabel):
    """Hidden unless the reply shown was asked to follow a response schema."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # quotes the reply's own values
        self.setContentsMargins(0, 0, 0, 2)  # lines up with the run title above
        self.setAccessibleName("Schema check")
        self.check: LiveCheck | None = None
        self.hide()

    def begin(self, schema: dict[str, Any] | None) -> None:
        """A new run: check its reply against ``schema`` as it streams (None: no schema)."""
        self.check = None
        if schema is None:
            self.clear()
            return
        from composer.models.structured import LiveCheck  # with the first schema

        self.check = LiveCheck(schema)
        self._say("Schema: no break so far", "muted")

    def follow(self, assembler: Assembler) -> None:
        """The reply grew: check it again when the check's cost allows."""
        if self.check is None or self.check.found is not None:
            return
        found = self.check.update(assembler.reply_text())
        if found is not None:
            self._say(f"Schema: breaks at {found.path} \N{EM DASH} {found.reason}", "error")

    def show_verdict(self, verdict: SchemaVerdict | None) -> None:
        """The finished reply's verdict (None: it had no schema)."""
        self.check = None
        if verdict is None:
            self.clear()
            return
        self._say(_sentence(verdict.line()), COLOURS.get(verdict.verdict, "muted"))

    def clear(self) -> None:
        self.check = None
        self.setText("")
        self.hide()

    def _say(self, text: str, colour: str) -> None:
        self.setText(text)
        self.setStyleSheet(f"color: {theme.colour(colour)};")
        self.show()
