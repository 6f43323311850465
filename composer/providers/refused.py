"""Why a request cannot be sent, found before sending: its own module, so what checks a
request (composer.run.prepare, the request panel) does not load the protocols' stream events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.models.errors import ComposerError
from composer.models.problems import Field, Problem

if TYPE_CHECKING:
    from composer.models.formats.base import Loss


class RequestRefused(ComposerError):
    """The conversation holds something this protocol cannot take; found before sending.

    ``message_index``/``part_index`` point at the offending row and part (None for settings);
    ``field_name`` is the setting's ``Field`` (a name is read as one: "base URL", "seed").
    ``also`` holds the other problems found with it: its message is the first one's, so a
    one-line report stays one line, and ``every()`` lists them all (composer.run.preflight).
    """

    def __init__(self, problem: str, *, message_index: int | None = None,
                 part_index: int | None = None, field_name: Field | str | None = None):
        self.problem = problem
        self.message_index = message_index
        self.part_index = part_index
        self.field_name = Field.named(field_name)
        self.also: list[RequestRefused] = []
        self.losses: list[Loss] = []  # the notes of a request refused for other reasons
        where = []
        if message_index is not None:
            where.append(f"row {message_index + 1}")
        if part_index is not None:
            where.append(f"part {part_index + 1}")
        if self.field_name:
            where.append(str(self.field_name))
        super().__init__(f"{', '.join(where)}: {problem}" if where else problem)

    def every(self) -> list[RequestRefused]:
        """This problem and the others found with it."""
        return [self, *self.also]

    @classmethod
    def joined(cls, refusals: list[RequestRefused]) -> RequestRefused | None:
        """The first of ``refusals`` carrying the rest in ``also``; None for none."""
        if not refusals:
            return None
        first = refusals[0]
        first.also = [*first.also, *refusals[1:]]
        return first

    @classmethod
    def of(cls, problem: Problem) -> RequestRefused:
        return cls(problem.text, field_name=problem.field)

    @classmethod
    def of_loss(cls, loss: Loss) -> RequestRefused:
        """A dropped loss: at its row and part, or a setting's ("name: problem", else an
        option the protocol has no field for)."""
        if loss.message_index is not None:
            return cls(loss.problem, message_index=loss.message_index, part_index=loss.part_index)
        name, sep, rest = loss.problem.partition(": ")
        field = Field.named(name) if sep else Field.OPTIONS
        if field is Field.OPTIONS:
            return cls(loss.problem, field_name=field)
        return cls(rest, field_name=field)
