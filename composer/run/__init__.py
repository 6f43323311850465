"""The run layer: preparing a call and keeping the runs of a conversation. No Qt here.

``prepare_call`` turns a conversation, its settings, the presets and the key store into a
``Call`` plus its notes (key-store problems, what the provider cannot take) and the trust
question a key may raise; ``send``, the inspector's preview and the window's run controller all
prepare calls through it. ``RunRecord`` keeps a conversation's runs; ``RunState`` names a run's
states.
"""

from composer.run.preflight import Finding, Preflight, preflight
from composer.run.prepare import PREVIEW_KEY, PreparedCall, needs_key, prepare_call, preview_call
from composer.run.record import Run, RunRecord
from composer.run.state import RunState

__all__ = ["PREVIEW_KEY", "Finding", "Preflight", "preflight", "PreparedCall", "Run", "RunRecord", "RunState", "needs_key",
           "prepare_call", "preview_call"]
