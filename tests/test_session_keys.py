"""Keys for this session only, where there is no keychain (keyring's null/fail backends)."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend

from composer.providers import keys, session_keys


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        self.data = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        self.data.pop((service, username))


@pytest.fixture
def with_keychain():
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.mark.parametrize("backend", ["keyring.backends.null.Keyring",
                                     "keyring.backends.fail.Keyring"])
def test_the_null_and_fail_backends_mean_no_keychain(backend):
    previous = keyring.get_keyring()
    keyring.core.set_keyring(keyring.core.load_keyring(backend))
    try:
        assert not session_keys.keychain_available()
    finally:
        keyring.set_keyring(previous)


def test_a_real_backend_is_a_keychain(with_keychain):
    assert session_keys.keychain_available()
    assert "keychain" in keys.missing_key_message("anthropic")


def test_a_session_key_is_found_first_and_never_reaches_the_keychain(monkeypatch, with_keychain):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    session_keys.put("anthropic", "  sk-session  ")
    found = keys.find_key("anthropic")
    assert (found.key, found.source) == ("sk-session", "session")
    assert keyring.get_password(keys.KEYRING_SERVICE, "anthropic") is None
    assert "sk-session" not in repr(found)
    assert session_keys.drop("anthropic") and not session_keys.drop("anthropic")
    assert keys.find_key("anthropic").source == "env ANTHROPIC_API_KEY"


def test_an_empty_session_key_is_refused():
    with pytest.raises(ValueError, match="empty"):
        session_keys.put("openai", "   ")


def test_without_a_keychain_the_explanation_is_said_once_then_briefly():
    first = keys.missing_key_message("openai")
    second = keys.missing_key_message("openai")
    third = keys.missing_key_message("anthropic")
    assert "no keychain" in first and "session only" in first
    assert "no keychain" not in second and "for this session (Settings)" in second
    assert "no keychain" not in third
    assert "OPENAI_API_KEY" in second
