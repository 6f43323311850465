"""The ``replay`` protocol: a saved exchange's raw event log, streamed back through the parser of
the protocol that recorded it. No HTTP.

Which exchange: ``settings.base_url`` may name an exchange file; empty means the bundled example,
so a first Send works on a machine with no key and no local server. Pacing follows the recorded
``t`` of each event divided by a speed factor (0 = as fast as possible): the replay's own
``speed`` field (``send -o speed 0``, the request panel's Extra body), or a ``speed`` option.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from msgspec import Struct

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.exchange import Exchange, LogEntry
from composer.models.files import load
from composer.paths import EXAMPLES
from composer.providers.base import HttpRequest, RequestRefused, WireProtocol

EXAMPLE_EXCHANGE = EXAMPLES / "exchange.json"
# Yield to the event loop this often at full speed, so a replay can be cancelled and the
# window keeps painting.
_YIELD_EVERY = 32


class ReplaySource(Struct):
    exchange: Exchange
    location: str
    protocol_name: str
    protocol: WireProtocol
    entries: list[LogEntry]


def open_source(base_url: str | None) -> ReplaySource:
    """Load the exchange to replay. Raises RequestRefused naming the file and the problem."""
    from composer.providers.presets import UnknownProvider, protocol_for

    path = Path(base_url).expanduser() if base_url else EXAMPLE_EXCHANGE
    location = str(path)
    try:
        doc = load(path)
    except FormatError as exc:
        raise RequestRefused(f"cannot replay {exc}", field_name="base URL") from None
    if not isinstance(doc, Exchange):
        raise RequestRefused(f"{location}: a conversation file, not an exchange: nothing to replay",
                             field_name="base URL")
    name = doc.composer.protocol
    if not name or name == "replay":
        raise RequestRefused(f"{location}: the exchange does not say which protocol recorded it "
                             "($.composer.protocol)", field_name="base URL")
    if not doc.composer.events:
        raise RequestRefused(f"{location}: the exchange has no recorded events "
                             "($.composer.events is empty)", field_name="base URL")
    try:
        protocol = protocol_for(name)
    except (UnknownProvider, ImportError) as exc:
        raise RequestRefused(f"{location}: cannot replay protocol {name!r}: {exc}",
                             field_name="base URL") from None
    if isinstance(getattr(doc.composer, "batch", None), dict):
        # A reply fetched from a batch API: its one event is the whole body.
        from composer.providers.whole import whole_replies

        protocol = whole_replies(protocol) or protocol
    return ReplaySource(doc, location, name, protocol, list(doc.composer.events))


async def paced(entries: list[LogEntry], speed: float) -> AsyncIterator[LogEntry]:
    """The entries, each released at its recorded time divided by ``speed``."""
    start = time.monotonic()
    for i, entry in enumerate(entries):
        delay = entry.t / speed - (time.monotonic() - start) if speed > 0 else 0.0
        if delay > 0:
            await asyncio.sleep(delay)
        elif i % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
        yield entry


class ReplayProtocol(WireProtocol):
    """Stands in the protocol registry; the transport drives the replay itself."""

    name = "replay"
    framing = "replay"

    def build_request(self, conversation: Conversation, *, base_url: str,
                      api_key: str | None) -> HttpRequest:
        source = open_source(base_url)
        return HttpRequest("REPLAY", source.location,
                           notes=[f"replays {len(source.entries)} events recorded with "
                                  f"{source.protocol_name}"])

    def new_parser(self):
        raise RequestRefused("a replay is parsed by the protocol that recorded it")

    def models_request(self, *, base_url: str, api_key: str | None) -> HttpRequest:
        raise RequestRefused("replay lists no models: it replays one saved exchange")

    def list_models(self, base_url: str | None) -> list[str]:
        model = open_source(base_url).exchange.model
        return [model] if model else []


PROTOCOL = ReplayProtocol()
