"""Reply text as HTML for Qt's rich text: markdown-it-py (CommonMark + tables + strikethrough),
raw HTML in the reply escaped, code blocks highlighted by our own small highlighter, and images
turned into links so a rendered reply never fetches anything. No Qt here.
"""

from __future__ import annotations

import html
from typing import Any

from markdown_it import MarkdownIt

from composer.views.results.highlight import highlight_html

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


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight,
                                   "breaks": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


_MD = _parser()


def to_html(text: str, code_background: str = "#f2f2f2") -> str:
    """The reply's Markdown as an HTML fragment; code blocks on ``code_background``."""
    return _MD.render(text).replace(_BG, code_background)
