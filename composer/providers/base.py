"""What a wire protocol provides: a pure request builder, a pure stream parser, error parsing.

One module per protocol (openai_chat, openai_responses, anthropic, gemini) defines ``PROTOCOL``,
an instance of a ``WireProtocol`` subclass. The transport (transport.py) is the only place with
I/O: it sends ``build_request``'s result with httpx, splits the body into frames (sse.py), feeds
them to ``new_parser()`` and yields the StreamEvents that come out.
"""

from __future__ import annotations

import json
import shlex
from typing import Any, NamedTuple, Protocol

from msgspec import Struct, field
from msgspec.structs import replace

from composer.models import jsontext
from composer.models.conversation import Conversation
from composer.models.events import ReasoningDelta, StreamError, StreamEvent, TextDelta
from composer.models.formats.base import Loss
from composer.models.problems import Field
from composer.models.settings import SECRET_HEADERS
from composer.providers.refused import RequestRefused


def checked_body(built: tuple[dict[str, Any], list[Loss]], *, model: str | None,
                 messages_key: str) -> tuple[dict[str, Any], list[Loss]]:
    """The preamble of every protocol's ``build_request``: ``built`` is its format's
    ``to_body`` result. Refuses dropped losses, a missing model and a body with nothing in
    ``messages_key`` (all of them at once, in one RequestRefused); returns the body and the
    notes (the losses that did not stop it)."""
    body, losses = built
    refusals = [RequestRefused.of_loss(loss) for loss in losses if loss.dropped]
    if not model:
        refusals.append(RequestRefused("choose a model first", field_name=Field.MODEL))
    if not body.get(messages_key):
        refusals.append(RequestRefused("there is no user or assistant message to send",
                                       field_name=Field.MESSAGES))
    if (refused := RequestRefused.joined(refusals)) is not None:
        refused.losses = [loss for loss in losses if not loss.dropped]
        raise refused
    return body, losses


def post(conversation: Conversation, url: str, auth: dict[str, str], body: dict[str, Any],
         losses: list[Loss]) -> HttpRequest:
    """The POST of a built body: the protocol's own headers, then the settings' extra ones;
    ``losses`` are what the provider will not receive (the request's notes)."""
    return HttpRequest("POST", url, {**auth, **conversation.settings.headers}, body,
                       [str(loss) for loss in losses], list(losses))


class HttpRequest(Struct):
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    # Problems that did not stop the request but the user should know (reasoning stripped...).
    notes: list[str] = field(default_factory=list)
    # The same notes with the row and part each one is about.
    losses: list[Loss] = field(default_factory=list)

    def redacted(self) -> HttpRequest:
        headers = {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v)
                   for k, v in self.headers.items()}
        return replace(self, headers=headers)

    def curl(self, key_env: str | None = None) -> str:
        """A shell command that sends this request, the key read from ``$key_env``."""
        parts = ["curl", "-N", "-X", self.method, shlex.quote(self.url)]
        for k, v in self.headers.items():
            if k.lower() in SECRET_HEADERS:
                env = f"${key_env}" if key_env else "$API_KEY"
                v = f"Bearer {env}" if k.lower() == "authorization" else env
                parts += ["-H", f'"{k}: {v}"']
            else:
                parts += ["-H", shlex.quote(f"{k}: {v}")]
        if self.body is not None:
            parts += ["-d", shlex.quote(json.dumps(self.body, ensure_ascii=False))]
        return " ".join(parts)


class Frame(NamedTuple):
    """One framed unit of a stream: an SSE event (``event`` name + joined ``data``) or an
    NDJSON line (``event`` None). A tuple: a stream makes one per event, in C where it can
    (``tuple.__new__(Frame, (data, event))``)."""

    data: str
    event: str | None = None


def decode_frame(frame: Frame, who: str) -> Any:
    """A frame's JSON payload; None for an empty frame or ``[DONE]``; a StreamError naming
    ``who`` sent it when the payload is not JSON (the stream goes on: one bad chunk is shown,
    not fatal)."""
    data = frame.data.strip()
    if not data or data == "[DONE]":
        return None
    try:
        # Strings as they came: half of a surrogate pair may be in the next event (the guard
        # joins them); too deep a value or too long a number is an unreadable event.
        return jsontext.value(data)
    except jsontext.JSONTextError as exc:
        reason = exc.msg
        name = f" {frame.event}" if frame.event else ""
        return StreamError(f"{who} sent an unreadable stream event{name} (not JSON: {reason}): "
                           f"{data[:120]}", kind="provider", body=data[:2000])


