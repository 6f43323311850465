"""Properties over every registered format (wire formats included as they land).

(a) export then import is the identity on what the format can hold: conversations are drawn
from a strategy limited by the format's capabilities (table below).
(b) garbage — random JSON, truncated valid documents, wrongly typed fields, random text — ends
in a FormatError or a valid import, never any other exception.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.models import (
    Attachment,
    AttachmentPart,
    Conversation,
    FormatError,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.formats import all_formats, import_text
from composer.models.formats.base import Imported
from tests.trials import examples

SETTINGS = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# What each format holds exactly. A format missing here gets the plain-text profile only, so a
# new format is still covered (and a failure says which capability to declare).
FULL = {"roles": ("system", "user", "assistant", "tool"), "multi_text": True,
        "reasoning": True, "tools": True, "attachments": True, "metadata": True,
        "call_ids": True}
CAPABILITIES: dict[str, dict] = {
    "composer": FULL,
    "llm": FULL,
    "markdown": {**FULL, "metadata": False, "attachments": "url"},
    "sharegpt": {"roles": ("system", "user", "assistant"), "multi_text": False},
}
# The wire formats: alternating user/assistant turns of non-blank text, which every protocol
# holds (empty text blocks and same-role runs are legitimately merged or refused there).
PLAIN = {"roles": ("user", "assistant"), "multi_text": False, "alternate": True,
         "nonblank": True}


def _text(markdown_safe: bool = False, nonblank: bool = False) -> st.SearchStrategy[str]:
    alphabet = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00")
    text = st.text(alphabet, max_size=40)
    if nonblank:
        text = text.filter(lambda s: s.strip() == s and s != "")
    if markdown_safe:  # our Markdown markers are whole lines starting "<!-- composer:"
        text = text.filter(lambda s: "<!--" not in s)
    return text


_json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=10)
_json = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
_ident = st.text(string.ascii_letters + "_", min_size=1, max_size=12)


@st.composite
def conversations(draw, caps: dict) -> Conversation:
    md = caps is CAPABILITIES.get("markdown")
    meta = st.none() | (st.just({"anthropic": {"signature": "sig=="}}) if caps.get("metadata")
                        else st.none())
    messages = []
    for i in range(draw(st.integers(1, 5))):
        if caps.get("alternate"):
            role = caps["roles"][i % 2]
        else:
            role = draw(st.sampled_from(caps["roles"]))
        parts: list = []
        if role == "tool" and caps.get("tools"):
            for _ in range(draw(st.integers(1, 2))):
                parts.append(ToolResultPart(name=draw(_ident), output=draw(_text(md)),
                                            tool_call_id=draw(_ident),
                                            provider_metadata=draw(meta)))
        elif role == "tool":
            continue
        else:
            n = draw(st.integers(1, 3)) if caps.get("multi_text") else 1
            parts += [TextPart(text=draw(_text(md, caps.get("nonblank", False))),
                               provider_metadata=draw(meta))
                      for _ in range(n)]
            if role == "assistant" and caps.get("reasoning") and draw(st.booleans()):
                parts.insert(0, ReasoningPart(text=draw(_text(md)), provider_metadata=draw(meta),
                                              redacted=draw(st.booleans())))
            if role == "assistant" and caps.get("tools") and draw(st.booleans()):
                arguments = draw(st.dictionaries(_ident, _json, max_size=3))
                parts.append(ToolCallPart(name=draw(_ident), arguments=arguments,
                                          tool_call_id=draw(_ident) if caps.get("call_ids")
                                          else None, provider_metadata=draw(meta)))
            if role == "user" and caps.get("attachments") and draw(st.booleans()):
                if caps["attachments"] == "url":
                    att = Attachment(type="image/png", url=f"https://x.test/{draw(_ident)}.png")
                else:
                    att = Attachment.from_bytes(draw(st.binary(max_size=30)), mime="image/png")
                parts.append(AttachmentPart(attachment=att))
        messages.append(Message(role=role, parts=parts))
    return Conversation(messages=messages)


def _round_trip_formats():
    return [f for f in all_formats()
            if f.dump is not None and f.load is not None and f.input_kind != "binary"]


def _round_trip_groups() -> list[list]:
    """The round-trip formats, those that hold the same together (the wire formats, composer
    and llm): one drawn conversation serves a group."""
    groups: dict[int, list] = {}
    for fmt in _round_trip_formats():
        groups.setdefault(id(CAPABILITIES.get(fmt.name, PLAIN)), []).append(fmt)
    return list(groups.values())


@pytest.mark.parametrize("fmts", _round_trip_groups(),
                         ids=lambda fmts: "+".join(f.name for f in fmts))
def test_export_then_import_is_identity_on_what_the_format_holds(fmts):
    caps = CAPABILITIES.get(fmts[0].name, PLAIN)

    @SETTINGS
    @given(conversations(caps))
    def check(conversation: Conversation) -> None:
        for fmt in fmts:
            exported = fmt.dump(conversation)
            assert not any(loss.dropped for loss in exported.losses), (fmt.name,
                                                                       exported.losses)
            back = import_text(exported.text, fmt.name, "<test>").conversation
            assert [m.to_dict() for m in back.messages] == \
                [m.to_dict() for m in conversation.messages], fmt.name

    check()


# -- garbage ------------------------------------------------------------------------------------


def _load_or_format_error(fmt, value) -> None:
    try:
        result = fmt.load(value, "<test>")
    except FormatError:
        return
    assert isinstance(result, Imported), fmt.name
    assert isinstance(result.conversation, Conversation), fmt.name


def _samples(fmt) -> list:
    """Valid documents of this format, to truncate and to mistype."""
    conv = Conversation(messages=[
        Message.text("system", "sys"), Message.text("user", "hello"),
        Message(role="assistant", parts=[TextPart(text="hi"),
                                         ToolCallPart(name="f", arguments={"a": 1},
                                                      tool_call_id="c1")]),
        Message(role="tool", parts=[ToolResultPart(name="f", output="1", tool_call_id="c1")]),
        Message.text("assistant", "done"),
    ])
    if fmt.dump is None:
        return []
    return [fmt.dump(conv).text]


def _mutations(value) -> st.SearchStrategy:
    """The value with one field somewhere replaced by a wrongly typed one."""
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(value, ())

    def replace(node, path, new):
        if not path:
            return new
        head, rest = path[0], path[1:]
        if isinstance(node, dict):
            return {**node, head: replace(node[head], rest, new)}
        copy = list(node)
        copy[head] = replace(node[head], rest, new)
        return copy

    wrong = st.sampled_from([None, 0, -1, 1.5, True, "", "x", [], {}, [1], {"type": 3}])
    return st.tuples(st.sampled_from(paths), wrong).map(lambda pw: replace(value, *pw))


_loaders = [f for f in all_formats() if f.load is not None]


@SETTINGS
@given(_json)
def test_random_json_is_a_format_error_or_an_import_in_every_format(value):
    # One value for every reader: drawing it costs more than reading it (a reader's failure
    # names its format).
    for fmt in _loaders:
        _load_or_format_error(fmt, value)


def _cut(value, budget: list[int]):
    """``value`` with only its first ``budget[0]`` nodes (depth first): a document cut short
    and closed again, so it is still JSON and reaches the reader."""
    budget[0] -= 1
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        kept = []
        for key, item in items:
            if budget[0] <= 0:
                break
            kept.append((key, _cut(item, budget)))
        return dict(kept) if isinstance(value, dict) else [item for _, item in kept]
    return value


def _nodes(value) -> int:
    if isinstance(value, dict | list):
        return 1 + sum(_nodes(v) for v in (value.values() if isinstance(value, dict) else value))
    return 1


@pytest.mark.parametrize("fmt", [f for f in _loaders if f.dump is not None],
                         ids=lambda f: f.name)
def test_truncated_and_mistyped_documents_are_format_errors_or_imports(fmt):
    """Every cut of a valid document reaches the reader: a JSON document cut after each of its
    nodes (and closed: a cut JSON text is not JSON, so it would stop at the parser), a text
    document cut at every character (in steps, for a long one)."""
    (text,) = _samples(fmt)
    reached: list[int] = []
    imported: list[int] = []

    def load(value) -> None:
        reached.append(1)
        try:
            result = fmt.load(value, "<test>")
        except FormatError:
            return
        assert isinstance(result, Imported)
        imported.append(len(result.conversation.messages))

    try:
        whole = json.loads(text)
    except json.JSONDecodeError:  # a text format's own text (Markdown)
        whole = None
    if whole is not None:
        cuts = list(range(1, _nodes(whole) + 1))
        for n in cuts:
            value = _cut(whole, [n])
            load(value if fmt.input_kind == "json" else json.dumps(value))
        assert _cut(whole, [cuts[-1]]) == whole
    else:
        cuts = sorted({*range(0, len(text), max(1, len(text) // 400)), len(text)})
        for n in cuts:
            load(text[:n])
    full = len(fmt.load(text if whole is None or fmt.input_kind == "text" else whole,
                        "<test>").conversation.messages)
    assert len(reached) == len(cuts)
    assert any(0 < n < full for n in imported), "no cut short of the whole was read"
    if fmt.input_kind == "text":
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return
    else:
        document = json.loads(text)

    @SETTINGS
    @given(_mutations(document))
    def mistyped(value) -> None:
        _load_or_format_error(fmt, value if fmt.input_kind == "json" else json.dumps(value))

    mistyped()


@SETTINGS
@given(st.text(max_size=200) | _json.map(json.dumps))
def test_import_text_of_anything_is_a_format_error_or_an_import(text):
    try:
        result = import_text(text, None, "<test>")
    except FormatError:
        return
    assert isinstance(result.conversation, Conversation)
