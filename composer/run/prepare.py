"""One way to prepare a call: from a conversation (with its settings), the presets and the key
store to a ``Call`` and what to tell the user about it. ``send``, the inspector's preview and
the window's Send all come through ``prepare_call``.

The rules it applies, each in one place:

- a key is looked up and sent only when ``needs_key`` (composer.providers.presets) says so;
- every {{variable}} is filled from the conversation's values, and one without a value stops
  the call (composer.models.variables);
- a linked attachment whose file was not read stops the call (composer.models.linked says
  which files may be read; reading them is the caller's business, before this);
- a key bound for an origin the user did not choose is a trust question
  (composer.providers.trust), returned as ``key_target`` for the caller to ask or refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from msgspec import Struct, field

from composer.models import linked, variables
from composer.models.conversation import Conversation
from composer.models.problems import Field
from composer.providers import keys
from composer.providers.presets import Preset, UnknownProvider, needs_key, resolve
from composer.providers.refused import RequestRefused
from composer.providers.trust import KeyTarget, TrustedHosts, unconfirmed_key_target

if TYPE_CHECKING:
    import httpx

    from composer.providers.transport import Call, CallConfig

# Stands in for a missing key in a preview: the header is redacted on screen anyway.
PREVIEW_KEY = "preview-no-key"

KeyStore = Callable[[Preset], keys.FoundKey]


def find_key(preset: Preset, key_store: KeyStore = keys.find_key) -> keys.FoundKey:
    """The key for ``preset`` when it needs one (else an empty FoundKey: nothing looked up)."""
    return key_store(preset) if needs_key(preset) else keys.FoundKey(None, None)


def resolve_preset(provider: str | None) -> Preset:
    """The preset of a settings' provider; RequestRefused if unknown (its message names the
    provider and the choices, so it carries no field prefix)."""
    try:
        return resolve(provider)
    except UnknownProvider as exc:
        raise RequestRefused(str(exc)) from None


def filled(conversation: Conversation) -> Conversation:
    """``conversation`` with its {{variables}} filled from its own values; RequestRefused naming
    every variable without a value and where it is used."""
    try:
        return variables.fill(conversation, conversation.variable_values)
    except variables.MissingVariables as exc:
        raise RequestRefused(str(exc), field_name=Field.VARIABLES) from None


def unread_link(conversation: Conversation) -> RequestRefused | None:
    """Why the call must not go ahead: the attachments whose linked file was not read (the
    first, carrying the others in ``also``)."""
    return RequestRefused.joined([
        RequestRefused(f"attachment {att.display_name} is linked, not loaded ({att.path}); "
                       "load it from its preview below the table, or remove it",
                       message_index=row)
        for row, att in linked.not_loaded(conversation)])


class PreparedCall(Struct):
    call: Call
    preset: Preset
    # What the user should read before or beside the request: a missing key, the parts the
    # provider cannot take (the request's own notes).
    notes: list[str] = field(default_factory=list)
    # Key lookups that failed (a locked keychain, a broken keys.json) when no key was found.
    key_problems: list[str] = field(default_factory=list)
    # Set when the key would go to an origin the user did not choose: ask, or refuse.
    key_target: KeyTarget | None = None

    @property
    def key_env(self) -> str | None:
        """The environment variable "Copy as curl" reads the key from."""
        return self.preset.key_env[0] if self.preset.key_env else None

    @property
    def title(self) -> str:
        model = self.call.settings.model
        return self.preset.title + (f" · {model}" if model else "")


def prepare_call(conversation: Conversation, *, key_store: KeyStore = keys.find_key,
                 chosen: bool = False, trusted: TrustedHosts | None = None,
                 client: httpx.AsyncClient | None = None, config: CallConfig | None = None,
                 preview: bool = False) -> PreparedCall:
    """The call Send would make for ``conversation``, with its notes and its trust question.

    ``chosen``: the base URL is the user's own (typed, ``--base-url``, ``--trust-base-url``),
    not the file's; ``trusted``: the origins the user confirmed. ``preview``: a missing key is
    a note and a stand-in key, so the request can still be shown.

    Raises RequestRefused (one line, pointing at the row, part or field) when the call cannot
    be made; a builder bug is one such line too, never a traceback.
    """
    if (refused := unread_link(conversation)) is not None:
        raise refused
    conversation = filled(conversation)
    preset = resolve_preset(conversation.settings.provider)
    found = find_key(preset, key_store)
    key = found.key
    notes: list[str] = []
    if needs_key(preset) and not key:
        notes.append(keys.missing_key_message(preset))
        if preview:
            key = PREVIEW_KEY
    try:
        from composer.providers.transport import Call  # httpx: loaded with the first call

        call = Call(conversation, api_key=key, client=client, config=config)
    except RequestRefused:
        raise
    except Exception as exc:  # a builder bug: one line, nothing sent
        raise RequestRefused(f"cannot build the request: {type(exc).__name__}: {exc}") from None
    target = None if preview else unconfirmed_key_target(preset, call.request.url, key,
                                                         chosen=chosen, trusted=trusted)
    return PreparedCall(call, preset, [*notes, *call.request.notes],
                        [] if found else list(found.problems), target)


def preview_call(conversation: Conversation, *, key_store: KeyStore = keys.find_key
                 ) -> tuple[PreparedCall | None, list[str]]:
    """What Send would send now, and the notes to show beside it; None and the notes saying
    why when no request can be built."""
    try:
        prepared = prepare_call(conversation, key_store=key_store, preview=True)
    except RequestRefused as exc:
        notes: list[str] = []
        try:
            preset = resolve(conversation.settings.provider)
        except UnknownProvider:
            preset = None
        if preset is not None and needs_key(preset) and not find_key(preset, key_store):
            notes.append(keys.missing_key_message(preset))
        return None, [*notes, *(str(each) for each in exc.every())]
    return prepared, prepared.notes
