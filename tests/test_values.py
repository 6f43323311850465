"""The records our files hold (models/value.py): unknown keys kept and written back, copies
that own what they change, equality by content, and pydantic's check where data comes in."""

from __future__ import annotations

import copy
import json
import pickle
import sys

import pytest
from pydantic import ValidationError

from composer.models import Conversation, Message, files
from composer.models.attachment import Attachment
from composer.models.parts import TextPart


def _read(tmp_path, count: int = 50) -> Conversation:
    conversation = Conversation(messages=[Message.text("user", f"row {i}") for i in range(count)])
    path = tmp_path / "c.json"
    files.save(conversation, path)
    return files.load(path)


def test_unknown_keys_are_kept_where_they_were_and_written_back():
    data = {"role": "user", "note": {"a": 1},
            "parts": [{"type": "text", "text": "hi", "mine": [1, 2]}]}
    message = Message.model_validate(data)
    assert message.model_extra == {"note": {"a": 1}}
    assert message.parts[0].model_extra == {"mine": [1, 2]}
    assert message.to_dict() == data


def test_a_read_message_holds_no_dict_of_its_own_until_it_needs_one(tmp_path):
    message = _read(tmp_path, 1).messages[0]
    plain = Message.text("user", "row 0")
    assert message == plain and sys.getsizeof(message) == sys.getsizeof(plain)
    assert message._extra is None and message.to_dict() == plain.to_dict()


def test_copies_with_updates_and_deep_copies_own_what_they_change(tmp_path):
    first, second = _read(tmp_path, 2).messages
    changed = first.model_copy(update={"role": "system", "extra_key": 1})
    assert changed.role == "system" and first.role == "user"
    assert changed.model_extra == {"extra_key": 1} and first._extra is None
    deep = second.model_copy(deep=True, update={"other": 2})
    assert deep.model_extra == {"other": 2} and second._extra is None
    deep.parts[0].text = "changed"
    assert second.parts[0].text == "row 1"
    shallow = copy.copy(deep)
    shallow.model_extra["more"] = 3
    assert deep.model_extra == {"other": 2} and shallow.parts is deep.parts


def test_equality_is_by_content_unknown_keys_included():
    a = Message.model_validate({"role": "user", "parts": [], "x": 1})
    assert a == Message.model_validate({"role": "user", "parts": [], "x": 1})
    assert a != Message(role="user") and Message(role="user") == Message(role="user")
    assert TextPart(text="a") != Message(role="user")


def test_pickles_keep_unknown_keys_and_private_state():
    attachment = Attachment(type="text/plain", path="/x/a.txt", name="a")
    attachment.set_loaded(b"abc")
    back = pickle.loads(pickle.dumps(attachment))
    assert back == attachment and back.data() == b"abc" and back.model_extra == {"name": "a"}


def test_a_check_names_where_and_what():
    with pytest.raises(ValidationError) as caught:
        Message.model_validate({"role": "user", "parts": [{"type": "text", "text": 5}]})
    error = caught.value.errors()[0]
    assert error["loc"] == ("parts", 0, "text", "text")
    assert error["msg"] == "Input should be a valid string"
    with pytest.raises(ValidationError):
        Message.model_validate({"role": "nobody"})


def test_any_key_a_file_holds_is_kept_in_order_even_the_names_python_uses(tmp_path):
    """A file's object reaches the constructor as keywords: "cls", "self" or "args" must not
    meet its own parameters (a TypeError would have escaped the file's checks)."""
    data = {"role": "user", "self": 1, "cls": 2, "args": 3, "kwargs": 4, "a": 5,
            "parts": [{"type": "text", "text": "x", "mcs": 6, "given": 7}]}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"messages": [data], "composer": {
        "kind": "conversation", "format_version": 1}}), encoding="utf-8")
    message = files.load(path).messages[0]
    assert list(message.model_extra) == ["self", "cls", "args", "kwargs", "a"]
    assert message.to_dict() == data
    made = Message(role="user", z=1, cls=2, a=3)
    assert list(made.model_extra) == ["z", "cls", "a"]
