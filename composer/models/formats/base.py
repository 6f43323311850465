"""What every conversation format module provides, and the result of an import or export.

A format module defines one ``Format`` instance named ``FORMAT``:

- ``detect(data)`` says how sure it is (0 = not this format, 1 = certain) that parsed input is
  its own; ``data`` is the parsed JSON value when the input is one JSON value (for every format,
  text formats included, so JSON never reaches the Markdown parser), else the raw text, which
  only text formats are offered (``binary`` formats get the path). It must be cheap (detection of
  20 MB takes well under a second) and never raise; one that does scores 0.
- ``load(data, source)`` returns an ``Imported``: the conversation plus a list of what was lossy
  or dropped, or raises one ``FormatError`` naming source, location (JSON path or line) and the
  problem. It never half-applies and never raises anything else.
- ``dump(conversation)`` returns an ``Exported``: the text to write plus what the format could
  not hold.

Losses are ``Loss`` values (below), each naming the message and part it concerns (0-based
indices, shown 1-based). The wire formats (openai_chat, openai_responses, anthropic, gemini) also
expose ``to_body(conversation) -> (dict, list[Loss])`` and ``from_body(data, source) -> Imported``:
the request-body mapping the providers reuse, so there is one mapping per protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from msgspec import Struct, field
from pydantic import ValidationError

from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.files import validation_location


class Loss(Struct, frozen=True):
    """Something a format could not hold: "message 3, part 2: cache_control dropped".

    ``dropped`` is True when content the user would miss was left out (an attachment kind the
    format has no place for), False for a note (a cache hint, reasoning stripped because it
    belongs to another provider). A provider refuses to send a request with a dropped loss.
    """

    problem: str
    message_index: int | None = None
    part_index: int | None = None
    dropped: bool = False

    def __str__(self) -> str:
        where = []
        if self.message_index is not None:
            where.append(f"message {self.message_index + 1}")
        if self.part_index is not None:
            where.append(f"part {self.part_index + 1}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem

    def line(self) -> str:
        """The loss as one report line. One rule for the word in front: ``lost:`` when a
        reader of the output would miss the content (``dropped``), ``note:`` for everything
        else (kept in another form, or only metadata and hints gone); the problem text says
        what happened to what, so the two words never describe the same kind of loss."""
        return f"{'lost' if self.dropped else 'note'}: {self}"


class Imported(Struct):
    conversation: Conversation
    losses: list[Loss] = field(default_factory=list)


class Exported(Struct):
    text: str
    losses: list[Loss] = field(default_factory=list)


class Format(Struct, frozen=True):
    name: str  # the --from/--to name, e.g. "openai-chat"
    title: str  # for menus, e.g. "OpenAI Chat Completions (messages or request body)"
    extensions: tuple[str, ...]  # e.g. (".json",); the first is the default for export
    # "json": load/detect get the parsed JSON value; "text": the raw text; "binary": the path.
    input_kind: str
    detect: Callable[[Any], float] | None
    load: Callable[[Any, str | None], Imported] | None
    dump: Callable[[Conversation], Exported] | None


# What an importer raises on a value its checks let by (pydantic's ValidationError is a
# ValueError; RecursionError comes from very deep nesting; ArithmeticError from JSON's Infinity
# or a huge number meeting int() or a division): a bug in it, still one line.
# Detection reads only the first items of a long list: enough to tell formats apart, and a
# 20 MB file of 300,000 messages is detected in a fraction of a second (the import still reads,
# and checks, every one).
DETECT_SAMPLE = 200


def sample(items: list[Any]) -> list[Any]:
    """The items detection looks at."""
    return items[:DETECT_SAMPLE]


_UNEXPECTED = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError,
               ArithmeticError)

Load = Callable[[Any, str | None], Imported]


def guarded(what: str) -> Callable[[Load], Load]:
    """Make an importer keep its promise: it raises one ``FormatError`` naming ``source``.

    Its own FormatErrors get the source when they lack one; anything else it raises becomes
    ``"not valid {what}: ..."`` on one line.
    """
    def wrap(load: Load) -> Load:
        @wraps(load)
        def guarded_load(data: Any, source: str | None = None) -> Imported:
            try:
                return load(data, source)
            except FormatError as exc:
                raise (exc.with_source(source) if source else exc) from None
            except _UNEXPECTED as exc:
                if isinstance(exc, ValidationError) and exc.errors():
                    detail = ": ".join(validation_location(exc))
                else:
                    detail = f"{type(exc).__name__}: {exc}"
                raise FormatError(f"not valid {what}: {detail}".splitlines()[0],
                                  source=source) from None
        return guarded_load
    return wrap
