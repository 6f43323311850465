"""The results pane on its own: parts by type from events, coalesced flushes, incremental
appends, Markdown with highlighted code (and the raw toggle), nothing fetched, links only on
click, redacted reasoning, citations, output images, the footer."""

from __future__ import annotations

import base64

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QTextDocument, QTextTable

from composer.models.assembler import Assembler
from composer.models.events import (
    CitationAdded,
    Finish,
    OutputAttachment,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageReport,
)
from composer.models.exchange import Exchange, ExchangeExtras, Timing, Usage
from composer.models.parts import Message, ReasoningPart, TextPart
from composer.views import theme
from composer.views.results.blocks import (
    AttachmentBlock,
    ReasoningBlock,
    TextBlock,
    ToolCallBlock,
)
from composer.views.results.highlight import highlight_html, tokens
from composer.views.results.markdown import to_html
from composer.views.results.pane import ResultsPane
from composer.views.results.stats import footer_text


class _UrlRecorder(QObject):
    def __init__(self):
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def _pane(qtbot) -> tuple[ResultsPane, Assembler]:
    pane = ResultsPane()
    qtbot.addWidget(pane)
    pane.resize(500, 400)
    pane.show()
    assembler = Assembler()
    pane.begin(assembler)
    return pane, assembler


def _feed(pane: ResultsPane, assembler: Assembler, *events) -> None:
    for event in events:
        pane.feed(event, assembler.feed(event))


def test_highlighter_marks_keywords_strings_comments_numbers():
    pieces = tokens('def f(x):\n    return "hi" + 42  # done', "python")
    assert ("kw", "def") in pieces and ("kw", "return") in pieces
    assert ("str", '"hi"') in pieces and ("num", "42") in pieces and ("com", "# done") in pieces
    assert "".join(text for _, text in pieces) == 'def f(x):\n    return "hi" + 42  # done'
    assert ("com", "// note") in tokens("let x = 1; // note", "js")
    assert "&lt;b&gt;" in highlight_html('"<b>"', "")


def test_markdown_escapes_html_and_turns_images_into_links():
    html = to_html("**bold** <img src='http://evil/x.png'> ![cat](https://x/cat.png)")
    assert "<strong>bold</strong>" in html
    assert "<img" not in html and "&lt;img" in html
    assert '<a href="https://x/cat.png">[image: cat]</a>' in html


def test_deltas_are_coalesced_into_one_flush_per_frame(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, *[TextDelta("t", f"word{i} ") for i in range(500)])
    assert pane.blocks == {}  # nothing painted before the frame
    qtbot.waitUntil(lambda: pane.flush_count == 1, timeout=1000)
    block = pane.blocks_of(TextBlock)[0]
    assert block.text == "".join(f"word{i} " for i in range(500))
    assert pane.events_seen == 500


def test_streaming_text_appends_at_the_end_and_markdown_renders_when_finished(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, TextDelta("a", "Use **this**:\n\n```python\ndef go():\n"))
    pane.flush()
    block = pane.blocks_of(TextBlock)[0]
    renders = block.renders
    for _ in range(20):
        _feed(pane, asm, TextDelta("a", "    pass\n"))
        pane.flush()
    # Twenty flushes while streaming: appended in place, re-rendered at most by the throttle.
    assert block.renders - renders <= 1
    assert block.view.toPlainText().count("pass") == 20
    _feed(pane, asm, TextDelta("a", "```\n"), ToolCallStart("c", "lookup", "call_1"))
    pane.flush()
    assert block.finished
    html = block.view.toHtml()
    assert theme.colour("code-keyword") in html  # the keyword colour: code is highlighted
    assert "**" not in block.view.toPlainText()
    pane.set_markdown(False)
    assert "**this**" in block.view.toPlainText()


