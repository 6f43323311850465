"""A small JSONPath subset for checks: ``$``, ``.name``, ``['name']`` / ``["name"]``, ``[0]``,
``[-1]``, e.g. ``$.forecast[0].temp`` or ``$['the key'].items[-1]``. No wildcards, filters or
recursion: a check names one value. (jsonpath-ng is not a dependency; this is all checks need.)
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"""\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]"""
                   r"""|\[\s*"((?:[^"\\]|\\.)*)"\s*\]""")

Step = str | int


class PathError(ValueError):
    pass


def parse(path: str) -> list[Step]:
    """The steps of ``path``; PathError naming the position of anything outside the subset."""
    text = path.strip()
    if not text.startswith("$"):
        raise PathError(f"JSON path {path!r} must start with $")
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        match = _STEP.match(text, pos)
        if match is None:
            raise PathError(f"JSON path {path!r}: cannot read {text[pos:]!r} (use .name, "
                            "['name'] or [index])")
        name, index, single, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            raw = name if name is not None else (single if single is not None else double)
            steps.append(re.sub(r"\\(.)", r"\1", raw))
        pos = match.end()
    return steps


_MISSING = object()


def find(value: Any, steps: list[Step]) -> tuple[bool, Any, str]:
    """(found, the value, how far the path got: "$.a.b") for ``steps`` into ``value``."""
    here = "$"
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return False, None, here
            value, here = value[step], f"{here}[{step}]"
        else:
            if not isinstance(value, dict) or step not in value:
                return False, None, here
            value, here = value[step], f"{here}.{step}"
    return True, value, here
