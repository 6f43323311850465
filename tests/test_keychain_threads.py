"""The run layer asks the keychain on a worker thread where the loop awaits it (a desktop
keychain answers over D-Bus, or asks to be unlocked): the model list, the token count."""

from __future__ import annotations

import asyncio

import pytest

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.presets import resolve
from composer.run.counting import count_tokens
from composer.run.model_list import ModelListNote, offered_models


@pytest.fixture
def recording(monkeypatch, recording_keyring):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return recording_keyring


def test_the_model_list_asks_the_keychain_off_the_loops_thread(recording):
    with pytest.raises(ModelListNote, match="no API key for Anthropic"):
        asyncio.run(offered_models(resolve("anthropic"), None, chosen=False))
    assert recording.threads and "MainThread" not in recording.threads


def test_the_token_count_asks_the_keychain_off_the_loops_thread(recording):
    conversation = Conversation(messages=[Message.text("user", "Hi")],
                                settings=RequestSettings(provider="anthropic", model="m"))
    count = asyncio.run(count_tokens(conversation))
    assert not count.exact and "no API key" in (count.problem or "")
    assert recording.threads and "MainThread" not in recording.threads
