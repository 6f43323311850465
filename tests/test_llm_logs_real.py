"""A logs.db written by the real llm CLI imports message for message as llm itself reads it.

Needs the ``test-llm`` extra; the model is tests/llm_test_plugin.py's, so no network is used.
"""

from __future__ import annotations

import base64
from importlib.util import find_spec

import pytest

from composer.models.formats import import_path, llm_logs
from tests.conftest import LLM

# llm (with sqlite_utils) loads when a test runs, not when the suite is collected.
pytestmark = [LLM, pytest.mark.skipif(find_spec("llm") is None,
                                      reason="needs llm (the test-llm extra)")]

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhg"
                       "GAWjR9awAAAABJRU5ErkJggg==")
ADD = 'def add(a: int, b: int) -> int:\n    "Add two numbers."\n    return a + b\n'


@pytest.fixture(scope="module")
def logs_db(tmp_path_factory):
    """Two threads: -f and --sf, a second turn with an attachment, a tool loop; a bare -f."""
    from click.testing import CliRunner
    from llm.cli import cli

    from tests.llm_test_plugin import MODEL_ID, register

    register()
    tmp_path = tmp_path_factory.mktemp("llm-cli")
    home = tmp_path / "llm-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLM_USER_PATH", str(home))
        mp.chdir(tmp_path)
        _write_logs(tmp_path, MODEL_ID, CliRunner(), cli)
    return home / "logs.db"


def _write_logs(tmp_path, model_id, runner, cli):
    (tmp_path / "doc.txt").write_text("A long shared document.\n")
    (tmp_path / "sys.txt").write_text("You are terse.\n")
    (tmp_path / "img.png").write_bytes(PNG)
    for args in (["-m", model_id, "-f", "doc.txt", "--sf", "sys.txt", "Summarise this."],
                 ["-c", "and again", "-a", "img.png"],
                 ["-c", "--functions", ADD, "add 2 and 3"],
                 ["-m", model_id, "-f", "doc.txt", ""]):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output


def _llms_reading(path, thread_id):
    import sqlite_utils
    from llm.logs import LogStore

    store = LogStore(sqlite_utils.Database(path))
    return [m.to_dict() for m in store.thread_messages(thread_id)]


def test_every_thread_imports_equal_to_llms_own_reading(logs_db):
    listed = llm_logs.list_conversations(str(logs_db))
    assert len(listed) == 2
    for info in listed:
        ours = llm_logs.load_conversation(str(logs_db), info.id)
        assert [m.to_dict() for m in ours.conversation.messages] == \
            _llms_reading(logs_db, info.id)
        assert not [loss for loss in ours.losses if loss.dropped]


def test_fragments_system_fragments_tools_and_the_attachment_come_in(logs_db):
    first = [c for c in llm_logs.list_conversations(str(logs_db))
             if c.count == 4][0]  # the tool loop is two turns
    conv = llm_logs.load_conversation(str(logs_db), first.id).conversation
    assert conv.messages[0].role == "system" and "You are terse." in conv.messages[0].plain_text
    assert conv.messages[1].plain_text == "A long shared document.\n\nSummarise this."
    assert conv.messages[3].attachments[0].type == "image/png"
    [tool] = conv.settings.tools
    assert tool.name == "add" and tool.description == "Add two numbers."
    assert set(tool.parameters["properties"]) == {"a", "b"}
    assert conv.settings.model == "composer-echo"
    assert conv.messages[-1].plain_text == "The sum is 5"
    # A prompt that is only a fragment is not empty.
    newest = import_path(logs_db).conversation
    assert newest.messages[0].plain_text == "A long shared document.\n"
