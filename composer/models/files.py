"""Reading and writing our two files, the conversation file and the exchange file.

Writes are atomic: a temp file beside the target, fsync, rename. Reads check the format version:
an older file is upgraded, a newer one is refused with a clear message. Every failure is a
FormatError naming the file, the place and the problem.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from itertools import chain
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.models import jsontext, unchecked
from composer.models.conversation import CONVERSATION_VERSION, LINEAR_VERSION, Conversation
from composer.models.errors import FormatError, VersionError

if TYPE_CHECKING:  # an exchange is imported when one is read or written, not at the start
    from pydantic import ValidationError

    from composer.models.exchange import Exchange, LogEntry

_KINDS = ("conversation", "exchange")


def _current_version(kind: str) -> int:
    if kind == "conversation":
        return CONVERSATION_VERSION
    from composer.models.exchange import EXCHANGE_VERSION
    return EXCHANGE_VERSION


def valid_text(text: str) -> tuple[str, int]:
    """``text`` as valid Unicode, and how many characters had to be replaced.

    A Python string can hold surrogates that UTF-8 cannot encode: a pair split across two
    stream events and joined as two code points, or a lone ``\\ud800`` read from a JSON file.
    A pair is joined into its character; a lone one becomes U+FFFD. Text without surrogates
    (nearly always) costs one scan.
    """
    if not _SURROGATE.search(text):
        return text, 0
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined, joined.count("\ufffd") - text.count("\ufffd")


_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_text(text: str) -> tuple[bytes, int]:
    """UTF-8 bytes for ``text`` (never failing), and how many characters were replaced."""
    try:
        return text.encode("utf-8"), 0
    except UnicodeEncodeError:
        valid, replaced = valid_text(text)
        return valid.encode("utf-8"), replaced


def write_problem(path: str | os.PathLike[str], exc: BaseException) -> str:
    """One line for a write that failed: the path and the reason (disk full, permission...)."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.filename and os.fspath(exc.filename) != os.fspath(path) and \
                not Path(exc.filename).name.startswith("."):
            reason += f" ({exc.filename})"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return f"{path}: {reason}"


def encode_doc(doc: Conversation | Exchange) -> tuple[bytes, int]:
    """The bytes ``save`` writes for ``doc``, and how many characters had to be replaced. Its
    text is encoded a piece at a time (see ``_texts``), never held whole: a 20 MB file's text
    would be 80 MB as one string with a single character beyond the BMP in it."""
    pieces, replaced = [], 0
    for text in _texts(doc):
        data, count = encode_text(text)
        pieces.append(data)
        replaced += count
    return b"".join(pieces), replaced


def replaced_note(count: int) -> str:
    """What to tell the user when ``count`` characters were replaced on writing."""
    return (f"{count} character(s) that were not valid Unicode (unpaired surrogates) "
            "were written as \ufffd")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> int:
    """Write ``text`` as UTF-8 atomically; the number of characters replaced (see valid_text)."""
    data, replaced = encode_text(text)
    atomic_write_bytes(path, data)
    return replaced


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | Iterable[bytes]) -> None:
    """Temp file beside the target, fsync, rename: the target is the old or the new file, never
    a torn one. On failure the temp file is removed; one a killed process left is removed by
    the next write beside it (remove_stale_temps). ``data`` whole, or its pieces in order."""
    target = Path(path)
    remove_stale_temps(target.parent)
    # The pid in the name says whose temp file it is (remove_stale_temps).
    with _writing_lock:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp",
                                   dir=target.parent)
        _writing.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        with _writing_lock:
            _writing.discard(tmp)


# Temp files this process is writing now (another thread's write must not remove them).
_writing: set[str] = set()
_writing_lock = threading.Lock()
# Only our own pattern (.NAME.PID-XXXXXXXX.tmp, mkstemp's 8 characters): another program's
# hidden temp file in the user's folder is never touched.
_TEMP = re.compile(r"^\..+\.(\d+)-[a-z0-9_]{8}\.tmp$")
STALE_AFTER_S = 3600.0  # a temp file whose owner cannot be checked is stale after this


