"""Whose say-so sends a key where: the one rule the CLI and the window share.

A file's settings are data, not permission. A call sends the user's key only to an origin the
key was configured for — the preset's own server — or to one the user chose: typed in the
window, given on the command line (``--base-url``), confirmed once (``--trust-base-url``, the
window's question) or confirmed and remembered. Calls without a key are never held back.

Remembered origins live in ``trusted_hosts.json`` in the user directory, one list per key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from msgspec import Struct

from composer.models.files import atomic_write_text
from composer.providers.presets import Preset

FILE_NAME = "trusted_hosts.json"


def origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL (default ports left out), else None."""
    if not url:
        return None
    import httpx  # on first use: the window paints before the transport is loaded

    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError):
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}" + (f":{parsed.port}" if parsed.port else "")


def key_id(preset: Preset) -> str:
    """The key a preset sends: presets sharing a key (openai, openai-chat) share trust."""
    return preset.llm_key or preset.name


class KeyTarget(Struct, frozen=True):
    """A key about to go to an origin the user has not chosen for it."""

    key: str  # key_id of the preset
    provider: str  # the key's provider, as the user knows it ("OpenAI (Responses)")
    origin: str  # where the key would go
    home: str | None  # the preset's own origin, if it has one

    def question(self) -> str:
        home = f" (its own server is {self.home})" if self.home else ""
        return (f"The base URL came from the file, not from you. Send your {self.provider} "
                f"API key to {self.origin}{home}?")

    def refusal(self, how: str) -> str:
        """One line for a call held back; ``how`` says how to allow it."""
        home = f", not {self.home}" if self.home else ""
        return (f"not sending your {self.provider} API key to {self.origin}: that base URL "
                f"came from the file{home}; {how}")


class TrustedHosts:
    """Origins the user confirmed for a key: remembered ones (saved) and ones confirmed for this
    session only. A missing or unreadable file means none are remembered."""

    def __init__(self, path: Path | None = None, remembered: dict[str, set[str]] | None = None):
        self.path = path
        self.remembered = remembered or {}
        self.session: dict[str, set[str]] = {}

    @classmethod
    def load(cls, user_dir: str | os.PathLike[str]) -> TrustedHosts:
        path = Path(user_dir) / FILE_NAME
        remembered: dict[str, set[str]] = {}
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        hosts = data.get("hosts") if isinstance(data, dict) else None
        for key, origins in (hosts.items() if isinstance(hosts, dict) else ()):
            if isinstance(origins, list):
                remembered[str(key)] = {o for o in origins if isinstance(o, str)}
        return cls(path, remembered)

    def allows(self, key: str, target: str) -> bool:
        return target in self.remembered.get(key, ()) or target in self.session.get(key, ())

    def allow(self, target: KeyTarget, *, remember: bool) -> None:
        """Allow ``target`` from now on; saved when ``remember`` (raises OSError if it cannot
        be written, the session allowance stays)."""
        self.session.setdefault(target.key, set()).add(target.origin)
        if remember:
            self.remembered.setdefault(target.key, set()).add(target.origin)
            if self.path is not None:
                data = {"version": 1,
                        "hosts": {k: sorted(v) for k, v in sorted(self.remembered.items())}}
                atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")


def unconfirmed_key_target(preset: Preset, url: str | None, api_key: str | None, *,
                           chosen: bool, trusted: TrustedHosts | None = None) -> KeyTarget | None:
    """The rule: does this call send a key to an origin the user did not choose? The KeyTarget
    to confirm when it does, else None.

    ``url``: where the key goes (the built request's URL, or the base URL; None: the preset's
    own). ``chosen``: the base URL is the user's own (typed, on the command line), not the
    file's.
    """
    if not api_key or not url or chosen or preset.protocol == "replay":
        return None
    target = origin(url)
    if target is None:
        return None  # not an http(s) URL: the call is refused before anything is sent
    home = origin(preset.base_url)
    if target == home:
        return None
    found = KeyTarget(key_id(preset), preset.title, target, home)
    if trusted is not None and trusted.allows(found.key, target):
        return None
    return found
