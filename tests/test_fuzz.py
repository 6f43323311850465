"""A short run of the fuzz suite (tests/fuzz.py) in the normal test run: every importer,
detector, stream parser and exporter gets the same generated hostile cases as
``python -m tests.fuzz`` (10,000 per target there), and none may raise anything but the clear
error type."""

from __future__ import annotations

import json

import pytest

from composer.providers.presets import protocol_for
from tests import fuzz
from tests.trials import examples

CASES = examples(150)  # per target; python -m tests.fuzz runs 10,000


@pytest.mark.parametrize("target", list(fuzz.targets()))
def test_no_unexpected_exception(target):
    (tally,) = fuzz.run(CASES, seed=0, only=[target])
    assert tally.cases == CASES
    assert tally.unexpected == []


def test_the_suite_counts_what_escapes():
    # A target that raises is counted, not hidden: the suite can fail.
    tallies = fuzz.run(3, seed=0, only=["import:auto"])
    assert tallies[0].cases == 3
    original = fuzz.formats.import_text
    try:
        fuzz.formats.import_text = lambda *a: 1 / 0
        assert len(fuzz.run(3, seed=0, only=["import:auto"])[0].unexpected) == 3
    finally:
        fuzz.formats.import_text = original


def test_a_chat_tool_call_index_that_is_a_list_is_its_position():
    from composer.providers.base import Frame

    parser = protocol_for("openai-chat").new_parser()
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": [], "id": "c1", "function": {"name": "f", "arguments": "{}"}}]}}]}
    events = parser.feed(Frame(json.dumps(chunk)))
    assert any(getattr(e, "name", None) == "f" for e in events)
