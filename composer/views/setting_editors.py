"""The request panel's editors of settings: the Parameters fields and the JSON editors.

They only adapt the core's readers (models/options.py, models/setting_json.py) to widgets: each
editor reads its text through them, shows the problems they report under itself, and says which
widget holds a field (``widget_for``), so a problem found elsewhere can be brought to it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyle,
    QStyleOptionFrame,
    QVBoxLayout,
    QWidget,
)

from composer.models.options import REASONING_EFFORTS, option_text, read_options
from composer.models.problems import Field, Problem, SettingsError
from composer.models.setting_json import READERS, json_text
from composer.models.tool_kinds import tool_dicts
from composer.views import theme
from composer.views.wrapped_label import WrappedLabel

# Option name -> (label with its mnemonic, placeholder); the grid's order, two per row. A
# placeholder too long for a narrow field has a shorter form after "|".
PARAMS = (("temperature", "Te&mperature", "0 – 2"), ("top_p", "Top &p", "0 – 1"),
          ("max_tokens", "Max &tokens", "e.g. 1024"), ("seed", "S&eed", "whole number"),
          ("reasoning_effort", "&Reasoning effort", None),
          ("thinking_budget", "Thinking &budget", "tokens"),
          ("stop", "&Stop", 'text, or ["a", "b"]|text or a list'),
          ("prompt_cache_key", "Cache ke&y", "OpenAI only"))

PLACEHOLDERS = {
    Field.TOOLS: (
        '[{"name": "get_weather", "description": "…", "parameters": {"type": "object", '
        '"properties": {"city": {"type": "string"}}}, "strict": false}, '
        '{"type": "custom", "name": "code_exec", "description": "Runs Python"}]'),
    Field.RESPONSE_SCHEMA: '{"type": "object", "properties": {…}}',
    Field.EXTRA_BODY: (
        '{"top_k": 40}  (raw JSON merged last into the request body; null removes a field)'),
    Field.HEADERS: '{"HTTP-Referer": "https://example.org"}',
}
ACCESSIBLE_NAMES = {Field.TOOLS: "Tools (JSON)", Field.RESPONSE_SCHEMA: "Response schema (JSON)",
                    Field.EXTRA_BODY: "Extra body (JSON)", Field.HEADERS: "Extra headers (JSON)"}


def error_label() -> QLabel:
    label = WrappedLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # quotes the user's or a file's text
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # to copy
    label.setStyleSheet(f"color: {theme.colour('error')};")
    label.hide()
    return label


def show_text(label: QLabel, text: str) -> None:
    """A note or error label: its text, shown only when there is one."""
    label.setText(text)
    label.setVisible(bool(text))


class ParamEdit(QLineEdit):
    """A parameter's field. Its placeholder says "not sent (0 – 2)" where that fits, else the
    hint alone ("0 – 2"), not an elided "not sent (0 –…" (a narrow panel: the Branches dock
    shown at 1280 px); a long hint's shorter form comes before each step down. The tooltip
    always says what empty means."""

    def __init__(self, placeholder: str, parent: QWidget | None = None):
        super().__init__(parent)
        hint, _, short = placeholder.partition("|")
        self._hints = (f"not sent ({hint})", *([f"not sent ({short})"] if short else []), hint,
                       *([short] if short else []))
        self.setToolTip(f"{hint[:1].upper()}{hint[1:]}. Left empty, it is not sent: the "
                        "provider's default applies.")
        self.setPlaceholderText(self._hints[0])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        room = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option,
                                           self).width()
        margins = self.textMargins()
        room -= margins.left() + margins.right() + 4  # QLineEdit's own 2 px on each side
        width = self.fontMetrics().horizontalAdvance
        self.setPlaceholderText(next((h for h in self._hints if width(h) <= room),
                                     self._hints[-1]))


class ParamsEditor(QWidget):
    """One field per neutral option; empty means "not sent" (the placeholder says so).
    ``edited`` fires on every change; ``read`` gives the options and the problems."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        for name, _label, placeholder in PARAMS:
            if placeholder is None:
                combo = QComboBox()
                for effort in REASONING_EFFORTS:
                    combo.addItem(effort or "not sent", effort)
                combo.currentIndexChanged.connect(self.edited)
                self.fields[name] = combo
            else:
                edit = ParamEdit(placeholder)
                edit.textChanged.connect(self.edited)
                self.fields[name] = edit
        self.error = error_label()
        # Two columns: the results pane below needs the height more than these fields do.
        grid = QGridLayout(self)
        for i, (name, text, _placeholder) in enumerate(PARAMS):
            label = QLabel(text)
            label.setBuddy(self.fields[name])
            row, col = divmod(i, 2)
            grid.addWidget(label, row, col * 2)
            alone = i == len(PARAMS) - 1 and col == 0  # a last field alone spans its row
            grid.addWidget(self.fields[name], row, col * 2 + 1, 1, 3 if alone else 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.addWidget(self.error, len(PARAMS) // 2 + 1, 0, 1, 4)
        grid.setRowStretch(len(PARAMS) // 2 + 2, 1)
        self.problems: list[Problem] = []

    def texts(self) -> dict[str, str]:
        return {name: (field.currentData() or "") if isinstance(field, QComboBox) else field.text()
                for name, field in self.fields.items()}

    def load(self, options: dict[str, Any]) -> None:
        """Show ``options`` (the caller blocks ``edited`` handling while it loads)."""
        for name, field in self.fields.items():
            if isinstance(field, QComboBox):
                field.setCurrentIndex(max(field.findData(options.get(name) or ""), 0))
            else:
                field.setText(option_text(name, options.get(name)))
        self.show_problems([])

    def read(self, current: dict[str, Any]) -> dict[str, Any]:
        """``current`` with the fields read in; a field that does not parse keeps its last good
        value and its problem is shown under the grid."""
        options, problems = read_options(current, self.texts())
        self.show_problems(problems)
        return options

    def show_problems(self, problems: list[Problem]) -> None:
        self.problems = problems
        show_text(self.error, "\n".join(p.line() for p in problems))

    def widget_for(self, field: Field | None) -> QWidget | None:
        return self.fields.get(str(field)) if field is not None else None


class JsonEditor(QWidget):
    """A JSON setting's editor (tools, response schema, extra body, extra headers) with its
    problem shown under it; ``edited`` carries the parsed value when the text is valid."""

    edited = Signal(object)

    def __init__(self, field: Field, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = field
        self.attribute, self._parse = READERS[field]
        self.problem: Problem | None = None
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(PLACEHOLDERS[field])
        self.edit.setTabChangesFocus(True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setAccessibleName(ACCESSIBLE_NAMES[field])
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.error)
        self.edit.textChanged.connect(self._on_text_changed)

    def load(self, value: Any) -> None:
        """Show the stored value (the caller blocks ``edited`` handling while it loads)."""
        if self.field is Field.TOOLS:
            value = tool_dicts(value) if value else None
        self.edit.setPlainText(json_text(value))
        self._show(None)

    def _on_text_changed(self) -> None:
        try:
            value = self._parse(self.edit.toPlainText())
        except SettingsError as exc:
            self._show(exc.problem)
            return
        self._show(None)
        self.edited.emit(value)

    def _show(self, problem: Problem | None) -> None:
        self.problem = problem
        show_text(self.error, problem.line() if problem else "")
