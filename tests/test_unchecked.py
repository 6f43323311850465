"""Shipped files built without pydantic's validator (models/unchecked.py) are what the validator
makes of them, field for field and type for type; anything else is still validated."""

import json

import pytest

from composer.models import unchecked
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.exchange import Exchange
from composer.models.files import load_shipped_conversation, read_json
from composer.models.value import Value
from composer.paths import EXAMPLES
from composer.preferences import Preferences


def _shape(value):
    """A value's content with the type of every model and container in it."""
    if isinstance(value, Value):
        fields = {k: _shape(getattr(value, k)) for k in value.__struct_fields__}
        return (type(value), fields, _shape(value._extra))
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
    """In a fresh interpreter: the example and the default preferences are read without
    pydantic (its import and the first validator cost a quarter of a cold start)."""
    pytest.importorskip("PySide6", reason="the example is the window's (CI's Qt-free core run)")
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from composer.views.files import example_conversation\n"
        "from composer.preferences import Preferences\n"
        "conversation = example_conversation(); "
        f"preferences = Preferences.load({str(tmp_path)!r})\n"
        "print(len(conversation.messages), preferences.keep_replies,\n"
        "      [m for m in ('pydantic', 'pydantic_core', 'importlib.metadata')\n"
        "       if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "True", "[]"]


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


# -- a file of ours: the bytes the window saved, reopened at the next start ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from composer.models import files  # noqa: E402
from composer.models.parts import Message  # noqa: E402
from composer.models.settings import RequestSettings, Tool  # noqa: E402
from composer.models.tree import Tree  # noqa: E402
from tests.test_formats_properties import FULL, conversations  # noqa: E402

_settings = st.builds(
    RequestSettings, provider=st.sampled_from(["anthropic", "openai", "custom"]),
    model=st.text(max_size=8), temperature=st.none() | st.floats(0, 2),
    max_tokens=st.none() | st.integers(1, 10**6),
    tools=st.lists(st.builds(Tool, name=st.text("abc_", min_size=1, max_size=6)), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(FULL), _settings, st.booleans())
def test_our_own_bytes_read_without_the_validator_as_the_validator_reads_them(
        conversation, request_settings, extra):
    conversation.settings = request_settings
    if extra:
        conversation.__pydantic_extra__ = {"their_key": [1, {"a": None}]}
    data, _replaced = files.encode_doc(conversation)
    ours = files.conversation_from_bytes(data, "c.json", ours=True)
    validated = files.conversation_from_bytes(data, "c.json")
    assert _shape(ours) == _shape(validated)
    assert ours == validated and ours.to_dict() == validated.to_dict()
    assert files.encode_doc(ours)[0] == data


def test_our_own_file_with_branches_reads_its_tree_as_the_validator_does():
    rows = [Message.text("user", "q1"), Message.text("assistant", "r1"),
            Message.text("user", "q2"), Message.text("assistant", "r2")]
    tree, fork = Tree.linear(rows).commit([*rows[:2], Message.text("user", "q2 again")])
    assert fork == 2
    tree = tree.rename(tree.leaves[0], "the first try")
    conversation = Conversation(messages=tree.messages())
    conversation.set_tree(tree)
    data, _replaced = files.encode_doc(conversation)
    ours = files.conversation_from_bytes(data, "c.json", ours=True)
    validated = files.conversation_from_bytes(data, "c.json")
    assert ours.tree == validated.tree == tree and _shape(ours) == _shape(validated)
    assert files.encode_doc(ours)[0] == data
    # A tree that does not fit its rows is the validator's to refuse, with its message.
    broken = json.loads(data)
    broken["composer"]["tree"]["nodes"] = broken["composer"]["tree"]["nodes"][:1]
    with pytest.raises(FormatError):
        files.conversation_from_bytes(json.dumps(broken).encode(), "c.json", ours=True)


def test_the_last_file_this_window_saved_is_reopened_without_building_a_validator(tmp_path):
    """In a fresh interpreter, the window's start, with no file (the last one reopened) or on
    that file: the file the state vouches for (its sha256) is built without the validator; the
    same file changed since is validated."""
    pytest.importorskip("PySide6", reason="the window's start (CI's Qt-free core run)")
    import hashlib
    import os
    import subprocess
    import sys

    path = tmp_path / "last.json"
    files.save(Conversation(messages=[Message.text("user", "Hi")],
                            settings=RequestSettings(provider="anthropic", model="m")), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    user = tmp_path / "u"
    user.mkdir()
    (user / "draft-state.json").write_text(json.dumps(
        {"path": str(path), "file_sha256": digest, "file_chosen": ["provider"]}))
    code = (
        "import sys, tempfile\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from composer.views.window import MainWindow\n"
        f"window = MainWindow(user_dir={str(user)!r}, reopen=sys.argv[1] == 'reopen')\n"
        "window.autosaver.stop()\n"
        f"sys.argv[1] == 'reopen' or window.open_path({str(path)!r})  # llm-composer FILE\n"
        "from composer.models.value import _adapter\n"
        "print(window.document.messages[0].plain_text, window._vouched is not None,\n"
        "      'pydantic' in sys.modules, _adapter.cache_info().currsize)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def start(how: str) -> str:
        return subprocess.run([sys.executable, "-c", code, how], capture_output=True,
                              text=True, env=env, check=True).stdout.strip()

    assert start("reopen") == "Hi True False 0"
    assert start("on the file") == "Hi True False 0"
    path.write_bytes(path.read_bytes().replace(b'"Hi"', b'"Hi there"'))  # edited elsewhere
    for how in ("reopen", "on the file"):
        line = start(how)
        assert line == "Hi there False True 1"
