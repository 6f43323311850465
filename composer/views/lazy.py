"""Parts of the window built the first time they are needed, not with the window.

A window builds what its first paint shows; a tab that is not the current one, or a dock that
is hidden, is a ``LazyPage``: an empty widget that builds its contents just before it is first
shown, or at once when the code asks for them (``built()``). What the page holds is the same
either way; only when it is made changes.

Invariants: contents are built at most once; they are shown with the page, in the same paint;
the actions they make take the user's keys (``shortcuts.adopt``); whatever walks the whole
window for its actions (the shortcut list, the collision check) builds every page first (the
window's ``build_deferred``), so it sees what it always saw. A key that must work before its
part is shown stays on an action the window makes at once (the dock's toggle, Compare…); the
keys a lazy part makes are its widget's own, live only where it has the focus.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from composer.views import shortcuts


class LazyPage(QWidget):
    """A page whose contents ``build(layout)`` puts into its layout (no margins), the first
    time it is shown or ``built()`` is called."""

    def __init__(self, build: Callable[[QVBoxLayout], object], parent: QWidget | None = None):
        super().__init__(parent)
        self._build: Callable[[QVBoxLayout], object] | None = build

    @property
    def is_built(self) -> bool:
        return self._build is None

    def built(self) -> LazyPage:
        """The page, its contents built first if they are not yet."""
        if self._build is not None:
            build, self._build = self._build, None
            layout = QVBoxLayout(self)
            layout.setContentsMargins(0, 0, 0, 0)
            build(layout)
            shortcuts.adopt(self.window(), self)
            _make_room(self)
        return self

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        if not self.is_built:
            self.built()
            # Qt would show children added to a shown widget only one event later; now, they
            # are in this paint and visible to whatever follows the show.
            direct = Qt.FindChildOption.FindDirectChildrenOnly
            for child in self.findChildren(QWidget, options=direct):
                if not child.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide):
                    child.show()
            self.layout().activate()
        super().showEvent(event)


def _make_room(page: QWidget) -> None:
    """A splitter sized the empty page before its contents existed: it gives them at least
    their minimum now (a splitter enforces its children's minimums only when it is resized)."""
    parent = page.parentWidget()
    while parent is not None:
        parent.updateGeometry()  # the size hints its layout keeps are the empty page's
        if isinstance(parent, QSplitter) and parent.isVisible():
            parent.setSizes(parent.sizes())
        parent = parent.parentWidget()


def build_all(root: QWidget) -> None:
    """Build every page under ``root`` that is still to be built."""
    for page in root.findChildren(LazyPage):
        page.built()
