"""The request panel edits the document's settings through real widgets; the model list comes
from a real HTTP server on the loopback interface."""

from __future__ import annotations

import asyncio
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from composer.models.conversation import Conversation
from composer.models.document import Document, ReplaceAll
from composer.models.problems import Field
from composer.models.setting_json import parse_tools
from composer.models.settings import RequestSettings
from composer.providers.base import RequestRefused
from composer.providers.http import new_client
from composer.views.request_panel import RequestPanel
from composer.views.settings_dialog import SettingsDialog
from tests.loopback import Reply


@pytest.fixture
def document():
    return Document(Conversation())


@pytest.fixture
def panel(qtbot, document):
    widget = RequestPanel(document)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _type(qtbot, edit, text):
    edit.clear()
    qtbot.keyClicks(edit, text)


def _choose_provider(panel, name):
    panel.provider_combo.setCurrentIndex(panel.provider_combo.findData(name))


def test_parameters_typed_are_stored_under_neutral_names(qtbot, panel, document):
    _type(qtbot, panel.temperature_edit, "0.7")
    _type(qtbot, panel.max_tokens_edit, "512")
    _type(qtbot, panel.stop_edit, '["END", "###"]')
    panel.effort_combo.setCurrentIndex(panel.effort_combo.findData("high"))
    assert document.conversation.settings.options == {
        "temperature": 0.7, "max_tokens": 512, "stop": ["END", "###"],
        "reasoning_effort": "high"}
    # Emptying a field means "not sent".
    panel.temperature_edit.clear()
    assert "temperature" not in document.conversation.settings.options


def test_a_bad_parameter_is_marked_inline_and_keeps_the_last_good_value(qtbot, panel, document):
    _type(qtbot, panel.temperature_edit, "1")
    qtbot.keyClicks(panel.temperature_edit, "x")
    assert panel.params_error.isVisible()
    assert "temperature" in panel.params_error.text() and "'1x'" in panel.params_error.text()
    assert document.conversation.settings.options["temperature"] == 1.0
    _type(qtbot, panel.temperature_edit, "3")
    assert "out of range" in panel.params_error.text()
    _type(qtbot, panel.temperature_edit, "0.2")
    assert not panel.params_error.isVisible()
    assert document.conversation.settings.options["temperature"] == 0.2


