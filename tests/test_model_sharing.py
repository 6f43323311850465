"""Models as validated share their fields set and empty extras (parts.Value): a change to one
instance never reaches another, and pydantic's meaning of both is kept."""

from __future__ import annotations

import copy
import pickle
import sys

import pytest

from composer.models import Conversation, Message, files
from composer.models.parts import SharedFields


def _read(tmp_path, count: int = 50) -> Conversation:
    conversation = Conversation(messages=[Message.text("user", f"row {i}") for i in range(count)])
    path = tmp_path / "c.json"
    files.save(conversation, path)
    return files.load(path)


def test_a_files_messages_share_one_fields_set_and_one_empty_extras(tmp_path):
    messages = _read(tmp_path).messages
    assert len({id(m.__pydantic_fields_set__) for m in messages}) == 1
    assert len({id(m.parts[0].__pydantic_fields_set__) for m in messages}) == 1
    assert len({id(m.__pydantic_extra__) for m in messages}) == 1
    assert messages[0].model_fields_set == {"role", "parts"}
    # What it saves: pydantic's own set and dict would be over 250 bytes a model.
    assert sys.getsizeof(set()) + sys.getsizeof({}) > 250


def test_setting_a_field_or_an_unknown_key_changes_that_instance_only(tmp_path):
    first, second = _read(tmp_path, 2).messages
    first.role = "assistant"
    first.note = "mine"  # an unknown key: kept as an extra
    assert first.model_extra == {"note": "mine"} and second.model_extra == {}
    assert second.model_fields_set == {"role", "parts"}
    assert second.to_dict() == {"role": "user", "parts": [{"type": "text", "text": "row 1"}]}
    del first.note
    assert first.model_extra == {} and second.model_extra == {}


def test_copies_with_updates_and_deep_copies_own_what_they_change(tmp_path):
    first, second = _read(tmp_path, 2).messages
    changed = first.model_copy(update={"role": "system", "extra_key": 1})
    assert changed.model_extra == {"extra_key": 1} and first.model_extra == {}
    assert "extra_key" not in second.model_fields_set
    deep = second.model_copy(deep=True, update={"other": 2})
    assert deep.model_extra == {"other": 2} and second.model_extra == {}
    clone = copy.deepcopy(second)
    clone.parts[0].text = "changed"
    assert second.parts[0].text == "row 1"
    back = pickle.loads(pickle.dumps(second))
    back.later = 3
    assert back != second and second.model_extra == {}


def test_dumps_of_only_the_given_fields_still_work(tmp_path):
    message = _read(tmp_path, 1).messages[0]
    assert message.model_dump(exclude_unset=True) == {
        "role": "user", "parts": [{"type": "text", "text": "row 0"}]}


def test_a_shared_fields_set_refuses_to_change():
    shared = SharedFields({"role"})
    for change in (lambda: shared.add("x"), lambda: shared.update({"x"}),
                   lambda: shared.discard("role"), shared.clear):
        with pytest.raises(TypeError):
            change()
    assert shared == {"role"}
