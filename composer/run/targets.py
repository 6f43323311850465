"""Targets: where one conversation is sent — a preset, a model, and the settings of its own.

Compare sends one conversation to several targets; a test run sends it to targets × cases.
A target overrides the conversation's settings (provider, model, base URL, options, extra body
fields) and leaves everything else (messages, tools, schema) as the conversation has it.

On the command line a target is ``PRESET:MODEL[,KEY=VALUE]...``: the text before the first
``:`` names the preset, the model runs to the first ``,`` (Ollama's ``llama3.2:1b`` keeps its
colon), and each ``KEY=VALUE`` is ``base_url``, ``label`` or an option as ``-o`` takes it.
In a file a target is ``{"provider", "model", "base_url"?, "options"?, "label"?}``.

Lanes: servers on this machine (or the local network) serve one request at a time, so calls to
the same such server share a lane and go one after another; remote providers each get their own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct, field

from composer.models.conversation import Conversation
from composer.models.options import apply_option
from composer.models.problems import SettingsError
from composer.models.settings import RequestSettings
from composer.providers.presets import Preset, UnknownProvider, resolve


class TargetError(ValueError):
    """A target that cannot be used; the message names the target and what is wrong."""


class Target(Struct, frozen=True):
    provider: str
    model: str = ""
    base_url: str | None = None
    # Neutral options (temperature, max_tokens...) and provider fields, as the settings hold them.
    options: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def name(self) -> str:
        """What a column, a file name and a message call this target."""
        return self.label or (f"{self.provider}:{self.model}" if self.model else self.provider)

    def preset(self) -> Preset:
        try:
            return resolve(self.provider)
        except UnknownProvider as exc:
            raise TargetError(f"target {self.name}: {exc}") from None

    def settings(self, base: RequestSettings) -> RequestSettings:
        """``base`` with this target's provider, model, base URL and options laid over it.

        A target on another provider than ``base`` does not inherit ``base``'s base URL."""
        same_provider = self.provider == base.provider
        return base.model_copy(update={
            "provider": self.provider,
            "model": self.model or (base.model if same_provider else ""),
            "base_url": self.base_url or (base.base_url if same_provider else None),
            "options": {**base.options, **self.options},
            "extra_body": {**base.extra_body, **self.extra_body},
        }, deep=True)

    def apply(self, conversation: Conversation) -> Conversation:
        """``conversation`` as it is sent to this target."""
        return conversation.model_copy(update={"settings": self.settings(conversation.settings)})

    def lane(self) -> str | None:
        """The server this target's calls queue for (its origin) when it serves one request at a
        time; None when calls may run in parallel."""
        preset = self.preset()
        url = self.base_url or preset.base_url
        if not url:
            return None
        parts = urlsplit(url)
        if preset.local or is_local_host(parts.hostname or ""):
            return f"{parts.scheme}://{parts.netloc}".lower()
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"provider": self.provider, "model": self.model}
        if self.base_url:
            data["base_url"] = self.base_url
        if self.options:
            data["options"] = dict(self.options)
        if self.extra_body:
            data["extra_body"] = dict(self.extra_body)
        if self.label:
            data["label"] = self.label
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str = "target") -> Target:
        if not isinstance(data, dict):
            raise TargetError(f"{where}: expected an object with provider and model")
        provider = data.get("provider")
        if not isinstance(provider, str) or not provider:
            raise TargetError(f"{where}: provider is missing")
        for key, kind, noun in (("model", str, "a string"), ("base_url", str, "a string"),
                                ("label", str, "a string"), ("options", dict, "an object"),
                                ("extra_body", dict, "an object")):
            if data.get(key) is not None and not isinstance(data[key], kind):
                raise TargetError(f"{where}: {key} must be {noun}")
        return cls(provider, data.get("model") or "", data.get("base_url") or None,
                   dict(data.get("options") or {}), dict(data.get("extra_body") or {}),
                   data.get("label") or "")


def is_local_host(host: str) -> bool:
    """A host on this machine or the local network (loopback, private, link-local, .local)."""
    host = host.strip("[]").lower()
    if host in ("localhost", "") or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def parse_target(text: str) -> Target:
    """``PRESET:MODEL[,KEY=VALUE]...`` (see the module docstring); TargetError when bad."""
    head, *pairs = text.split(",")
    provider, sep, model = head.partition(":")
    provider, model = provider.strip(), model.strip()
    if not provider:
        raise TargetError(f"target {text!r}: give it as PRESET:MODEL, e.g. openai:gpt-4o-mini")
    settings = RequestSettings(provider=provider, model=model)
    base_url = label = None
    for pair in pairs:
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq or not key:
            raise TargetError(f"target {text!r}: {pair!r} is not KEY=VALUE")
        if key == "base_url":
            base_url = value.strip()
        elif key == "label":
            label = value.strip()
        else:
            try:
                apply_option(settings, key, value)
            except SettingsError as exc:
                raise TargetError(f"target {text!r}: {exc}") from None
    target = Target(provider, model, base_url, settings.options, settings.extra_body, label or "")
    target.preset()  # an unknown preset is refused here, naming the target
    return target
