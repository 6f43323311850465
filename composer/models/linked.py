"""Attachments linked by path: which of them may be read, and the one reader that reads them.

A conversation file may name local files (``{"path": ...}`` without ``content``). What a file
says is data, not permission: such a path is read only when it resolves (``~``, ``..`` and
symlinks followed) to somewhere inside the file's own folder, or when the user allowed it (a
prompt in the window, ``--allow-paths`` on the command line). A relative path is relative to
the file's folder.

``read_regular`` reads regular files only: the file is opened without blocking (a FIFO with no
writer would otherwise hang for ever), then its opened descriptor is checked, so a device such
as /dev/zero, a FIFO, a socket or a folder is refused before one byte is read; and it never
reads more than the size limit, even from a file that grows while it is read. No Qt here: the
CLI and the window share this.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from msgspec import Struct

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.models.parts import AttachmentPart, ToolResultPart

_CHUNK = 1024 * 1024
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


class LinkedFileError(OSError):
    """A linked file that cannot be read: its message names the path and the reason."""


class PathsRefused(ComposerError):
    """Linked files outside the input's folder that nobody allowed (the CLI's refusal)."""


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size:,} bytes"
    return f"{size / (1024 * 1024):.1f} MB"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises LinkedFileError naming the path: missing, unreadable, not a regular file, or
    bigger than ``limit`` (checked before reading and again while reading).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise LinkedFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise LinkedFileError(f"{path}: {_kind(mode)}, not a regular file")
        size = os.fstat(fd).st_size
        if limit is not None and size > limit:
            raise LinkedFileError(f"{path}: {megabytes(size)}, over the "
                                  f"{megabytes(limit)} attachment size limit")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, _CHUNK):
            total += len(chunk)
            if limit is not None and total > limit:
                raise LinkedFileError(f"{path}: grew past the {megabytes(limit)} attachment "
                                      "size limit while it was read")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        if isinstance(exc, LinkedFileError):
            raise
        raise LinkedFileError(f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def resolve(path: str, base_dir: Path | None) -> Path:
    """Where ``path`` really leads: ``~`` expanded, relative to ``base_dir`` (else the working
    folder), ``..`` and symlinks followed."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = (base_dir if base_dir is not None else Path.cwd()) / p
    return Path(os.path.realpath(p))


def is_inside(resolved: Path, base_dir: Path | None) -> bool:
    if base_dir is None:
        return False
    base = Path(os.path.realpath(base_dir))
    return resolved != base and resolved.is_relative_to(base)


class Link(Struct):
    """One linked attachment: where it sits (0-based row) and where its path leads."""

    row: int
    attachment: Attachment
    path: Path
    inside: bool

    def describe(self) -> str:
        shown = self.attachment.path
        real = str(self.path)
        return f"row {self.row + 1}: {shown}" + (f" (→ {real})" if real != shown else "")


def _attachments(conversation: Conversation) -> Iterator[tuple[int, Attachment]]:
    for row, message in enumerate(conversation.messages):
        for part in message.parts:
            if isinstance(part, AttachmentPart) and part.attachment is not None:
                yield row, part.attachment
            elif isinstance(part, ToolResultPart):
                for att in part.attachments:
                    yield row, att


def links(conversation: Conversation, base_dir: Path | None) -> list[Link]:
    """Every attachment linked by path and not read yet. ``base_dir`` is the folder of the file
    the conversation came from (None: no file, so every path is outside)."""
    found = []
    for row, att in _attachments(conversation):
        if att.linked:
            resolved = resolve(att.path or "", base_dir)
            found.append(Link(row, att, resolved, is_inside(resolved, base_dir)))
    return found


def not_loaded(conversation: Conversation) -> list[tuple[int, Attachment]]:
    """(row, attachment) for every linked attachment whose file has not been read."""
    return [(row, att) for row, att in _attachments(conversation) if att.linked]


def load(found: list[Link], limit: int | None) -> list[str]:
    """Read each link's file (``read_regular``) into its attachment; the problems, one line
    each naming the row and the path. Blocking I/O: call it off the GUI thread."""
    problems = []
    for link in found:
        try:
            link.attachment.set_loaded(read_regular(link.path, limit))
        except LinkedFileError as exc:
            problems.append(f"row {link.row + 1}: {exc}")
    return problems


def load_for_cli(conversation: Conversation, base_dir: Path | None, *, allow_outside: bool,
                 limit: int | None, flag: str = "--allow-paths") -> None:
    """What ``send`` and ``convert`` do before using a conversation: read its linked files
    inside ``base_dir``, and outside it only with ``allow_outside``. Raises PathsRefused (one
    line naming every outside path) or LinkedFileError (the first file that cannot be read)."""
    found = links(conversation, base_dir)
    outside = [link for link in found if not link.inside]
    if outside and not allow_outside:
        where = f"outside {base_dir}" if base_dir is not None else "outside the input's folder"
        raise PathsRefused(f"not reading attachment files {where}: "
                           f"{'; '.join(link.describe() for link in outside)} "
                           f"(pass {flag} to read them)")
    problems = load(found, limit)
    if problems:
        raise LinkedFileError(problems[0])
