"""``llm``'s own shapes: a ``Response.to_dict()`` dict, or a bare list of message dicts.

One format, ``llm``, reads both:

- ``{"model", "prompt": {"messages", "options"?, "system"?}, "messages": [...], "id"?,
  "usage"?, "datetime_utc"?}``: the conversation is the prompt's messages followed by the reply
  messages; the model and options go into the settings.
- ``[{"role", "parts": [...]}, ...]``: a bare list of ``Message.to_dict()`` values.

Export always writes the ``to_dict`` shape: the prompt holds every message but the trailing
assistant ones, which become the reply. The model id and options are llm's on the file side and
ours in the settings (llm_ids.py): ``anthropic/claude-sonnet-4-5`` reads as provider
``anthropic``, model ``claude-sonnet-4-5``; an llm option we have no name for is reported, kept
for the way back, and never sent. Our Message *is* llm's MessageDict, so messages pass
through verbatim, unknown keys included. The response-level keys we do not model (``id``,
``usage``, ``datetime_utc`` and anything unknown) are kept on the conversation under ``"llm"``
and written back on export.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from composer.models import files, llm_ids, llm_shapes
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._wire import dump_body
from composer.models.formats.base import Exported, Format, Imported, Loss, sample
from composer.models.parts import Message
from composer.models.settings import RequestSettings

_MESSAGES = TypeAdapter(list[Message])
_PART_TYPES = frozenset({"text", "reasoning", "tool_call", "tool_result", "attachment"})
# Response-level keys that map onto the conversation itself; the rest is kept under "llm".
_MAPPED = frozenset({"model", "prompt", "messages"})
EXTRAS_KEY = "llm"


def _looks_like_messages(data: Any) -> bool:
    if not isinstance(data, list) or not data:
        return False
    for m in sample(data):
        if not (isinstance(m, dict) and isinstance(m.get("role"), str)
                and isinstance(m.get("parts"), list)):
            return False
        # Gemini's contents also have role + parts; llm's parts carry a type.
        if not all(isinstance(p, dict) and p.get("type") in _PART_TYPES for p in m["parts"]):
            return False
    return True


def _looks_like_response(data: Any) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("prompt"), dict)
            and isinstance(data["prompt"].get("messages"), list)
            and isinstance(data.get("messages"), list) and files.kind_of(data) is None)


def detect(data: Any) -> float:
    if _looks_like_response(data):
        return 0.9
    if _looks_like_messages(data):
        return 0.85
    return 0.0


def _messages(value: Any, where: str, source: str | None) -> list[Message]:
    try:
        return _MESSAGES.validate_python(llm_shapes.from_llm(value))
    except ValidationError as exc:
        loc, problem = files.validation_location(exc)
        raise FormatError(problem, source=source, location=where + loc[1:]) from None


def load(data: Any, source: str | None) -> Imported:
    if isinstance(data, list):
        return Imported(Conversation(messages=_messages(data, "$", source)))
    if not isinstance(data, dict):
        raise FormatError("expected an llm response dict or a list of llm messages",
                          source=source, location="$")
    prompt = data.get("prompt")
    if not isinstance(prompt, dict):
        raise FormatError("expected an object with a messages list", source=source,
                          location="$.prompt")
    prompt_messages = _messages(prompt.get("messages", []), "$.prompt.messages", source)
    reply = _messages(data.get("messages", []), "$.messages", source)
    system = prompt.get("system")
    if system is not None and not isinstance(system, str):
        raise FormatError("expected a string", source=source, location="$.prompt.system")
    if system and not any(m.role == "system" for m in prompt_messages):
        prompt_messages.insert(0, Message.text("system", system))
    model = data.get("model", "")
    if not isinstance(model, str):
        raise FormatError("expected a string", source=source, location="$.model")
    options = prompt.get("options") or {}
    if not isinstance(options, dict):
        raise FormatError("expected an object", source=source, location="$.prompt.options")
    protocol, api_model = llm_ids.from_llm_model(model)
    ours, unmapped, notes = llm_ids.from_llm_options(protocol, options)
    settings = RequestSettings(model=api_model, options=ours)
    if protocol is not None:
        settings.provider = protocol
    losses = [Loss(note) for note in notes]
    losses += [Loss(f"llm option {key} has no Composer equivalent for {model or 'this model'}; "
                    "kept for export, not sent") for key in unmapped]
    conversation = Conversation(messages=[*prompt_messages, *reply], settings=settings)
    extras = {k: v for k, v in data.items() if k not in _MAPPED}
    prompt_extras = {k: v for k, v in prompt.items() if k not in ("messages", "options", "system")}
    if unmapped:
        prompt_extras["options"] = unmapped
    if prompt_extras:
        extras["prompt"] = prompt_extras
    if extras:
        setattr(conversation, EXTRAS_KEY, extras)
    return Imported(conversation, losses)


def _setting_losses(settings: RequestSettings) -> list[Loss]:
    losses = []
    if settings.tools:
        losses.append(Loss(f"{len(settings.tools)} tool definition(s) dropped", dropped=True))
    if settings.response_schema:
        losses.append(Loss("response schema dropped", dropped=True))
    for name in ("tool_choice", "base_url", "extra_body", "headers"):
        if getattr(settings, name):
            losses.append(Loss(f"{name} dropped"))
    return losses


def to_response_dict(conversation: Conversation) -> dict[str, Any]:
    """The conversation as ``Response.to_dict()``: trailing assistant messages are the reply."""
    messages = llm_shapes.to_llm([m.to_dict() for m in conversation.messages])
    split = len(messages)
    while split > 0 and messages[split - 1]["role"] == "assistant":
        split -= 1
    extras = dict((conversation.model_extra or {}).get(EXTRAS_KEY) or {})
    settings = conversation.settings
    protocol = protocol_of(settings.provider)
    prompt: dict[str, Any] = {"messages": messages[:split]}
    prompt_extras = extras.pop("prompt", None)
    prompt_extras = dict(prompt_extras) if isinstance(prompt_extras, dict) else {}
    kept = prompt_extras.pop("options", None)
    options = {**(kept if isinstance(kept, dict) else {}),
               **llm_ids.to_llm_options(protocol, settings.model, settings.options)}
    if options:
        prompt["options"] = options
    prompt = {**prompt_extras, **prompt}
    out: dict[str, Any] = {"prompt": prompt, "messages": messages[split:]}
    model = llm_ids.to_llm_model(protocol, settings.model)
    if model:  # llm reads a missing model as an error, an empty one as its default model
        out = {"model": model, **out}
    for key, value in extras.items():
        out.setdefault(key, value)
    return out


def protocol_of(provider: str) -> str | None:
    """The wire protocol of a provider preset or protocol name, without loading providers."""
    if llm_ids.family(provider):
        return provider
    from composer.providers.presets import UnknownProvider, resolve

    try:
        return resolve(provider).protocol
    except UnknownProvider:  # no family, so no mapping
        return None


def dump(conversation: Conversation) -> Exported:
    return dump_body(to_response_dict(conversation), _setting_losses(conversation.settings))


FORMAT = Format(
    name="llm",
    title="llm Response.to_dict() or list of llm messages",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=load,
    dump=dump,
)