def test_tools_are_validated_as_you_type(qtbot, panel, document):
    panel.tabs.setCurrentIndex(1)
    panel.tools_edit.setPlainText('[{"name": "get_weather", "parameters": ')
    assert panel.tools_error.isVisible()
    assert "line 1 column" in panel.tools_error.text()
    assert document.conversation.settings.tools == []
    panel.tools_edit.setPlainText('[{"description": "no name"}]')
    assert "$[0].name" in panel.tools_error.text()
    tool = {"name": "get_weather", "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    panel.tools_edit.setPlainText(json.dumps([tool]))
    assert not panel.tools_error.isVisible()
    assert [t.to_dict() for t in document.conversation.settings.tools] == [tool]


def test_parse_tools_names_the_bad_field():
    with pytest.raises(ValueError, match=r"\$\[1\]\.parameters"):
        parse_tools('[{"name": "a"}, {"name": "b", "parameters": []}]')


def test_response_schema_must_be_an_object(qtbot, panel, document):
    panel.tabs.setCurrentIndex(2)
    panel.schema_edit.setPlainText("[1, 2]")
    assert "JSON Schema object" in panel.schema_error.text()
    assert document.conversation.settings.response_schema is None
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    panel.schema_edit.setPlainText(json.dumps(schema))
    assert not panel.schema_error.isVisible()
    assert document.conversation.settings.response_schema == schema


def test_a_provider_without_a_key_says_how_to_add_one(qtbot, panel, document, monkeypatch):
    _choose_provider(panel, "anthropic")
    assert document.conversation.settings.provider == "anthropic"
    qtbot.waitUntil(panel.key_note.isVisible)  # once the keychain answered, on a worker
    assert "ANTHROPIC_API_KEY" in panel.key_note.text()
    with qtbot.waitSignal(panel.settings_dialog_requested):
        panel.key_note.linkActivated.emit("keys")
    _choose_provider(panel, "ollama")
    assert not panel.key_note.isVisible()  # local: no key needed
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    _choose_provider(panel, "anthropic")
    assert not panel.key_note.isVisible()


def test_whether_there_is_a_keychain_is_first_asked_on_the_keychains_worker(
        qtbot, panel, monkeypatch):
    """A missing key's note says whether a keychain could keep one: keyring's first answer to
    that (its fallback backends imported, ~12 ms) comes on the worker that asked for the key,
    so the note's own ask on the GUI thread finds it ready."""
    import threading

    from composer.providers import session_keys

    asked = []

    def available():
        asked.append(threading.current_thread() is threading.main_thread())
        return False

    monkeypatch.setattr(session_keys, "keychain_available", available)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    _choose_provider(panel, "anthropic")
    qtbot.waitUntil(panel.key_note.isVisible)
    assert asked[0] is False  # a worker's
    note = panel.key_note.text()  # no keychain: the long word once a session, then the short
    assert "there is no keychain" in note or "enter one for this session" in note


def test_the_panel_follows_the_document_when_it_is_replaced(panel, document):
    settings = RequestSettings(provider="gemini", model="gemini-2.5-flash",
                               options={"seed": 7, "thinking_budget": 1024})
    document.apply(ReplaceAll(Conversation(settings=settings)))
    assert panel.provider_combo.currentData() == "gemini"
    assert panel.model_combo.currentText() == "gemini-2.5-flash"
    assert panel.seed_edit.text() == "7"
    assert panel.thinking_edit.text() == "1024"
    # Loading did not write anything back.
    assert document.conversation.settings == settings


def test_model_list_is_fetched_from_the_server(qtbot, qloop, panel, document, loopback):
    _choose_provider(panel, "custom")
    _type(qtbot, panel.base_url_edit, loopback.url + "/v1")
    qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
    assert document.conversation.settings.base_url == loopback.url + "/v1"
    loopback.queue(Reply.json({"object": "list",
                               "data": [{"id": "zeta-7b"}, {"id": "alpha-1b"}]}))
    with qtbot.waitSignal(panel.models_loaded, timeout=5000) as blocker:
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [["alpha-1b", "zeta-7b"]]
    items = [panel.model_combo.itemText(i) for i in range(panel.model_combo.count())]
    assert items == ["alpha-1b", "zeta-7b"]
    assert loopback.received[0].path == "/v1/models"
    assert panel.refresh_button.isEnabled()


def test_a_failed_model_list_is_a_short_inline_note(qtbot, qloop, panel, loopback):
    _choose_provider(panel, "custom")
    _type(qtbot, panel.base_url_edit, loopback.url + "/v1")
    qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
    loopback.queue(Reply.json({"error": {"message": "model service down"}}, status=503))
    with qtbot.waitSignal(panel.models_loaded, timeout=5000) as blocker:
        panel.refresh_models()
    assert blocker.args == [[]]
    assert "Could not list models" in panel.model_note.text()
    # The model field stays editable by hand.
    _type(qtbot, panel.model_combo.lineEdit(), "my-model")
    assert panel.settings.model == "my-model"


def test_an_unreachable_server_does_not_block(qtbot, qloop, panel):
    _choose_provider(panel, "custom")
    _type(qtbot, panel.base_url_edit, "http://127.0.0.1:9/v1")
    qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(panel.models_loaded, timeout=8000):
        panel.refresh_models()
    assert "Could not list models: cannot reach 127.0.0.1" in panel.model_note.text()


def test_keys_dialog_names_the_environment_variable_in_use(qtbot, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    dialog = SettingsDialog(None, "openai")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "OPENAI_API_KEY" in dialog.source_label.text())
    assert "sk-from-env" not in dialog.source_label.text()
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("groq"))
    qtbot.waitUntil(lambda: "GROQ_API_KEY" in dialog.source_label.text())


