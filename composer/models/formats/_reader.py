"""The reader kit every format's importer is built on: typed access to untrusted JSON whose
errors carry the JSON path (``$.messages[2].content``), and the losses an import collects.

A location is a JSON path string; ``at`` extends one. A check that fails raises one
``FormatError`` worded "{what} must be {kind}, not {found}" at that location; ``guarded``
(base.py) adds the source when the reader did not know it.
"""

from __future__ import annotations

from typing import Any

from composer.models.errors import FormatError
from composer.models.formats.base import Loss
from composer.models.jsontext import KIND_NAMES, json_kind


def at(location: str, key: str | int) -> str:
    """``location`` one step deeper: ``at("$", "messages")`` is ``$.messages``, ``at(loc, 2)``
    is ``loc[2]``."""
    return f"{location}[{key}]" if isinstance(key, int) else f"{location}.{key}"


def need(value: Any, kind: type | tuple[type, ...], what: str, location: str,
         source: str | None = None) -> Any:
    """``value`` when it has the JSON type ``kind`` (a bool is no number); else a FormatError
    at ``location``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        want = " or ".join(dict.fromkeys(KIND_NAMES.get(k, "a value") for k in kinds))
        raise FormatError(f"{what} must be {want}, not {json_kind(value)}", source=source,
                          location=location)
    return value


class Reader:
    """Walks one body: typed access that fails at the first bad value, and the losses found."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.losses: list[Loss] = []

    def fail(self, problem: str, location: str) -> FormatError:
        return FormatError(problem, source=self.source, location=location)

    def note(self, problem: str, message: int | None = None, part: int | None = None,
             dropped: bool = False) -> None:
        self.losses.append(Loss(problem, message, part, dropped))

    def need(self, value: Any, kind: type | tuple[type, ...], what: str, location: str) -> Any:
        return need(value, kind, what, location, self.source)

    def string(self, value: Any, location: str, what: str = "the value", *,
               optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        return self.need(value, str, what, location)

    def obj(self, value: Any, location: str, what: str = "the value") -> dict[str, Any]:
        return self.need(value, dict, what, location)

    def array(self, value: Any, location: str, what: str = "the value") -> list[Any]:
        return self.need(value, list, what, location)
