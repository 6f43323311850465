"""Providers: presets, keys, the transport and the wire protocols. Pure Python + httpx, no Qt.

What the CLI and the GUI use::

    preset = resolve(settings.provider)            # a Preset: protocol, base URL, key variables
    found = find_key(preset)                       # FoundKey(key, source, problems)
    call = Call(conversation, api_key=found.key)   # RequestRefused if it cannot be sent
    exchange = await run_call(call, assembler, on_event)
"""

from typing import TYPE_CHECKING

from composer import lazy

# Each public name and the module it lives in, imported when first asked for: the window's
# first paint needs presets and keys, not the transport (httpx) nor the replay.
_WHERE = {
    **dict.fromkeys(("Frame", "HttpRequest", "WireProtocol"), "base"),
    "RequestRefused": "refused",
    **dict.fromkeys(("FoundKey", "KeyStoreError", "delete_key", "find_key", "llm_keys_path",
                     "missing_key_message", "store_key"), "keys"),
    **dict.fromkeys(("PRESETS", "PROTOCOLS", "Preset", "UnknownProvider", "protocol_for",
                     "resolve"), "presets"),
    "EXAMPLE_EXCHANGE": "replay",
    **dict.fromkeys(("Call", "CallConfig", "CallFailed", "build_exchange", "describe_error",
                     "list_models", "run_call"), "transport"),
}

__getattr__ = lazy.exports(__name__, _WHERE)


if TYPE_CHECKING:
    from composer.providers.base import Frame, HttpRequest, WireProtocol
    from composer.providers.keys import (
        FoundKey,
        KeyStoreError,
        delete_key,
        find_key,
        llm_keys_path,
        missing_key_message,
        store_key,
    )
    from composer.providers.presets import (
        PRESETS,
        PROTOCOLS,
        Preset,
        UnknownProvider,
        protocol_for,
        resolve,
    )
    from composer.providers.refused import RequestRefused
    from composer.providers.replay import EXAMPLE_EXCHANGE
    from composer.providers.transport import (
        Call,
        CallConfig,
        CallFailed,
        build_exchange,
        describe_error,
        list_models,
        run_call,
    )

__all__ = [
    "EXAMPLE_EXCHANGE", "PRESETS", "PROTOCOLS", "Call", "CallConfig", "CallFailed", "FoundKey",
    "Frame", "HttpRequest", "KeyStoreError", "Preset", "RequestRefused", "UnknownProvider",
    "WireProtocol", "build_exchange", "delete_key", "describe_error", "find_key", "list_models",
    "llm_keys_path", "missing_key_message", "protocol_for", "resolve", "run_call", "store_key",
]
