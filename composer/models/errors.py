"""Errors the model layer raises: each names the file, the place in it and the problem."""

from __future__ import annotations


class ComposerError(Exception):
    """Base of every error we show the user as one line."""


class FormatError(ComposerError):
    """Input that cannot be read as the format it claims (or any format, for detection).

    ``source`` is the file name (or ``<stdin>``/``<clipboard>``), ``location`` a JSON path such as
    ``$.messages[3].content[0]`` or ``line 12``.
    """

    def __init__(self, problem: str, *, source: str | None = None, location: str | None = None):
        self.problem = problem
        self.source = source
        self.location = location
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ": ".join(x for x in (self.source, self.location) if x)
        return f"{where}: {self.problem}" if where else self.problem

    def with_source(self, source: str) -> FormatError:
        if self.source is None:
            self.source = source
            self.args = (self.one_line(),)
        return self


class VersionError(FormatError):
    """A file written by a newer Composer than this one."""
