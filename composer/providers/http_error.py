"""Reading a non-2xx response: the part every protocol's ``parse_error`` shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composer.models import jsontext
from composer.models.events import StreamError
from composer.providers.headers import retry_after


def read_body(body: bytes) -> tuple[str, Any]:
    """The body as text (bad bytes replaced) and its JSON: None when the body is empty, not
    JSON, or nested too deeply to read. An error body is never trusted to be well formed."""
    text = body.decode("utf-8", errors="replace") if body else ""
    if not text.strip():
        return text, None
    try:
        return text, jsontext.loads(text)[0]  # valid Unicode; too deep or too long: not JSON
    except jsontext.JSONTextError:
        return text, None


def snippet(text: str) -> str:
    """The start of a body that is not the provider's JSON (an HTML gateway page...), on one
    line."""
    return " ".join(text.split())[:200]


def labelled(status: int, text: str, kind: str | None, message: str | None, *,
             request_id: str | None, headers: Mapping[str, str]) -> StreamError:
    """``HTTP <status> <kind>: <message>``, the message falling back to the body's first line."""
    if message is None:
        first = text.strip().splitlines()[0][:200] if text.strip() else ""
        message = first or "no details in the response"
    label = f"HTTP {status}" + (f" {kind}" if kind else "")
    return StreamError(f"{label}: {message}", kind="http", status=status, provider_type=kind,
                       request_id=request_id, retry_after=retry_after(headers),
                       body=text[:4000] or None)