def remove_stale_temps(folder: str | os.PathLike[str]) -> int:
    """Remove the hidden ``.NAME.PID-XXXX.tmp`` files killed writes left in ``folder``: those
    of a process that is gone, of this process when no write of ours holds them, and any an
    hour old. How many were removed; a folder that cannot be listed removes none."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        if not _stale(entry, match.group(1)):
            continue
        try:
            os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed


def _stale(entry: os.DirEntry, pid_text: str) -> bool:
    try:
        if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S:
            return True
    except OSError:
        return False
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _writing_lock:
            # mkstemp names its files by absolute path; the folder may be given relative.
            return os.path.abspath(entry.path) not in _writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


_encode_line = json.JSONEncoder(ensure_ascii=False).encode


def dumps(doc: Conversation | Exchange) -> str:
    return "".join(_texts(doc))


def _texts(doc: Conversation | Exchange) -> Iterator[str]:
    """The text of ``doc``'s file in pieces of whole tokens (no character pair is split
    between two) of about ``_PIECE`` characters, the event log a few hundred lines at a time:
    saving a big file, megabytes, never holds its whole text (nor the encoder's list of every
    token of it, several times the text's size)."""
    events = None
    if not isinstance(doc, Conversation) and doc.composer.events:
        # The raw event log is most of a long reply's file: written one event a line by the C
        # encoder (an indented dump runs in Python), and without a model dump per event.
        events = doc.composer.events
        doc = doc.model_copy(update={"composer": doc.composer.model_copy(update={"events": []})})
    data = doc.to_dict()
    header = data.pop("composer", None)
    marker = None
    if isinstance(header, dict):
        # The header first, its kind first: a file manager's MIME magic reads only the first
        # bytes (resources/desktop/llm-composer.xml).
        first = {k: header[k] for k in ("kind", "format_version") if k in header}
        header = {**first, **header}
        if events is not None:
            marker = f'"composer-events-{uuid.uuid4().hex}"'  # as the encoder writes it
            header["events"] = marker[1:-1]
        data = {"composer": header, **data}
    piece: list[str] = []
    size = 0
    # The indented encoder yields each string value as a token of its own: the marker is one.
    for token in _INDENTED.iterencode(data):
        if token == marker:
            piece.append("[\n      ")
            yield "".join(piece)
            yield from _log_lines(events or [])
            piece, size = ["\n    ]"], 0
            continue
        piece.append(token)
        size += len(token)
        if size >= _PIECE:
            yield "".join(piece)
            piece, size = [], 0
    piece.append("\n")
    yield "".join(piece)


def _draft_texts(doc: Conversation) -> Iterator[str]:
    """A draft's text, pieces of about ``_PIECE`` characters: compact JSON, each message
    dumped and encoded by itself. The window writes a draft every few seconds while the user
    types, on a worker; the file's indented encoding runs in Python (~4× the time), and one
    dump of the whole conversation holds the GIL against the window until it is done (~60 ms
    at 10,000 messages, ~300 ms at 50,000); a message's takes well under a millisecond."""
    rest = _encode_line(doc.to_dict(messages=False))
    piece, size = ['{"messages": ['], 0
    for n, message in enumerate(doc.messages):
        text = _encode_line(message.to_dict())
        piece.append(", " + text if n else text)
        size += len(text)
        if size >= _PIECE:
            yield "".join(piece)
            piece, size = [], 0
    piece.append("]" + (", " + rest[1:] if rest != "{}" else "}") + "\n")
    yield "".join(piece)


# What json.dumps(data, ensure_ascii=False, indent=2) writes, a token at a time.
_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=2)
_PIECE = 1 << 16  # characters of a file's text put together and encoded at once


def _log_lines(events: list[LogEntry]) -> Iterator[str]:
    """The raw event log, one event a line, as ``_encode_line`` writes each entry's dict, a few
    hundred lines at a time (separated as the lines are)."""
    for start in range(0, len(events), _LOG_LINES):
        batch = events[start:start + _LOG_LINES]
        text = _usual_lines(batch)
        if text is None:
            text = _LOG_SEPARATOR.join(_encode_line(entry.as_dict()) for entry in batch)
        yield _LOG_SEPARATOR + text if start else text


