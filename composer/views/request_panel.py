"""The request panel: provider, base URL, model and parameters, tools and response schema.

It edits ``document.conversation.settings`` only through ``document.set_settings`` (settings are
not undoable) and follows the document when it changes underneath (Open, New, Import). Fields
that do not parse are marked inline and leave the settings as they were; an empty parameter is
not sent. The model list is fetched on the qasync loop with httpx; a failure is a short inline
note and never blocks the panel.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.models.document import Document, Reset, SettingsChanged
from composer.models.problems import Field, Problem
from composer.models.provenance import SettingsProvenance
from composer.models.settings import RequestSettings
from composer.providers import keys, presets
from composer.providers.trust import TrustedHosts
from composer.run.model_list import failure_note, offered_models
from composer.run.prepare import needs_key
from composer.views import keychain, variables_panel
from composer.views.lazy import LazyPage
from composer.views.setting_editors import JsonEditor, ParamsEditor, show_text
from composer.views.trust import FileSettingsNote
from composer.views.variables_panel import VariablesPanel
from composer.views.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    import asyncio

    import httpx

JSON_FIELDS = (Field.TOOLS, Field.RESPONSE_SCHEMA, Field.EXTRA_BODY, Field.HEADERS)  # tab order
REPLAY_NOTE = (
    "Replay plays back a saved exchange, so Send works without a key. To ask a real model, "
    "choose its provider and <a href='keys'>add an API key…</a> (or set its environment "
    "variable, e.g. OPENAI_API_KEY), or choose Ollama, LM Studio, llama.cpp or vLLM for a "
    "server on this machine.")


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
        # Before the panel subscribes, so the note reads the new provenance (views/trust.py).
        self.provenance = SettingsProvenance(document)
        self.key_trust: TrustedHosts | None = None  # the window's remembered hosts
        self.file_note = FileSettingsNote(document, self.provenance)
        self._note_is_problem = False  # the model note is a refused Send's problem
        self._asking_keychain = False
        self._fetch_after_keychain = False  # the key decides whether the list can be fetched

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(self._build_form())
        layout.addWidget(self._build_notes())
        layout.addWidget(self._build_tabs(), 1)

        self._load_from_settings()
        self.provider_combo.currentIndexChanged.connect(self._on_provider_changed)
        self.base_url_edit.editingFinished.connect(self._on_base_url_edited)
        self.model_combo.currentTextChanged.connect(self._on_model_edited)
        self.refresh_button.clicked.connect(self.refresh_models)
        self.key_note.linkActivated.connect(lambda _link: self.settings_dialog_requested.emit())
        self.params.edited.connect(self._on_params_edited)
        document.subscribe(self._on_document_changed)
        self.destroyed.connect(lambda *_: self._cancel_fetch())

    # -- building blocks ----------------------------------------------------------------------

    def _build_form(self) -> QFormLayout:
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
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.refresh_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Provider", self.provider_combo)
        form.addRow("&Base URL", self.base_url_edit)
        # A row of its own, as the key note's: in the field column QFormLayout sized it by its
        # hint (three lines tall for one line of text), not by its height at its width.
        form.addRow(self.file_note)
        model_label = QLabel("&Model")
        model_label.setBuddy(self.model_combo)
        form.addRow(model_label, model_row)
        return form

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """At least the height its wrapped notes take at its width: a splitter sizes the panel
        by this, and a hint that counted a note at its widest squeezed the parameters below
        theirs (seen at 1024×640: the fields cut in half)."""
        hint = super().minimumSizeHint()
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth() and self.width() > 0:
            hint.setHeight(max(hint.height(), layout.totalMinimumHeightForWidth(self.width())))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the notes wrap anew: the splitter asks again

    def _build_notes(self) -> QWidget:
        self.model_note = WrappedLabel()
        self.model_note.setTextFormat(Qt.TextFormat.PlainText)  # provider error messages
        self.model_note.hide()
        self.key_note = WrappedLabel()
        self.key_note.setTextFormat(Qt.TextFormat.RichText)
        self.key_note.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        # Both notes hide when empty, so they cost no space until they have something to say.
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addWidget(self.model_note)
        notes_layout.addWidget(self.key_note)
        return notes

    def _build_tabs(self) -> QTabWidget:
        """Parameters, shown first, is built now; the other tabs when first shown or used."""
        self.params = ParamsEditor()
        fields = self.params.fields
        self.temperature_edit, self.max_tokens_edit = fields["temperature"], fields["max_tokens"]
        self.top_p_edit, self.stop_edit = fields["top_p"], fields["stop"]
        self.seed_edit, self.thinking_edit = fields["seed"], fields["thinking_budget"]
        self.effort_combo = fields["reasoning_effort"]
        self.params_error = self.params.error
        # The JSON editors built so far (``json_editors`` builds them all).
        self._json_editors: dict[Field, JsonEditor] = {}
        self._strict_check: QCheckBox | None = None
        tools = LazyPage(lambda layout: self._add_editor(layout, Field.TOOLS))
        schema_page = LazyPage(self._build_schema_page)
        extra = LazyPage(self._build_extra_page)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.params, "Parameters")
        self.tabs.addTab(tools, "Tools")
        self.tabs.addTab(schema_page, "Response schema")
        self.tabs.addTab(extra, "Extra")
        self.variables = VariablesPanel(self._document)
        self.tabs.addTab(self.variables, variables_panel.tab_title(0, 0))
        self.variables.count_changed.connect(
            lambda used, missing: self.tabs.setTabText(self.tabs.indexOf(self.variables),
                                                       variables_panel.tab_title(used, missing)))
        self.variables.refresh()
        # The tab page each editor's field is on.
        self._lazy_pages: dict[Field, LazyPage] = {
            Field.TOOLS: tools, Field.RESPONSE_SCHEMA: schema_page,
            Field.EXTRA_BODY: extra, Field.HEADERS: extra}
        return self.tabs

    def _add_editor(self, layout: QVBoxLayout, field: Field, label: str = "") -> None:
        """``field``'s JSON editor, loaded from the settings and wired, into ``layout``."""
        editor = self._json_editors[field] = JsonEditor(field)
        self._load_editor(editor)
        editor.edited.connect(lambda value: self._on_json_edited(editor, value))
        if label:
            layout.addWidget(QLabel(label))
        layout.addWidget(editor, 1)

    def _build_schema_page(self, layout: QVBoxLayout) -> None:
        self._add_editor(layout, Field.RESPONSE_SCHEMA)
        # OpenAI's strict mode: beside the schema it applies to.
        check = self._strict_check = QCheckBox("Stri&ct: the reply must follow the schema exactly")
        check.setToolTip(
            "Sent as OpenAI's strict: true (Chat Completions and Responses). Anthropic's "
            "structured output always follows the schema; Gemini has no strict mode.")
        self._load_strict()
        check.toggled.connect(self._on_strict_toggled)
        layout.addWidget(check)

    def _build_extra_page(self, layout: QVBoxLayout) -> None:
        # Side by side: stacked, the two would make the tabs taller than Parameters does, and
        # the panel would grow the first time this tab is shown.
        row = QHBoxLayout()
        layout.addLayout(row, 1)
        for field, label in ((Field.EXTRA_BODY, "Extra body"), (Field.HEADERS, "Extra headers")):
            column = QVBoxLayout()
            self._add_editor(column, field, label)
            row.addLayout(column, 1)

    # The tabs' widgets, built first if their tab has not been shown yet.
    @property
    def json_editors(self) -> dict[Field, JsonEditor]:
        for page in self._lazy_pages.values():
            page.built()
        return self._built_editors()

    def _built_editors(self) -> dict[Field, JsonEditor]:
        """The JSON editors built so far, in the order of the tabs."""
        return {f: self._json_editors[f] for f in JSON_FIELDS if f in self._json_editors}

    @property
    def strict_check(self) -> QCheckBox:
        self._lazy_pages[Field.RESPONSE_SCHEMA].built()
        assert self._strict_check is not None
        return self._strict_check

    tools_edit = property(lambda self: self.json_editors[Field.TOOLS].edit)
    tools_error = property(lambda self: self.json_editors[Field.TOOLS].error)
    schema_edit = property(lambda self: self.json_editors[Field.RESPONSE_SCHEMA].edit)
    schema_error = property(lambda self: self.json_editors[Field.RESPONSE_SCHEMA].error)
    extra_body_edit = property(lambda self: self.json_editors[Field.EXTRA_BODY].edit)
    extra_body_error = property(lambda self: self.json_editors[Field.EXTRA_BODY].error)
    headers_edit = property(lambda self: self.json_editors[Field.HEADERS].edit)
    headers_error = property(lambda self: self.json_editors[Field.HEADERS].error)

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
            self.params.load(s.options)
            for editor in self._json_editors.values():  # the others load when they are built
                editor.load(getattr(s, editor.attribute))
            if self._strict_check is not None:
                self._strict_check.setChecked(bool(s.schema_strict))
        finally:
            self._updating = False
        self._update_key_note()

    def _load_editor(self, editor: JsonEditor) -> None:
        self._updating = True
        try:
            editor.load(getattr(self.settings, editor.attribute))
        finally:
            self._updating = False

    def _load_strict(self) -> None:
        self._updating = True
        try:
            self._strict_check.setChecked(bool(self.settings.schema_strict))
        finally:
            self._updating = False

    def _update_key_note(self) -> None:
        preset = self.preset()
        if preset.protocol == "replay":
            self.key_note.setText(REPLAY_NOTE)
            self.key_note.show()
            return
        if not needs_key(preset):
            self.key_note.hide()
            return
        found = keys.known_key(preset)
        if found is None:  # the keychain is asked on a worker: the note follows its answer
            self.key_note.hide()
            self._ask_keychain(preset)
            return
        if found:
            self.key_note.hide()
            return
        self.key_note.setText(
            f"{html.escape(keys.missing_key_message(preset), quote=False)}. "
            "<a href='keys'>Add a key…</a>")
        self.key_note.show()

    def _ask_keychain(self, preset: presets.Preset) -> None:
        if not self._asking_keychain:  # one at a time: its answer serves the provider then shown
            self._asking_keychain = True
            keychain.ask(self, preset, self._keychain_answered)

    def _keychain_answered(self, _found: object) -> None:
        self._asking_keychain = False
        self._update_key_note()
        if self._fetch_after_keychain:
            self._fetch_after_keychain = False
            self._fetch_models_if_reachable()

    # -- problems -----------------------------------------------------------------------------

    def _page(self, field: Field | None) -> QWidget | None:
        """The tab page that edits ``field`` (None for a field above the tabs, or none)."""
        if field in self._lazy_pages:
            return self._lazy_pages[field].built()
        if field is Field.VARIABLES:
            return self.variables
        return self.params if self.params.widget_for(field) is not None else None

    def show_field_problem(self, field: Field | None, text: str) -> None:
        """A problem found before sending, shown at its field: the key note for the key, the
        editor that already shows it brought forward, else the note above the tabs."""
        if field is Field.API_KEY:
            self._update_key_note()
            return
        page = self._page(field)
        if page is not None:
            self.tabs.setCurrentWidget(page)
            if self._shown_problem(field) is not None:
                return  # already shown under its editor
        self._set_model_note(text)
        self._note_is_problem = True
        if field is Field.BASE_URL:
            self.base_url_edit.setFocus()

    def _shown_problem(self, field: Field) -> Problem | None:
        if field in self._lazy_pages:  # an editor not built yet shows the settings: no problem
            editor = self._json_editors.get(field)
            return editor.problem if editor is not None else None
        return next((p for p in self.params.problems if p.field is field), None)

    def problems(self) -> list[Problem]:
        """Every editor's problem (its text does not parse), in the order of the tabs."""
        shown = [e.problem for e in self._built_editors().values()] + self.params.problems
        return [p for p in shown if p is not None]

    def focus_field(self, field: Field | None) -> None:
        """Bring the editor of ``field`` forward and put the focus in it."""
        page = self._page(field)
        if page is not None:
            self.tabs.setCurrentWidget(page)
        if field is Field.API_KEY:
            self._update_key_note()
        above = {Field.PROVIDER: self.provider_combo, Field.BASE_URL: self.base_url_edit,
                 Field.MODEL: self.model_combo}
        widget = above.get(field) or self.params.widget_for(field) or (
            self.json_editors[field].edit if field in self._lazy_pages else None)
        if widget is not None:
            widget.setFocus()

    def first_problem(self) -> tuple[Field, str] | None:
        """(field, problem) for the first editor whose text is not valid, with its tab brought
        forward; None when every one parses. Send refuses while there is one."""
        shown = [e.problem for e in self._built_editors().values()] + self.params.problems
        problem = next((p for p in shown if p is not None), None)
        if problem is None:
            return None
        self.tabs.setCurrentWidget(self._page(problem.field))
        return problem.field, problem.text

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
        show_text(self.model_note, text)

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

    def _on_params_edited(self) -> None:
        if self._updating:
            return
        options = self.params.read(self.settings.options)
        if options != self.settings.options:
            self._write(options=options)

    def _on_strict_toggled(self, on: bool) -> None:
        # Unchecked is "not sent" (the provider's default), as an empty parameter is.
        if not self._updating and (on or None) != self.settings.schema_strict:
            self._write(schema_strict=on or None)

    def _on_json_edited(self, editor: JsonEditor, value: Any) -> None:
        """A JSON editor's text parsed: store it (its problems show under the editor)."""
        if not self._updating and value != getattr(self.settings, editor.attribute):
            self._write(**{editor.attribute: value})

    # -- the model list -----------------------------------------------------------------------

    def use_client(self, http_client: httpx.AsyncClient | None) -> None:
        self._client = http_client

    def _fetch_models_if_reachable(self) -> None:
        """Fill the model list on its own when the provider can answer: a local or custom
        server, or a hosted one with a key. Only in the app (with its HTTP client and loop)."""
        import asyncio

        if self._client is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        preset = self.preset()
        if preset.protocol == "replay" or not (self.settings.base_url or preset.base_url):
            return
        if needs_key(preset):
            found = keys.known_key(preset)
            if found is None:  # asked on a worker: the list is fetched once it answers
                self._fetch_after_keychain = True
                self._ask_keychain(preset)
            if not found:
                return
        self.refresh_models()

    def refresh_models(self) -> asyncio.Task:
        """Start fetching the model list; a newer fetch cancels an older one."""
        import asyncio

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
        import asyncio

        names: list[str] = []
        try:
            names = await self._request_models()
            note = f"{len(names)} models" if names else "The provider listed no models."
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure is a short note, never a crash
            note = failure_note(exc)
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
        return await offered_models(self.preset(), self.settings.base_url,
                                    chosen=self.provenance.base_url_chosen,
                                    trusted=self.key_trust, client=self._client)
