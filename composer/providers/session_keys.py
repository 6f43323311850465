"""Keys for this session only: where no OS keychain exists, a key the user enters in Settings is
kept in this process's memory and never written anywhere; it is gone when Composer quits.

Whether a keychain exists is keyring's answer: its ``fail`` backend (no backend found) and its
``null`` backend (keyring turned off) store nothing. The missing keychain is explained once per
session (``keychain_hint``); after that a keyless send only says where a key can go.
"""

from __future__ import annotations

_keys: dict[str, str] = {}  # keychain user name (Preset.keychain_user) -> key
_explained = False

NO_KEYCHAIN = ("there is no keychain on this system (keyring finds no backend), so a key cannot "
               "be stored; enter one in Settings for this session only, or set the environment "
               "variable before starting Composer")


def get(user: str) -> str | None:
    return _keys.get(user)


def put(user: str, key: str) -> None:
    key = key.strip()
    if not key:
        raise ValueError("the key is empty")
    _keys[user] = key


def drop(user: str) -> bool:
    """Forget the session key; False when there was none."""
    return _keys.pop(user, None) is not None


def clear() -> None:
    global _explained
    _keys.clear()
    _explained = False


def keychain_available() -> bool:
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 (a broken keyring install: no keychain to offer)
        return False
    chained = getattr(backend, "backends", None)  # keyring's chainer wraps the real ones
    if chained is not None:
        return bool(chained)
    return not isinstance(backend, fail.Keyring | null.Keyring)


def keychain_hint() -> str:
    """Where a key can be kept, for a missing-key message: the keychain, or (with no keychain)
    the long explanation the first time in this session and a short one after."""
    global _explained
    if keychain_available():
        return "store one in the keychain (Settings)"
    if _explained:
        return "enter one for this session (Settings)"
    _explained = True
    return NO_KEYCHAIN
