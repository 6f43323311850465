"""jsontext.loads reads with pydantic-core's parser and falls back to json's: what it returns must
be what json.loads returns, value for value, and it must refuse what json refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.models import jsontext

# Strings with what a stream sends: escapes, lone and paired surrogates, line separators.
TEXT = st.text(st.characters(codec=None, categories=None, exclude_characters=()), max_size=20)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and repr(a) == repr(b)  # (NaN, -0.0 and key order count)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.sampled_from([{}, {"ensure_ascii": False}, {"indent": 1},
                                {"separators": (",", ":")}]))
def test_any_json_text_reads_as_json_reads_it(value, style):
    text = json.dumps(value, **style)
    assert _same(jsontext.loads(text, repair_text=False)[0], json.loads(text))
    assert _same(jsontext.value(text), json.loads(text))


@settings(max_examples=400, deadline=None)
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
