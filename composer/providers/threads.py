"""Blocking work awaited from the loop on a plain daemon thread (loading llm's plugins takes
seconds; so does reading the price table): unlike the loop's executor, such a thread never
outlives the app as a running QThread under qasync. No Qt, no protocol."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _as_is(body: Callable[[], None]) -> Callable[[], None]:
    return body


# What a thread of in_thread runs, given its body: the window's loop (views/app.py make_loop)
# makes it run with no garbage collected on the thread.
thread_body: Callable[[Callable[[], None]], Callable[[], None]] = _as_is


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a plain daemon thread, its result (or exception) awaited here."""
    import asyncio

    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(setter: Callable[[Any], None], value: Any) -> None:
        if not done.done():
            setter(value)

    # The body (and what thread_body wraps around it: the window's emits a Qt signal as it
    # ends) is over before the result is handed back: else the app could end meanwhile, and
    # a daemon thread still in Qt's code as the interpreter finalizes aborts the process
    # ("FATAL: exception not rethrown": 4 in 100 starts quit as soon as the client was in).
    body = thread_body(lambda: fn(*args))

    def run() -> None:
        try:
            result = body()
        except BaseException as exc:  # handed to the awaiting coroutine, raised there
            loop.call_soon_threadsafe(settle, done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(settle, done.set_result, result)

    threading.Thread(target=run, name="composer-worker", daemon=True).start()
    return await done