def test_rendered_reply_never_loads_a_remote_resource_and_links_open_on_click(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, TextDelta("a", "See ![chart](http://example.invalid/c.png) and "
                                    "[docs](https://example.invalid/docs)"))
    pane.flush()
    block = pane.blocks_of(TextBlock)[0]
    block.finish()
    assert "[image: chart]" in block.view.toPlainText()
    # Even an image a document asks for directly is refused, not fetched.
    assert block.view.loadResource(QTextDocument.ResourceType.ImageResource.value,
                                   QUrl("http://example.invalid/x.png")) is None
    assert block.view.refused_resources == ["http://example.invalid/x.png"]
    handler = _UrlRecorder()
    for scheme in ("https", "file"):
        QDesktopServices.setUrlHandler(scheme, handler, "open")
    try:
        assert handler.opened == []  # rendering opened nothing
        block.view.anchorClicked.emit(QUrl("https://example.invalid/docs"))
        block.view.anchorClicked.emit(QUrl("file:///etc/passwd"))
    finally:
        for scheme in ("https", "file"):
            QDesktopServices.unsetUrlHandler(scheme)
    assert handler.opened == ["https://example.invalid/docs"]


def test_reasoning_is_a_collapsible_dimmed_block_and_redacted_shows_its_tokens(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, ReasoningDelta("r", "thinking hard"),
          ReasoningDelta("x", redacted=True, token_count=321))
    pane.flush()
    shown, redacted = pane.blocks_of(ReasoningBlock)
    assert shown.text == "thinking hard"
    shown.toggle.click()
    assert not shown.view.isVisibleTo(pane)
    shown.toggle.click()
    assert shown.view.isVisibleTo(pane)
    assert redacted.toggle.text() == "Reasoning (redacted) · 321 tokens"
    assert "withheld" in redacted.view.toPlainText()


def test_tool_call_arguments_grow_live_then_pretty_print(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, ToolCallStart("c", "weather", "call_9"), ToolCallDelta("c", '{"loc'))
    pane.flush()
    block = pane.blocks_of(ToolCallBlock)[0]
    assert block.view.toPlainText() == '{"loc'
    _feed(pane, asm, ToolCallDelta("c", 'ation": "Rome"}'), ToolCallEnd("c"))
    pane.flush()
    assert block.view.toPlainText() == '{\n  "location": "Rome"\n}'
    assert block.header.text() == "Tool call: weather" and block.id_label.text() == "call_9"


def test_output_image_thumbnail_opens_large_and_saves(qtbot, tmp_path):
    from tests.views.conftest import make_png

    png = make_png(tmp_path / "in.png", size=400).read_bytes()
    pane, asm = _pane(qtbot)
    _feed(pane, asm, OutputAttachment("i", "image/png", base64.b64encode(png).decode()))
    pane.flush()
    block = pane.blocks_of(AttachmentBlock)[0]
    assert block.preview.pixmap().width() <= 240 and block.pixmap.width() == 400
    viewer = block.open_large()
    qtbot.addWidget(viewer)
    assert viewer.isVisible()
    assert block.save_to(tmp_path / "out.png") is None
    assert (tmp_path / "out.png").read_bytes() == png
    assert block.save_to(tmp_path / "missing" / "out.png")  # a one-line problem, no raise


def test_citations_are_links_and_the_footer_sums_up(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, TextDelta("t", "Rome is hot."),
          CitationAdded("t", url="https://example.invalid/w", title="Weather"),
          UsageReport.report(input=10, output=40, reasoning=5), Finish("stop"))
    exchange = Exchange(messages=[asm.message()], usage=asm.usage_or_none(),
                        composer=ExchangeExtras(stop_reason="stop", timing=Timing(
                            first_token_ms=500, total_ms=2500)))
    pane.end(exchange)
    block = pane.blocks_of(TextBlock)[0]
    assert "https://example.invalid/w" in block.citations.text()
    assert block.citations.isVisibleTo(pane)
    # The 5 reasoning tokens were thought unseen before the first token: 35 over 2 s.
    assert pane.footer.text() == ("stop reason: stop · in 10 · out 40 · reasoning 5 · "
                                  "first token 0.50 s · 17.5 tok/s · total 2.50 s")


def test_a_finished_exchange_is_shown_at_once(qtbot):
    pane = ResultsPane()
    qtbot.addWidget(pane)
    exchange = Exchange(messages=[Message(role="assistant", parts=[
        ReasoningPart(text="hmm"), TextPart(text="# Title\n\nbody")])],
        usage=Usage(input=1, output=2))
    pane.show_exchange(exchange)
    reasoning, text = pane.blocks[0], pane.blocks[1]
    assert isinstance(reasoning, ReasoningBlock) and reasoning.text == "hmm"
    assert isinstance(text, TextBlock) and text.view.toPlainText().startswith("Title")
    assert footer_text(exchange).startswith("stop reason: unknown · in 1 · out 2")


