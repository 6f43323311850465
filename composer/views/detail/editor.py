"""PartDetailEditor: every part of the selected row, editable where it makes sense.

Text, tool calls (name, id, JSON arguments checked as you type) and tool results (linked to
the call they answer) are edited here; reasoning is shown read-only with its redacted flag and
provider metadata; attachments get a preview and a remove button. Every change goes through the
DocumentEditor (undoable; a run of typing in one field is one step).

The row is remembered by its id, so it stays shown while rows move around it. When the
message changes underneath (undo, an edit in the table) the sections update in place if the
part types are unchanged, so the cursor in the field being typed in is kept.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models import jsontext
from composer.models.caching import TTLS, breakpoint_of, ttl_label, with_breakpoint
from composer.models.document import Notice, Reset, RowChanged, RowsRemoved
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.views import theme
from composer.views.attachments import AttachmentLoader
from composer.views.detail.previews import AttachmentPreview
from composer.views.undo import DocumentEditor
from composer.views.wrapped_label import WrappedLabel

CACHE_CHOICES = (None, *TTLS)  # the cache combo's items, in order
TITLES = {"text": "Text", "reasoning": "Reasoning", "tool_call": "Tool call",
          "tool_result": "Tool result", "attachment": "Attachment"}


def _set_plain(edit: QPlainTextEdit | QLineEdit, text: str) -> None:
    """Set a field's text only when it differs, so the cursor of an unchanged field stays."""
    current = edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
    if current != text:
        if isinstance(edit, QPlainTextEdit):
            edit.setPlainText(text)
        else:
            edit.setText(text)


def json_problem(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(arguments, None) for a JSON object, else (None, "line L column C: problem")."""
    try:
        return jsontext.loads_object(text, "arguments"), None
    except jsontext.JSONTextError as exc:
        return None, f"{exc.location}: {exc.msg}" if exc.location else exc.msg


def _fit_height(edit: QPlainTextEdit, min_lines: int = 3, max_lines: int = 14) -> None:
    """Size an editor to its text (within bounds) so short parts leave room for the next ones;
    longer text scrolls inside the editor."""
    def fit() -> None:
        lines = max(min_lines, min(edit.document().blockCount(), max_lines))
        margins = edit.contentsMargins()
        frame = 2 * edit.frameWidth() + margins.top() + margins.bottom()
        edit.setFixedHeight(lines * edit.fontMetrics().lineSpacing() + frame + 8)

    edit.document().blockCountChanged.connect(lambda _count: fit())
    fit()


class PartSection(QFrame):
    """One part's box. ``update_from(part)`` refreshes it in place; edits call ``changed``."""

    remove_requested = Signal(int)

    def __init__(self, detail: PartDetailEditor, index: int, part):
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.detail = detail
        self.index = index
        self.part = part
        self.title = QLabel(f"<b>{index + 1}. {TITLES.get(part.type, part.type)}</b>")
        remove = QToolButton()
        remove.setText("×")
        remove.setToolTip("Remove this part")
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda: self.remove_requested.emit(self.index))
        self.remove_button = remove
        self.cache = _cache_combo(index, part)
        self.cache.currentIndexChanged.connect(self._on_cache_changed)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.cache)
        header.addWidget(remove)
        outer = QVBoxLayout(self)
        outer.addLayout(header)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.form)

    def update_from(self, part) -> None:
        self.part = part
        self.cache.setCurrentIndex(CACHE_CHOICES.index(breakpoint_of(part)))
        _offer_cache(self.cache, part)

    def _on_cache_changed(self, _index: int) -> None:
        ttl = CACHE_CHOICES[max(self.cache.currentIndex(), 0)]
        if self.detail.updating or ttl == breakpoint_of(self.part):
            return
        # Each choice is its own undo step (no merging: it is one click, not typing).
        what = "Clear cache breakpoint" if ttl is None else f"Cache breakpoint {ttl_label(ttl)}"
        self._commit(with_breakpoint(self.part, ttl), what, "")
        _offer_cache(self.cache, self.part)

    def _commit(self, part, text: str, field: str) -> None:
        if self.detail.updating:
            return
        self.part = part
        self.detail.commit_part(self.index, part, text, field)


