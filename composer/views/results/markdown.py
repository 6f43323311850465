"""Reply text as HTML for Qt's rich text: markdown-it-py (CommonMark + tables + strikethrough),
raw HTML in the reply escaped, code blocks highlighted by our own small highlighter, and images
turned into links so a rendered reply never fetches anything. No Qt here.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from composer.views.results.highlight import highlight_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_BG = "@@code-bg@@"  # replaced per render by the caller's background colour
CODE_STYLE = f"background-color:{_BG};font-family:monospace;white-space:pre-wrap;"


def _highlight(code: str, lang: str, _attrs: str) -> str:
    # markdown-it uses a result starting with "<pre" as is.
    return f'<pre style="{CODE_STYLE}">{highlight_html(code.rstrip(chr(10)), lang)}</pre>'


def _image_as_link(_self: Any, tokens: list, idx: int, _options: Any, _env: Any) -> str:
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = "".join(child.content for child in (token.children or [])) or src
    return f'<a href="{html.escape(str(src))}">[image: {html.escape(alt)}]</a>'


# Qt's rich text draws a table with neither lines nor padding (columns run into each other)
# unless the table says so in attributes: it ignores CSS borders.
_TABLE_OPEN = ('<table border="1" cellspacing="0" cellpadding="4" '
               'style="margin-top:6px; margin-bottom:6px">\n')


def _table_open(_self: Any, _tokens: list, _idx: int, _options: Any, _env: Any) -> str:
    return _TABLE_OPEN


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # on first use: not before the window's first paint

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight,
                                   "breaks": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    md.add_render_rule("table_open", _table_open)
    return md


def warm_up() -> None:
    """Build the parsers (importing markdown-it) ahead of the first reply, which would stall on
    them for up to a tenth of a second; the app does it on a worker after its first paint."""
    _parser()
    _block_parser()


def to_html(text: str, code_background: str = "#f2f2f2") -> str:
    """The reply's Markdown as an HTML fragment; code blocks on ``code_background``."""
    return _parser().render(text).replace(_BG, code_background)


@cache
def _block_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.enable(["table"])
    md.disable(["inline"])  # only where the blocks begin and end matters here
    return md


_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")


def fence_at(text: str, pos: int) -> str:
    """The fence of the fenced code block that opens at ``pos``, or ''."""
    opening = _FENCE_OPEN.match(text, pos)
    return opening.group(1) if opening else ""


def block_starts(text: str) -> list[int]:
    """Where each top-level Markdown block of ``text`` begins (character offsets)."""
    lines = [tok.map[0] for tok in _block_parser().parse(text)
             if tok.level == 0 and tok.nesting >= 0 and tok.map is not None]
    offsets, line, pos = [], 0, 0
    for wanted in lines:
        while line < wanted:
            pos = text.find("\n", pos) + 1
            line += 1
        offsets.append(pos)
    return offsets


def fence_end(text: str, fence: str, start: int = 0) -> int:
    """Where the fenced block that opens ``text`` with ``fence`` ends (just past its closing
    line), looking at complete lines from ``start`` on; -1 while it is still open."""
    if start == 0:
        start = text.find("\n") + 1
        if start == 0:
            return -1
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*\n", re.M)
    m = closing.search(text, start)
    return m.end() if m else -1
