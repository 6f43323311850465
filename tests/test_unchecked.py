"""Shipped files built without pydantic's validator (models/unchecked.py) are what the validator
makes of them, field for field and type for type; anything else is still validated."""

import json

import pytest
from pydantic import BaseModel

from composer.models import unchecked
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.exchange import Exchange
from composer.models.files import load_shipped_conversation, read_json
from composer.paths import EXAMPLES
from composer.preferences import Preferences


def _shape(value):
    """A value's content with the type of every model and container in it."""
    if isinstance(value, BaseModel):
        fields = {k: _shape(getattr(value, k)) for k in type(value).model_fields}
        return (type(value), fields, _shape(value.model_extra), sorted(value.model_fields_set))
    if isinstance(value, dict):
        return (dict, {k: _shape(v) for k, v in value.items()})
    if isinstance(value, list):
        return (list, [_shape(v) for v in value])
    return (type(value), value)


def _rich_conversation() -> dict:
    """The shipped exchange's conversation with its reply: every part type the example uses
    and more (tool calls, reasoning), an unknown key at three levels."""
    data = Exchange.model_validate(read_json(EXAMPLES / "exchange.json")).conversation().to_dict()
    data["their_key"] = [1, {"a": 2}]
    data["messages"][0]["note"] = "kept"
    data["settings"]["tools"] = [{"name": "get_weather", "parameters": {"type": "object"},
                                  "x-extra": True}]
    return data


@pytest.mark.parametrize("data", [read_json(EXAMPLES / "conversation.json"), _rich_conversation()],
                         ids=["example", "exchange-conversation"])
def test_a_shipped_conversation_builds_as_the_validator_reads_it(data):
    built = unchecked.build(Conversation, json.loads(json.dumps(data)))
    validated = Conversation.model_validate(data)
    assert _shape(built) == _shape(validated)
    assert built == validated
    assert built.to_dict() == validated.to_dict()


def test_the_example_is_built_without_building_a_validator(tmp_path):
    """In a fresh interpreter: the example and the default preferences are read and no model
    class has its validator built (the first one costs a tenth of a cold start)."""
    pytest.importorskip("PySide6", reason="the example is the window's (CI's Qt-free core run)")
    import subprocess
    import sys

    code = (
        "import sys, pydantic\n"
        "from composer.views.files import example_conversation\n"
        "from composer.preferences import Preferences\n"
        "conversation = example_conversation(); "
        f"preferences = Preferences.load({str(tmp_path)!r})\n"
        "def walk(c):\n"
        "    for s in c.__subclasses__():\n"
        "        yield s; yield from walk(s)\n"
        "print(len(conversation.messages), preferences.keep_replies,\n"
        "      [c.__name__ for c in walk(pydantic.BaseModel) if c.__pydantic_complete__],\n"
        "      'importlib.metadata' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "True", "[]", "False"]


def test_default_preferences_are_the_validated_defaults(tmp_path):
    loaded = Preferences.load(tmp_path)
    assert loaded == Preferences() and _shape(loaded) == _shape(Preferences())
    loaded.keep_replies = False
    loaded.save(tmp_path)
    assert Preferences.load(tmp_path).keep_replies is False


def test_a_file_it_cannot_build_so_is_validated(tmp_path):
    """A newer version, a tree, or a value the annotations cannot place goes through the
    validator, with its errors."""
    example = read_json(EXAMPLES / "conversation.json")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**example, "composer": {"kind": "conversation",
                                                         "format_version": 99}}))
    with pytest.raises(FormatError, match="newer Composer"):
        load_shipped_conversation(newer)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**example, "messages": [{"role": "user",
                                                           "parts": [{"type": "nope"}]}]}))
    with pytest.raises(FormatError):
        load_shipped_conversation(broken)
    for data in ({"messages": [{"role": "user", "parts": [{"type": "x"}]}]},
                 {"messages": [{"parts": []}]}, {"messages": {"role": "user"}}, []):
        with pytest.raises(TypeError):
            unchecked.build(Conversation, data)