def _cache_combo(index: int, part) -> QComboBox:
    """The part's cache breakpoint: off, 5 min or 1 hour (Anthropic's ``cache_control``)."""
    combo = QComboBox()
    for ttl in CACHE_CHOICES:
        combo.addItem(f"Cache: {ttl_label(ttl)}")
    combo.setAccessibleName(f"Cache breakpoint of part {index + 1}")
    combo.setToolTip("Cache breakpoint: Anthropic caches the prompt up to and including this "
                     "part, for 5 minutes or 1 hour after its last use (at most 4 per request; "
                     "other providers ignore it)")
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setCurrentIndex(CACHE_CHOICES.index(breakpoint_of(part)))
    _offer_cache(combo, part)
    return combo


def _offer_cache(combo: QComboBox, part) -> None:
    """Reasoning cannot be a breakpoint: its control only clears one a file brought."""
    combo.setEnabled(not isinstance(part, ReasoningPart) or breakpoint_of(part) is not None)


class TextSection(PartSection):
    def __init__(self, detail, index, part: TextPart):
        super().__init__(detail, index, part)
        self.edit = QPlainTextEdit(part.text)
        self.edit.setAccessibleName(f"Text of part {index + 1}")
        _fit_height(self.edit)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.form.addRow(self.edit)

    def update_from(self, part) -> None:
        super().update_from(part)
        _set_plain(self.edit, part.text)

    def _on_edit_text_changed(self) -> None:
        self._commit(self.part.model_copy(update={"text": self.edit.toPlainText()}),
                     "Edit text", "text")


class ReasoningSection(PartSection):
    def __init__(self, detail, index, part: ReasoningPart):
        super().__init__(detail, index, part)
        self.redacted = QCheckBox("redacted by the provider")
        self.redacted.setEnabled(False)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumHeight(160)
        self.metadata = QPlainTextEdit()
        self.metadata.setReadOnly(True)
        self.metadata.setMaximumHeight(90)
        self.form.addRow(self.redacted)
        self.form.addRow("Text", self.text)
        self.form.addRow("Provider metadata", self.metadata)
        self.update_from(part)

    def update_from(self, part) -> None:
        super().update_from(part)
        self.redacted.setChecked(part.redacted)
        _set_plain(self.text, part.text or ("(withheld)" if part.redacted else ""))
        meta = json.dumps(part.provider_metadata, indent=1) if part.provider_metadata else ""
        _set_plain(self.metadata, meta)


class ToolCallSection(PartSection):
    def __init__(self, detail, index, part: ToolCallPart):
        super().__init__(detail, index, part)
        self.name = QLineEdit(part.name)
        self.call_id = QLineEdit(part.tool_call_id or "")
        self.arguments = QPlainTextEdit(json.dumps(part.arguments, indent=2, ensure_ascii=False))
        _fit_height(self.arguments)
        self.problem = WrappedLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(f"color: {theme.colour('error')};")
        self.problem.hide()
        self.form.addRow("Name", self.name)
        self.form.addRow("Call id", self.call_id)
        self.form.addRow("Arguments (JSON)", self.arguments)
        self.form.addRow(self.problem)
        self.name.textChanged.connect(self._on_fields_changed)
        self.call_id.textChanged.connect(self._on_fields_changed)
        self.arguments.textChanged.connect(self._on_arguments_changed)

    @property
    def arguments_error(self) -> str | None:
        return self.problem.text() if not self.problem.isHidden() else None

    def update_from(self, part) -> None:
        super().update_from(part)
        _set_plain(self.name, part.name)
        _set_plain(self.call_id, part.tool_call_id or "")
        shown, _err = json_problem(self.arguments.toPlainText())
        if shown != part.arguments:
            self.arguments.setPlainText(json.dumps(part.arguments, indent=2, ensure_ascii=False))
        self.problem.hide()
        self.detail.unsaved.pop(self._key, None)

    @property
    def _key(self) -> tuple[int | None, int]:
        return self.detail._row_id, self.index

    def _on_fields_changed(self) -> None:
        update = {"name": self.name.text(), "tool_call_id": self.call_id.text() or None}
        self._commit(self.part.model_copy(update=update), "Edit tool call", "call")

    def _on_arguments_changed(self) -> None:
        value, problem = json_problem(self.arguments.toPlainText())
        if problem is not None:
            # Invalid JSON is kept in the field (nothing is lost) but never reaches the message.
            self.problem.setText(f"Arguments not saved: {problem}")
            self.problem.show()
            self.detail.unsaved[self._key] = self.arguments.toPlainText()
            return
        self.problem.hide()
        self.detail.unsaved.pop(self._key, None)
        self._commit(self.part.model_copy(update={"arguments": value}), "Edit arguments",
                     "arguments")


