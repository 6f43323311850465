"""Reading HTTP response headers the way every protocol needs: case-blind, and retry-after."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header's value whatever the case of its name (plain dicts are case-sensitive)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    name = name.lower()
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def retry_after(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """The wait a server asked for, in seconds: ``retry-after-ms``, then ``retry-after``
    (seconds, or an HTTP date)."""
    raw_ms = header(headers, "retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = header(headers, "retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
