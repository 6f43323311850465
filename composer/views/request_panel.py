"""The request panel: provider, base URL, model and parameters, tools and response schema.

It edits ``document.conversation.settings`` only through ``document.set_settings`` (settings are
not undoable) and follows the document when it changes underneath (Open, New, Import). Fields
that do not parse are marked inline and leave the settings as they were; an empty parameter is
not sent. The model list is fetched on the qasync loop with httpx; a failure is a short inline
note and never blocks the panel.
"""

from __future__ import annotations

import asyncio
import html
import json
from functools import partial
from typing import Any

import httpx
from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.document import Document, Reset, SettingsChanged
from composer.models.errors import ComposerError
from composer.models.files import validation_location
from composer.models.provenance import SettingsProvenance
from composer.models.settings import RequestSettings, Tool
from composer.models.tool_kinds import tool_dicts, tool_problem
from composer.providers import keys, llm_plugin, presets
from composer.providers.base import SECRET_HEADERS
from composer.providers.transport import list_models
from composer.providers.trust import TrustedHosts, unconfirmed_key_target
from composer.run.prepare import find_key, needs_key
from composer.views import theme
from composer.views.trust import FileSettingsNote

REASONING_EFFORTS = ("", "minimal", "low", "medium", "high")
REPLAY_NOTE = (
    "Replay plays back a saved exchange, so Send works without a key. To ask a real model, "
    "choose its provider and <a href='keys'>add an API key…</a> (or set its environment "
    "variable, e.g. OPENAI_API_KEY), or choose Ollama, LM Studio, llama.cpp or vLLM for a "
    "server on this machine.")


def _number(text: str, kind: type, lo: float | None, hi: float | None, name: str) -> Any:
    """Parse one numeric parameter; '' means not sent. Raises ValueError with a short reason."""
    text = text.strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name}: {text!r} is not {what}") from None
    if lo is not None and value < lo or hi is not None and value > hi:
        rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name}: {value} is out of range ({rng})")
    return value


def parse_stop(text: str) -> list[str] | None:
    """A JSON array of strings, or else the text itself as the one stop sequence."""
    if not text:
        return None
    if text.lstrip().startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"stop: invalid JSON array: {exc.msg} at column {exc.colno}") from None
        if not all(isinstance(s, str) for s in value):
            raise ValueError("stop: every stop sequence must be a string")
        return value or None
    return [text]


def _load_json(text: str) -> Any:
    """An editor's JSON text; ValueError naming line and column when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}") from None


def parse_tools(text: str) -> list[Tool]:
    """The tools editor's text: a JSON array of {name, description, parameters} (function
    tools, "strict" optional) or {"type": "custom", name, description, format?}."""
    if not text.strip():
        return []
    data = _load_json(text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("$: expected a JSON array of tool definitions")
    tools = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"$[{i}]: expected an object with name, description, parameters")
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise ValueError(f"$[{i}].name: a tool needs a non-empty name")
        if "parameters" in item and not isinstance(item["parameters"], dict):
            raise ValueError(f"$[{i}].parameters: must be a JSON Schema object")
        if problem := tool_problem(item):
            raise ValueError(f"$[{i}]{problem}")
        try:
            tools.append(Tool.model_validate(item))
        except ValidationError as exc:
            where, problem = validation_location(exc)
            raise ValueError(f"$[{i}]{where[1:]}: {problem}") from None
    return tools


def parse_schema(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    data = _load_json(text)
    if not isinstance(data, dict):
        raise ValueError("$: a response schema is a JSON Schema object")
    kind = data.get("type")
    if kind is not None and not isinstance(kind, str | list):
        raise ValueError("$.type: must be a string such as \"object\"")
    if "properties" in data and not isinstance(data["properties"], dict):
        raise ValueError("$.properties: must be an object")
    return data


def parse_extra_body(text: str) -> dict[str, Any]:
    """The extra-body editor's text: a JSON object merged last into the request body."""
    if not text.strip():
        return {}
    data = _load_json(text)
    if not isinstance(data, dict):
        raise ValueError("$: the extra body is a JSON object of fields to add to the request")
    return data


