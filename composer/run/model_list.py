"""The models a provider offers, asked for with the same rules as a call: a key only when the
preset needs one, and never to a base URL the user did not choose. The request panel's model
list and the compare dialog's both come through ``offered_models``. No Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.models.errors import ComposerError
from composer.providers import keys
from composer.providers.presets import Preset
from composer.providers.threads import in_thread
from composer.providers.trust import TrustedHosts, unconfirmed_key_target
from composer.run.prepare import needs_key

if TYPE_CHECKING:
    import httpx


class ModelListNote(Exception):
    """Why there is no model list, worded for the user (one line)."""


async def offered_models(preset: Preset, base_url: str | None, *, chosen: bool,
                         trusted: TrustedHosts | None = None,
                         client: httpx.AsyncClient | None = None) -> list[str]:
    """The model ids ``preset`` offers at ``base_url`` (None: the preset's own), sorted.
    ``chosen``: the user typed the base URL. Raises ModelListNote when there is none to show."""
    if preset.protocol == "replay":
        raise ModelListNote("Replay plays back a saved exchange; it has no model list.")
    if preset.protocol == "llm":  # every installed llm plugin's models
        from composer.providers import llm_plugin  # with the first list, not at the start

        if not llm_plugin.available():
            raise ModelListNote("The llm provider needs llm installed: pip install llm")
        return await in_thread(llm_plugin.list_models)
    base_url = base_url or preset.base_url
    if not base_url:
        raise ModelListNote("Enter the server's base URL first.")
    key = None
    if needs_key(preset):
        # On a worker: a desktop keychain answers over D-Bus, or asks to be unlocked.
        key = (await in_thread(keys.find_key, preset)).key
        if not key:
            raise ModelListNote(keys.missing_key_message(preset))
    target = unconfirmed_key_target(preset, base_url, key, chosen=chosen, trusted=trusted)
    if target is not None:
        raise ModelListNote("Could not list models: " + target.refusal("Send once to confirm it"))
    from composer.providers.transport import list_models  # httpx: with the first list, not at start

    try:
        names = await list_models(preset, base_url=base_url, api_key=key, client=client)
    except ComposerError as exc:  # the transport's one wording (RequestRefused, CallFailed)
        raise ModelListNote(f"Could not list models: {exc}") from None
    except (NotImplementedError, ImportError):
        raise ModelListNote("This provider cannot list its models; type a model name.") from None
    return sorted(names)


def failure_note(exc: Exception) -> str:
    """One line for any failure to list models (a ModelListNote says it already)."""
    if isinstance(exc, ModelListNote):
        return str(exc)
    return f"Could not list models: {type(exc).__name__}: {exc}"
