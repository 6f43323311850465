"""A Send's checks (composer.run.preflight: the request built, every row read) run on a worker:
the window goes on meanwhile, and what it held at the press is what is checked and sent."""

from __future__ import annotations

import threading

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.run import RunState
from composer.views import run_controller
from tests.loopback import Reply
from tests.views.checks import wait_checked

CHAT_REPLY = ('data: {"choices": [{"index": 0, "delta": {"content": "fine"}}]}\n\n'
              "data: [DONE]\n\n")


def _chat(url: str, text: str = "hello") -> Conversation:
    return Conversation(messages=[Message.text("user", text)], settings=RequestSettings(
        provider="custom", base_url=url + "/v1", model="m"))


def _held_checks(monkeypatch) -> tuple[list[threading.Thread], threading.Event]:
    """The checks, held until the event is set; the threads they ran on."""
    threads, go_on = [], threading.Event()
    checks = run_controller.preflight

    def held(*args, **kwargs):
        threads.append(threading.current_thread())
        go_on.wait(5)
        return checks(*args, **kwargs)

    monkeypatch.setattr(run_controller, "preflight", held)
    return threads, go_on


def test_the_checks_run_off_the_gui_thread_and_the_window_says_so(
        qtbot, run_window, loopback, monkeypatch):
    threads, go_on = _held_checks(monkeypatch)
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads[0] is not threading.main_thread()
    assert run.checking and window.status_state.text() == "Checking…"
    assert run.stop_action.isEnabled()
    qtbot.wait(20)  # the window goes on while the checks run
    assert run.checking and loopback.received == []
    go_on.set()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert [m["content"] for m in loopback.received[0].json["messages"]] == ["hello"]


def test_an_edit_while_checking_is_not_what_goes(qtbot, run_window, loopback, monkeypatch):
    threads, go_on = _held_checks(monkeypatch)
    loopback.queue(Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url, "as pressed"))
    run = window.run_ui
    run.send_action.trigger()
    window.editor.set_text(0, "typed after the press")
    go_on.set()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    assert loopback.received[0].json["messages"][0]["content"] == "as pressed"
    assert window.document.messages[0].plain_text == "typed after the press"


@pytest.mark.parametrize("sends", [1, 2])  # 2: a Send that replaced one being checked
def test_stop_while_checking_sends_nothing_and_the_state_is_as_before(
        qtbot, run_window, loopback, monkeypatch, sends):
    threads, go_on = _held_checks(monkeypatch)
    window = run_window(_chat(loopback.url))
    run = window.run_ui
    before = (run.state, window.status_state.text())
    for n in range(1, sends + 1):
        run.send_action.trigger()
        qtbot.waitUntil(lambda n=n: len(threads) == n, timeout=5000)
    run.stop_action.trigger()
    qtbot.waitUntil(lambda: run.task is None, timeout=5000)
    go_on.set()
    qtbot.wait(50)
    assert loopback.received == [] and not run.checking
    assert (run.state, window.status_state.text()) == before
    assert not run.stop_action.isEnabled() and run.send_action.isEnabled()


def test_a_second_send_while_checking_replaces_the_first(
        qtbot, run_window, loopback, monkeypatch):
    threads, go_on = _held_checks(monkeypatch)
    loopback.queue(Reply.sse(CHAT_REPLY), Reply.sse(CHAT_REPLY))
    window = run_window(_chat(loopback.url, "first"))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
    window.editor.set_text(0, "second")
    run.send_action.trigger()
    go_on.set()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    qtbot.wait(50)
    assert [r.json["messages"][0]["content"] for r in loopback.received] == ["second"]
    assert len(run.runs.runs) == 1


def test_a_refusal_found_by_the_checks_is_shown_once_they_end(qtbot, run_window, loopback):
    window = run_window(_chat(loopback.url))
    window.request_panel.model_combo.setEditText("")
    run = window.run_ui
    run.send_action.trigger()
    assert run.checking  # (the checks have not run yet)
    wait_checked(qtbot, run)
    assert run.state == RunState.REFUSED and run.task is None
    assert window.status_state.text().startswith("Not sent: ")
    assert loopback.received == []
