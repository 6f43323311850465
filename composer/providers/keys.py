"""API keys: found in the OS keychain, the environment, or llm's keys.json, in that order.

A key is returned to the caller and never logged, printed or written to a file we save. Keychain
trouble (no backend, a locked keychain) becomes a note in the result or a ``KeyStoreError``, not
a crash.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from msgspec import Struct, field

from composer.models import jsontext
from composer.models.errors import ComposerError
from composer.providers import session_keys
from composer.providers.presets import Preset, resolve

KEYRING_SERVICE = "llm-composer"


class KeyStoreError(ComposerError):
    pass


class FoundKey(Struct):
    key: str | None
    source: str | None  # "keychain", "env OPENAI_API_KEY", "llm keys.json"
    problems: list[str] = field(default_factory=list)  # lookups that failed, for the dialog

    def __bool__(self) -> bool:
        return bool(self.key)

    def __repr__(self) -> str:  # never show the key itself
        shown = "<set>" if self.key else None
        return f"FoundKey(key={shown}, source={self.source!r}, problems={self.problems!r})"


def llm_keys_path() -> Path:
    """llm's keys.json: in ``$LLM_USER_PATH``, else llm's own user directory."""
    override = os.environ.get("LLM_USER_PATH")
    if override:
        return Path(override) / "keys.json"
    return Path(platformdirs.user_config_dir("io.datasette.llm", appauthor=False,
                                             roaming=True)) / "keys.json"


def _preset(preset: Preset | str) -> Preset:
    return resolve(preset) if isinstance(preset, str) else preset


# The keychain is asked once per provider and process: the inspector looks keys up on every
# edit, and a desktop keychain answers over D-Bus (or asks to be unlocked). store_key and
# delete_key keep the cache true; forget_keychain_cache() drops it.
_keychain_cache: dict[str, tuple[str | None, str | None]] = {}


def forget_keychain_cache() -> None:
    _keychain_cache.clear()


def keychain_asked() -> bool:
    """The keychain was asked in this process: keyring and its backend are loaded, so whether
    there is one (``session_keys.keychain_available``) is answered without waiting."""
    return bool(_keychain_cache)


def _keychain_get(user: str) -> tuple[str | None, str | None]:
    if user not in _keychain_cache:
        _keychain_cache[user] = _keychain_lookup(user)
    return _keychain_cache[user]


def _keychain_lookup(user: str) -> tuple[str | None, str | None]:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, user), None
    except Exception as exc:  # any backend failure is a note, never a crash
        # keyring's messages run to a paragraph; the first sentence says what is wrong.
        first = str(exc).split(". ")[0].rstrip(".")
        return None, f"keychain unavailable: {type(exc).__name__}: {first}"


def _llm_keys_get(name: str) -> tuple[str | None, str | None]:
    path = llm_keys_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot read: {exc}"
    try:
        data = jsontext.loads_object(text, "the key file")
    except jsontext.NotAnObject:
        return None, f"{path}: not a JSON object"
    except jsontext.JSONTextError as exc:
        return None, f"{path}: invalid JSON at {exc.location or exc.msg}"
    value = data.get(name)
    return (value, None) if isinstance(value, str) and value else (None, None)


def known_key(preset: Preset | str) -> FoundKey | None:
    """``find_key``'s answer when it needs no call to the keychain (a session key, or the
    keychain already asked for this provider in this process); None otherwise: a window asks
    on a worker then (views/keychain.py), since the keychain may answer over D-Bus or ask to
    be unlocked."""
    p = _preset(preset)
    if session_keys.get(p.keychain_user) or p.keychain_user in _keychain_cache:
        return find_key(p)
    return None


def find_key(preset: Preset | str) -> FoundKey:
    p = _preset(preset)
    if session := session_keys.get(p.keychain_user):  # entered in Settings for this session
        return FoundKey(session, "session", [])
    problems: list[str] = []
    key, problem = _keychain_get(p.keychain_user)
    if problem:
        problems.append(problem)
    if key:
        return FoundKey(key, "keychain", problems)
    for var in p.key_env:
        value = os.environ.get(var)
        if value:
            return FoundKey(value, f"env {var}", problems)
    if p.llm_key:
        key, problem = _llm_keys_get(p.llm_key)
        if problem:
            problems.append(problem)
        if key:
            return FoundKey(key, "llm keys.json", problems)
    return FoundKey(None, None, problems)


def missing_key_message(preset: Preset | str) -> str:
    p = _preset(preset)
    where = [f"set {' or '.join(p.key_env)}"] if p.key_env else []
    where.append(session_keys.keychain_hint())
    if p.llm_key:
        where.append(f"or run `llm keys set {p.llm_key}`")
    return f"no API key for {p.title}: {', '.join(where)}"


def store_key(preset: Preset | str, key: str) -> None:
    p = _preset(preset)
    if not key.strip():
        raise KeyStoreError("the key is empty")
    _keychain_cache.pop(p.keychain_user, None)
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, p.keychain_user, key.strip())
    except Exception as exc:
        raise KeyStoreError(f"could not store the {p.title} key in the keychain: "
                            f"{type(exc).__name__}: {exc}") from None


def delete_key(preset: Preset | str) -> bool:
    """Remove the keychain entry; False when there was none."""
    p = _preset(preset)
    _keychain_cache.pop(p.keychain_user, None)
    try:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, p.keychain_user)
        except PasswordDeleteError:
            return False
        return True
    except Exception as exc:
        raise KeyStoreError(f"could not delete the {p.title} key from the keychain: "
                            f"{type(exc).__name__}: {exc}") from None
