"""Package names imported when first asked for, so importing a package costs only what is used
(the window's first paint must not load the transport and httpx)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any


def exports(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps each name to the submodule that
    defines it; the first lookup imports it and keeps the value in the package."""
    def __getattr__(name: str) -> Any:  # noqa: N807 (a module's __getattr__)
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
