"""Log to llm: a run written into llm's logs.db by llm's own code reads back as the run.

Needs llm (the ``test-llm`` extra); skips cleanly without it.
"""

from __future__ import annotations

import json
import os
from importlib.util import find_spec
from pathlib import Path

import pytest

from composer.main import main
from composer.models.conversation import Conversation
from composer.models.exchange import Exchange, ExchangeExtras, Prompt
from composer.models.files import save
from composer.models.formats import llm_logs
from composer.models.parts import Message, ReasoningPart, TextPart
from composer.models.settings import RequestSettings
from tests.conftest import LLM

# Found, not imported: llm and its plugins (the anthropic SDK above all) load when a test
# asks for them (the llm fixture), not when the suite is collected; and in one xdist worker.
pytestmark = [LLM, pytest.mark.skipif(
    find_spec("llm") is None or find_spec("llm_anthropic") is None,
    reason="needs llm and llm-anthropic (the test-llm extra)")]

from composer.providers.llm_log import log_exchange  # noqa: E402


def _exchange(protocol="anthropic", model="claude-sonnet-4-5", options=None) -> Exchange:
    options = options or {"max_tokens": 300, "temperature": 0.3}
    reply = Message(role="assistant", parts=[
        ReasoningPart(text="Thinking.", provider_metadata={"anthropic": {"signature": "c2ln"}}),
        TextPart(text="Paris.")])
    return Exchange(model=model, prompt=Prompt(messages=[Message.text("system", "Be brief."),
                                                         Message.text("user", "Capital?")],
                                               options=options),
                    messages=[reply], datetime_utc="2026-01-02T03:04:05",
                    composer=ExchangeExtras(settings=RequestSettings(
                        provider=protocol, model=model, options=options), protocol=protocol))


def _threads(path):
    import sqlite_utils
    from llm.logs import LogStore

    store = LogStore(sqlite_utils.Database(path))
    ids = [r["id"] for r in store.db.query("select id from threads")]
    return {tid: [m.to_dict() for m in store.thread_messages(tid)] for tid in ids}


def test_a_run_is_logged_by_llm_and_reads_back_message_for_message(tmp_path):
    exchange = _exchange()
    path = log_exchange(exchange, tmp_path / "logs.db")
    [messages] = _threads(path).values()
    expected = [m.to_dict() for m in [*exchange.prompt.messages, *exchange.messages]]
    assert messages == expected
    # llm records its model id and its option names; our importer maps them back.
    [turn] = llm_logs.list_conversations(str(path))
    assert turn.model == "anthropic/claude-sonnet-4-5"
    imported = llm_logs.load_conversation(str(path), turn.id).conversation
    assert imported.settings.provider == "anthropic"
    assert imported.settings.model == "claude-sonnet-4-5"
    assert imported.settings.options == {"max_tokens": 300, "temperature": 0.3}


def test_a_model_llm_does_not_know_is_logged_under_its_own_id(tmp_path):
    exchange = _exchange("openai-chat", "my-local-model", {"temperature": 0.1, "num_ctx": 4})
    path = log_exchange(exchange, tmp_path / "logs.db")
    [turn] = llm_logs.list_conversations(str(path))
    assert turn.model == "my-local-model"


def test_llm_logs_off_is_obeyed():
    user_dir = Path(os.environ["LLM_USER_PATH"])
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "logs-off").write_text("")
    assert log_exchange(_exchange()) is None
    assert not (user_dir / "logs.db").exists()


def test_send_log_to_llm_writes_the_run_into_llms_logs(tmp_path, capsys):
    source = tmp_path / "conversation.json"
    # The replay at full speed (the file's "speed" option), not at the example's 1.75 s.
    save(Conversation(messages=[Message.text("user", "hi")],
                      settings=RequestSettings(provider="replay", options={"speed": 0})), source)
    assert main(["send", str(source), "--log-to-llm"]) == 0
    capsys.readouterr()
    logs = Path(os.environ["LLM_USER_PATH"]) / "logs.db"
    [messages] = _threads(logs).values()
    assert messages[0] == {"role": "user", "parts": [{"type": "text", "text": "hi"}]}
    assert messages[-1]["role"] == "assistant"
    assert json.dumps(messages)  # JSON-safe, as llm wrote it