def test_keys_dialog_reports_a_keychain_failure_in_one_line(qtbot, monkeypatch):
    import keyring.core
    from keyring.backend import KeyringBackend
    from keyring.errors import KeyringError

    class LockedKeyring(KeyringBackend):  # a keychain that exists but refuses
        priority = 1

        def get_password(self, service, username):
            raise KeyringError("the keychain is locked")

        def set_password(self, service, username, password):
            raise KeyringError("the keychain is locked")

        def delete_password(self, service, username):
            raise KeyringError("the keychain is locked")

    keyring.core.set_keyring(LockedKeyring())
    try:
        dialog = SettingsDialog(None, "anthropic")
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: "keychain unavailable" in dialog.source_label.text())
        assert not dialog.store_button.isEnabled()
        qtbot.keyClicks(dialog.key_edit, "sk-ant-secret")
        qtbot.mouseClick(dialog.store_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "could not store" in dialog.message_label.text())
        assert "could not store the Anthropic key" in dialog.message_label.text()
        assert "\n" not in dialog.message_label.text()
        assert dialog.key_edit.text() == "sk-ant-secret"  # kept, to try again
    finally:
        keyring.core.set_keyring(keyring.core.load_keyring("keyring.backends.null.Keyring"))


def test_the_model_list_fills_itself_when_a_server_is_chosen(qtbot, qloop, document, loopback):

    client = new_client()
    panel = RequestPanel(document, http_client=client)
    qtbot.addWidget(panel)
    panel.show()
    loopback.queue(Reply.json({"data": [{"id": "local-model"}]}))
    _choose_provider(panel, "custom")
    with qtbot.waitSignal(panel.models_loaded, timeout=5000) as blocker:
        _type(qtbot, panel.base_url_edit, loopback.url + "/v1")
        qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
    assert blocker.args == [["local-model"]]
    # A hosted provider with no key is not asked (nothing queued: a request would get a 500),
    # once the keychain has answered either (on a worker).
    _choose_provider(panel, "anthropic")
    assert panel._asking_keychain
    qtbot.waitUntil(lambda: not panel._asking_keychain)  # the answer's handling is done too
    assert panel._fetch is None
    closing = asyncio.ensure_future(client.aclose())
    qtbot.waitUntil(closing.done, timeout=3000)


def test_extra_body_and_headers_are_validated_and_keys_refused(qtbot, panel, document):
    panel.extra_body_edit.setPlainText('{"top_k": 40, "metadata": {"user": "u1"}}')
    assert document.conversation.settings.extra_body == {"top_k": 40,
                                                        "metadata": {"user": "u1"}}
    panel.extra_body_edit.setPlainText("[1]")
    assert "JSON object" in panel.extra_body_error.text()
    assert document.conversation.settings.extra_body == {"top_k": 40,
                                                        "metadata": {"user": "u1"}}
    panel.headers_edit.setPlainText('{"X-Title": "composer"}')
    assert document.conversation.settings.headers == {"X-Title": "composer"}
    panel.headers_edit.setPlainText('{"Authorization": "Bearer sk-live"}')
    assert "keychain" in panel.headers_error.text()
    assert document.conversation.settings.headers == {"X-Title": "composer"}
    panel.headers_edit.setPlainText('{"X-Count": 3}')
    assert "must be a string" in panel.headers_error.text()


def test_a_problem_is_shown_once_at_the_editor_of_its_field(qtbot, panel):
    panel.headers_edit.setPlainText('{"x-api-key": "sk"}')
    _type(qtbot, panel.temperature_edit, "9")
    panel.tabs.setCurrentWidget(panel.params)
    field, text = panel.first_problem()
    assert field is Field.HEADERS and text.startswith("$.x-api-key: a key does not go")
    assert panel.tabs.currentWidget().isAncestorOf(panel.headers_edit)
    refused = RequestRefused(text, field_name=field)
    assert str(refused) == panel.headers_error.text()  # the same line in both places
    panel.show_field_problem(refused.field_name, str(refused))
    assert not panel.model_note.isVisible()
    panel.headers_edit.clear()
    assert panel.first_problem() == (Field.TEMPERATURE, "9 is out of range (0..2)")
    assert panel.tabs.currentWidget() is panel.params
    assert panel.params_error.text() == "temperature: 9 is out of range (0..2)"


