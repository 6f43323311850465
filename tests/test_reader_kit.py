"""The reader kit (composer/models/formats/_reader.py) under the four wire formats: a value of
the wrong JSON type is one FormatError, worded the same in every format, at its JSON path."""

from __future__ import annotations

import pytest

from composer.models.errors import FormatError
from composer.models.formats import get
from composer.models.formats._reader import Reader, at, need

CASES = [
    ("openai-chat", {"model": "m", "messages": [{"role": "user", "content": 3}]},
     "$.messages[0].content", "content must be a string or an array, not a number"),
    ("anthropic", {"model": "m", "max_tokens": 5, "messages": 3}, "$.messages",
     "messages must be an array, not a number"),
    ("gemini", {"contents": {}}, "$.contents", "contents must be an array, not an object"),
    ("openai-responses", {"model": "m", "input": [3]}, "$.input[0]",
     "input item must be an object, not a number"),
]


@pytest.mark.parametrize("name, body, location, problem", CASES, ids=[c[0] for c in CASES])
def test_a_wrongly_typed_field_is_one_error_at_its_path(name, body, location, problem):
    with pytest.raises(FormatError) as caught:
        get(name).load(body, "in.json")
    assert caught.value.location == location and problem in caught.value.problem
    assert caught.value.source == "in.json"


def test_the_kit_names_kinds_paths_and_keeps_bool_apart_from_numbers():
    assert at(at("$", "messages"), 2) == "$.messages[2]"
    assert need(1.5, (int, float), "temperature", "$.t") == 1.5
    with pytest.raises(FormatError) as caught:
        need(True, (int, float), "temperature", "$.t", "x.json")
    assert str(caught.value) == "x.json: $.t: temperature must be a number, not a boolean"
    reader = Reader("y.json")
    assert reader.string(None, "$.a", optional=True) is None
    with pytest.raises(FormatError, match=r"the value must be an object, not null"):
        reader.obj(None, "$.b")
    reader.note("cache hint dropped", 0, 1)
    assert [loss.line() for loss in reader.losses] == [
        "note: message 1, part 2: cache hint dropped"]
