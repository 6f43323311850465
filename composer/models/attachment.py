"""An attachment: a file that travels with a message (input) or comes back in a reply (output).

Serialised as llm's ``{"type": MIME, "path"?, "url"?, "content"? (base64)}``. By default the
bytes are embedded as base64 ``content`` so a saved file is self-contained; ``embed=False`` keeps
only the path. The base64 text is the one copy we hold: raw bytes are decoded on demand and never
cached, so a big PDF costs its base64 size once, not three times.

An attachment never reads the disk by itself. One kept by path only is "linked": its bytes are
there once ``composer.models.linked`` has read them (held beside the model, never saved), and
until then ``data()`` raises NotLoaded instead of opening whatever path a file named.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import urllib.parse
from pathlib import Path
from typing import ClassVar

from composer.models.value import Value

_TEXT_SNIFF_BYTES = 4096


class NotLoaded(ValueError):
    """A linked attachment (a path, no content) whose file has not been read (allowed) yet."""


class Attachment(Value):
    type: str | None = None
    path: str | None = None
    url: str | None = None
    content: str | None = None
    # The base64 of a linked file once read: used like content, never serialised.
    _loaded: ClassVar[str | None] = None

    _compact_falsy = False
    _state = ("_extra", "_loaded")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return super().__eq__(other) and self._loaded == other._loaded

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], *, embed: bool = True,
                  limit: int | None = None) -> Attachment:
        """Read a regular file the user chose; its MIME type comes from its content, the
        extension only as a fallback. ``embed=False`` saves only the path, but the bytes are
        held (unsaved) all the same, so sending never goes back to the disk.

        Raises OSError (with the path in its message) when the file cannot be read, is not a
        regular file or is bigger than ``limit``.
        """
        from composer.models.linked import read_regular

        p = Path(path)
        data = read_regular(p, limit)
        encoded = base64.b64encode(data).decode("ascii")
        if embed:
            return cls(type=sniff_mime(data, p.name), path=str(p), content=encoded)
        att = cls(type=sniff_mime(data[:_TEXT_SNIFF_BYTES], p.name), path=str(p))
        att._loaded = encoded
        return att

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "", mime: str | None = None) -> Attachment:
        extra = {"name": name} if name else {}
        return cls(
            type=mime or sniff_mime(data, name),
            content=base64.b64encode(data).decode("ascii"),
            **extra,
        )

    @classmethod
    def from_url(cls, url: str, *, mime: str | None = None) -> Attachment:
        if url.startswith("data:"):
            head, _, payload = url.partition(",")
            declared = head[5:].split(";")[0] or None
            if ";base64" in head:
                return cls(type=declared, content=payload)
            # Without ;base64 the payload is percent-encoded text (RFC 2397).
            data = urllib.parse.unquote_to_bytes(payload)
            return cls(type=declared or "text/plain",
                       content=base64.b64encode(data).decode("ascii"))
        guessed = mime or mimetypes.guess_type(url.split("?")[0])[0]
        return cls(type=guessed, url=url)

    # -- reading ------------------------------------------------------------------------------

    @property
    def display_name(self) -> str:
        name = (self.model_extra or {}).get("name")
        if name:
            return str(name)
        if self.path:
            return Path(self.path).name
        if self.url and not self.url.startswith("data:"):
            return self.url.rstrip("/").rsplit("/", 1)[-1] or self.url
        return self.type or "attachment"

    @property
    def linked(self) -> bool:
        """Kept by path only and not read yet: "linked, not loaded"."""
        return bool(self.path) and self.content is None and self._loaded is None

    def set_loaded(self, data: bytes) -> None:
        """The bytes of a linked file, read by ``composer.models.linked`` (never saved)."""
        self._loaded = base64.b64encode(data).decode("ascii")

    @property
    def size(self) -> int | None:
        """Size in bytes, without decoding the content; None for a linked file not read."""
        encoded = self.content if self.content is not None else self._loaded
        if encoded is not None:
            n = len(encoded)
            return n * 3 // 4 - encoded[-2:].count("=") if n else 0
        return None

    def data(self) -> bytes:
        """The raw bytes: decoded content (or the linked file's, once read).

        Raises NotLoaded for a linked file not read, ValueError for bad base64."""
        encoded = self.content if self.content is not None else self._loaded
        if encoded is not None:
            try:
                return base64.b64decode(encoded, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"attachment {self.display_name}: content is not base64") from exc
        if self.path:
            raise NotLoaded(f"attachment {self.display_name} is linked, not loaded "
                            f"({self.path}): its file has not been allowed and read")
        raise ValueError(f"attachment {self.display_name} has no content or local path")

    def base64(self) -> str:
        if self.content is not None:
            return self.content
        if self._loaded is not None:
            return self._loaded
        return base64.b64encode(self.data()).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.base64()}"

    @property
    def mime(self) -> str:
        return self.type or "application/octet-stream"

    @property
    def kind(self) -> str:
        """image, audio, video, pdf, text or file: what providers and previews care about."""
        m = self.mime
        if m == "application/pdf":
            return "pdf"
        major = m.split("/")[0]
        if major in ("image", "audio", "video", "text"):
            return major
        if m in ("application/json", "application/xml", "application/x-yaml"):
            return "text"
        return "file"


def sniff_mime(data: bytes, name: str = "") -> str:
    """MIME type from magic bytes; then the file name; then text versus binary."""
    import filetype  # on the first file read, not at start

    kind = filetype.guess(data[:8192]) if data else None
    if kind is not None:
        return kind.mime
    guessed = mimetypes.guess_type(name)[0] if name else None
    if guessed:
        return guessed
    head = data[:_TEXT_SNIFF_BYTES]
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        if exc.start < len(head) - 4:
            return "application/octet-stream"
    return "text/plain"
