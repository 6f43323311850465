"""Short text for the table, the screen reader and the attachment questions: a one-line cut of
a text and a file size said plainly. Kept outside the table package so the views that use them
do not import the table that imports them."""

from __future__ import annotations

NEWLINE_GLYPH = "⏎"


def one_line(text: str, max_chars: int = 120) -> str:
    flat = text.replace("\r\n", "\n").replace("\n", f" {NEWLINE_GLYPH} ")
    return flat if len(flat) <= max_chars else flat[:max_chars] + "…"


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