def parse_headers(text: str) -> dict[str, str]:
    """The extra-headers editor's text: a JSON object of header names to string values. A key
    header is refused: keys live in the keychain, and settings are saved in files."""
    if not text.strip():
        return {}
    data = _load_json(text)
    if not isinstance(data, dict):
        raise ValueError('$: headers are a JSON object, e.g. {"X-Title": "my app"}')
    for name, value in data.items():
        if not isinstance(value, str):
            raise ValueError(f"$.{name}: a header value must be a string")
        if name.lower() in SECRET_HEADERS:
            raise ValueError(f"$.{name}: a key does not go in headers (they are saved with the "
                             "conversation); store it in Settings, in the keychain")
    return data


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) if value else ""


class RequestPanel(QWidget):
    """Edits the document's RequestSettings; ``models_loaded`` fires after a model list fetch
    (with the names, or an empty list and ``model_note`` saying why)."""

    models_loaded = Signal(list)
    settings_dialog_requested = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None, *,
                 http_client: httpx.AsyncClient | None = None):
        super().__init__(parent)
        self._document = document
        self._client = http_client
        self._updating = False
        self._fetch: asyncio.Task | None = None
        self._field_errors: dict[str, str] = {}
        # Before the panel subscribes, so the note reads the new provenance (views/trust.py).
        self.provenance = SettingsProvenance(document)
        self.key_trust: TrustedHosts | None = None  # the window's remembered hosts
        self.file_note = FileSettingsNote(document, self.provenance)
        self._note_is_problem = False  # the model note is a refused Send's problem

        self.provider_combo = QComboBox()
        for p in presets.PRESETS:
            self.provider_combo.addItem(p.title, p.name)
        self.base_url_edit = QLineEdit()
        self.base_url_edit.setClearButtonEnabled(True)
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.lineEdit().setPlaceholderText("model name")
        self.refresh_button = QToolButton()
        self.refresh_button.setText("List models")
        self.refresh_button.setToolTip("Fetch the provider's model list")
        self.model_note = QLabel()
        self.model_note.setTextFormat(Qt.TextFormat.PlainText)  # provider error messages
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        self.key_note.setTextFormat(Qt.TextFormat.RichText)
        self.key_note.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)

        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.refresh_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Provider", self.provider_combo)
        form.addRow("&Base URL", self.base_url_edit)
        form.addRow("", self.file_note)
        model_label = QLabel("&Model")
        model_label.setBuddy(self.model_combo)
        form.addRow(model_label, model_row)
        # Both notes hide when empty, so they cost no space until they have something to say.
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.model_note)
        notes_layout.addWidget(self.key_note)

        # Parameters: empty means "not sent"; the placeholder says so.
        self.temperature_edit = self._param_edit("0 – 2")
        self.max_tokens_edit = self._param_edit("e.g. 1024")
        self.top_p_edit = self._param_edit("0 – 1")
        self.stop_edit = self._param_edit('text, or ["a", "b"]')
        self.seed_edit = self._param_edit("whole number")
        self.effort_combo = QComboBox()
        for effort in REASONING_EFFORTS:
            self.effort_combo.addItem(effort or "not sent", effort)
        self.thinking_edit = self._param_edit("tokens")
        self.params_error = QLabel()
        self.params_error.setTextFormat(Qt.TextFormat.PlainText)
        self.params_error.setStyleSheet(f"color: {theme.colour('error')};")
        self.params_error.setWordWrap(True)
        params = QWidget()
        # Two columns: the results pane below needs the height more than these fields do.
        grid = QGridLayout(params)
        fields = [("Te&mperature", self.temperature_edit), ("Top &p", self.top_p_edit),
                  ("Max &tokens", self.max_tokens_edit), ("S&eed", self.seed_edit),
                  ("&Reasoning effort", self.effort_combo),
                  ("Thinking &budget", self.thinking_edit), ("&Stop", self.stop_edit)]
        for i, (text, field) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(field)
            row, col = divmod(i, 2)
            grid.addWidget(label, row, col * 2)
            grid.addWidget(field, row, col * 2 + 1, 1, 3 if i == len(fields) - 1 else 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.addWidget(self.params_error, len(fields) // 2 + 1, 0, 1, 4)
        grid.setRowStretch(len(fields) // 2 + 2, 1)

        self.tools_edit = self._json_edit(
            '[{"name": "get_weather", "description": "…", "parameters": {"type": "object", '
            '"properties": {"city": {"type": "string"}}}, "strict": false}, '
            '{"type": "custom", "name": "code_exec", "description": "Runs Python"}]')
        self.tools_edit.setAccessibleName("Tools (JSON)")
        self.tools_error = QLabel()
        self.schema_edit = self._json_edit('{"type": "object", "properties": {…}}')
        self.schema_edit.setAccessibleName("Response schema (JSON)")
        self.schema_error = QLabel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(params, "Parameters")
        self.tabs.addTab(self._with_error(self.tools_edit, self.tools_error), "Tools")
        self.tabs.addTab(self._with_error(self.schema_edit, self.schema_error), "Response schema")
        self.extra_body_edit = self._json_edit(
            '{"top_k": 40}  (raw JSON merged last into the request body; null removes a field)')
        self.extra_body_edit.setAccessibleName("Extra body (JSON)")
        self.extra_body_error = QLabel()
        self.headers_edit = self._json_edit('{"HTTP-Referer": "https://example.org"}')
        self.headers_edit.setAccessibleName("Extra headers (JSON)")
        self.headers_error = QLabel()
        extra = QWidget()
        extra_layout = QVBoxLayout(extra)
        extra_layout.setContentsMargins(0, 0, 0, 0)
        extra_layout.addWidget(QLabel("Extra body"))
        extra_layout.addWidget(self._with_error(self.extra_body_edit, self.extra_body_error), 1)
        extra_layout.addWidget(QLabel("Extra headers"))
        extra_layout.addWidget(self._with_error(self.headers_edit, self.headers_error), 1)
        self.tabs.addTab(extra, "Extra")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(form)
        layout.addWidget(notes)
        layout.addWidget(self.tabs, 1)

        self._load_from_settings()
        self.provider_combo.currentIndexChanged.connect(self._on_provider_changed)
        self.base_url_edit.editingFinished.connect(self._on_base_url_edited)
        self.model_combo.currentTextChanged.connect(self._on_model_edited)
        self.refresh_button.clicked.connect(self.refresh_models)
        self.key_note.linkActivated.connect(lambda _link: self.settings_dialog_requested.emit())
        for edit in (self.temperature_edit, self.max_tokens_edit, self.top_p_edit,
                     self.stop_edit, self.seed_edit, self.thinking_edit):
            edit.textChanged.connect(self._on_params_edited)
        self.effort_combo.currentIndexChanged.connect(self._on_params_edited)
        for edit, error, parse, field, title in (
                (self.tools_edit, self.tools_error, parse_tools, "tools", "Tools"),
                (self.schema_edit, self.schema_error, parse_schema, "response_schema",
                 "Response schema"),
                (self.extra_body_edit, self.extra_body_error, parse_extra_body, "extra_body",
                 "Extra body"),
                (self.headers_edit, self.headers_error, parse_headers, "headers",
                 "Extra headers")):
            edit.textChanged.connect(partial(self._on_json_edited, edit, error, parse, field,
                                             title))
        document.subscribe(self._on_document_changed)
        self.destroyed.connect(lambda *_: self._cancel_fetch())

    # -- building blocks ----------------------------------------------------------------------

    @staticmethod
    def _param_edit(placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(f"not sent ({placeholder})")
        return edit

    @staticmethod
    def _json_edit(placeholder: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)
        edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        return edit

    @staticmethod
    def _with_error(editor: QWidget, label: QLabel) -> QWidget:
        label.setTextFormat(Qt.TextFormat.PlainText)  # quotes the user's or a file's JSON
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {theme.colour('error')};")
        label.hide()
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(editor, 1)
        lay.addWidget(label)
        return box

    # -- reading the document -----------------------------------------------------------------

    @property
    def settings(self) -> RequestSettings:
        return self._document.conversation.settings

    def preset(self) -> presets.Preset:
        try:
            return presets.resolve(self.settings.provider)
        except presets.UnknownProvider:
            return presets.resolve("custom")

    def _load_from_settings(self) -> None:
        self._updating = True
        try:
            s = self.settings
            preset = self.preset()
            i = self.provider_combo.findData(preset.name)
            self.provider_combo.setCurrentIndex(max(i, 0))
            self.base_url_edit.setText(s.base_url or "")
            self.base_url_edit.setPlaceholderText(preset.base_url or
                                                  ("not needed" if preset.protocol == "replay"
                                                   else "http://host:port/v1"))
            self.model_combo.setEditText(s.model)
            o = s.options
            self.temperature_edit.setText(_plain(o.get("temperature")))
            self.max_tokens_edit.setText(_plain(o.get("max_tokens")))
            self.top_p_edit.setText(_plain(o.get("top_p")))
            stop = o.get("stop")
            if isinstance(stop, list) and len(stop) == 1 and isinstance(stop[0], str):
                stop = stop[0]
            self.stop_edit.setText(stop if isinstance(stop, str) else _dumps(stop) if stop else "")
            self.seed_edit.setText(_plain(o.get("seed")))
            j = self.effort_combo.findData(o.get("reasoning_effort") or "")
            self.effort_combo.setCurrentIndex(max(j, 0))
            self.thinking_edit.setText(_plain(o.get("thinking_budget")))
            self.tools_edit.setPlainText(
                _dumps(tool_dicts(s.tools)) if s.tools else "")
            self.schema_edit.setPlainText(_dumps(s.response_schema))
            self.extra_body_edit.setPlainText(_dumps(s.extra_body))
            self.headers_edit.setPlainText(_dumps(s.headers))
            for label in (self.tools_error, self.schema_error, self.params_error,
                          self.extra_body_error, self.headers_error):
                _show(label, "")
            self._field_errors.clear()
        finally:
            self._updating = False
        self._update_key_note()

    def _update_key_note(self) -> None:
        preset = self.preset()
        if preset.protocol == "replay":
            self.key_note.setText(REPLAY_NOTE)
            self.key_note.show()
            return
        if not needs_key(preset):
            self.key_note.hide()
            return
        found = find_key(preset)
        if found:
            self.key_note.hide()
            return
        self.key_note.setText(
            f"{html.escape(keys.missing_key_message(preset), quote=False)}. <a href='keys'>Add a key…</a>")
        self.key_note.show()

    def show_field_problem(self, field_name: str | None, text: str) -> None:
        """A problem found before sending, shown at its field (key, base URL, provider...)."""
        if field_name == "API key":
            self._update_key_note()
            return
        if field_name in ("tools", "response schema", "parameters"):
            return  # already shown under that editor
        self._set_model_note(text)
        self._note_is_problem = True
        if field_name == "base URL":
            self.base_url_edit.setFocus()

    def commit_typing(self) -> str | None:
        """Save a base URL still being typed (the field saves when editing finishes) before a
        Send reads the settings; why it cannot be saved, when it cannot."""
        typed = self.base_url_edit.text().strip() or None
        if typed == self.settings.base_url:
            return None
        self._on_base_url_edited()
        return None if typed == self.settings.base_url else self.model_note.text() or \
            f"Base URL: {typed!r} is not saved"

    def clear_field_problem(self) -> None:
        """A refused Send's note goes once the field changes, a Send goes through, or another
        conversation comes in: it spoke of a state that is gone."""
        if self._note_is_problem:
            self._set_model_note("")

    def _set_model_note(self, text: str) -> None:
        self._note_is_problem = False
        _show(self.model_note, text)

    def first_problem(self) -> tuple[str, str] | None:
        """(field name, text) for the first editor whose text is not valid, with its tab brought
        forward; None when every one parses. Send refuses while there is one."""
        for label, tab, name in ((self.tools_error, 1, "tools"),
                                 (self.schema_error, 2, "response schema"),
                                 (self.extra_body_error, 3, "extra body"),
                                 (self.headers_error, 3, "extra headers"),
                                 (self.params_error, 0, "parameters")):
            if label.text():
                self.tabs.setCurrentIndex(tab)
                return name, label.text()
        return None

    # -- writing the document -----------------------------------------------------------------

    def _write(self, **changes: Any) -> None:
        self._updating = True
        try:
            self._document.set_settings(self.settings.model_copy(update=changes))
        finally:
            self._updating = False

    def _on_document_changed(self, notice: object) -> None:
        if isinstance(notice, Reset):
            self.clear_field_problem()
        if isinstance(notice, Reset | SettingsChanged) and not self._updating:
            self._load_from_settings()

    def _on_provider_changed(self, _index: int) -> None:
        if self._updating:
            return
        name = self.provider_combo.currentData()
        preset = presets.resolve(name)
        self._cancel_fetch()
        self._set_model_note("")
        self.model_combo.clear()
        # A base URL typed for another provider would send this provider's request elsewhere.
        self._write(provider=name, base_url=None)
        self._load_from_settings()

        if preset.needs_base_url:
            # Focus stays in the combo: moving it would send the rest of a typed search
            # ("Custom") into the base URL field. The note says what is missing instead.
            self._set_model_note(f"{preset.title} needs the server's base URL "
                                 "(e.g. http://localhost:8000/v1).")
            self._note_is_problem = True  # gone once a base URL is typed
        self._fetch_models_if_reachable()

    def _on_base_url_edited(self) -> None:
        if self._updating:
            return
        self.clear_field_problem()
        url = self.base_url_edit.text().strip() or None
        if url and not url.startswith(("http://", "https://")):
            self._set_model_note(f"Base URL: {url!r} must start with http:// or https://")
            return
        if url != self.settings.base_url:
            self._write(base_url=url)
            self._fetch_models_if_reachable()

    def _on_model_edited(self, text: str) -> None:
        if not self._updating:
            self.clear_field_problem()
        if not self._updating and text.strip() != self.settings.model:
            self._write(model=text.strip())

    def _on_params_edited(self, *_args: object) -> None:
        if self._updating:
            return
        options = {k: v for k, v in self.settings.options.items()}
        fields = {
            "temperature": lambda: _number(self.temperature_edit.text(), float, 0, 2,
                                           "temperature"),
            "max_tokens": lambda: _number(self.max_tokens_edit.text(), int, 1, None,
                                          "max tokens"),
            "top_p": lambda: _number(self.top_p_edit.text(), float, 0, 1, "top p"),
            "stop": lambda: parse_stop(self.stop_edit.text()),
            "seed": lambda: _number(self.seed_edit.text(), int, None, None, "seed"),
            "reasoning_effort": lambda: self.effort_combo.currentData() or None,
            "thinking_budget": lambda: _number(self.thinking_edit.text(), int, 0, None,
                                               "thinking budget"),
        }
        errors = []
        for name, parse in fields.items():
            try:
                value = parse()
            except ValueError as exc:
                errors.append(str(exc))
                continue  # keep the last good value
            if value is None:
                options.pop(name, None)
            else:
                options[name] = value
        _show(self.params_error, "\n".join(errors))
        if options != self.settings.options:
            self._write(options=options)

    def _on_json_edited(self, edit: QPlainTextEdit, error: QLabel, parse, field: str,
                        title: str) -> None:
        """A JSON editor changed: store the parsed value, or show why it is not valid."""
        if self._updating:
            return
        try:
            value = parse(edit.toPlainText())
        except ValueError as exc:
            _show(error, f"{title}: {exc}")
            return
        _show(error, "")
        if value != getattr(self.settings, field):
            self._write(**{field: value})

    # -- the model list -----------------------------------------------------------------------

    def _fetch_models_if_reachable(self) -> None:
        """Fill the model list on its own when the provider can answer: a local or custom
        server, or a hosted one with a key. Only in the app (with its HTTP client and loop)."""
        if self._client is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        preset = self.preset()
        if preset.protocol == "replay" or not (self.settings.base_url or preset.base_url):
            return
        if needs_key(preset) and not find_key(preset).key:
            return
        self.refresh_models()

    def refresh_models(self) -> asyncio.Task:
        """Start fetching the model list; a newer fetch cancels an older one."""
        self._cancel_fetch()
        self._set_model_note("Fetching models…")
        self.refresh_button.setEnabled(False)
        self._fetch = asyncio.ensure_future(self._fetch_models())
        return self._fetch

    def _cancel_fetch(self) -> None:
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        self._fetch = None

    async def _fetch_models(self) -> None:
        names: list[str] = []
        try:
            names = await self._request_models()
            note = f"{len(names)} models" if names else "The provider listed no models."
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure is a short note, never a crash
            note = _fetch_failure(exc)
        finally:
            self.refresh_button.setEnabled(True)
        current = self.model_combo.currentText()
        self._updating = True
        try:
            self.model_combo.clear()
            self.model_combo.addItems(names)
            self.model_combo.setEditText(current)
        finally:
            self._updating = False
        self._set_model_note(note)
        self.models_loaded.emit(names)

    async def _request_models(self) -> list[str]:
        preset = self.preset()
        if preset.protocol == "replay":
            raise _Note("Replay plays back a saved exchange; it has no model list.")
        if preset.protocol == llm_plugin.NAME:  # every installed llm plugin's models
            if not llm_plugin.available():
                raise _Note("The llm provider needs llm installed: pip install llm")
            return await llm_plugin.in_thread(llm_plugin.list_models)
        base_url = self.settings.base_url or preset.base_url
        if not base_url:
            raise _Note("Enter the server's base URL first.")
        key = find_key(preset).key
        if needs_key(preset) and not key:
            raise _Note(keys.missing_key_message(preset))
        target = unconfirmed_key_target(preset, base_url, key,
                                        chosen=self.provenance.base_url_chosen,
                                        trusted=self.key_trust)
        if target is not None:
            raise _Note("Could not list models: " + target.refusal("Send once to confirm it"))
        try:
            names = await list_models(preset, base_url=base_url, api_key=key,
                                      client=self._client)
        except ComposerError as exc:  # the transport's one wording (RequestRefused, CallFailed)
            raise _Note(f"Could not list models: {exc}") from None
        except (NotImplementedError, ImportError):
            raise _Note("This provider cannot list its models; type a model name.") from None
        return sorted(names)


class _Note(Exception):
    """A model-list failure worded for the user already."""


def _fetch_failure(exc: Exception) -> str:
    if isinstance(exc, _Note):
        return str(exc)
    return f"Could not list models: {type(exc).__name__}: {exc}"


def _show(label: QLabel, text: str) -> None:
    """A note or error label: its text, shown only when there is one."""
    label.setText(text)
    label.setVisible(bool(text))


def _plain(value: Any) -> str:
    return "" if value is None else str(value)

