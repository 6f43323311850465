"""Which provider a new user's first Send should go to: one they have a key for, else a local
server that answers, else ``replay`` (which works everywhere, offline)."""

from __future__ import annotations

import asyncio

import httpx

from composer.providers.keys import find_key
from composer.providers.presets import resolve
from composer.providers.threads import in_thread

# A reasonable first model per hosted preset; the model list replaces it once fetched.
DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-5-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "openrouter": "openrouter/auto",
    "groq": "llama-3.3-70b-versatile",
    "deepseek": "deepseek-chat",
    "mistral": "mistral-small-latest",
    "xai": "grok-4",
}
LOCAL_SERVERS = ("ollama", "lmstudio", "llamacpp", "vllm")


async def _first_local_model(client: httpx.AsyncClient, base_url: str,
                             timeout: float) -> str | None:
    """The first model a local server lists, or None when nothing answers there."""
    try:
        response = await client.get(f"{base_url}/models", timeout=timeout)
        response.raise_for_status()
        models = response.json().get("data") or []
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    ids = [m.get("id") for m in models if isinstance(m, dict) and isinstance(m.get("id"), str)]
    return ids[0] if ids else None


def _first_with_key() -> str | None:
    return next((name for name in DEFAULT_MODELS if find_key(name).key), None)


async def choose_default(client: httpx.AsyncClient, *, timeout: float = 0.5,
                         local: dict[str, str] | None = None) -> tuple[str, str]:
    """(preset name, model) for a first start. ``local`` maps local preset names to the base
    URLs to probe (default: each preset's own)."""
    # On a worker: the keychain may answer over D-Bus, or ask to be unlocked.
    keyed = await in_thread(_first_with_key)
    if keyed is not None:
        return keyed, DEFAULT_MODELS[keyed]
    servers = local if local is not None else {n: resolve(n).base_url for n in LOCAL_SERVERS}
    found = await asyncio.gather(*(_first_local_model(client, url, timeout)
                                   for url in servers.values()))
    for name, model in zip(servers, found, strict=True):
        if model:
            return name, model
    return "replay", ""
