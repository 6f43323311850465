"""What PySide6 does on every import after it loads, made cheaper.

PySide6's import hook asks of each newly imported module whether its source names "PySide6"
(to know whether ``from __feature__ import …`` may apply to it). It asks through
``inspect.getsource``: a tokenised read of the whole file through linecache, about 5% of the
instructions of a cold start to the first paint. Reading the file's bytes gives the same answer.
"""

from __future__ import annotations

import sys
from types import ModuleType


def lighten_feature_check() -> None:
    """Answer PySide6's per-module question from the file's bytes (once PySide6 is loaded; a
    PySide6 without the hook, or a later one that renamed it, is left as it is)."""
    feature = sys.modules.get("shibokensupport.feature")
    slow = getattr(feature, "_mod_uses_pyside", None)
    if slow is None or getattr(slow, "composer_lightened", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return slow(module)  # compiled, frozen or source-less: PySide6's own answer
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return slow(module)

    uses_pyside.composer_lightened = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]