class ToolResultSection(PartSection):
    def __init__(self, detail, index, part: ToolResultPart):
        super().__init__(detail, index, part)
        self.name = QLineEdit(part.name)
        self.call_id = QComboBox()
        self.call_id.setEditable(True)
        self.link = QLabel()
        self.link.setTextFormat(Qt.TextFormat.PlainText)  # tool names and ids from the file
        self.output = QPlainTextEdit(part.output)
        _fit_height(self.output)
        self.exception = WrappedLabel()
        self.exception.setTextFormat(Qt.TextFormat.PlainText)
        self.form.addRow("Name", self.name)
        self.form.addRow("Answers call", self.call_id)
        self.form.addRow(self.link)
        self.form.addRow("Output", self.output)
        self.form.addRow(self.exception)
        self._fill_calls(part)
        self.name.textChanged.connect(self._on_fields_changed)
        self.call_id.currentTextChanged.connect(self._on_fields_changed)
        self.output.textChanged.connect(self._on_output_changed)
        self._show_link(part)

    def _fill_calls(self, part: ToolResultPart) -> None:
        self.detail.updating += 1
        try:
            self.call_id.clear()
            for call in self.detail.earlier_calls():
                if call.tool_call_id:
                    self.call_id.addItem(call.tool_call_id, call.name)
            self.call_id.setEditText(part.tool_call_id or "")
        finally:
            self.detail.updating -= 1

    def _show_link(self, part: ToolResultPart) -> None:
        earlier = self.detail.earlier_calls()
        calls = {c.tool_call_id: c for c in earlier if c.tool_call_id}
        if not part.tool_call_id:
            by_name = any(not c.tool_call_id and c.name == part.name for c in earlier)
            # Some providers (older Gemini models) give calls no id and pair results by name.
            self.link.setText(f"↳ answers {part.name} (the call has no id: paired by name)"
                              if by_name else "Not linked to a call")
        elif part.tool_call_id in calls:
            self.link.setText(f"↳ answers {calls[part.tool_call_id].name or '?'}"
                              f" ({part.tool_call_id})")
        else:
            self.link.setText(f"⚠ no earlier tool call has id {part.tool_call_id}")
        self.exception.setText(f"Exception: {part.exception}" if part.exception else "")
        self.exception.setVisible(bool(part.exception))

    def update_from(self, part) -> None:
        super().update_from(part)
        _set_plain(self.name, part.name)
        if self.call_id.currentText() != (part.tool_call_id or ""):
            self.call_id.setEditText(part.tool_call_id or "")
        _set_plain(self.output, part.output)
        self._show_link(part)

    def _on_fields_changed(self, *_args) -> None:
        update = {"name": self.name.text(), "tool_call_id": self.call_id.currentText() or None}
        part = self.part.model_copy(update=update)
        self._commit(part, "Edit tool result", "result")
        self._show_link(part)

    def _on_output_changed(self) -> None:
        self._commit(self.part.model_copy(update={"output": self.output.toPlainText()}),
                     "Edit tool output", "output")