def test_a_markdown_table_is_drawn_with_lines_and_padding_its_columns_aligned(qtbot):
    """Qt's rich text draws a bare <table> with neither: the columns ran into each other."""
    pane = ResultsPane()
    qtbot.addWidget(pane)
    text = "Primes:\n\n| n | prime |\n|---|---:|\n| 2 | yes |\n| 9 | no |\n\nDone."
    pane.show_exchange(Exchange(messages=[Message(role="assistant",
                                                  parts=[TextPart(text=text)])]))
    block = pane.blocks_of(TextBlock)[0]
    qtbot.waitUntil(lambda: pane.caught_up)
    tables = [frame for frame in block.view.document().rootFrame().childFrames()
              if isinstance(frame, QTextTable)]
    assert len(tables) == 1
    table = tables[0]
    assert (table.rows(), table.columns()) == (3, 2)
    assert table.format().border() >= 1 and table.format().cellPadding() >= 3
    assert table.format().cellSpacing() == 0  # one line between two cells, not two
    cells = [[table.cellAt(r, c).firstCursorPosition().block().text() for c in range(2)]
             for r in range(3)]
    assert cells == [["n", "prime"], ["2", "yes"], ["9", "no"]]
    right = table.cellAt(1, 1).firstCursorPosition().blockFormat().alignment()
    assert right & Qt.AlignmentFlag.AlignRight  # the delimiter row's ---: is kept


def test_reasoning_is_rendered_as_markdown_as_it_streams_like_a_reply(qtbot):
    pane, asm = _pane(qtbot)
    _feed(pane, asm, ReasoningDelta("r", "**Planning**\n\nFirst "))
    pane.flush()
    block = pane.blocks_of(ReasoningBlock)[0]
    qtbot.waitUntil(lambda: block.view.toPlainText().startswith("Planning\n"))  # streaming
    # A new part finishes the reasoning: its last block is rendered then, not at the end.
    _feed(pane, asm, ReasoningDelta("r", "`x`."), TextDelta("t", "The answer."))
    pane.flush()
    qtbot.waitUntil(lambda: pane.caught_up)
    assert block.finished and block.view.toPlainText() == "Planning\nFirst x."
    assert block.view.document().toHtml().count("font-weight:700") >= 1
    assert block.stream.rendered_chars == len(block.text)  # each character rendered once
    pane.end(Exchange(composer=ExchangeExtras(stop_reason="stop")))
    pane.set_markdown(False)
    assert block.view.toPlainText() == "**Planning**\n\nFirst `x`."


def test_text_that_comes_with_the_next_part_in_one_frame_is_rendered_with_its_block(qtbot):
    """The last delta of a text and the start of a tool call shown in one frame: the text is
    finished with that delta in it (it used to be appended after the render, raw)."""
    pane, asm = _pane(qtbot)
    _feed(pane, asm, TextDelta("a", "Call **it** "))
    pane.flush()
    _feed(pane, asm, TextDelta("a", "`now`."), ToolCallStart("c", "lookup", "call_1"))
    pane.flush()
    qtbot.waitUntil(lambda: pane.caught_up)
    block = pane.blocks_of(TextBlock)[0]
    assert block.view.toPlainText() == "Call it now."
    assert block.stream.rendered_chars == len(block.text) == len("Call **it** `now`.")


def test_a_long_reasoning_is_rendered_a_block_at_a_time_and_goes_on_in_pages(qtbot):
    pane, asm = _pane(qtbot)
    paragraphs = [f"**Step {i}.** {'think ' * 40}\n\n" for i in range(300)]
    for paragraph in paragraphs:
        _feed(pane, asm, ReasoningDelta("r", paragraph))
    pane.flush()
    block = pane.blocks_of(ReasoningBlock)[0]
    qtbot.waitUntil(lambda: pane.caught_up)
    pane.end(Exchange(composer=ExchangeExtras(stop_reason="stop")))
    qtbot.waitUntil(lambda: pane.caught_up)
    assert block.stream.rendered_chars == len(block.text) == sum(map(len, paragraphs))
    assert block.stream.renders == 0  # never laid out whole again
    assert len(block.stream.pages) > 1
    assert all(p.accessibleName().startswith("Reasoning") for p in block.stream.pages)
    block.toggle.click()  # folded: every page hides
    assert not any(p.isVisible() for p in block.stream.pages)
