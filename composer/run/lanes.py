"""Lanes: how many calls may be in flight at once, per server.

A local server serves one request at a time (a second, parallel request only stalls behind the
first), so calls to one such server go one after another; calls to remote providers run in
parallel up to ``per_provider`` at once per provider. Compare (several targets, one
conversation) and test runs (targets × cases × repeats) both schedule their calls here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from composer.run.targets import Target

T = TypeVar("T")


class Lanes:
    def __init__(self, per_provider: int = 4):
        self.per_provider = max(1, per_provider)
        self._gates: dict[str, asyncio.Semaphore] = {}

    def gate(self, target: Target) -> asyncio.Semaphore:
        """The semaphore a call to ``target`` waits on: one slot per local server, else
        ``per_provider`` slots per provider."""
        lane = target.lane()
        key, slots = (f"local {lane}", 1) if lane else (f"remote {target.provider}",
                                                       self.per_provider)
        if key not in self._gates:
            self._gates[key] = asyncio.Semaphore(slots)
        return self._gates[key]

    async def run(self, target: Target, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call()`` when ``target``'s lane has room."""
        async with self.gate(target):
            return await call()
