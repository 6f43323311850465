"""Canary keys: a unique fake key for every provider, and a checker that counts the places
searched for them (tests/test_canary_keys.py, tests/views/test_canary_keys_window.py).

Keys come from the environment (and, in one variant, llm's keys.json); the keychain is
keyring's null backend (tests/conftest.py), which ``require_null_keychain`` insists on, so a
test can never read or write the developer's real keychain.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from composer.providers.presets import PRESETS, Preset

# Every preset that sends a key (the others are local servers, custom, replay).
KEYED: tuple[Preset, ...] = tuple(p for p in PRESETS if p.key_env)
TOTALS = {"places": 0, "hits": 0}


def require_null_keychain() -> None:
    import keyring
    from keyring.backends.null import Keyring

    assert isinstance(keyring.get_keyring(), Keyring), keyring.get_keyring()


def plant(monkeypatch, user_path: Path, source: str) -> dict[str, str]:
    """Unique canaries for every key variable (``source="env"``) or every llm key name
    (``"llm"``); returns {preset name: the canary that preset's lookup finds}."""
    require_null_keychain()
    tag = uuid.uuid4().hex[:12]
    found: dict[str, str] = {}
    if source == "env":
        for preset in KEYED:
            for var in preset.key_env:
                monkeypatch.setenv(var, f"CANARY-{var}-{tag}")
            found[preset.name] = os.environ[preset.key_env[0]]
    else:
        for preset in KEYED:
            for var in preset.key_env:
                monkeypatch.delenv(var, raising=False)
        names = {p.llm_key for p in KEYED if p.llm_key}
        stored = {name: f"CANARY-llm-{name}-{tag}" for name in names}
        user_path.mkdir(parents=True, exist_ok=True)
        (user_path / "keys.json").write_text(json.dumps(stored))
        found = {p.name: stored[p.llm_key] for p in KEYED if p.llm_key}
    return found


@dataclass
class Checker:
    """Searches texts and files for the canaries; every search is one place checked."""

    canaries: list[str]
    hits: list[str] = field(default_factory=list)
    places: int = 0

    def text(self, place: str, text: str | bytes | None) -> None:
        self.places += 1
        TOTALS["places"] += 1
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else (text or "")
        for canary in self.canaries:
            # The whole key, and its distinctive tail, in case something cuts its start off.
            if canary in raw or canary[-12:] in raw:
                self.hits.append(f"{place}: {canary}")
                TOTALS["hits"] += 1

    def tree(self, place: str, root: Path) -> int:
        """Every file under ``root``; returns how many were read."""
        count = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name != "keys.json":  # where the llm canaries live
                self.text(f"{place}/{path.relative_to(root)}", path.read_bytes())
                count += 1
        return count

    def assert_clean(self) -> None:
        assert not self.hits, "canary keys leaked:\n" + "\n".join(self.hits)
