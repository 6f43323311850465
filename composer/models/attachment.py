"""An attachment: a file that travels with a message (input) or comes back in a reply (output).

Serialised as llm's ``{"type": MIME, "path"?, "url"?, "content"? (base64)}``. By default the
bytes are embedded as base64 ``content`` so a saved file is self-contained; ``embed=False`` keeps
only the path. The base64 text is the one copy we hold: raw bytes are decoded on demand and never
cached, so a big PDF costs its base64 size once, not three times.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import urllib.parse
from pathlib import Path
from typing import Any

import filetype
from pydantic import BaseModel, ConfigDict, model_serializer

_TEXT_SNIFF_BYTES = 4096


class Attachment(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | None = None
    path: str | None = None
    url: str | None = None
    content: str | None = None

    @model_serializer(mode="wrap")
    def _compact(self, handler: Any) -> Any:
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], *, embed: bool = True) -> Attachment:
        """Read a file; its MIME type comes from its content, the extension only as a fallback.

        Raises OSError (with the path in its message) when the file cannot be read.
        """
        p = Path(path)
        if embed:
            data = p.read_bytes()
            return cls(
                type=sniff_mime(data, p.name),
                path=str(p),
                content=base64.b64encode(data).decode("ascii"),
            )
        with p.open("rb") as fh:
            head = fh.read(_TEXT_SNIFF_BYTES)
        return cls(type=sniff_mime(head, p.name), path=str(p))

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
    def size(self) -> int | None:
        """Size in bytes, without decoding the content."""
        if self.content is not None:
            n = len(self.content)
            return n * 3 // 4 - self.content[-2:].count("=") if n else 0
        if self.path:
            try:
                return os.path.getsize(self.path)
            except OSError:
                return None
        return None

    def data(self) -> bytes:
        """The raw bytes: decoded content, else the file at path. Raises OSError/ValueError."""
        if self.content is not None:
            try:
                return base64.b64decode(self.content, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"attachment {self.display_name}: content is not base64") from exc
        if self.path:
            return Path(self.path).read_bytes()
        raise ValueError(f"attachment {self.display_name} has no content or local path")

    def base64(self) -> str:
        if self.content is not None:
            return self.content
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
