"""A streaming reply's Markdown, rendered block by block.

Finished top-level blocks are rendered once and appended to the document; only the open block
(the last one, which text still to come may change) stays live at the end, as plain text
re-rendered at a throttled pace. So the work of a reply grows with its size and its end costs
one more block. A fenced code block's end is found by scanning the new lines for its closing
fence, so a huge code block is never re-parsed; other blocks are re-parsed at a pace bounded by
their cost.
"""

from __future__ import annotations

import time

from PySide6.QtGui import (
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
)

from composer.views.results.markdown import fence_end, settled_prefix, to_html

# The open block is re-rendered (and re-parsed for finished blocks) at least this far apart,
# and never more than 1/COST_FACTOR of the time: the next interval grows with the last cost.
MIN_INTERVAL = 0.3
COST_FACTOR = 8
BIG_BLOCK = 20_000  # characters
_SENTINEL = "\u2063"


class _NoFetchDocument(QTextDocument):
    """Where a rendered block is laid out before it is copied in; it loads no resource."""

    def loadResource(self, _kind: int, _url):  # noqa: N802
        return None


class LiveMarkdown:
    """The text of one reply part in a ``ReplyText``: appended as it streams, shown as Markdown
    (finished blocks once, the open block live) or as plain text."""

    def __init__(self, view, markdown: bool = True):
        self.view = view
        self.doc = view.document()
        self.markdown = markdown
        self.renders = 0  # renders of the open block (or of the whole text)
        self.rendered_chars = 0  # characters handed to the Markdown renderer, in all
        self._done: list[str] = []  # text of the finished, rendered blocks
        self._tail: list[str] = []  # text of the open block (and any not yet parsed)
        self._fence = ""  # the open block's fence, when it is a fenced code block
        self._fence_scan = 0  # where in the tail the search for its closing fence resumes
        self._tail_start = 0  # document position where the open block begins
        self._dirty = False
        self.shown = False  # whether the document shows the text (else ``show`` must)
        self._next_parse = 0.0
        self._next_render = 0.0
        self._format = QTextCharFormat()
        self._cursor = QTextCursor(self.doc)

    # -- text ---------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._join(self._done) + self._join(self._tail)

    @property
    def chunks(self) -> list[str]:
        return [t for t in (self.text,) if t]

    @chunks.setter
    def chunks(self, chunks: list[str]) -> None:
        """Set the whole text at once (shown by the next ``show``)."""
        self._done, self._tail = [], ["".join(chunks)]
        self._fence, self._fence_scan = "", 0
        self.shown = False

    @staticmethod
    def _join(parts: list[str]) -> str:
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    def append(self, text: str) -> None:
        if not text:
            return
        self._tail.append(text)
        self._dirty = True
        self.shown = True
        self._cursor.movePosition(QTextCursor.MoveOperation.End)
        self._cursor.insertText(text, self._format)

    # -- while streaming ----------------------------------------------------------------------

    def update(self, background: str) -> None:
        """Render the blocks that have finished since the last call; re-render the open block
        when the throttle allows."""
        if not self.markdown or not self._dirty:
            return
        now = time.monotonic()
        done = self._settle(now)
        if done:
            self._done.append(done)
            self._replace_tail(self._render(done, background), self._join(self._tail))
        elif now >= self._next_render:
            self._render_open(background)

    def _settle(self, now: float) -> str:
        """Move the finished blocks at the front of the tail out of it; their text."""
        tail = self._join(self._tail)
        settled = 0
        while True:
            rest = tail[settled:]
            if self._fence:
                end = fence_end(rest, self._fence, self._fence_scan)
                if end < 0:
                    self._fence_scan = rest.rfind("\n") + 1
                    break
                settled += end
                self._fence, self._fence_scan = "", 0
                continue
            if now < self._next_parse:
                break
            start = time.monotonic()
            found = settled_prefix(rest)
            if len(rest) - found.length > BIG_BLOCK:
                # A big open block (a long table or list) is parsed again at a bounded pace.
                self._next_parse = now + (time.monotonic() - start) * COST_FACTOR
            settled += found.length
            if found.fence:
                self._fence, self._fence_scan = found.fence, 0
                continue
            break
        self._tail = [tail[settled:]] if settled < len(tail) else []
        return tail[:settled]

    def _render_open(self, background: str) -> None:
        tail = self._join(self._tail)
        start = time.monotonic()
        self._replace_tail("", "", self._render(tail, background) if tail else "")
        self.renders += 1
        self._dirty = False
        cost = time.monotonic() - start
        self._next_render = time.monotonic() + max(MIN_INTERVAL, cost * COST_FACTOR)

    # -- at once ------------------------------------------------------------------------------

    def finish(self, background: str) -> None:
        """The text is complete: render what is still open (a plain view stays as it is)."""
        if self.markdown and (self._dirty or self.renders == 0):
            tail = self._join(self._tail)
            if tail:
                self._render_open(background)

    def show(self, markdown: bool, background: str) -> None:
        """Lay the whole text out again, as rendered Markdown or as plain text."""
        self.markdown = markdown
        text = self.text
        self._done, self._tail = [], [text] if text else []
        self._fence, self._fence_scan = "", 0
        self._tail_start = 0
        self.shown = True
        if markdown:
            self.doc.clear()
            self._render_open(background)
        else:
            self.view.setPlainText(text)
            self.renders += 1
        self._cursor = QTextCursor(self.doc)
        self._cursor.movePosition(QTextCursor.MoveOperation.End)

    def replace(self, text: str) -> None:
        self._done, self._tail = [], [text] if text else []
        self._tail_start = 0
        self.view.setPlainText(text)
        self._cursor = QTextCursor(self.doc)
        self._cursor.movePosition(QTextCursor.MoveOperation.End)

    def reset_cursor(self) -> None:
        self._cursor = QTextCursor(self.doc)
        self._cursor.movePosition(QTextCursor.MoveOperation.End)

    # -- the document -------------------------------------------------------------------------

    def _render(self, text: str, background: str) -> str:
        self.rendered_chars += len(text)
        return to_html(text, background).strip()

    def _replace_tail(self, done_html: str, tail_text: str, tail_html: str = "") -> None:
        """Replace the open block's part of the document: ``done_html`` (finished blocks) goes
        in for good, then the open block as ``tail_html`` or plain ``tail_text``."""
        cursor = QTextCursor(self.doc)
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setBlockFormat(QTextBlockFormat())
        cursor.setBlockCharFormat(QTextCharFormat())
        if done_html:
            cursor = self._insert_html(cursor, done_html)
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
            self._tail_start = cursor.position()
        if tail_html:
            cursor = self._insert_html(cursor, tail_html)
        elif tail_text:
            cursor.insertText(tail_text, self._format)
        self._cursor = cursor
        self._cursor.movePosition(QTextCursor.MoveOperation.End)

    def _insert_html(self, cursor: QTextCursor, html: str) -> QTextCursor:
        """Insert ``html`` at ``cursor``, in the document's last (empty) block; a cursor at the
        end after it."""
        start = cursor.position()
        if start == 0:
            self.doc.setHtml(html)  # nothing comes before it
        else:
            # Inserting merges the fragment's first block into the current one, which keeps
            # its own format: so the fragment starts with a one-character paragraph to take
            # that place, which then goes, merged into the block before it.
            cursor.insertFragment(self._fragment(f"<p>{_SENTINEL}</p>" + html))
            joint = QTextCursor(self.doc)
            joint.setPosition(start - 1)
            joint.setPosition(start + 1, QTextCursor.MoveMode.KeepAnchor)
            joint.removeSelectedText()
        end = QTextCursor(self.doc)
        end.movePosition(QTextCursor.MoveOperation.End)
        return end

    def _fragment(self, html: str) -> QTextDocumentFragment:
        laid = _NoFetchDocument()
        laid.setDefaultFont(self.doc.defaultFont())
        laid.setHtml(html)
        return QTextDocumentFragment(laid)
