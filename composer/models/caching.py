"""Prompt caching as a property of a part: a cache breakpoint and its lifetime.

A breakpoint is Anthropic's ``cache_control`` on the block a part becomes. It is kept where the
Anthropic import already keeps the block keys it does not map, the part's
``provider_metadata["anthropic"]["cache_control"]`` (``{"type": "ephemeral", "ttl": "1h"}``), so
it survives save, load, import and export verbatim; this module is the one typed way to read
and set it. A tool carries one the same way, in its own ``provider_metadata``.

The checks the API would apply silently or with a 400 are pure functions here
(``breakpoint_problems``): more than four breakpoints, a 1-hour one after a 5-minute one, a
breakpoint on reasoning, a prefix under the model's minimum cacheable length (the cache is
silently skipped), and a change above a breakpoint since the last run (the cache will miss,
seen by comparing ``prefix_hashes`` with the ones of the conversation the last run sent).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct

from composer.models.conversation import Conversation
from composer.models.parts import (
    AttachmentPart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import Tool

if TYPE_CHECKING:
    from composer.models.events import Usage

Ttl = Literal["5m", "1h"]
TTLS: tuple[Ttl, ...] = ("5m", "1h")
KEY = "anthropic"  # the provider_metadata key the breakpoint lives under
MAX_BREAKPOINTS = 4  # Anthropic answers a fifth with a 400

# Minimum cacheable prefix, in tokens, by model family (Anthropic's prompt-caching docs,
# 2026): a shorter prefix is processed without caching and without an error. Checked in order;
# any other Claude model takes 1024. Sonnet 4.6 is documented as 1024 but caches from 2048 in
# practice (anthropics/anthropic-sdk-python#1194), so it is warned at 2048.
_MINIMUMS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), tokens) for pattern, tokens in (
        (r"opus-4[-.]?[56]|haiku-4[-.]?5", 4096),
        (r"sonnet-4[-.]?6|opus-4[-.]?7|claude-3[-.]?5-haiku|claude-3-haiku|haiku-3", 2048),
    ))
DEFAULT_MINIMUM = 1024
CHARS_PER_TOKEN = 4  # the cheap estimate, when no count is at hand


# -- the breakpoint on a part or a tool ----------------------------------------------------------


def _ttl_of(control: Any) -> Ttl | None:
    if not isinstance(control, dict) or control.get("type") != "ephemeral":
        return None
    return "1h" if control.get("ttl") == "1h" else "5m"


def breakpoint_of(item: Any) -> Ttl | None:
    """The breakpoint on a part (or a ``Tool``): "5m", "1h", or None when there is none."""
    meta = _metadata_of(item)
    own = meta.get(KEY) if isinstance(meta, dict) else None
    return _ttl_of(own.get("cache_control")) if isinstance(own, dict) else None


def with_breakpoint(item: Any, ttl: Ttl | None) -> Any:
    """A copy of the part (or tool) with a breakpoint of ``ttl``, or none when ``ttl`` is None;
    every other key of its metadata kept as it was. "5m" is written without ``ttl`` (the API's
    default, and what other tools write)."""
    if ttl is not None and ttl not in TTLS:
        raise ValueError(f"a cache breakpoint lasts 5m or 1h, not {ttl!r}")
    meta = dict(_metadata_of(item) or {})
    own = dict(meta.get(KEY) or {}) if isinstance(meta.get(KEY), dict) else {}
    own.pop("cache_control", None)
    if ttl is not None:
        own["cache_control"] = {"type": "ephemeral", **({"ttl": ttl} if ttl == "1h" else {})}
    if own:
        meta[KEY] = own
    else:
        meta.pop(KEY, None)
    copy = item.model_copy(deep=True)
    if isinstance(item, Tool):
        extra = copy.model_extra if copy.model_extra is not None else {}
        if meta:
            extra["provider_metadata"] = meta
        else:
            extra.pop("provider_metadata", None)
        return copy
    copy.provider_metadata = meta or None
    return copy


def _metadata_of(item: Any) -> dict[str, Any]:
    meta = _raw_metadata(item)
    return meta if isinstance(meta, dict) else {}


def _raw_metadata(item: Any) -> Any:
    if isinstance(item, Tool):
        return (item.model_extra or {}).get("provider_metadata")
    return getattr(item, "provider_metadata", None)


def ttl_label(ttl: Ttl | None) -> str:
    return {"5m": "5 min", "1h": "1 hour"}.get(ttl or "", "off")


# -- where the breakpoints are, in the order Anthropic reads them --------------------------------


class Breakpoint(Struct, frozen=True):
    """One breakpoint: its row and part (``row`` None for a tool, ``part`` then the tool's
    index), its lifetime, and the estimated tokens up to and including it."""

    row: int | None
    part: int
    ttl: Ttl
    tokens: int
    exact: bool  # False when the prefix holds an attachment the estimate cannot count
    digest: str  # hash of the prefix up to here: equal digests, a cache hit

    @property
    def key(self) -> str:
        return f"tool:{self.part}" if self.row is None else f"{self.row}:{self.part}"


def _part_text(part: Any) -> tuple[str, bool]:
    """The characters a part puts in the prompt, and whether that is all of it."""
    if isinstance(part, TextPart | ReasoningPart):
        return part.text, True
    if isinstance(part, ToolCallPart):
        return part.name + json.dumps(part.arguments, ensure_ascii=False), True
    if isinstance(part, ToolResultPart):
        return part.output or part.exception or "", not part.attachments
    if isinstance(part, AttachmentPart):
        return "", False
    return "", True


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _without_breakpoint(item: Any) -> dict[str, Any]:
    """What an item contributes to the cache key: itself, less the breakpoint marks (moving or
    re-timing a breakpoint does not change the cached prefix)."""
    raw = _raw_metadata(item)
    if raw is None or (isinstance(raw, dict) and raw and KEY not in raw):
        return item.to_dict()  # nothing to take out: no copy (a deep one, per part of each row)
    return with_breakpoint(item, None).to_dict()


def _render_order(conversation: Conversation) -> list[tuple[int | None, int, Any]]:
    """(row, part, item) in the order the Anthropic request carries them: tools, then the
    system rows (moved to the top-level system prompt), then the other rows."""
    items: list[tuple[int | None, int, Any]] = [
        (None, k, tool) for k, tool in enumerate(conversation.settings.tools)]
    rows = list(enumerate(conversation.messages))
    for i, message in [r for r in rows if r[1].role == "system"] + \
            [r for r in rows if r[1].role != "system"]:
        items += [(i, j, part) for j, part in enumerate(message.parts)]
    return items


def breakpoints(conversation: Conversation) -> list[Breakpoint]:
    """Every breakpoint, in the order the API reads them, each with its prefix's size and
    digest. The digest covers the model, the tools and every part up to the breakpoint."""
    found: list[Breakpoint] = []
    items = _render_order(conversation)
    marked = [n for n, (_row, _index, item) in enumerate(items) if breakpoint_of(item)]
    if not marked:
        return found  # (a send checks for them: hashing every part of a long conversation)
    digest = hashlib.sha256(_canonical(conversation.settings.model).encode())
    chars, exact, role_of = 0, True, conversation.messages
    for row, index, item in items[:marked[-1] + 1]:  # what follows the last one is no prefix
        if row is None:
            text, whole = _canonical(_without_breakpoint(item)), True
            digest.update(b"tool" + text.encode())
        else:
            text, whole = _part_text(item)
            digest.update(role_of[row].role.encode()
                          + _canonical(_without_breakpoint(item)).encode())
        chars += len(text)
        exact = exact and whole
        ttl = breakpoint_of(item)
        if ttl is not None:
            found.append(Breakpoint(row, index, ttl, chars // CHARS_PER_TOKEN, exact,
                                    digest.copy().hexdigest()[:16]))
    return found


def prefix_hashes(conversation: Conversation) -> dict[str, str]:
    """Breakpoint (``"row:part"``, ``"tool:k"``) → digest of its prefix: what a run records, to
    tell the next one which caches it wrote."""
    return {b.key: b.digest for b in breakpoints(conversation)}


def minimum_tokens(model: str) -> int:
    """The shortest prefix ``model`` caches (Anthropic's documented minimums)."""
    name = model.lower()
    for pattern, tokens in _MINIMUMS:
        if pattern.search(name):
            return tokens
    return DEFAULT_MINIMUM


# -- the checks ---------------------------------------------------------------------------------


class CacheProblem(Struct, frozen=True):
    """A problem with the breakpoints, at its row and part (``row`` None: a tool's, or the
    request's as a whole). ``blocking``: the API would refuse the request."""

    row: int | None
    part: int | None
    text: str
    blocking: bool = False

    def line(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row + 1}")
            if self.part is not None:
                where.append(f"part {self.part + 1}")
        elif self.part is not None:
            where.append(f"tool {self.part + 1}")
        return f"{', '.join(where)}: {self.text}" if where else self.text


def breakpoint_problems(conversation: Conversation,
                        last_hashes: dict[str, str] | None = None) -> list[CacheProblem]:
    """What the Anthropic API would refuse or silently not cache, before sending."""
    found = breakpoints(conversation)
    problems: list[CacheProblem] = []
    automatic = isinstance(conversation.settings.extra_body.get("cache_control"), dict)
    total = len(found) + automatic
    if total > MAX_BREAKPOINTS:
        extra = " (one is the top-level cache_control in extra body)" if automatic else ""
        for b in found[MAX_BREAKPOINTS - automatic:]:
            problems.append(CacheProblem(
                b.row, b.part, f"cache breakpoint {found.index(b) + 1 + automatic} of {total}"
                f"{extra}: Anthropic takes at most {MAX_BREAKPOINTS}; remove "
                f"{total - MAX_BREAKPOINTS}", blocking=True))
    seen_short = False
    for b in found:
        if b.ttl == "1h" and seen_short:
            problems.append(CacheProblem(
                b.row, b.part, "a 1-hour cache breakpoint must come before every 5-minute one "
                "(Anthropic refuses the request); make this one 5 min or the earlier ones 1 hour",
                blocking=True))
        seen_short = seen_short or b.ttl == "5m"
    for b in found:
        part = conversation.messages[b.row].parts[b.part] if b.row is not None else None
        if isinstance(part, ReasoningPart):
            problems.append(CacheProblem(
                b.row, b.part, "reasoning cannot be a cache breakpoint (Anthropic refuses it); "
                "set it on the part after", blocking=True))
        elif isinstance(part, TextPart) and not part.text:
            problems.append(CacheProblem(
                b.row, b.part, "an empty text part cannot be a cache breakpoint (Anthropic "
                "refuses it); write its text or set the breakpoint elsewhere", blocking=True))
    problems += _short_prefixes(conversation, found)
    if last_hashes:
        for b in found:
            before = last_hashes.get(b.key)
            if before is not None and before != b.digest:
                problems.append(CacheProblem(
                    b.row, b.part, "the prompt above this cache breakpoint changed since the "
                    "last run: the cache will miss and be written again"))
    return problems


def _short_prefixes(conversation: Conversation, found: list[Breakpoint]) -> list[CacheProblem]:
    model = conversation.settings.model
    least = minimum_tokens(model)
    return [CacheProblem(b.row, b.part,
                         f"about {b.tokens:,} tokens up to this cache breakpoint (estimated), "
                         f"under the {least:,} {model or 'the model'} caches at least: caching "
                         "will be silently skipped")
            for b in found if b.exact and b.tokens < least]


def ignored_note(protocol_title: str, conversation: Conversation) -> CacheProblem | None:
    """For a provider with no breakpoints: one note that the ones set are ignored."""
    count = len(breakpoints(conversation))
    if not count:
        return None
    noun = "breakpoint" if count == 1 else "breakpoints"
    return CacheProblem(None, None, f"{protocol_title} does not take cache breakpoints; the "
                        f"{count} set {'is' if count == 1 else 'are'} ignored ({noun} apply to "
                        "Anthropic only)")


# -- after the run ---------------------------------------------------------------------------------


class CacheUsage(Struct, frozen=True):
    """The cache tokens of one reply: read (billed at the cache-read price) and written (at
    the cache-write price; ``written_1h`` of them with the 1-hour lifetime)."""

    read: int = 0
    written: int = 0
    written_1h: int = 0

    def __bool__(self) -> bool:
        return bool(self.read or self.written)

    def text(self) -> str:
        pieces = []
        if self.read:
            pieces.append(f"cache read {self.read:,}")
        if self.written:
            hour = f" (1 h: {self.written_1h:,})" if self.written_1h else ""
            pieces.append(f"cache write {self.written:,}{hour}")
        return " · ".join(pieces)


def cache_usage(usage: Usage | None) -> CacheUsage:
    """The cache tokens a usage report carries, whichever provider sent it: reads are
    ``cached_tokens`` (Anthropic's cache_read_input_tokens, OpenAI's cached_tokens, Gemini's
    cachedContentTokenCount); writes Anthropic's cache_creation_input_tokens or OpenAI's
    cache_write_tokens."""
    details = (usage.details if usage is not None else None) or {}

    def num(key: str) -> int:
        value = details.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    written = num("cache_creation_input_tokens") or num("cache_write_tokens")
    return CacheUsage(num("cached_tokens"), written, num("ephemeral_1h_input_tokens"))


def tokens_saved(usage: Usage | None) -> int:
    """Input tokens read from the cache: billed at the cache-read price instead of input's."""
    return cache_usage(usage).read


def row_marks(message: Message) -> Ttl | None:
    """The longest lifetime among a row's breakpoints (what the table marks), or None."""
    ttls = {breakpoint_of(p) for p in message.parts} - {None}
    return "1h" if "1h" in ttls else ("5m" if ttls else None)
