"""Two replies side by side, word-level changes highlighted: ``show_reply_diff`` (any two lists
of messages) and ``show_exchange_diff`` (two runs)."""

from composer.views.reply_diff.window import (
    ReplyDiffWindow,
    show_exchange_diff,
    show_reply_diff,
)

__all__ = ["ReplyDiffWindow", "show_exchange_diff", "show_reply_diff"]
