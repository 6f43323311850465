"""Two texts compared word by word, fast enough for two 20,000-token replies.

A text is cut into tokens: runs of word characters, runs of whitespace, single punctuation
marks, and single CJK characters (those scripts write no spaces between words). The result is
a list of segments, each ``equal``, ``delete`` (only in the first text) or ``insert`` (only in
the second); joining the equal and delete segments gives the first text back, the equal and
insert ones the second.

Why two levels: ``difflib.SequenceMatcher`` looks for the longest common run by visiting every
place each token occurs, so on 30,000 word tokens, where a space or "the" occurs thousands of
times, one diff takes minutes. Sentences and lines, though, are nearly all unique. So the texts
are cut into chunks (a chunk ends at a line break, at a sentence's end, or, in a long run of
neither, at content-defined points so that an inserted word moves no later cut); chunks that
occur once in each text anchor the two together (patience diff); between anchors the chunks are
matched by SequenceMatcher, and only the chunks that differ are compared token by token. A
changed region too large to compare token by token within ``WORD_BUDGET`` is shown as removed
and added whole: two unrelated texts are exactly that, and hostile input cannot make the diff
slow.
"""

from __future__ import annotations

import bisect
import difflib
import re
import zlib
from collections import Counter
from typing import Literal

from msgspec import Struct