class Parser(Protocol):
    def feed(self, frame: Frame) -> list[StreamEvent]: ...

    def close(self) -> list[StreamEvent]:
        """At end of body: a StreamError(kind="truncated") if the terminal event never came."""
        ...


class WireProtocol:
    name: str = ""
    framing: str = "sse"  # "sse" | "ndjson" | "json" (a single JSON body)
    # provider_metadata key this protocol reads and writes, e.g. "anthropic".
    metadata_key: str = ""

    def build_request(self, conversation: Conversation, *, base_url: str,
                      api_key: str | None, stream: bool = True) -> HttpRequest:
        """Pure: the HTTP request for this conversation. Raises RequestRefused. ``stream``
        False: the same request for a whole (non-streamed) reply, as a batch API carries it."""
        raise NotImplementedError

    def new_parser(self) -> Parser:
        raise NotImplementedError

    def parse_error(self, status: int, body: bytes, headers: dict[str, str]) -> StreamError:
        """A non-2xx response as one StreamError (status, provider type, message, request id)."""
        raise NotImplementedError

    def models_request(self, *, base_url: str, api_key: str | None) -> HttpRequest:
        raise NotImplementedError

    def parse_models(self, data: Any) -> list[str]:
        raise NotImplementedError


NO_EVENTS: list[StreamEvent] = []  # what a frame that made no event returns (never changed)


class HeldText:
    """Text held back by a parser, for the guard's slices of frames: while ``holding`` (the
    guard sets it), the text that frame after frame only grows one part waits for ``release``
    (the guard's, at the end of each slice) and goes out as one delta, not a delta a frame.
    The usual delta's path calls ``_hold``; every other event waits for what is held to go
    out first (``_after_held``)."""

    def __init__(self) -> None:
        self.holding = False
        self._held_pieces: list[str] = []
        self._held_key = ""
        self._held_class: type[TextDelta] | type[ReasoningDelta] = TextDelta

    def _hold(self, cls: type[TextDelta] | type[ReasoningDelta], key: str, text: str) -> bool:
        """Hold ``text``, more of part ``key`` as a ``cls`` delta; False (not held) while text
        of another part is held."""
        if not self._held_pieces:
            self._held_key, self._held_class = key, cls
        elif key != self._held_key or cls is not self._held_class:
            return False
        self._held_pieces.append(text)
        return True

    def _held_text(self) -> list[StreamEvent]:
        if not self._held_pieces:
            return []
        event = self._held_class(self._held_key, "".join(self._held_pieces))
        self._held_pieces = []
        return [event]

    def _after_held(self, events: list[StreamEvent]) -> list[StreamEvent]:
        """``events``, after the text held (which came before them)."""
        return [*self._held_text(), *events] if events and self._held_pieces else events

    def release(self) -> list[StreamEvent]:
        """What was held since the last release."""
        return self._held_text()


class TypedEventParser(HeldText):
    """A Parser for streams of typed JSON events (Anthropic Messages, OpenAI Responses): each
    event goes to the method ``_on_<type>`` (dots read as underscores), an unknown type is
    ignored. The handler of a terminal event (success or in-band error) sets ``done``; ``close``
    reports a stream that ended without one as ``truncated``."""

    who = "the provider"  # names the sender in a bad-frame message
    truncated = "the stream ended before the reply was complete"

    def __init__(self) -> None:
        super().__init__()
        self.done = False
        self._handlers: dict[str, Any] = {}  # type -> its handler (None: not one we read)

    def feed(self, frame: Frame) -> list[StreamEvent]:
        data = decode_frame(frame, self.who)
        if type(data) is dict:
            return self._after_held(self.dispatch(data, frame.event))
        return self._after_held([data] if isinstance(data, StreamError) else [])

    def dispatch(self, data: dict[str, Any], event: str | None = None) -> list[StreamEvent]:
        """One decoded event (its ``type``, else the SSE ``event`` name, picks the handler)."""
        kind = data.get("type") or event
        try:
            handler = self._handlers[kind]
        except (KeyError, TypeError):  # a type not seen yet (or not a string)
            if not isinstance(kind, str):
                return []
            handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
            if len(self._handlers) < 64:  # (a stream naming a new type each event: no cache)
                self._handlers[kind] = handler
        return handler(data) if handler is not None else []

    def close(self) -> list[StreamEvent]:
        held = self._held_text()
        if self.done:
            return held
        self.done = True
        return [*held, StreamError(self.truncated, kind="truncated")]
