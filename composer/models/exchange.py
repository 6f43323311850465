"""An exchange: one request and its reply, as llm's ``Response.to_dict()`` plus our extras.

``{"model", "prompt": {"messages", "options"?}, "messages": [output], "id"?, "usage"?,
"datetime_utc"?, "composer": {...}}`` — ``llm.Response.from_dict()`` reads it as is; everything
that is ours (settings, timing, stop reason, error, the raw event log) sits under ``composer``.

In the file, ``model`` and ``prompt.options`` are llm's: the id llm knows the model by and the
options under that model's llm names (llm_ids.py). In memory they are ours — the API id and our
neutral options — and the file keeps the API id as ``composer.api_model`` to read them back.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from msgspec import field

from composer.models import llm_ids, llm_shapes
from composer.models.conversation import Conversation
from composer.models.events import StreamError, Usage
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.models.value import Value

EXCHANGE_VERSION = 1


class Prompt(Value):
    messages: list[Message] = field(default_factory=list)
    options: dict[str, Any] | None = None
    system: str | None = None


class Timing(Value):
    started_utc: str | None = None
    # Milliseconds from sending the request.
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float | None = None


# A failed or cut-short request as saved: the stream's own error record.
ErrorInfo = StreamError


class LogEntry(NamedTuple):
    """One raw stream event as it came off the wire, ``t`` seconds after the request was sent;
    ``extra`` holds any other key a file gave it (kept, written back). A tuple, not a model: a
    long reply logs 100,000 of them while it streams, and the exchange keeps the same objects.
    Read from a file as a model field would be (a dict, checked: ``t`` a number, ``data`` a
    string, ``event`` a string or null)."""

    t: float
    data: str
    event: str | None = None
    extra: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """As a file keeps it: ``event`` only when there is one."""
        out: dict[str, Any] = {"t": self.t, "data": self.data}
        if self.event is not None:
            out["event"] = self.event
        if self.extra:
            out.update(self.extra)
        return out

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # A file's entry is checked (and published in the schema) as this record; it becomes a
        # tuple once read.
        from pydantic_core import core_schema

        record = handler.generate_schema(_record_model())

        def read(value: Any, check: Any) -> LogEntry:
            if isinstance(value, LogEntry):
                return value
            entry = check(value)
            return cls(entry.t, entry.data, entry.event, entry._extra or None)

        return core_schema.no_info_wrap_validator_function(read, record)


@functools.cache
def _record_model() -> type[Value]:
    class LogEntry(Value):
        __doc__ = ("One raw stream event as it came off the wire, ``t`` seconds after the "
                   "request was sent.")

        t: float
        data: str
        event: str | None = None

    return LogEntry


class SchemaVerdict(Value):
    """A reply checked against the response schema (composer.models.structured): ``valid``,
    ``invalid`` (``path`` is the JSON path of the first place it breaks, ``reason`` why), or
    ``cut_off`` (the reply ended before its JSON closed); ``unchecked`` when the schema itself
    could not be used (``reason`` says why)."""

    verdict: str
    path: str | None = None
    reason: str | None = None

    def line(self) -> str:
        """One line for a status bar or a terminal."""
        if self.verdict == "valid":
            return "schema: valid \N{CHECK MARK}"
        if self.verdict == "cut_off":
            return "schema: cut off before the JSON closed" + (
                f" ({self.reason})" if self.reason else "")
        if self.verdict == "unchecked":
            return f"schema: not checked ({self.reason})"
        return f"schema: invalid at {self.path or '$'} \N{EM DASH} {self.reason}"


class ExchangeExtras(Value):
    kind: str = "exchange"
    format_version: int = EXCHANGE_VERSION
    settings: RequestSettings = field(default_factory=RequestSettings)
    protocol: str | None = None
    url: str | None = None
    status: int | None = None
    stop_reason: str | None = None
    error: ErrorInfo | None = None
    timing: Timing = field(default_factory=Timing)
    # The reply checked against settings.response_schema (None: no schema was set).
    schema_verdict: SchemaVerdict | None = None
    events: list[LogEntry] = field(default_factory=list)


class Exchange(Value):
    model: str = ""
    prompt: Prompt = field(default_factory=Prompt)
    messages: list[Message] = field(default_factory=list)
    id: str | None = None
    usage: Usage | None = None
    datetime_utc: str | None = None
    composer: ExchangeExtras = field(default_factory=ExchangeExtras)

    @classmethod
    def _before(cls, data: Any) -> Any:
        """A file we wrote holds llm's model id and options; memory holds ours."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        data["messages"] = llm_shapes.from_llm(data.get("messages", []))
        if isinstance(data.get("prompt"), dict):
            data["prompt"] = {**data["prompt"],
                              "messages": llm_shapes.from_llm(data["prompt"].get("messages", []))}
        extras = data.get("composer")
        if not (isinstance(extras, dict) and isinstance(extras.get("api_model"), str)):
            return data
        data["model"] = extras["api_model"]
        settings = extras.get("settings")
        options = settings.get("options") if isinstance(settings, dict) else None
        if isinstance(data.get("prompt"), dict):
            data["prompt"] = {**data["prompt"], "options": dict(options) if options else None}
        extras = dict(extras)
        del extras["api_model"]
        data["composer"] = extras
        return data

    def conversation(self) -> Conversation:
        """The conversation that produced this exchange, with its reply appended."""
        return Conversation(
            messages=[*self.prompt.messages, *self.messages],
            settings=self.composer.settings.model_copy(deep=True),
        )

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["composer"]["format_version"] = EXCHANGE_VERSION
        data["composer"]["kind"] = "exchange"
        protocol = self.composer.protocol
        # llm knows a model by the id it was asked for, not the dated one a reply may report.
        llm_model = llm_ids.to_llm_model(protocol, self.composer.settings.model or self.model)
        if llm_model:
            data["model"] = llm_model
        else:  # llm reads a missing model as an error, an empty one as its default model
            data.pop("model", None)
        data["composer"]["api_model"] = self.model
        options = llm_ids.to_llm_options(protocol, self.model, self.prompt.options or {})
        if options:
            data["prompt"]["options"] = options
        else:
            data["prompt"].pop("options", None)
        for holder in (data["prompt"], data):
            if isinstance(holder.get("messages"), list):
                holder["messages"] = llm_shapes.to_llm(holder["messages"])
        if self.datetime_utc and not _has_offset(self.datetime_utc):
            data["datetime_utc"] = self.datetime_utc + "+00:00"
        return data


def _has_offset(stamp: str) -> bool:
    """True when an ISO 8601 time names its UTC offset (llm writes ``+00:00``)."""
    tail = stamp[10:]  # past the date, whose hyphens are not an offset
    return tail.endswith("Z") or "+" in tail or "-" in tail
