"""Work a start holds back until its window is painted, then lets go of at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Hold(Generic[T]):
    """While ``held()``, ``keep(item)`` keeps what would have been done; when the hold ends,
    ``release(items)`` gets them all, in order (nothing, when none was kept)."""

    def __init__(self, release: Callable[[list[T]], None]):
        self._release = release
        self.active = False
        self._kept: list[T] = []

    def keep(self, item: T) -> None:
        self._kept.append(item)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False
            kept, self._kept = self._kept, []
            if kept:
                self._release(kept)