def _usual_lines(entries: list[LogEntry]) -> str | None:
    """The lines of ``entries`` put together in C from their encoded strings, without a dict or
    an encoder call each (the start of a line is the same for a read's events, the end for
    every event of one name); None unless they are the usual entries: no keys of their own,
    a float ``t`` (finite, not zero: -0.0 == 0.0 but prints apart), a string ``event``."""
    if any(map(_EXTRA, entries)):
        return None
    times = list(map(_TIME, entries))
    starts: dict[Any, str] = dict.fromkeys(times)  # type: ignore[arg-type]
    for t in starts:
        if type(t) is not float or t - t != 0 or not t:  # (inf - inf and nan are nan)
            return None
        starts[t] = f'{{"t": {t!r}, "data": '
    names = list(map(_NAME, entries))
    ends: dict[Any, str] = dict.fromkeys(names)  # type: ignore[arg-type]
    for name in ends:
        if name is not None and type(name) is not str:
            return None
        ends[name] = ("}" if name is None
                      else f', "event": {encode_basestring(name)}}}') + _LOG_SEPARATOR
    try:
        quoted = list(map(encode_basestring, map(_DATA, entries)))
    except TypeError:  # (data that is not a string)
        return None
    text = "".join(chain.from_iterable(zip(map(starts.__getitem__, times), quoted,
                                           map(ends.__getitem__, names), strict=True)))
    return text[:-len(_LOG_SEPARATOR)]


_LOG_LINES = 200  # lines of the log encoded and written at once
_TIME, _DATA, _NAME, _EXTRA = (itemgetter(i) for i in range(4))  # a LogEntry's fields
_LOG_SEPARATOR = ",\n      "


def save(doc: Conversation | Exchange, path: str | os.PathLike[str], *,
         draft: bool = False) -> int:
    """Write ``doc`` atomically; how many characters had to be replaced (see valid_text).
    Encoded and written a few dozen kilobytes at a time: a long reply's file is megabytes,
    and its whole text and bytes were two more copies of it in fresh memory. A ``draft`` (a
    conversation only Composer reads back) is written as ``_draft_texts`` makes it."""
    replaced = 0
    texts = _draft_texts(doc) if draft and isinstance(doc, Conversation) else _texts(doc)

    def encoded() -> Iterator[bytes]:
        nonlocal replaced
        for text in texts:
            data, count = encode_text(text)
            replaced += count
            yield data

    atomic_write_bytes(path, encoded())
    return replaced


def validation_location(err: ValidationError) -> tuple[str, str]:
    """The first error of a pydantic ValidationError as (JSON path, problem)."""
    first = err.errors()[0]
    path = "$"
    for piece in first.get("loc", ()):
        path += f"[{piece}]" if isinstance(piece, int) else f".{piece}"
    return path, first.get("msg", "invalid value")


def kind_of(data: Any) -> str | None:
    """'conversation' or 'exchange' when data is one of our files, else None."""
    if isinstance(data, dict) and isinstance(data.get("composer"), dict):
        kind = data["composer"].get("kind")
        if isinstance(kind, str) and kind in _KINDS:
            return kind
        if "prompt" in data and "messages" in data:
            return "exchange"
    return None


def _upgrade(kind: str, data: dict[str, Any], source: str | None) -> dict[str, Any]:
    header = data["composer"]
    version = header.get("format_version", 1)
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"format_version must be a positive integer, not {version!r}",
                          source=source, location="$.composer.format_version")
    current = _current_version(kind)
    if version > current:
        raise VersionError(
            f"this {kind} file was written by a newer Composer (format version {version}; "
            f"this one reads up to {current}): update Composer to open it",
            source=source, location="$.composer.format_version",
        )
    # Version 2 added the conversation tree (composer.tree) beside the messages, which stayed
    # as they were: a version 1 file reads as it is.
    return data


