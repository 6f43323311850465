"""A streaming reply's Markdown, rendered block by block.

Finished top-level blocks are rendered once and put in the document for good; only the open
block (the last one, which text still to come may change) stays live at the end, as plain text.
Rendering finished blocks takes about a frame's budget per call; when the text comes faster than
that, the rest waits for the next frames. So the work of a reply grows with its size, no call
blocks for long, and the end of a reply costs one more block. A fenced code block's end is found
by scanning new lines for its closing fence, so a huge code block is never re-parsed while it
streams. A long reply fills several views one after the other, so that no change has a big
document to lay out again.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtGui import (
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)

from composer.views.results.frames import frames
from composer.views.results.markdown import block_starts, fence_at, fence_end, to_html

# An open block this big (a long table or list) is re-parsed no more than 1/COST_FACTOR of the
# time: the next parse waits for COST_FACTOR times the last one's cost.
BIG_BLOCK = 20_000  # characters
COST_FACTOR = 8
# Rendering costs about 3 µs a character on a quiet 2-core machine (three times that on a busy
# one): a piece or a window is a few milliseconds of work, so a turn's budget (frames.py) is
# overrun by one piece at most.
PIECE = 500  # characters: consecutive small blocks are rendered together up to this size
WINDOW = 2_000  # characters of new text parsed for finished blocks at a time
PAGE = 30_000  # characters: a view holds about this much, then the text goes on in a new one
SYNC_FINISH = PIECE  # characters: a finish with no more than this left renders at once
_SENTINEL = "\u2063"


class LiveMarkdown:
    """The text of one reply part in a ``ReplyText``: appended as it streams, shown as Markdown
    (finished blocks once, the open block live) or as plain text."""

    def __init__(self, view, markdown: bool = True, new_page=None):
        self.pages = [view]  # the views the text fills, one after the other
        self._new_page = new_page  # makes the next view (None: one view only)
        self._page_chars = 0  # characters rendered into the last view
        self.markdown = markdown
        self.renders = 0  # times the whole text was laid out again
        self.rendered_chars = 0  # characters handed to the Markdown renderer, in all
        self.shown = False  # whether the document shows the text (else ``show`` must)
        self.finished = False
        self._done: list[str] = []  # text of the blocks rendered for good
        self._ready: deque[str] = deque()  # finished blocks waiting for their render
        self._tail: list[str] = []  # the open block's text (and any not parsed yet)
        self._fence = ""  # the open block's fence, when it is a fenced code block
        self._fence_scan = 0  # where in the tail the search for its closing fence resumes
        self._dirty = False  # text came since the last parse
        self._waiting = False  # an update came while the loop rested: the next turn does it
        self._next_parse = 0.0
        self._window = WINDOW  # characters of the tail parsed at a time
        self._piece_cost = 0.0  # seconds the last piece took to render
        self._piece_waited = False  # the last update left its first piece for the next turn
        self._format = QTextCharFormat()
        self._cursor = QTextCursor(self.doc)

    @property
    def view(self):
        return self.pages[-1]

    @property
    def doc(self):
        return self.pages[-1].document()

    # -- text ---------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._join(self._done) + "".join(self._ready) + self._join(self._tail)

    @property
    def chunks(self) -> list[str]:
        return [t for t in (self.text,) if t]

    @chunks.setter
    def chunks(self, chunks: list[str]) -> None:
        """Set the whole text at once (shown by the next ``show``)."""
        self._reset("".join(chunks))
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
        self._dirty = self.shown = True
        self._cursor.movePosition(QTextCursor.MoveOperation.End)
        self._cursor.insertText(text, self._format)

    @property
    def busy(self) -> bool:
        """Finished blocks (or text that may hold some) wait for a turn to render them."""
        return self.markdown and (bool(self._ready) or self._waiting or self._unparsed())

    def _unparsed(self) -> bool:
        """New text waits for its parse (not an open code block, whose end is sought as lines
        come, nor a big open block between its throttled parses)."""
        return (self._dirty and not self._fence and not self.finished
                and time.monotonic() >= self._next_parse)

    @property
    def backlog(self) -> int:
        """Characters waiting for a render: finished blocks in the queue, and new text not
        parsed yet (not an open code block or a big open block between its parses: those
        show as they come)."""
        if not self.markdown:
            return 0
        waiting = sum(map(len, self._ready))
        return waiting + len(self._join(self._tail)) if self._unparsed() else waiting

    # -- while streaming ----------------------------------------------------------------------

    def update(self, background: str) -> None:
        """Render what has finished since the last call, within a frame's budget; re-render the
        open block when nothing waits and the throttle allows."""
        if not self.markdown or not self.shown:
            return
        deadline = frames.turn()
        self._waiting = deadline is None and (self._dirty or bool(self._ready))
        if deadline is None:
            return  # the loop rests between turns: ``busy`` brings the pane back
        now = time.monotonic()
        parsed = self._dirty and not self.finished
        if parsed:
            before = _doc_len(self._join(self._tail))
            self._take_out(before, self._settle(now, deadline))
        # No piece that would end past the turn's deadline (a piece costs milliseconds, and
        # four panes' overruns added up to a late frame): after a parse the first piece may
        # wait for the next turn, but not twice in a row, so that pieces always get on.
        may_wait = parsed and not self._piece_waited
        rendered = False
        while self._ready:
            if (rendered or may_wait) and time.monotonic() + self._piece_cost >= deadline:
                break
            started = time.monotonic()
            self._render_piece(self._ready.popleft(), background)
            self._piece_cost = time.monotonic() - started
            rendered = True
        self._piece_waited = bool(self._ready) and not rendered

    def _settle(self, now: float, deadline: float) -> list[str]:
        """Take the finished blocks at the front of the tail out of it, as pieces to render.
        The tail is parsed a window at a time (blocks before the last one a prefix of the text
        holds are finished), so a burst of text costs a frame at a time too."""
        tail = self._join(self._tail)
        settled = 0
        pieces: list[str] = []
        while True:
            rest = tail[settled:]
            if self._fence:
                end = fence_end(rest, self._fence, self._fence_scan)
                if end < 0:
                    self._fence_scan = rest.rfind("\n") + 1
                    break
                pieces.append(rest[:end])
                settled += end
                self._fence, self._fence_scan = "", 0
                continue
            if now < self._next_parse:
                break
            if time.monotonic() >= deadline and pieces:
                break  # the rest next frame
            self._dirty = False
            start = time.monotonic()
            window = rest[:self._window]
            starts = block_starts(window)
            cut = len(window) < len(rest)
            if starts and len(window) - starts[-1] > BIG_BLOCK:
                self._next_parse = now + (time.monotonic() - start) * COST_FACTOR
            opened = starts[-1] if starts else 0
            if len(starts) > 1:
                pieces += _pieces(rest, [0, *starts[1:]])
                settled += opened
                opened = 0
                self._window = WINDOW
            elif cut:
                self._window *= 2  # one block fills the window: look further next time
            fence = fence_at(tail, settled + opened) if starts else ""
            body = tail.find("\n", settled + opened) + 1
            if fence and body:
                # The open block is a fenced code block: from now on only its end is sought.
                self._fence, self._fence_scan = fence, body - settled
                continue
            if cut:
                self._dirty = True
                if len(starts) > 1:
                    continue
            break
        self._tail = [tail[settled:]] if settled < len(tail) else []
        return pieces

    # -- at once ------------------------------------------------------------------------------

    def finish(self, background: str) -> None:
        """The text is complete: what is left becomes finished blocks, rendered now when they
        are few, else over the next frames (``busy`` says so; ``update`` does it)."""
        self.finished = True
        if not self.shown:
            self.view.setPlainText(self.text)
            self.shown = True
            self.reset_cursor()
        if not self.markdown:
            return
        tail = self._join(self._tail)
        if not tail:
            self.update(background)
            return
        self._tail = []
        self._take_out(_doc_len(tail), _pieces(tail, [0, *block_starts(tail)[1:], len(tail)]))
        if sum(len(p) for p in self._ready) <= SYNC_FINISH:
            while self._ready:
                self._render_piece(self._ready.popleft(), background)
        else:
            self.update(background)

    def drain(self, background: str) -> None:
        """Render everything still waiting, now."""
        while self._ready:
            self._render_piece(self._ready.popleft(), background)

    def show(self, markdown: bool, background: str) -> None:
        """Lay the whole text out again, as rendered Markdown or as plain text: at once when it
        is short, else over the next frames."""
        self.markdown = markdown
        text = self.text
        self._reset(text)
        self._single_page()
        self.view.setPlainText(text)
        self.shown = True
        self.reset_cursor()
        self.renders += 1
        if markdown and self.finished:
            self.finish(background)
        elif markdown:
            self._next_parse = 0.0
            self._dirty = True
            self.update(background)

    def replace(self, text: str) -> None:
        self._reset(text)
        self._single_page()
        self.view.setPlainText(text)
        self.reset_cursor()

    def reset_cursor(self) -> None:
        self._cursor = QTextCursor(self.doc)
        self._cursor.movePosition(QTextCursor.MoveOperation.End)

    def _reset(self, text: str) -> None:
        self._done, self._ready, self._tail = [], deque(), [text] if text else []
        self._fence, self._fence_scan = "", 0
        self._dirty = bool(text)
        self._waiting = False

    # -- the document -------------------------------------------------------------------------

    def _render(self, text: str, background: str) -> str:
        self.rendered_chars += len(text)
        return to_html(text, background).strip()

    def _render_piece(self, piece: str, background: str) -> None:
        """Render the first waiting block(s): their plain text at the front of the plain part
        of the document is replaced by the rendered HTML, for good."""
        html = self._render(piece, background)
        self._done.append(piece)
        if html and self._new_page is not None and self._page_chars >= PAGE:
            self._turn_page()
        self._page_chars += len(piece)
        if html:  # (blank lines render as nothing)
            at = self._end() - _doc_len(self._join(self._tail))
            if at == 0:  # (the whole document set anew: no edits to group)
                self._put_html(at, at, html)
            else:  # one edit block: the document laid out once for the piece's five edits
                block = QTextCursor(self.doc)
                block.beginEditBlock()
                try:
                    self._put_html(at, at, html)
                finally:
                    block.endEditBlock()
        self.reset_cursor()

    def _turn_page(self) -> None:
        """Go on in a new view: the plain open block moves there."""
        tail = self._join(self._tail)
        cursor = QTextCursor(self.doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.setPosition(max(0, self._end() - _doc_len(tail) - 1),
                           QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self.pages.append(self._new_page())
        self._page_chars = 0
        self.reset_cursor()
        self._cursor.insertText(tail, self._format)

    def _single_page(self) -> None:
        for page in self.pages[1:]:
            page.setParent(None)
            page.deleteLater()
        del self.pages[1:]
        self._page_chars = 0

    def _take_out(self, shown: int, pieces: list[str]) -> None:
        """Finished blocks leave the plain text at the end (``shown`` long, they come first in
        it) to wait for their render. Only the open block is ever plain after the rendered
        ones: a long plain backlog there would be laid out again at every insertion."""
        if not pieces:
            return
        start = self._end() - shown
        cursor = QTextCursor(self.doc)
        cursor.setPosition(start)
        cursor.setPosition(start + sum(_doc_len(p) for p in pieces),
                           QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._ready.extend(pieces)

    def _end(self) -> int:
        return self.doc.characterCount() - 1

    def _put_html(self, start: int, end: int, html: str) -> None:
        """Replace the document from ``start`` (a block's start) to ``end`` by ``html``."""
        cursor = QTextCursor(self.doc)
        if start == 0:
            # Nothing before it to merge a first block into: lay it out on its own, and put
            # the (plain) rest back after it.
            cursor.setPosition(end)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            rest = cursor.selectedText()
            self.doc.setHtml(html)
            cursor = QTextCursor(self.doc)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            if rest or not self.finished or self._ready:  # else a block for what comes
                cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
                cursor.insertText(rest, self._format)
            return
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        # An empty block of its own, with one after it so that the last block inserted keeps
        # its format too; that one stays for the text to come, or goes when none will.
        last = start == self._end() and self.finished and not self._ready
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        cursor.movePosition(QTextCursor.MoveOperation.PreviousBlock)
        cursor.setBlockFormat(QTextBlockFormat())
        cursor.setBlockCharFormat(QTextCharFormat())
        self._insert_html(cursor, html)
        if last:
            tail = QTextCursor(self.doc)
            tail.movePosition(QTextCursor.MoveOperation.End)
            tail.deletePreviousChar()

    def _insert_html(self, cursor: QTextCursor, html: str) -> None:
        """Insert ``html`` at ``cursor`` (an empty block, not the first); ``cursor`` ends just
        after it."""
        start = cursor.position()
        # Inserting merges the fragment's first block into the current one, which keeps its
        # own format: so the fragment starts with a one-character paragraph to take that
        # place, which then goes, merged into the block before it.
        # insertHtml reads the HTML with this document's resource loader: it fetches nothing.
        cursor.insertHtml(f"<p>{_SENTINEL}</p>" + html)
        joint = QTextCursor(self.doc)
        joint.setPosition(start - 1)
        joint.setPosition(start + 1, QTextCursor.MoveMode.KeepAnchor)
        joint.removeSelectedText()


def _doc_len(text: str) -> int:
    """How many positions ``text`` takes in a document when inserted as plain text."""
    return len(text) - text.count("\r\n")


def _pieces(text: str, bounds: list[int]) -> list[str]:
    """``text`` from ``bounds[0]`` to ``bounds[-1]``, cut at block bounds into pieces of about
    PIECE characters."""
    pieces, begin = [], bounds[0]
    for b in bounds[1:]:
        if b - begin >= PIECE and text[begin:b].strip():
            pieces.append(text[begin:b])
            begin = b
    if begin < bounds[-1]:
        pieces.append(text[begin:bounds[-1]])
    return pieces
