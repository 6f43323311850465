"""Presets resolve by preset or protocol name; keys come from keychain, env, llm's keys.json."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from composer.providers import keys, presets
from composer.providers.keys import KeyStoreError, delete_key, find_key, store_key
from composer.providers.presets import PRESETS, UnknownProvider, protocol_for, resolve


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (never the developer's keychain)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class BrokenKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise KeyringError("the keychain is locked")

    def set_password(self, service, username, password):
        raise KeyringError("the keychain is locked")

    def delete_password(self, service, username):
        raise KeyringError("the keychain is locked")


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def broken_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    yield
    keyring.set_keyring(previous)


def write_llm_keys(home, data) -> None:
    path = home / "llm" / "keys.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


# -- presets ----------------------------------------------------------------------------------


def test_every_preset_named_in_the_plan_exists_with_its_home_and_key():
    by_name = {p.name: p for p in PRESETS}
    assert by_name["openai"].protocol == "openai-responses"
    assert by_name["openai-chat"].protocol == "openai-chat"
    assert by_name["ollama"].base_url == "http://localhost:11434/v1"
    assert by_name["lmstudio"].base_url == "http://localhost:1234/v1"
    assert by_name["llamacpp"].base_url == "http://localhost:8080/v1"
    assert by_name["vllm"].base_url == "http://localhost:8000/v1"
    assert by_name["groq"].base_url == "https://api.groq.com/openai/v1"
    assert by_name["deepseek"].base_url == "https://api.deepseek.com"
    assert by_name["gemini"].key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    for name in ("openrouter", "groq", "deepseek", "mistral", "xai"):
        assert by_name[name].key_env == (f"{name.upper()}_API_KEY",)
        assert by_name[name].llm_key == name and by_name[name].key_required
    for name in ("ollama", "lmstudio", "llamacpp", "vllm"):
        assert not by_name[name].key_required and not by_name[name].key_env
    assert by_name["custom"].needs_base_url and not by_name["replay"].needs_base_url


def test_resolve_accepts_preset_and_protocol_names():
    assert resolve("groq").protocol == "openai-chat"
    assert resolve("openai-responses").name == "openai"
    assert resolve("openai-chat").protocol == "openai-chat"
    assert resolve("Anthropic").name == "anthropic"
    assert resolve("replay").protocol == "replay"
    assert resolve(None).name == "replay"
    with pytest.raises(UnknownProvider, match="unknown provider 'acme'.*groq"):
        resolve("acme")


def test_protocol_for_imports_the_module_lazily():
    assert protocol_for("replay").name == "replay"
    assert protocol_for("anthropic").framing == "sse"
    with pytest.raises(UnknownProvider):
        protocol_for("smtp")


# -- keys -------------------------------------------------------------------------------------


def test_no_key_anywhere(memory_keyring):
    found = find_key("openai")
    assert not found and found.key is None and found.source is None and found.problems == []
    assert "OPENAI_API_KEY" in keys.missing_key_message("openai")


def test_environment_then_the_second_variable(monkeypatch, memory_keyring):
    monkeypatch.setenv("GOOGLE_API_KEY", "g-2")
    assert (find_key("gemini").key, find_key("gemini").source) == ("g-2", "env GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", "g-1")
    assert find_key("gemini").source == "env GEMINI_API_KEY"


def test_keychain_wins_over_environment_and_llm_keys(monkeypatch, memory_keyring,
                                                     _isolated_user_dirs):
    write_llm_keys(_isolated_user_dirs, {"anthropic": "from-llm"})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    store_key("anthropic", "  from-keychain \n")
    assert memory_keyring.store == {("llm-composer", "anthropic"): "from-keychain"}
    found = find_key(presets.resolve("anthropic"))
    assert (found.key, found.source) == ("from-keychain", "keychain")
    assert "from-keychain" not in repr(found)
    assert delete_key("anthropic") is True and delete_key("anthropic") is False
    assert find_key("anthropic").source == "env ANTHROPIC_API_KEY"
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert (find_key("anthropic").key, find_key("anthropic").source) == \
        ("from-llm", "llm keys.json")


def test_llm_keys_json_uses_llms_names(memory_keyring, _isolated_user_dirs):
    write_llm_keys(_isolated_user_dirs, {"// Note": "llm keys", "openai": "sk-llm"})
    assert keys.llm_keys_path() == _isolated_user_dirs / "llm" / "keys.json"
    assert find_key("openai-chat").key == "sk-llm"
    assert find_key("ollama").key is None  # local servers take no key


def test_a_broken_llm_keys_json_is_a_note_not_a_crash(memory_keyring, _isolated_user_dirs):
    write_llm_keys(_isolated_user_dirs, "{not json")
    found = find_key("openai")
    assert found.key is None
    assert len(found.problems) == 1 and "keys.json: invalid JSON at line 1" in found.problems[0]


def test_keychain_failures_are_reported_never_raised(monkeypatch, broken_keyring):
    monkeypatch.setenv("XAI_API_KEY", "x-env")
    found = find_key("xai")
    assert found.key == "x-env"
    assert found.problems == ["keychain unavailable: KeyringError: the keychain is locked"]
    with pytest.raises(KeyStoreError, match="could not store the xAI key.*locked"):
        store_key("xai", "k")
    with pytest.raises(KeyStoreError, match="could not delete"):
        delete_key("xai")


def test_an_empty_key_is_not_stored(memory_keyring):
    with pytest.raises(KeyStoreError, match="empty"):
        store_key("openai", "   ")
    assert memory_keyring.store == {}


def test_the_keychain_is_asked_once_and_storing_refreshes_it(memory_keyring):
    asked = []
    original = memory_keyring.get_password

    def counting(service, username):
        asked.append(username)
        return original(service, username)

    memory_keyring.get_password = counting
    assert find_key("openai").key is None
    assert find_key("openai").key is None
    assert asked == ["openai"]
    store_key("openai", "sk-stored")
    assert find_key("openai").key == "sk-stored"
    delete_key("openai")
    assert find_key("openai").key is None
    assert asked == ["openai", "openai", "openai"]
