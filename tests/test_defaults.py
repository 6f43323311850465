"""A first start's provider: one with a key, else a local server that answers, else replay."""

from __future__ import annotations

from composer.providers.defaults import DEFAULT_MODELS, choose_default
from composer.providers.http import new_client
from tests.loopback import Reply


async def test_a_key_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    async with new_client() as client:
        assert await choose_default(client, local={}) == ("anthropic",
                                                          DEFAULT_MODELS["anthropic"])


async def test_a_local_server_that_answers_is_chosen_with_its_first_model(loopback):
    loopback.queue(Reply.json({"data": [{"id": "llama3.2:3b"}, {"id": "qwen3:8b"}]}))
    async with new_client() as client:
        chosen = await choose_default(client, local={"lmstudio": "http://127.0.0.1:9/v1",
                                                     "ollama": f"{loopback.url}/v1"})
    assert chosen == ("ollama", "llama3.2:3b")
    assert loopback.received[0].path == "/v1/models"


async def test_nothing_reachable_means_replay(loopback):
    loopback.queue(Reply.json({"error": "not a model server"}, status=404))
    async with new_client() as client:
        chosen = await choose_default(client, timeout=0.3, local={
            "llamacpp": "http://127.0.0.1:9/v1", "vllm": f"{loopback.url}/v1"})
    assert chosen == ("replay", "")


async def test_without_local_given_each_local_preset_is_probed_at_its_own_base_url(monkeypatch):
    from composer.providers import defaults
    from composer.providers.presets import resolve

    probed = []

    async def first_model(client, base_url, timeout):
        probed.append(base_url)
        return None

    monkeypatch.setattr(defaults, "_first_local_model", first_model)
    async with new_client() as client:
        assert await choose_default(client) == ("replay", "")
    assert probed == [resolve(n).base_url for n in defaults.LOCAL_SERVERS]


async def test_the_keychain_is_asked_on_a_worker_not_the_loops_thread(monkeypatch):
    """A desktop keychain answers over D-Bus, or asks to be unlocked: the window's loop keeps
    running meanwhile."""
    import threading

    from composer.providers import keys

    asked_on = []

    def lookup(user):
        asked_on.append(threading.current_thread())
        return ("sk-test", None) if user == "openai" else (None, None)

    keys.forget_keychain_cache()
    monkeypatch.setattr(keys, "_keychain_lookup", lookup)
    try:
        async with new_client() as client:
            assert await choose_default(client, local={}) == ("openai",
                                                              DEFAULT_MODELS["openai"])
    finally:
        keys.forget_keychain_cache()
    assert asked_on and threading.main_thread() not in asked_on