Op = Literal["equal", "delete", "insert"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|\s+|[^\w\s]")
# A chunk: up to a line break (blank lines with it) or a sentence's end (with the whitespace
# after it; a full stop inside "3.14" or "e.g." followed by a letter ends nothing), or the end.
_CHUNK = re.compile(r"[^\n.!?;:。！？]*(?:[.!?;:]+(?![\s.!?;:])[^\n.!?;:。！？]*)*"
                    r"(?:[.!?;:]+(?:[^\S\n]*\n)+|[.!?;:]+[^\S\n]*|[。！？]+\s*|(?:[^\S\n]*\n)+|\Z)")
# A chunk longer than this many characters (a run with no line break or sentence end) is cut
# further at content-defined points, about one word in _CUT_EVERY.
_LONG_CHUNK = 400
_CUT_EVERY = 16
_WORD = re.compile(r"\w+")
# Largest product of the two token counts compared token by token in one changed region.
WORD_BUDGET = 4_000_000


class Segment(Struct, frozen=True):
    op: Op
    text: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def diff_text(a: str, b: str) -> list[Segment]:
    """The word-level differences of ``a`` and ``b`` as segments (see the module's doc)."""
    if a == b:
        return [Segment("equal", a)] if a else []
    ca, cb = chunks(a), chunks(b)
    head = _common_prefix(ca, cb)
    tail = _common_suffix(ca, cb, min(len(ca), len(cb)) - head)
    ops: list[tuple[Op, str]] = [("equal", "".join(ca[:head]))]
    ma, mb = ca[head:len(ca) - tail], cb[head:len(cb) - tail]
    i = j = 0
    for ai, bj in [*_anchors(ma, mb), (len(ma), len(mb))]:
        _diff_chunks(ma[i:ai], mb[j:bj], ops)
        if ai < len(ma):
            ops.append(("equal", ma[ai]))
        i, j = ai + 1, bj + 1
    ops.append(("equal", "".join(ca[len(ca) - tail:])))
    segments = _join(ops)
    for _ in range(8):  # a change that grew may now swallow the stretch before it
        before = len(segments)
        segments = _absorb_islands(segments)
        if len(segments) == before:
            break
    return segments


def _anchors(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Chunks that occur once in each text, paired, in an order both texts agree on (the
    longest increasing run of their places, as patience diff finds it). Nearly every sentence
    of a reply is such a chunk, so what is left between two anchors is small."""
    count_a = Counter(a)
    where_b: dict[str, int] = {}
    count_b = Counter(b)
    for j, chunk in enumerate(b):
        if count_b[chunk] == 1:
            where_b[chunk] = j
    pairs = [(i, where_b[c]) for i, c in enumerate(a) if count_a[c] == 1 and c in where_b]
    # Longest increasing subsequence of the b places (patience sorting), kept as a chain.
    tops: list[int] = []  # b place ending the best chain of each length
    ends: list[int] = []  # index into pairs of that chain's end
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        n = bisect.bisect_left(tops, j)
        if n == len(tops):
            tops.append(j)
            ends.append(k)
        else:
            tops[n] = j
            ends[n] = k
        back[k] = ends[n - 1] if n else -1
    chain: list[tuple[int, int]] = []
    k = ends[-1] if ends else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _diff_chunks(x: list[str], y: list[str], ops: list[tuple[Op, str]]) -> None:
    """Chunks between two anchors: matched as they are, then the rest word by word."""
    if not x or not y:
        _word_diff("".join(x), "".join(y), ops)
        return
    # autojunk (the default) leaves chunks repeated all through a text out of the search for
    # anchors, which keeps hostile repetition from making this quadratic.
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y).get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(x[i1:i2])))
        else:
            _word_diff("".join(x[i1:i2]), "".join(y[j1:j2]), ops)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: list[str], b: list[str], limit: int) -> int:
    i = 0
    while i < limit and a[-1 - i] == b[-1 - i]:
        i += 1
    return i


def _word_diff(x: str, y: str, ops: list[tuple[Op, str]]) -> None:
    if not x or not y:
        ops += [("delete", x), ("insert", y)]
        return
    tx, ty = tokens(x), tokens(y)
    if not tx or not ty or len(tx) * len(ty) > WORD_BUDGET:
        ops += [("delete", x), ("insert", y)]
        return
    # autojunk again: in a long passage a space or "the" occurs hundreds of times, and
    # visiting each occurrence for each token is what makes SequenceMatcher slow. Matches
    # still extend through such tokens.
    matcher = difflib.SequenceMatcher(None, tx, ty)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(tx[i1:i2])))
        else:
            ops += [("delete", "".join(tx[i1:i2])), ("insert", "".join(ty[j1:j2]))]


def chunks(text: str) -> list[str]:
    """``text`` cut at line breaks and sentence ends (the whitespace after one stays with it);
    a long run with neither is cut further where its content says (``_cut_long``)."""
    out = _CHUNK.findall(text)
    if out and not out[-1]:
        out.pop()
    if out and max(map(len, out)) > _LONG_CHUNK:
        out = [piece for c in out for piece in (_cut_long(c) if len(c) > _LONG_CHUNK else (c,))]
    return out


def _cut_long(chunk: str) -> list[str]:
    """A chunk cut after every word whose checksum is a multiple of ``_CUT_EVERY``: the cuts
    depend only on the words around them, so text added earlier moves no later cut."""
    out: list[str] = []
    start = 0
    for m in _WORD.finditer(chunk):
        if zlib.crc32(m.group().encode("utf-8", "surrogatepass")) % _CUT_EVERY == 0:
            end = m.end()
            if end > start:
                out.append(chunk[start:end])
                start = end
    if start < len(chunk):
        out.append(chunk[start:])
    return out


def _join(ops: list[tuple[Op, str]]) -> list[Segment]:
    """Adjacent operations of one kind as one segment; in a change, the deletion first."""
    out: list[Segment] = []
    for op, text in ops:
        if not text:
            continue
        if op == "equal":
            if out and out[-1].op == "equal":
                out[-1] = Segment("equal", out[-1].text + text)
            else:
                out.append(Segment("equal", text))
        elif out and out[-1].op != "equal":
            _merge_change(out, text if op == "delete" else "", text if op == "insert" else "")
        else:
            out.append(Segment(op, text))
    return out


_ISLAND = re.compile(r"[^\w\n]{0,2}\w{0,2}[^\w\n]{0,2}")


def _absorb_islands(segments: list[Segment]) -> list[Segment]:
    """An equal stretch between two changes that is shorter than the text changed on either
    side of it reads as noise, not as something kept ("home of [the] Mona Lisa" against "the
    world's most visited museum"); it joins the change around it, as diff-match-patch's
    semantic cleanup does. So does a space, a punctuation mark or a one- or two-letter word
    ("[-The-]{+A+} [-cat-]{+dog+}" reads "[-The cat-]{+A dog+}"). A line break never joins:
    it is where the two columns stay level."""
    out: list[Segment] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if (seg.op == "equal" and out and out[-1].op != "equal" and i < last
                and "\n" not in seg.text and _noise(seg.text, out, segments, i)):
            _merge_change(out, seg.text, seg.text)
        elif seg.op != "equal" and out and out[-1].op != "equal":
            _merge_change(out, seg.text if seg.op == "delete" else "",
                          seg.text if seg.op == "insert" else "")
        else:
            out.append(seg)
    return out


def _noise(text: str, out: list[Segment], segments: list[Segment], i: int) -> bool:
    if len(text) <= 4 and _ISLAND.fullmatch(text):
        return True
    before = max(len(s.text) for s in out[-2:] if s.op != "equal")
    after = max(len(s.text) for s in segments[i + 1:i + 3] if s.op != "equal")
    return len(text) < before and len(text) < after


def _merge_change(out: list[Segment], deleted: str, inserted: str) -> None:
    """Add text to the change that ends ``out`` (its delete and insert segments)."""
    ins = out.pop() if out[-1].op == "insert" else None
    dele = out.pop() if out and out[-1].op == "delete" else None
    d = (dele.text if dele else "") + deleted
    s = (ins.text if ins else "") + inserted
    if d:
        out.append(Segment("delete", d))
    if s:
        out.append(Segment("insert", s))
