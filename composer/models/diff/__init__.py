"""Two replies compared so that a reader sees what changed: word by word for text and
reasoning (apart), field by field for JSON (tool-call arguments, structured output).

``diff_replies(a, b)`` takes two lists of messages; ``diff_exchanges(a, b)`` two exchanges,
with what differs about their outcome (model, stop reason, tokens, error) as a summary.
``reply_of(document)`` is the reply a file holds. ``side_by_side`` and ``inline_lines`` lay a
section's segments out in rows (the window) or lines (the terminal). Pure Python, no Qt.
"""

from composer.models.diff.exchanges import diff_exchanges, reply_of
from composer.models.diff.fields import FieldChange, FieldChanges, diff_json, value_text
from composer.models.diff.layout import Line, Row, Span, fold, inline_lines, side_by_side
from composer.models.diff.replies import Difference, ReplyDiff, Section, diff_replies
from composer.models.diff.words import Segment, diff_text

__all__ = ["Difference", "FieldChange", "FieldChanges", "Line", "ReplyDiff", "Row", "Section",
           "Segment", "Span", "diff_exchanges", "diff_json", "diff_replies", "diff_text",
           "fold", "inline_lines", "reply_of", "side_by_side", "value_text"]
