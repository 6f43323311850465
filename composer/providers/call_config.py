"""How a call is made: retries, their backoff, timeouts, the replay's pace. Its own module, without
httpx, so the window can hold its settings before the transport is loaded."""

from __future__ import annotations

from msgspec import Struct


class CallConfig(Struct):
    retries: int = 2
    backoff_base: float = 0.5  # seconds before the first retry, doubled each time
    backoff_max: float = 8.0
    retry_after_max: float = 60.0  # a longer server-requested wait falls back to backoff
    connect_timeout: float = 10.0
    # Thinking models can go quiet for a long time between events.
    read_timeout: float = 120.0
    write_timeout: float = 30.0
    replay_speed: float | None = None  # None: the "speed" option, else recorded timing (1.0)
