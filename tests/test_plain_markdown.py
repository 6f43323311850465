"""Markdown as plain text (composer/views/plain_markdown.py): a text whose only Markdown-looking
characters are digits is read as paragraphs without the parser, and must read as the parser
reads it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composer.views.plain_markdown import parsed, plain_markdown
from tests.trials import examples

# Letters, digits, the punctuation a prose line has, spaces, blank and indented lines, and
# what could make a line a list item ("1.", "2)") or a heading's underline ("==").
PIECES = st.sampled_from(["word", "Word", " ", "  ", "\n", "\n\n", "\n    ", "12", "3", ".", ")",
                          ",", "!", "?", ":", "(", "=", "==", "é", "漢", "$", "@", "]", "'",
                          '"', "/", "  \n"])


@settings(max_examples=examples(800), deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_a_text_with_digits_but_no_syntax_reads_as_the_parser_reads_it(text):
    if any(c.isdigit() for c in text):
        assert plain_markdown.__wrapped__(text) == parsed(text)


def test_digits_starting_a_list_still_go_through_the_parser():
    assert plain_markdown("Steps:\n\n1. one\n2) two") == "Steps:\n1. one\n2. two"
    assert plain_markdown("Title 2\n===\nBody") == "Title 2\nBody"
    assert plain_markdown("In 2024   \n  there were 3 of them.\n\n\nThen 4.") == \
        "In 2024\nthere were 3 of them.\nThen 4."
