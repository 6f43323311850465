"""Provider ``llm`` in the window: the panel lists the installed plugins' models, and Send
streams a plugin model's reply into the results pane (tests/llm_test_plugin.py)."""

from __future__ import annotations

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from tests.conftest import LLM

pytestmark = LLM  # the tests that load llm share one xdist worker


@pytest.fixture
def echo():
    pytest.importorskip("llm")
    from tests.llm_test_plugin import register

    register()


def test_the_panel_lists_llms_models_and_send_streams_a_plugin_model(qtbot, run_window, echo):
    window = run_window(Conversation(messages=[Message.text("user", "hello window")],
                                     settings=RequestSettings(provider="llm",
                                                              model="composer-echo")))
    panel = window.request_panel
    assert panel.provider_combo.currentData() == "llm"
    with qtbot.waitSignal(panel.models_loaded, timeout=60000) as blocker:
        panel.refresh_models()
    assert "composer-echo" in blocker.args[0]
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state in ("done", "error"), timeout=60000)
    assert run.state == "done", window.status_state.text()
    assert run.current.messages[0].plain_text == "echo: hello window"
    assert run.current.composer.protocol == "llm"
