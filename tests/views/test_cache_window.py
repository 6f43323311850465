"""Cache breakpoints in the window: set in the part detail editor (undoable), marked in the
table, sent on the right block, checked in the request notes; cache tokens in the footer."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from composer.models.caching import breakpoint_of, cache_usage
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange
from composer.models.parts import Message, TextPart
from composer.models.settings import RequestSettings
from composer.providers.openai_chat import PROTOCOL as CHAT
from composer.views.inspector import DEBOUNCE_MS
from composer.views.results.stats import footer_text
from composer.views.table.model import ROLE_COLUMN
from tests.cassettes import load
from tests.conftest import RECORDINGS, recordings_or_skip
from tests.framing import assemble, frames

pytestmark = pytest.mark.usefixtures("short_debounces")

LONG = "The quick brown fox jumps over the lazy dog. " * 200


def _anthropic() -> Conversation:
    return Conversation(
        messages=[Message.text("system", LONG),
                  Message(role="user", parts=[TextPart(text="Question one"),
                                              TextPart(text="Question two")])],
        settings=RequestSettings(provider="anthropic", model="claude-sonnet-4-20250514"))


def _body(inspector) -> dict:
    text = inspector.text.toPlainText()
    return json.loads(text[text.index("\n{") + 1:])


def test_a_breakpoint_set_in_the_detail_editor_is_sent_marked_and_undone(qtbot, make_window):
    window = make_window(_anthropic())
    table, detail, inspector = window.table, window.detail, window.run_ui.inspector
    detail.show_row(0)
    combo = detail.sections[0].cache
    assert combo.currentText() == "Cache: off"
    index = table.model().index(0, ROLE_COLUMN)
    assert index.data(Qt.ItemDataRole.DecorationRole) is None

    combo.setCurrentIndex(2)  # 1 hour
    part = window.document.message(0).parts[0]
    assert breakpoint_of(part) == "1h"
    assert window.undo_stack.undoText() == "Cache breakpoint 1 hour"
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None
    assert "1 hour" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).endswith("cache breakpoint 1 hour")
    qtbot.waitUntil(lambda: "cache_control" in inspector.text.toPlainText(),
                    timeout=DEBOUNCE_MS * 10)
    (block,) = _body(inspector)["system"]  # the preview shortens long text
    assert block["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert block["type"] == "text" and block["text"].startswith(LONG[:100])

    window.undo_stack.undo()
    assert breakpoint_of(window.document.message(0).parts[0]) is None
    assert combo.currentText() == "Cache: off"
    assert index.data(Qt.ItemDataRole.DecorationRole) is None
    window.undo_stack.redo()
    assert combo.currentText() == "Cache: 1 hour"


def test_cache_problems_show_in_the_request_notes(qtbot, make_window):
    window = make_window(_anthropic())
    detail, inspector = window.detail, window.run_ui.inspector
    detail.show_row(1)
    detail.sections[0].cache.setCurrentIndex(1)  # 5 min on "Question one"
    # Short? No: the system prompt above it is long. A 1-hour one after it is refused.
    detail.sections[1].cache.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "1-hour" in inspector.notes.text(), timeout=DEBOUNCE_MS * 10)
    assert "row 2, part 2: a 1-hour cache breakpoint must come before" in inspector.notes.text()
    detail.sections[1].cache.setCurrentIndex(0)
    qtbot.waitUntil(lambda: "1-hour" not in inspector.notes.text(), timeout=DEBOUNCE_MS * 10)


def test_a_recorded_reply_that_read_from_the_cache_shows_it_in_the_footer():
    recordings_or_skip()
    path = RECORDINGS / "TestOpenRouterCommon" / "grok" / "simple_streaming.yaml"
    interaction = load(path).interactions[0]
    assembler = assemble(CHAT.new_parser(), frames(interaction.response_body))
    recorded = next(json.loads(f.data)["usage"] for f in frames(interaction.response_body)
                    if f.data.strip() != "[DONE]" and json.loads(f.data).get("usage"))
    read = recorded["prompt_tokens_details"]["cached_tokens"]
    assert read > 0
    assert cache_usage(assembler.usage).read == read
    exchange = Exchange(model="x-ai/grok-4-fast", usage=assembler.usage)
    assert f"cache read {read:,}" in footer_text(exchange)


def test_an_edit_above_a_breakpoint_after_a_run_says_the_cache_will_miss(qtbot, make_window):
    window = make_window(_anthropic())
    inspector = window.run_ui.inspector
    window.detail.show_row(1)
    window.detail.sections[1].cache.setCurrentIndex(1)
    # What Send records as the last run's conversation.
    window.run_ui.record.last_sent = window.document.conversation.model_copy(deep=True)
    window.editor.set_text(0, "A different system prompt. " + LONG)
    qtbot.waitUntil(lambda: "changed since the last run" in inspector.notes.text(),
                    timeout=DEBOUNCE_MS * 10)
    assert "row 2, part 2: the prompt above this cache breakpoint changed" in \
        inspector.notes.text()


def test_reasoning_offers_no_breakpoint_but_clears_one_from_a_file(qtbot, make_window):
    from composer.models.caching import with_breakpoint
    from composer.models.parts import ReasoningPart

    marked = with_breakpoint(ReasoningPart(text="hmm"), "5m")
    conversation = _anthropic()
    conversation.messages.append(Message(role="assistant", parts=[ReasoningPart(text="hmm"),
                                                                  marked]))
    window = make_window(conversation)
    window.detail.show_row(2)
    plain, cached = (s.cache for s in window.detail.sections)
    assert not plain.isEnabled() and cached.isEnabled()
    cached.setCurrentIndex(0)
    assert breakpoint_of(window.document.message(2).parts[1]) is None
    assert not cached.isEnabled()


def test_the_footer_shows_cache_reads_writes_and_the_money_the_reads_saved():
    from composer.models.exchange import ExchangeExtras
    from composer.providers.anthropic import usage_report

    usage = usage_report({"input_tokens": 20, "cache_read_input_tokens": 10_000,
                          "cache_creation_input_tokens": 2_000, "output_tokens": 50,
                          "cache_creation": {"ephemeral_1h_input_tokens": 2_000}})
    model = "claude-sonnet-4-20250514"
    exchange = Exchange(model=model, usage=usage, composer=ExchangeExtras(
        protocol="anthropic", settings=RequestSettings(provider="anthropic", model=model)))
    # Sonnet 4: $3 per million input tokens, $0.30 read from the cache, $6 written for an
    # hour. Reads save 10,000 × 2.70 / 1e6 = $0.027; the 1-hour writes cost 2,000 × 3 / 1e6 =
    # $0.006 more than plain input: $0.021 saved in all.
    assert footer_text(exchange) == (
        "stop reason: unknown · in 12,020 · out 50 · cache read 10,000 · cache write 2,000 "
        "(1 h: 2,000) · saved $0.0210 by the cache")
