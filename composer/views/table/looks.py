"""What a row's cells show, gathered once per row: its role, content preview, token figure,
variants, problem mark and cache tag (a RowLook).

The delegates paint and the view measures a row from its look, with plain Python calls: going
through ``index.data()`` costs a trip through Qt per role (a dozen per cell at every paint,
counting what ``initStyleOption`` asks). The model keeps one look per row id and drops it when
that row changes (its message is replaced, a problem is marked or cleared) and drops them all
when the token figures, the tree or the rows' order change; a look is also checked against the
row's message before use, so a stale one is never painted.
"""

from __future__ import annotations

from msgspec import Struct
from PySide6.QtGui import QBrush, QColor, QFont

from composer.models.caching import Ttl
from composer.models.parts import Message

PROBLEM_BRUSH = QBrush(QColor(220, 60, 60, 70))  # a row with a problem (BackgroundRole)


class RowLook(Struct, eq=False):
    message: Message  # the row's message when the look was made
    role: str
    preview: str  # the content cell's text (DisplayRole)
    variant: tuple[int, int] | None  # (shown, count) when the row has variants
    figure: str | None  # the row's share of the input tokens, painted small by the role
    problem: bool
    ttl: Ttl | None  # the cache tag before the role
    attached: bool  # the row has attachments (chips)
    # The chips' labels and widths in a font, and the chips as last laid out at (0, 0) in a
    # cell of a size (delegates.py).
    labels: tuple[QFont, list] | None = None
    chips: tuple[tuple[int, int, QFont], list] | None = None
