"""jsontext.loads reads with pydantic-core's parser and falls back to json's: what it returns must
be what json.loads returns, value for value, and it must refuse what json refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.models import jsontext
from tests.trials import examples

# Strings with what a stream sends: escapes, lone and paired surrogates, line separators.
TEXT = st.text(st.characters(codec=None, categories=None, exclude_characters=()), max_size=20)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and repr(a) == repr(b)  # (NaN, -0.0 and key order count)


@settings(max_examples=examples(400), deadline=None)
@given(VALUES, st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1},
                                {"separators": (",", ":")}]))
def test_any_json_text_reads_as_json_reads_it(value, style):
    text = json.dumps(value, **style)
    assert _same(jsontext.loads(text, repair_text=False)[0], json.loads(text))
    assert _same(jsontext.value(text), json.loads(text))


@settings(max_examples=examples(400), deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]",:0123456789.eE+-tnrufals \\ud8\n')
                                         + ["\ud83d", "\u2028", "é"]), max_size=30))
def test_any_text_is_refused_where_json_refuses_it(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        with pytest.raises(jsontext.JSONTextError):
            jsontext.loads(text, repair_text=False)
        return
    assert _same(jsontext.loads(text, repair_text=False)[0], expected)


@pytest.mark.parametrize("text", ['"\\ud83d"', '{"a": "x\\udc00y"}', '"\\ude00\\ud83d"',
                                  '"\ud800"', "1" * 4301, "[" * 101 + "]" * 101])
def test_what_the_fast_reader_refuses_still_reads_or_fails_as_before(text):
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(jsontext.JSONTextError):
            jsontext.loads(text, repair_text=False)
        return
    if text.startswith("[["):
        with pytest.raises(jsontext.JSONTextError):  # deeper than MAX_DEPTH
            jsontext.loads(text, repair_text=False)
        return
    assert jsontext.loads(text, repair_text=False)[0] == expected


@settings(max_examples=examples(300), deadline=None)
@given(VALUES, st.booleans())
def test_utf8_bytes_read_as_their_text_reads(value, repair):
    text = json.dumps(value, ensure_ascii=False)
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate: bytes no decoder takes
    try:
        expected = jsontext.loads(data.decode("utf-8"), repair_text=repair)
    except UnicodeDecodeError:
        with pytest.raises(jsontext.JSONTextError, match="not UTF-8 text"):
            jsontext.loads(data, repair_text=repair)
        return
    found = jsontext.loads(data, repair_text=repair)
    assert _same(found[0], expected[0]) and found[1] == expected[1]


def test_utf8_bytes_nested_past_the_limit_are_refused_and_at_it_read():
    assert jsontext.loads(("[" * 100 + "]" * 100).encode())[0] == json.loads("[" * 100 + "]" * 100)
    deep = '{"a": ' * 101 + "1" + "}" * 101
    with pytest.raises(jsontext.JSONTextError, match="nested more than 100"):
        jsontext.loads(deep.encode())
    assert jsontext.utf8_value(deep.encode()) is None


@pytest.mark.parametrize(("data", "lone"), [(b'["\\ud83d", "\\ude42\\ud83d"]', 3),
                                           (b'{"\\udc00": "x"}', 1)])
def test_lone_surrogates_in_utf8_bytes_are_replaced_and_counted(data, lone):
    assert jsontext.utf8_value(data) is None  # the fast reader refuses them...
    found, replaced = jsontext.loads(data)  # ...and the text's reader repairs them
    assert replaced == lone
    assert "\ufffd" in json.dumps(found, ensure_ascii=False)


def test_a_file_read_from_its_bytes_keeps_the_old_messages(tmp_path):
    from composer.models import FormatError, files

    cases = {b"\xff{}": "not UTF-8 text", b'{"a": [1,}': "invalid JSON",
             b"\xef\xbb\xbf{}": "invalid JSON: Unexpected UTF-8 BOM"}
    for data, message in cases.items():
        path = tmp_path / "f.json"
        path.write_bytes(data)
        with pytest.raises(FormatError, match=message):
            files.read_json(path)
    path.write_bytes('{"a": "\\ud800 é 🙂"}'.encode())
    assert files.read_json_counted(path) == ({"a": "\ufffd é 🙂"}, 1)
