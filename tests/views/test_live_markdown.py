"""A streaming reply's Markdown is rendered block by block: finished blocks once, only the open
block live, the end costing one more block, a long reply spread over views of bounded size, and
the result the same as rendering the whole text at once."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextBlockFormat

from composer.models.assembler import Assembler
from composer.models.events import TextDelta
from composer.models.exchange import Exchange, ExchangeExtras
from composer.views.results import frames, live
from composer.views.results.blocks import ReplyText, TextBlock
from composer.views.results.markdown import block_starts, fence_at, fence_end, to_html
from composer.views.results.pane import ResultsPane

SAMPLE = ("# Title\n\npara **bold**\nline two\n\n```python\ndef f():\n    pass\n```\n\n"
          "after code\n\n- a\n- b\n\n1. one\n\n2. two\n\n   more\n\n> quote\n\n---\n\n"
          "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~~\ntilde\n~~~\nlast para")


def _blocks(doc) -> list[tuple]:
    out, block = [], doc.begin()
    while block.isValid():
        f = block.blockFormat()
        background = f.background().color().name() \
            if f.hasProperty(QTextBlockFormat.Property.BackgroundBrush) else None
        out.append((block.text().strip(), f.headingLevel(), background, f.topMargin(),
                    f.bottomMargin(), block.textList() is not None, f.indent(),
                    block.charFormat().fontWeight()))
        block = block.next()
    return out


def test_finished_blocks_are_where_the_parser_says_and_a_fence_end_is_found_by_scanning():
    text = "# T\n\npara\nmore\n\n- a\n\n- b\n\ntext\n```py\ncode\n\n\nx\n"
    assert [text[i:i + 4] for i in block_starts(text)] == ["# T\n", "para", "- a\n", "text",
                                                          "```p"]
    last = block_starts(text)[-1]  # the open block: every block before it is finished
    assert fence_at(text, last) == "```" and fence_at(text, 0) == ""
    tail = text[last:]
    assert fence_end(tail, "```") == -1  # still open
    assert fence_end(tail + "```\nafter", "```") == len(tail) + 4
    assert block_starts("one paragraph, still open") == [0]


@pytest.mark.parametrize("step", [1, 7, 50])
@pytest.mark.parametrize("budget", [frames.FRAME_BUDGET, 0.0])
def test_streamed_block_by_block_it_looks_the_same_as_rendered_at_once(qtbot, monkeypatch, step,
                                                                        budget):
    monkeypatch.setattr(frames, "FRAME_BUDGET", budget)  # 0: one piece per frame, the rest waits
    monkeypatch.setattr(live, "PIECE", 10)
    view = ReplyText()
    qtbot.addWidget(view)
    stream = live.LiveMarkdown(view)
    for i in range(0, len(SAMPLE), step):
        stream.append(SAMPLE[i:i + step])
        stream.update("#f2f2f2")
        assert stream.text == SAMPLE[:i + step]
    stream.finish("#f2f2f2")
    while stream.busy:
        stream.update("#f2f2f2")
    whole = ReplyText()
    qtbot.addWidget(whole)
    whole.setHtml(to_html(SAMPLE))
    assert _blocks(view.document()) == _blocks(whole.document())


def test_a_finished_block_is_not_rendered_again_when_more_text_arrives(qtbot):
    view = ReplyText()
    qtbot.addWidget(view)
    stream = live.LiveMarkdown(view)
    paragraphs = [f"Paragraph {i} with **bold** and `code`.\n\n" for i in range(200)]
    for paragraph in paragraphs:
        for word in paragraph.split(" "):
            stream.append(word + " ")
            stream.update("#fff")
    while stream.busy:
        stream.update("#fff")
    # Every finished paragraph went through the renderer once; the open one not at all.
    text = stream.text
    assert stream.rendered_chars == text.index(" Paragraph 199")
    assert stream.renders == 0
    before = stream.rendered_chars
    stream.finish("#fff")  # the end costs the last block only
    assert stream.rendered_chars - before == len(text) - before
    assert stream.rendered_chars == len(text)
    assert "**" not in view.toPlainText() and "Paragraph 199" in view.toPlainText()


def test_a_huge_code_block_streams_without_being_rendered_until_it_closes(qtbot):
    view = ReplyText()
    qtbot.addWidget(view)
    stream = live.LiveMarkdown(view)
    stream.append("Intro.\n\n```python\n")
    for i in range(3000):
        stream.append(f"x_{i} = {i}  # line\n")
        stream.update("#fff")
    assert stream.rendered_chars == len("Intro.\n\n")  # the intro only: the code is open
    assert view.toPlainText().count("# line") == 3000  # shown as it came
    stream.append("```\n\nAfter.")
    stream.update("#fff")
    while stream.busy:
        stream.update("#fff")
    assert stream.rendered_chars == len(stream.text) - len("\nAfter.")  # it stays open


def test_a_long_reply_fills_views_of_bounded_size_one_after_the_other(qtbot):
    block = TextBlock()
    qtbot.addWidget(block)
    text = "".join(f"Paragraph {i}: " + "word " * 30 + "\n\n" for i in range(1500))
    block.append(text)
    block.finish()
    while block.busy:
        block.maybe_render()
    pages = block.stream.pages
    assert len(pages) > 2 and pages[0] is block.view
    shown = "\n".join(page.toPlainText() for page in pages)
    assert "Paragraph 0:" in shown and "Paragraph 1499:" in shown and "\n\n\n" not in shown
    assert all(page.document().characterCount() < 2 * live.PAGE for page in pages)
    block.set_markdown(False)  # the raw text goes back to one view
    assert len(block.stream.pages) == 1 and block.view.toPlainText() == text


def test_the_pane_ends_a_long_reply_without_blocking_and_catches_up_in_later_frames(qtbot):
    pane = ResultsPane()
    qtbot.addWidget(pane)
    pane.show()
    assembler = Assembler()
    pane.begin(assembler)
    for i in range(400):
        event = TextDelta("t", f"Paragraph {i} with *emphasis* and a "
                               "[link](https://x.invalid).\n\n")
        pane.feed(event, assembler.feed(event))
    pane.end(Exchange(messages=[assembler.message()], composer=ExchangeExtras()))
    block = pane.blocks_of(TextBlock)[0]
    assert block.finished and not pane.caught_up  # the rest renders over the next frames
    qtbot.waitUntil(lambda: pane.caught_up, timeout=20000)
    assert block.stream.rendered_chars == len(block.text)
    assert "Paragraph 399" in "".join(p.toPlainText() for p in block.stream.pages)


def test_after_a_parse_a_piece_waits_for_the_next_turn_but_never_twice_running(qtbot,
                                                                              monkeypatch):
    # A budget of 0: every piece ends past its turn's deadline (and every update is a turn,
    # from fresh turns: not in the rest a test before left).
    monkeypatch.setattr(frames, "FRAME_BUDGET", 0.0)
    monkeypatch.setattr(live, "frames", frames.Frames())
    monkeypatch.setattr(live, "PIECE", 10)
    view = ReplyText()
    qtbot.addWidget(view)
    stream = live.LiveMarkdown(view)
    rendered: list[int] = []
    for i in range(30):
        stream.append(f"Paragraph {i} with **bold**.\n\n")  # a parse each time
        before = len(stream._done)
        stream.update("#fff")
        rendered.append(len(stream._done) - before)
    # A parse and then a piece would end past the deadline: the piece waits, but not twice
    # running, so one update in two renders a piece while text keeps coming...
    assert rendered[:2] == [0, 0] and max(rendered) == 1  # (the first: no block finished)
    assert all(a + b == 1 for a, b in zip(rendered[1:], rendered[2:], strict=False))
    # ...and with no new text to parse, each update renders one.
    waiting = len(stream._ready)
    stream.update("#fff")
    assert len(stream._ready) == waiting - 1
    stream.finish("#fff")
    while stream.busy:
        stream.update("#fff")
    assert "**" not in view.toPlainText() and "Paragraph 29 with bold" in view.toPlainText()



def test_a_rendered_piece_changes_the_document_once_not_once_per_edit(qtbot, monkeypatch):
    monkeypatch.setattr(frames, "FRAME_BUDGET", 0.0)  # a piece an update at most
    monkeypatch.setattr(live, "frames", frames.Frames())
    monkeypatch.setattr(live, "PIECE", 10)  # a paragraph a piece
    view = ReplyText()
    qtbot.addWidget(view)
    stream = live.LiveMarkdown(view)
    stream.append("# First\n\nSecond, with **bold**.\n\nThird *one*.\n\nOpen")
    while len(stream._done) < 1:  # the first piece: the document set anew (setHtml)
        stream.update("#fff")
    changes: list[tuple[int, int, int]] = []
    view.document().contentsChange.connect(lambda *change: changes.append(change))
    stream.update("#fff")  # nothing new to parse: one piece, put in by five edits
    assert len(stream._done) == 2 and "Second, with bold." in view.toPlainText()
    assert len(changes) == 1  # laid out once (it was five times)
