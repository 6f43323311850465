"""Presets: a wire protocol plus a default base URL and where its key comes from.

``RequestSettings.provider`` holds a preset name (``openai``, ``groq``, ``ollama``...) or a bare
protocol name (``openai-chat``, ``openai-responses``, ``anthropic``, ``gemini``, ``replay``);
``resolve`` accepts either. Protocol modules are imported only when a request needs one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from msgspec import Struct

if TYPE_CHECKING:
    from composer.providers.base import WireProtocol

PROTOCOLS: tuple[str, ...] = ("openai-responses", "openai-chat", "anthropic", "gemini", "replay")


class Preset(Struct, frozen=True):
    name: str
    title: str
    protocol: str
    base_url: str  # empty: the user must give one (custom), or none is needed (replay)
    key_env: tuple[str, ...] = ()  # environment variables, first match wins
    key_required: bool = False
    llm_key: str | None = None  # the name in llm's keys.json
    local: bool = False  # a server on this machine

    @property
    def needs_base_url(self) -> bool:
        return not self.base_url and self.protocol not in ("replay", "llm")

    @property
    def keychain_user(self) -> str:
        return self.name


PRESETS: tuple[Preset, ...] = (
    Preset("openai", "OpenAI (Responses)", "openai-responses", "https://api.openai.com/v1",
           ("OPENAI_API_KEY",), True, "openai"),
    Preset("openai-chat", "OpenAI (Chat Completions)", "openai-chat", "https://api.openai.com/v1",
           ("OPENAI_API_KEY",), True, "openai"),
    Preset("anthropic", "Anthropic", "anthropic", "https://api.anthropic.com",
           ("ANTHROPIC_API_KEY",), True, "anthropic"),
    Preset("gemini", "Google Gemini", "gemini", "https://generativelanguage.googleapis.com",
           ("GEMINI_API_KEY", "GOOGLE_API_KEY"), True, "gemini"),
    Preset("ollama", "Ollama (local)", "openai-chat", "http://localhost:11434/v1", local=True),
    Preset("lmstudio", "LM Studio (local)", "openai-chat", "http://localhost:1234/v1", local=True),
    Preset("llamacpp", "llama.cpp server (local)", "openai-chat", "http://localhost:8080/v1",
           local=True),
    Preset("vllm", "vLLM (local)", "openai-chat", "http://localhost:8000/v1", local=True),
    Preset("openrouter", "OpenRouter", "openai-chat", "https://openrouter.ai/api/v1",
           ("OPENROUTER_API_KEY",), True, "openrouter"),
    Preset("groq", "Groq", "openai-chat", "https://api.groq.com/openai/v1",
           ("GROQ_API_KEY",), True, "groq"),
    Preset("deepseek", "DeepSeek", "openai-chat", "https://api.deepseek.com",
           ("DEEPSEEK_API_KEY",), True, "deepseek"),
    Preset("mistral", "Mistral", "openai-chat", "https://api.mistral.ai/v1",
           ("MISTRAL_API_KEY",), True, "mistral"),
    Preset("xai", "xAI", "openai-chat", "https://api.x.ai/v1", ("XAI_API_KEY",), True, "xai"),
    Preset("custom", "Custom OpenAI-compatible server", "openai-chat", ""),
    Preset("replay", "Replay a saved exchange", "replay", ""),
    # Every installed llm plugin's models, through llm itself (providers/llm_plugin.py).
    Preset("llm", "llm plugin models (needs llm installed)", "llm", ""),
)

_BY_NAME = {p.name: p for p in PRESETS}
# A bare protocol name means that protocol at its usual home.
_PROTOCOL_ALIASES = {"openai-responses": "openai"}


class UnknownProvider(ValueError):
    pass


def names() -> list[str]:
    return [p.name for p in PRESETS]


def resolve(name: str | None) -> Preset:
    """The preset for a preset or protocol name. Raises UnknownProvider naming the choices."""
    key = (name or "replay").strip().lower()
    key = _PROTOCOL_ALIASES.get(key, key)
    preset = _BY_NAME.get(key)
    if preset is None:
        raise UnknownProvider(f"unknown provider {name!r}; choose one of: {', '.join(names())}, "
                              f"or a protocol: {', '.join(PROTOCOLS)}")
    return preset


def needs_key(preset: Preset) -> bool:
    """The one rule for whether a call looks up and sends an API key: a hosted provider's
    preset does; a local server, a custom server and a replay do not. (composer.run prepares
    every call with it; the transport refuses a keyless call to such a preset's own server.)"""
    return preset.key_required and preset.protocol != "replay"


def protocol_for(name: str) -> WireProtocol:
    """The ``PROTOCOL`` of a protocol module, imported on first use."""
    if name not in PROTOCOLS:
        raise UnknownProvider(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    module = importlib.import_module(f"composer.providers.{name.replace('-', '_')}")
    return module.PROTOCOL