def from_data(data: Any, source: str | None = None) -> Conversation | Exchange:
    kind = kind_of(data)
    if kind is None:
        raise FormatError("not a Composer conversation or exchange file", source=source,
                          location="$")
    data = _upgrade(kind, data, source)
    cls: type[Conversation | Exchange] = Conversation
    if kind == "exchange":
        from composer.models.exchange import Exchange

        cls = Exchange
    from pydantic import ValidationError  # (imported with the first file checked)

    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        where, problem = validation_location(exc)
        raise FormatError(problem, source=source, location=where) from None
    except FormatError as exc:  # the conversation tree's own checks (tree_file.py)
        raise (exc.with_source(source) if source else exc) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    return read_json_counted(path)[0]


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes; FormatError (naming the file) when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(exc.strerror or str(exc), source=str(path)) from None


def read_json_counted(path: str | os.PathLike[str]) -> tuple[Any, int]:
    """A JSON file's value and how many lone surrogates in it were replaced (see jsontext)."""
    return json_from_bytes(read_bytes(path), str(path))


def json_from_bytes(data: bytes, source: str | None = None) -> tuple[Any, int]:
    """The JSON value of a file's bytes, and how many lone surrogates were replaced."""
    found = jsontext.utf8_value(data)
    if found is not None:
        return found
    try:  # what the fast reader refuses: read (or refused, with the place) as text
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", source=source) from None
    del data
    return parse_json_counted(text, source)


def parse_json(text: str, source: str | None = None) -> Any:
    """JSON text from outside as a value safe to hold (see jsontext); a lone surrogate is
    replaced silently here: ``parse_json_counted`` says how many were."""
    return parse_json_counted(text, source)[0]


def parse_json_counted(text: str, source: str | None = None) -> tuple[Any, int]:
    """(value, lone surrogates replaced). Raises FormatError naming where the JSON breaks."""
    try:
        return jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", source=source,
                          location=exc.location) from None


def load(path: str | os.PathLike[str]) -> Conversation | Exchange:
    return from_data(read_json(path), str(path))


def load_conversation(path: str | os.PathLike[str]) -> Conversation:
    """A conversation file, or an exchange file opened as its conversation (reply appended)."""
    return conversation_from_bytes(read_bytes(path), str(path))


def conversation_from_bytes(data: bytes, source: str | None = None, *,
                            ours: bool = False) -> Conversation:
    """``load_conversation`` of bytes already read (a caller that also hashes them). ``ours``:
    the bytes this app wrote (their sha256 is the one the window recorded when it saved them),
    built without the validator when they can be, as a shipped file is (``_unchecked``)."""
    value = json_from_bytes(data, source)[0]
    if ours and (built := _unchecked(value)) is not None:
        return built
    doc = from_data(value, source)
    return doc if isinstance(doc, Conversation) else doc.conversation()


def load_shipped_conversation(path: str | os.PathLike[str]) -> Conversation:
    """A conversation file we ship (the example), built without the validator: the first paint
    need not wait for it."""
    data = read_json(path)
    if (built := _unchecked(data)) is not None:
        return built
    doc = from_data(data, str(path))
    return doc if isinstance(doc, Conversation) else doc.conversation()


def _unchecked(data: Any) -> Conversation | None:
    """A conversation file known to be valid (shipped, or this app's own bytes), built without
    pydantic's validator (unchecked.py: importing pydantic and building it is a quarter of a
    start); its tree, if any, is read by tree_file, as a checked file's is. None when it
    cannot be built so (another version, an exchange, a shape the builder cannot place, a
    tree that does not fit): the caller validates it then."""
    header = data.get("composer") if isinstance(data, dict) else None
    if kind_of(data) != "conversation" or not isinstance(header, dict):
        return None
    if header.get("format_version", LINEAR_VERSION) != \
            (CONVERSATION_VERSION if "tree" in header else LINEAR_VERSION):
        return None
    try:
        return unchecked.build(Conversation, data)
    except (TypeError, FormatError):
        return None
