"""Reading a field of a provider's JSON as the type we need, or None when it is something else.

Wire payloads are untrusted: a field may be missing, null, or of another type. These keep the
parsers' ``isinstance`` checks to one word each.
"""

from __future__ import annotations

from typing import Any


def string(value: Any) -> str | None:
    """``value`` if it is a string (empty included), else None."""
    return value if isinstance(value, str) else None


def nonempty(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def integer(value: Any) -> int | None:
    """``value`` if it is an int and not a bool (JSON ``true`` is not a count), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def array(value: Any) -> list[Any]:
    """``value`` if it is a list, else empty: ``x.get(k) or []`` breaks on a number or ``true``."""
    return value if isinstance(value, list) else []
