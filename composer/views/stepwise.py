"""What a window's first count and first Send import, imported once the window is on screen a
module per turn of the event loop. Imported at once, by the first count, the providers, their
formats and the transport held the window ~50 ms in one turn; a module at a time, the longest
turn is the biggest package's (a format's, whose ``__init__`` imports its parts: ~14 ms).

And pydantic with the validators a first Open, Paste or import checks its data with: no start
imports pydantic before its paint (value.py), and the first check would otherwise pay ~0.1 s
for it on the window's thread."""

from __future__ import annotations

from collections.abc import Iterable

# In the order their imports end (what each needs comes before it), as the first count and the
# app's shared HTTP client import them after the window's own modules. A name that is loaded
# already costs nothing; one the window stops needing is still only an import.
AFTER_PAINT = (
    "composer.models.events",
    "composer.models.pricing",
    "composer.models.token_estimate",
    "composer.models.formats.base",
    "composer.models.formats",
    "composer.models.formats._reader",
    "composer.models.formats._wire",
    "composer.models.formats.anthropic",
    "composer.providers.base",
    "composer.providers.coerce",
    "composer.providers.headers",
    "composer.providers.http_error",
    "composer.providers.anthropic",
    "composer.models.formats.gemini",
    "composer.providers.gemini",
    "composer.models.llm_ids",
    "composer.models.llm_shapes",
    "composer.models.exchange",
    "composer.models.assembler",
    "composer.models.formats.openai_responses",
    "composer.providers.pcm",
    "composer.providers.openai_responses",
    "composer.providers.counting",
    "composer.providers.http",
    "composer.models.structured",
    "composer.providers.llm_plugin",
    "composer.providers.replay",
    "composer.providers.guard",
    "composer.providers.sse",
    "composer.providers.transport",
    "composer.run.counting",
    "composer.views.results.highlight",
    "composer.views.results.markdown",
    "composer.providers.defaults",
)


async def import_stepwise(names: Iterable[str] = AFTER_PAINT) -> None:
    """Import ``names`` in order on the loop's thread, letting the loop turn after each one
    that was not loaded yet (on a worker, two threads importing Composer's modules could
    deadlock on the import locks: see providers/tls.py)."""
    import asyncio
    import importlib
    import sys

    for name in names:
        if name not in sys.modules:
            importlib.import_module(name)
            await asyncio.sleep(0)


def build_validators() -> None:
    """Import pydantic and build the validators a first Open, Paste or import checks its data
    with: no start needs them (the first paint's values are built unchecked), and the first
    one a process builds costs ~0.1 s (pydantic's import, its schema, its scan of every
    installed package for plugins). For a worker once the imports above are done."""
    from composer.models.conversation import Conversation
    from composer.models.exchange import Exchange
    from composer.models.parts import Message

    for model in (Message, Conversation, Exchange):
        model.model_rebuild()
