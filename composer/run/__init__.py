"""The run layer: preparing a call and keeping the runs of a conversation. No Qt here.

``prepare_call`` turns a conversation, its settings, the presets and the key store into a
``Call`` plus its notes (key-store problems, what the provider cannot take) and the trust
question a key may raise; ``send``, the inspector's preview and the window's run controller all
prepare calls through it. ``RunRecord`` keeps a conversation's runs; ``RunState`` names a run's
states.
"""

from typing import TYPE_CHECKING

from composer import lazy

# Imported when first asked for: the window's first paint needs the run record, not the
# preparing of a call (which brings the transport and httpx).
_WHERE = {
    # (the function ``preflight`` is imported from composer.run.preflight: the submodule's own
    # name would shadow it here)
    **dict.fromkeys(("Finding", "Preflight"), "preflight"),
    **dict.fromkeys(("PREVIEW_KEY", "PreparedCall", "needs_key", "prepare_call",
                     "preview_call"), "prepare"),
    "Run": "record", "RunRecord": "record", "RunState": "state",
}

__getattr__ = lazy.exports(__name__, _WHERE)


if TYPE_CHECKING:
    from composer.run.preflight import Finding, Preflight
    from composer.run.prepare import (
        PREVIEW_KEY,
        PreparedCall,
        needs_key,
        prepare_call,
        preview_call,
    )
    from composer.run.record import Run, RunRecord
    from composer.run.state import RunState

__all__ = ["PREVIEW_KEY", "Finding", "Preflight", "PreparedCall", "Run", "RunRecord", "RunState",
           "needs_key", "prepare_call", "preview_call"]
