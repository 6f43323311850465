"""The count in the window: it follows edits once they settle (one count, not one per edit), a
failing counter says why in one line and Send still works, and after a run the reported tokens
sit beside the count with the run's cost and the conversation's running total."""

from __future__ import annotations

import pytest

from composer.models.conversation import Conversation
from composer.run import RunState
from composer.views import token_count
from tests.loopback import Reply
from tests.views import test_send

_anthropic = test_send._anthropic
recorded = test_send.recorded  # the same recorded thinking reply, as a fixture
pytestmark = pytest.mark.usefixtures("short_debounces")  # the count's: 100 ms


def test_the_count_follows_edits_once_they_settle(qtbot, make_window, loopback, recorded):
    loopback.queue(Reply.json({"input_tokens": 1500}), Reply.json({"input_tokens": 1612}))
    window = make_window(_anthropic(recorded, loopback.url), count_tokens=True)
    counter = window.token_count
    counter.schedule()  # the window's own first count was scheduled before it was enabled
    qtbot.waitUntil(lambda: "1,500" in counter.label.text(), timeout=5000)
    assert counter.label.text().startswith("Input 1,500 tokens · $")
    assert "Anthropic count_tokens" in counter.label.toolTip()
    figure, tip = window.table.tokens(0)
    assert figure.startswith("≈") and "share of the provider's count" in tip
    assert loopback.received[0].path == "/v1/messages/count_tokens"
    for n in range(5):  # typing: five edits inside the debounce
        window.editor.set_text(0, f"What is the weather in Lisbon? {'!' * n}")
    qtbot.waitUntil(lambda: "1,612" in counter.label.text(), timeout=5000)
    qtbot.wait(4 * token_count.DEBOUNCE_MS)  # long enough for a second count, if one came
    assert len(loopback.received) == 2  # one count for the five edits
    assert "Lisbon? !!!!" in str(loopback.received[1].json)  # the last edit, counted


def test_a_failing_counter_is_one_line_and_send_still_works(qtbot, make_window, loopback,
                                                             recorded):
    loopback.queue(Reply.json({"type": "error", "error": {"type": "not_found_error",
                                                          "message": "no counter here"}},
                              status=404))
    window = make_window(_anthropic(recorded, loopback.url), count_tokens=True)
    counter = window.token_count
    failures = []
    counter.failed.connect(failures.append)
    counter.schedule()
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert failures == ["count failed: Anthropic count_tokens: 404 not_found_error: "
                        "no counter here"]
    assert counter.label.text().startswith("Input ≈ ")
    assert "(estimate)" in counter.label.text()
    assert failures[0] in counter.label.toolTip()
    assert window.statusBar().currentMessage() == failures[0]
    counted = counter.last.total
    # No count again while the runs below go (the kept reply is an edit): the loopback answers
    # in order, and a count that came first under load took the reply the retry waited for.
    counter.timer.setInterval(60_000)
    # Send goes through as if nothing happened, and the run is set beside the count.
    loopback.queue(Reply.sse(recorded[0].response_body), Reply.sse(recorded[0].response_body))
    run = window.run_ui
    run.send_action.trigger()
    qtbot.waitUntil(lambda: run.state == RunState.DONE, timeout=5000)
    # Right after the usage the provider reported: what was counted, what the run cost.
    reported = run.current.usage.input
    assert f"in {reported:,}" in run.stats_label.text()
    assert counter.cost_label.text().startswith(f"· counted ≈ {counted:,} in · cost $")
    assert f"tokens {reported:,} in" in counter.cost_label.toolTip()
    assert run.current.composer.cost["priced_as"] == "anthropic/claude-sonnet-4-0"
    run.retry()  # the same request again (the kept reply's tool call would want an answer)
    qtbot.waitUntil(lambda: len(run.runs.runs) == 2 and run.state == RunState.DONE,
                    timeout=5000)
    assert " · conversation $" in counter.cost_label.text()
    assert counter.cost_label.text().endswith(" in 2 runs")


def test_a_local_server_is_estimated_without_the_wire(qtbot, make_window, loopback):
    conversation = Conversation.model_validate({
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "hello " * 40}]}],
        "settings": {"provider": "ollama", "model": "llama3", "base_url": loopback.url}})
    window = make_window(conversation, count_tokens=True)
    counter = window.token_count
    counter.schedule()
    qtbot.waitUntil(lambda: counter.last is not None, timeout=5000)
    assert loopback.received == []
    assert counter.label.text() == f"Input ≈ {counter.last.total:,} tokens · no price known"


def test_a_counts_problem_leaves_the_status_bar_once_a_count_no_longer_has_it(qtbot,
                                                                               make_window):
    conversation = Conversation.model_validate({
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "Say {{word}}."}]}],
        "settings": {"provider": "replay"}})
    window = make_window(conversation, count_tokens=True)
    counter, bar = window.token_count, window.statusBar()
    counter.schedule()
    qtbot.waitUntil(lambda: "{{word}}" in bar.currentMessage(), timeout=5000)
    counted = counter.last
    window.document.set_variables({"word": "hello"})  # the value the count missed
    qtbot.waitUntil(lambda: counter.last is not counted, timeout=5000)
    assert not counter.last.problem
    assert bar.currentMessage() == ""  # not left saying a variable has no value
