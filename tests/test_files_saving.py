"""Saving never fails on the text and never leaves litter: lone surrogates are written as
U+FFFD (and counted), a failed write removes its temp file, and temp files a killed write left
are removed by the next write beside them. Real files in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from composer.models.conversation import Conversation
from composer.models.exchange import Exchange, Prompt
from composer.models.files import (
    atomic_write_text,
    load_conversation,
    remove_stale_temps,
    save,
    write_problem,
)
from composer.models.parts import Message


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_lone_surrogate_in_a_conversation_is_saved_as_a_replacement_character(tmp_path):
    # What json.loads makes of "\ud800" in a file, or a stream of a split pair, in memory (the
    # parsers repair their own input too; the writing layer must not depend on it).
    conv = Conversation(messages=[Message.text("user", "a\ud800b")])
    path = tmp_path / "conv.json"
    assert save(conv, path) == 1
    assert load_conversation(path).messages[0].plain_text == "a\ufffdb"
    assert _temps(tmp_path) == []


def test_an_exchange_with_a_surrogate_pair_split_across_events_is_joined(tmp_path):
    text = "smile \ud83d" + "\ude00 and a lone \udc00"
    exchange = Exchange(model="m", prompt=Prompt(messages=[Message.text("user", "hi")]),
                        messages=[Message.text("assistant", text)])
    path = tmp_path / "exchange.json"
    assert save(exchange, path) == 1  # the pair is joined; only the lone one is replaced
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert "smile \U0001f600 and a lone \ufffd" in json.dumps(saved, ensure_ascii=False)


def test_export_text_with_lone_surrogates_writes_and_counts(tmp_path):
    path = tmp_path / "out.md"
    assert atomic_write_text(path, "x\ud800y\udfffz") == 2
    assert path.read_text(encoding="utf-8") == "x\ufffdy\ufffdz"


@pytest.mark.parametrize("how", ["parent is a file", "target is a folder"])
def test_a_failed_write_raises_oserror_and_leaves_no_temp_file(tmp_path, how):
    (tmp_path / "plain").write_text("a regular file", encoding="utf-8")
    if how == "parent is a file":
        target = tmp_path / "plain" / "conv.json"
    else:
        target = tmp_path / "folder"
        target.mkdir()
    with pytest.raises(OSError) as caught:
        save(Conversation(messages=[Message.text("user", "x")]), target)
    assert _temps(tmp_path) == []
    line = write_problem(target, caught.value)
    assert line.startswith(str(target)) and ("directory" in line.lower())


def test_temp_files_a_killed_save_left_are_removed_by_the_next_save(tmp_path):
    target = tmp_path / "conv.json"
    dead_pid = _dead_pid()
    dead = tmp_path / f".conv.json.{dead_pid}-k1ll3d_x.tmp"
    dead.write_text('{"torn', encoding="utf-8")
    old_ours = tmp_path / f".other.json.{os.getpid() + 1_000_000_000}-abc123xy.tmp"
    old_ours.write_text("{", encoding="utf-8")
    two_hours_ago = time.time() - 7200
    os.utime(old_ours, (two_hours_ago, two_hours_ago))
    not_ours = tmp_path / ".third.json.zzz999yy.tmp"  # another program's: never touched
    not_ours.write_text("{", encoding="utf-8")
    os.utime(not_ours, (two_hours_ago, two_hours_ago))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = tmp_path / f".conv.json.{sleeper.pid}-busy1234.tmp"  # another process writing
        live.write_text("{", encoding="utf-8")
        save(Conversation(messages=[Message.text("user", "x")]), target)
        assert not dead.exists() and not old_ours.exists()
        assert live.exists() and not_ours.exists()
        assert load_conversation(target).messages[0].plain_text == "x"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temps(tmp_path) == 1  # the sleeper's, now that it is gone
    assert _temps(tmp_path) == [not_ours.name]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _reference_text(doc) -> str:
    """What a file's text is: one indented dump, the header first (the log one event a line)."""
    data = doc.to_dict()
    header = data.pop("composer")
    header = {**{k: header[k] for k in ("kind", "format_version")}, **header}
    events = header.get("events")
    if not events:
        return json.dumps({"composer": header, **data}, ensure_ascii=False, indent=2) + "\n"
    header["events"] = "EVENTS"
    text = json.dumps({"composer": header, **data}, ensure_ascii=False, indent=2) + "\n"
    lines = ",\n      ".join(json.dumps(e, ensure_ascii=False) for e in events)
    return text.replace('"EVENTS"', "[\n      " + lines + "\n    ]", 1)


def test_a_file_written_in_small_pieces_is_the_one_dump_byte_for_byte(tmp_path, monkeypatch):
    from composer.models import files
    from composer.models.exchange import LogEntry

    monkeypatch.setattr(files, "_PIECE", 50)  # many pieces, each ending between tokens
    texts = ["plain", "It’s — “quoted”", "emoji 🙂 and \n newline", "a\ud83d\ude42b" * 3]
    conv = Conversation(messages=[Message.text("user", t) for t in texts * 20])
    reply = Exchange(model="m", prompt=Prompt(messages=conv.messages[:2]),
                     messages=[Message.text("assistant", "done 🙂")])
    reply.composer.events = [LogEntry(0.5, f'{{"n": {i}, "t": "é🙂"}}') for i in range(450)]
    # Branches, settings, variables and a field of another tool's: dumped a message at a time,
    # a conversation's file is still the one dump.
    from composer.models.settings import RequestSettings
    from composer.models.tree import Tree

    branched = Conversation(messages=conv.messages[:6], settings=RequestSettings(
        provider="anthropic", model="m", options={"max_tokens": 9}), theirs={"k": [1, "é"]})
    branched.composer.variables = {"name": "Ann"}
    edited = [*branched.messages[:3], Message.text("user", "another {{name}}")]
    branched.set_tree(Tree.linear(branched.messages).commit(edited)[0])
    assert branched.kept_tree() is not None
    for doc in (conv, reply, branched):
        pieces = list(files._texts(doc))
        assert len(pieces) > 10
        expected = _reference_text(doc)
        assert "".join(pieces) == files.dumps(doc)
        assert files.encode_doc(doc) == files.encode_text(expected)
        save(doc, tmp_path / "f.json")
        assert (tmp_path / "f.json").read_bytes() == files.encode_text(expected)[0]


# -- a draft: compact JSON, a message at a time ----------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from composer.models import files  # noqa: E402
from composer.models.tree import Tree  # noqa: E402
from tests.test_formats_properties import FULL, conversations  # noqa: E402


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(conversations(FULL), st.booleans(), st.booleans())
def test_a_draft_reads_back_as_the_saved_file_does(tmp_path, conversation, branched, extra):
    if extra:
        conversation.__pydantic_extra__ = {"their_key": [1, {"a": None}]}
    if branched and conversation.messages:
        rows = conversation.messages
        tree, _fork = Tree.linear(rows).commit([*rows[:-1], Message.text("user", "again\ud800")])
        conversation = Conversation(messages=tree.messages(), settings=conversation.settings)
        conversation.set_tree(tree)
    saved, draft = tmp_path / "saved.json", tmp_path / "draft.json"
    replaced = files.save(conversation, saved)
    assert files.save(conversation, draft, draft=True) == replaced
    json.loads(draft.read_bytes())  # plain JSON, one line
    from_draft, from_file = files.load_conversation(draft), files.load_conversation(saved)
    assert from_draft == from_file and from_draft.to_dict() == from_file.to_dict()
    assert from_draft.tree == from_file.tree