def test_a_providers_refusal_of_a_parameter_is_noted_on_the_parameters_tab(qtbot, panel):
    panel.tabs.setCurrentWidget(panel.json_editors[Field.TOOLS])
    refused = RequestRefused("Anthropic takes no seed", field_name="seed")
    panel.show_field_problem(refused.field_name, str(refused))
    assert panel.tabs.currentWidget() is panel.params
    assert panel.model_note.isVisible() and panel.model_note.text() == str(refused)
    panel.show_field_problem(Field.BASE_URL, "base URL: not an http(s) URL")
    assert panel.model_note.text() == "base URL: not an http(s) URL"


def test_a_loaded_stop_sequence_reads_back_as_it_was(qtbot, panel, document):
    settings = RequestSettings(options={"stop": ["[END]"]})
    document.apply(ReplaceAll(Conversation(settings=settings)))
    _type(qtbot, panel.temperature_edit, "0.5")
    assert not panel.params_error.isVisible()
    assert document.conversation.settings.options == {"stop": ["[END]"], "temperature": 0.5}
    document.apply(ReplaceAll(Conversation(settings=RequestSettings(
        options={"stop": ["a", "b"]}))))
    assert panel.stop_edit.text() == '["a", "b"]'


def test_the_panel_keeps_its_height_when_the_tabs_built_later_are_first_shown(panel, qtbot):
    """The tabs past Parameters are built on first show; none may need more height than the
    panel had (it would grow under the user's eyes the first time that tab is shown)."""
    before = panel.tabs.minimumSizeHint().height()
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        qtbot.wait(0)
        assert panel.tabs.minimumSizeHint().height() == before, panel.tabs.tabText(index)



def test_a_key_the_keychain_holds_fetches_the_list_once_it_answered_on_a_worker(
        qtbot, qloop, document, loopback, monkeypatch):
    """The keychain is asked off the GUI thread; the model list it allowed follows its answer."""
    import threading

    from composer.providers import keys
    from composer.providers.http import new_client
    from composer.views import keychain

    asked_on_main = []

    def lookup(user):
        asked_on_main.append(threading.current_thread() is threading.main_thread())
        return ("sk-from-keychain", None) if user == "openai-chat" else (None, None)

    monkeypatch.setattr(keys, "_keychain_lookup", lookup)
    client = new_client()
    panel = RequestPanel(document, http_client=client)
    qtbot.addWidget(panel)
    panel.show()
    with keychain.held():  # (as at the start): the asks wait, no list is fetched meanwhile
        _choose_provider(panel, "openai-chat")
        _type(qtbot, panel.base_url_edit, loopback.url + "/v1")
        qtbot.keyClick(panel.base_url_edit, Qt.Key.Key_Return)
        assert asked_on_main == [] and not panel.key_note.isVisible()
        loopback.queue(Reply.json({"object": "list", "data": [{"id": "gpt-x"}]}))
    with qtbot.waitSignal(panel.models_loaded, timeout=5000) as blocker:
        pass
    assert blocker.args == [["gpt-x"]]
    assert asked_on_main == [False]
    assert [r.path for r in loopback.received] == ["/v1/models"]
    assert loopback.received[0].headers["Authorization"] == "Bearer sk-from-keychain"
    assert not panel.key_note.isVisible()
    closing = asyncio.ensure_future(client.aclose())
    qtbot.waitUntil(closing.done, timeout=3000)


def test_a_parameters_placeholder_is_never_cut_off(qtbot, panel):
    """Wide, a field says "not sent (…)"; in a narrow panel (the Branches dock shown at
    1280 px), the hint alone, or its shorter form: whole, not "not sent (0 –…"."""
    fields = panel.params.fields
    room = {}

    def shown(width: int) -> dict[str, str]:
        panel.resize(width, panel.height())
        qtbot.waitUntil(lambda: fields["temperature"].width() != room.get("last"))
        room["last"] = fields["temperature"].width()
        return {name: edit.placeholderText() for name, edit in fields.items()
                if not isinstance(edit, QComboBox)}

    wide = shown(1400)
    assert wide["temperature"] == "not sent (0 – 2)"
    assert wide["stop"] == 'not sent (text, or ["a", "b"])'
    narrow = shown(420)
    assert narrow["temperature"] == "0 – 2"
    assert narrow["stop"] == "text or a list"
    for name, text in narrow.items():
        edit = fields[name]
        assert edit.fontMetrics().horizontalAdvance(text) < edit.width(), name
    assert "not sent" in fields["seed"].toolTip()