class AttachmentSection(PartSection):
    def __init__(self, detail, index, part: AttachmentPart):
        super().__init__(detail, index, part)
        self.remove_button.setToolTip("Remove this attachment")
        if part.attachment is None:
            self.preview = None
            self.form.addRow(QLabel("(empty attachment part)"))
        else:
            self.preview = AttachmentPreview(part.attachment)
            self.preview.load_requested.connect(detail.link_load_requested)
            self.form.addRow(self.preview)

    def stale(self, part: AttachmentPart) -> bool:
        """Another part, or its linked file was read since the preview was made."""
        return self.part != part or (self.preview is not None
                                     and self.preview.kind == "linked"
                                     and not self.preview.attachment.linked)


SECTIONS = {"text": TextSection, "reasoning": ReasoningSection, "tool_call": ToolCallSection,
            "tool_result": ToolResultSection, "attachment": AttachmentSection}


class PartDetailEditor(QWidget):
    row_shown = Signal(int)  # -1 when no row
    link_load_requested = Signal(object)  # an attachment whose linked file the user allows

    def __init__(self, editor: DocumentEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.document = editor.document
        self.updating = 0  # > 0 while we write into the fields ourselves
        self._row_id: int | None = None
        self.sections: list[PartSection] = []
        # Tool-call arguments typed but not valid JSON, by (row id, part index): shown again
        # when their row is, and they stop a Send, so leaving the row loses nothing silently.
        self.unsaved: dict[tuple[int | None, int], str] = {}
        self.loader = AttachmentLoader(editor, self)

        self.title = QLabel("No row selected")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QToolButton()
        self.add_button.setText("Add part")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_text_action = QAction("Text", self)
        self.add_tool_call_action = QAction("Tool call", self)
        self.add_tool_result_action = QAction("Tool result", self)
        self.attach_action = QAction("Attach files…", self)
        for action in (self.add_text_action, self.add_tool_call_action,
                       self.add_tool_result_action, self.attach_action):
            menu.addAction(action)
        self.add_button.setMenu(menu)
        self.add_text_action.triggered.connect(lambda: self._add_part(TextPart()))
        self.add_tool_call_action.triggered.connect(lambda: self._add_part(ToolCallPart()))
        self.add_tool_result_action.triggered.connect(self._add_tool_result)
        self.attach_action.triggered.connect(self._pick_files)

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.add_button)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)
        self.document.subscribe(self._on_document_changed)
        self._rebuild()

    # -- public -------------------------------------------------------------------------------

    @property
    def row(self) -> int:
        if self._row_id is None:
            return -1
        found = self.document.index_of(self._row_id)
        return -1 if found is None else found

    def show_row(self, row: int) -> None:
        valid = 0 <= row < len(self.document)
        new_id = self.document.row_id(row) if valid else None
        if new_id == self._row_id and self.sections:
            return
        self._row_id = new_id
        self._rebuild()

    def focus_part(self, part_index: int) -> None:
        """Scroll to one part's section and put the keyboard where it is written (a click on
        an attachment chip in the table, a problem found, a tool result to fill in)."""
        if 0 <= part_index < len(self.sections):
            section = self.sections[part_index]
            self.scroll.ensureWidgetVisible(section)
            target = (section.arguments if isinstance(section, ToolCallSection) else
                      section.output if isinstance(section, ToolResultSection) else section)
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def first_problem(self) -> tuple[int, int, str] | None:
        """(row, part index, text) of the first tool-call arguments typed here that are not a
        JSON object, so not in the message (this row's first); None when all are saved."""
        for section in self.sections:
            if isinstance(section, ToolCallSection) and section.arguments_error:
                return self.row, section.index, section.arguments_error
        for (row_id, part_index), text in list(self.unsaved.items()):
            row = self.document.index_of(row_id) if row_id is not None else None
            parts = self.document.message(row).parts if row is not None else []
            _value, problem = json_problem(text)
            if problem is None or part_index >= len(parts) or \
                    not isinstance(parts[part_index], ToolCallPart):
                del self.unsaved[(row_id, part_index)]  # the row or part is gone
                continue
            return row, part_index, f"Arguments not saved: {problem}"
        return None

    def message(self) -> Message | None:
        row = self.row
        return self.document.message(row) if row >= 0 else None

    def earlier_calls(self) -> list[ToolCallPart]:
        """Tool calls in this row and the rows before it (what a result can answer)."""
        row = self.row
        calls = []
        for r in range(max(row + 1, 0)):
            calls.extend(p for p in self.document.message(r).parts
                         if isinstance(p, ToolCallPart))
        return calls

    def commit_part(self, index: int, part, text: str, field: str) -> None:
        row = self.row
        if row < 0:
            return
        self.updating += 1  # our own edit comes back as RowChanged: the fields are current
        try:
            self.editor.replace_part(row, index, part, text, merge=field)
        finally:
            self.updating -= 1

    # -- building -----------------------------------------------------------------------------

    def _clear(self) -> None:
        for section in self.sections:
            self.body_layout.removeWidget(section)
            section.hide()  # deleteLater waits for the event loop; do not show it meanwhile
            section.deleteLater()
        self.sections = []

    def _rebuild(self) -> None:
        self._clear()
        message = self.message()
        self.add_button.setEnabled(message is not None)
        if message is None:
            self._row_id = None
            self.title.setText("No row selected")
            self.row_shown.emit(-1)
            return
        self._set_title(message)
        self.updating += 1
        try:
            for i, part in enumerate(message.parts):
                section = SECTIONS[part.type](self, i, part)
                if isinstance(section, ToolCallSection) and (self._row_id, i) in self.unsaved:
                    section.arguments.setPlainText(self.unsaved[(self._row_id, i)])
                section.remove_requested.connect(self._on_section_remove_requested)
                self.body_layout.insertWidget(self.body_layout.count() - 1, section)
                self.sections.append(section)
        finally:
            self.updating -= 1
        self.row_shown.emit(self.row)

    def _set_title(self, message: Message) -> None:
        self.title.setText(f"Row {self.row + 1} · {message.role} · {len(message.parts)} part(s)")

    def _refresh(self) -> None:
        message = self.message()
        if message is None or [s.part.type for s in self.sections] != [p.type for p in
                                                                        message.parts]:
            self._rebuild()
            return
        self._set_title(message)
        self.updating += 1
        try:
            for section, part in zip(self.sections, message.parts, strict=True):
                if isinstance(section, AttachmentSection):
                    if section.stale(part):
                        self._rebuild()
                        return
                    continue
                section.update_from(part)
        finally:
            self.updating -= 1

    # -- adding and removing parts ------------------------------------------------------------

    def _add_part(self, part) -> None:
        if self.row >= 0:
            self.editor.append_part(self.row, part, f"Add {TITLES[part.type].lower()}")

    def _add_tool_result(self) -> None:
        calls = self.earlier_calls()
        answered = {p.tool_call_id for r in range(len(self.document))
                    for p in self.document.message(r).parts if isinstance(p, ToolResultPart)}
        open_calls = [c for c in calls if c.tool_call_id not in answered]
        call = open_calls[-1] if open_calls else None
        self._add_part(ToolResultPart(name=call.name if call else "",
                                      tool_call_id=call.tool_call_id if call else None))

    def _pick_files(self) -> None:
        self.loader.choose_files(self.row if self.row >= 0 else None)

    def _on_section_remove_requested(self, part_index: int) -> None:
        if self.row >= 0:
            self.editor.remove_part(self.row, part_index)

    # -- document notices ---------------------------------------------------------------------

    def _on_document_changed(self, notice: Notice) -> None:
        if isinstance(notice, Reset):
            self.unsaved.clear()  # another conversation
        if self._row_id is None:
            return
        row = self.row
        match notice:
            case RowChanged(index=i):
                if i == row and not self.updating:
                    self._refresh()
                elif i == row:
                    self._set_title(self.document.message(row))
                elif any(isinstance(s, ToolResultSection) for s in self.sections) and i < row:
                    self._refresh()  # a call id above us may have changed
            case RowsRemoved() | Reset():
                if row < 0:
                    self._rebuild()
                else:
                    self._set_title(self.document.message(row))
            case _:
                if row >= 0:
                    self._set_title(self.document.message(row))
