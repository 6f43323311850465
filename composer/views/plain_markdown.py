"""Markdown as the plain text a reader sees: ``**bold**`` is bold, ``# Title`` is Title, a list
item is a bullet, a code block is its code. For one-line previews (the message table), where
raw Markdown syntax is noise. No Qt here.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache


@cache
def _parser():
    from markdown_it import MarkdownIt  # on first use: not before the window's first paint

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline(token) -> str:
    out = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(f"[image: {child.content or child.attrGet('src') or ''}]")
    return "".join(out)


# What makes a text with no Markdown syntax more than paragraphs: a character that starts
# syntax (or an entity or escape), whitespace other than spaces and line ends, and lines that
# open a block (an indented code block, an ordered list item, a heading's "===" underline).
_SYNTAX = re.compile(r"[*_#`\[>|~\-+<&\\\x00"  # and every whitespace but space and line end:
                     r"\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a"
                     r"\u2028\u2029\u202f\u205f\u3000]")
_SYNTAX_ASCII = "*_#`[>|~-+<&\\\x00\t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # the same, for ASCII
_BLOCK_START = re.compile(r" {4}| *\d+[.)]| *=+ *(?:\n|\Z)")  # at a line's start
_BLOCK_LINE = re.compile(r"\n(?: {4}| *\d+[.)]| *=+ *(?:\n|\Z))")  # any later line


@lru_cache(maxsize=512)
def plain_markdown(text: str) -> str:
    """The text of ``text`` read as Markdown, one block per line."""
    if not any(map(text.__contains__, "*_#`[>|~-+0123456789<")):
        return text  # nothing Markdown could change
    if not _has_syntax(text) and not _BLOCK_START.match(text) and not _BLOCK_LINE.search(text):
        return paragraphs(text)  # digits, but nowhere they could start a list
    return parsed(text)


def _has_syntax(text: str) -> bool:
    if text.isascii():  # a search for each character is faster than the pattern's
        return any(map(text.__contains__, _SYNTAX_ASCII))
    return _SYNTAX.search(text) is not None


def paragraphs(text: str) -> str:
    """What the parser reads in a text that is only paragraphs (no character of syntax, only
    spaces and line ends for whitespace, no line that opens a block): each line without the
    spaces around it, blank lines dropped. The same as ``parsed`` gives, without parsing."""
    lines = (line.strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line) or text.strip()


def parsed(text: str) -> str:
    """``text`` parsed as Markdown (CommonMark, tables, strikethrough), one block per line."""
    lines: list[str] = []
    bullets: list[str] = []  # "• " or "1. " per open list
    numbers: list[int] = []
    pending_item = ""
    row: list[str] = []
    in_cell = False
    for token in _parser().parse(text):
        kind = token.type
        if kind == "bullet_list_open":
            bullets.append("• ")
            numbers.append(0)
        elif kind == "ordered_list_open":
            bullets.append("#")
            numbers.append(int(token.attrGet("start") or 1) - 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            bullets.pop()
            numbers.pop()
        elif kind == "list_item_open":
            numbers[-1] += 1
            mark = f"{numbers[-1]}. " if bullets[-1] == "#" else bullets[-1]
            pending_item = "  " * (len(bullets) - 1) + mark
        elif kind in ("th_open", "td_open"):
            in_cell = True
        elif kind in ("th_close", "td_close"):
            in_cell = False
        elif kind == "inline":
            content = _inline(token)
            if in_cell:
                row.append(content)
                continue
            lines.append(pending_item + content)
            pending_item = ""
        elif kind in ("fence", "code_block"):
            lines.extend(token.content.rstrip("\n").split("\n"))
        elif kind == "tr_close":
            lines.append(" | ".join(row))
            row = []
        elif kind == "hr":
            lines.append("—")
    return "\n".join(line for line in lines if line.strip()) or text.strip()
