"""Local file paths in dragged or pasted mime data, for the table, the clipboard and the
window's drop (outside the table package, so the clipboard need not import the table)."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from PySide6.QtCore import QMimeData


def local_paths(data: QMimeData) -> list[str]:
    """Local file paths among the mime data's URLs (remote URLs are ignored)."""
    if not data.hasUrls():
        return []
    out = []
    for url in data.urls():
        if url.isLocalFile():
            out.append(url.toLocalFile())
        elif url.scheme() == "file":
            out.append(unquote(urlparse(url.toString()).path))
    return out
