"""The request body as the wire carries it: what httpx's ``json=`` would send, byte for byte,
encoded a message at a time (composer.providers.http.json_body)."""

from __future__ import annotations

import math

import pytest
from httpx._content import encode_json
from hypothesis import given
from hypothesis import strategies as st

from composer.providers.http import json_body

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=30)


@given(_json)
def test_the_body_is_what_httpx_would_send(body):
    assert json_body(body) == b"".join(encode_json(body)[1])


@given(st.dictionaries(st.integers() | st.text(max_size=3), _json, max_size=3))
def test_keys_that_are_not_strings_are_written_as_json_writes_them(body):
    assert json_body({"messages": [body]}) == b"".join(encode_json({"messages": [body]})[1])


def test_nan_is_refused_as_httpx_refuses_it():
    for body in ({"messages": [{"t": math.nan}]}, {"x": math.inf}):
        with pytest.raises(ValueError):
            json_body(body)
