"""The transport: one request, sent with httpx streaming, its body framed and parsed into events.

The only I/O in the provider layer. A ``Call`` builds its ``HttpRequest`` when made (so a refusal
comes before anything is sent) and runs once through ``events()``:

- the status is checked before the body is read; a non-2xx becomes one StreamError from the
  protocol's ``parse_error``;
- 408/409/429/5xx/529 and connect failures are retried with exponential backoff, honouring
  ``retry-after-ms``/``retry-after``/``x-should-retry``, only before the first body byte (each
  retry is announced with a ``Retrying`` event before the sleep);
- a stall longer than the read timeout, a dropped connection, or a body that ends before the
  protocol's terminal event end the stream with a StreamError, and the parts so far stay;
- cancelling the task closes the connection at once.

``run_call`` drives a call through an Assembler and returns the llm-shaped ``Exchange``;
``build_exchange`` makes that Exchange from any call and assembler (the GUI calls it too).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing
from datetime import UTC, datetime
from itertools import repeat
from operator import add

import httpx

from composer.models import structured
from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.models.events import (
    ReasoningDelta,
    Retrying,
    StreamError,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
)
from composer.models.exchange import (
    ErrorInfo,
    Exchange,
    ExchangeExtras,
    LogEntry,
    Prompt,
    Timing,
)
from composer.models.jsontext import replaced_note
from composer.models.settings import split_url_secrets
from composer.providers import llm_plugin, pace, replay
from composer.providers.base import (
    Frame,
    HttpRequest,
    RequestRefused,
    WireProtocol,
)
from composer.providers.call_config import CallConfig
from composer.providers.guard import GuardedParser, open_parser
from composer.providers.headers import retry_after
from composer.providers.http import (
    KeyRedirectRefused,
    fetch,
    new_client,
    open_response,
    timeout_for,
)
from composer.providers.keys import missing_key_message
from composer.providers.presets import Preset, UnknownProvider, needs_key, protocol_for, resolve
from composer.providers.sse import decoder_for
from composer.providers.threads import in_thread

_FIRST_TOKEN = (TextDelta, ReasoningDelta, ToolCallStart, ToolCallDelta)
SLICE_GROUP = 32  # frames parsed between two looks at the clock


def _logged(frames: Sequence[Frame], t: float) -> Iterator[LogEntry]:
    """``frames`` as the log keeps them, each ``(t, data, event, None)``: made in C (a frame
    is the tuple ``(data, event)``), not by NamedTuple's ``__new__`` in Python."""
    return map(tuple.__new__, repeat(LogEntry),
               map(add, repeat((t,)), map(add, frames, repeat((None,)))))


class CallFailed(ComposerError):
    """A non-streaming request (the model list) failed; carries the StreamError."""

    def __init__(self, error: StreamError):
        self.error = error
        super().__init__(describe_error(error))


def describe_error(error: StreamError | ErrorInfo) -> str:
    """One line: ``429 rate_limit_error: Too many requests (request req_123)``."""
    prefix = " ".join(str(x) for x in (error.status, error.provider_type) if x)
    message = " ".join(error.message.split())
    # Protocols word their messages differently; drop a lead that repeats the prefix.
    rest = message
    if error.status:
        for lead in (f"HTTP {error.status}", str(error.status)):
            if rest.startswith(lead):
                rest = rest[len(lead):].lstrip()
                break
    if error.provider_type and rest.startswith(error.provider_type):
        rest = rest[len(error.provider_type):]
    rest = rest.lstrip(":").strip()
    if not prefix:
        line = message
    else:
        line = f"{prefix}: {rest}" if rest else prefix
    if error.request_id and error.request_id not in line:
        line += f" (request {error.request_id})"
    return line


def should_retry(status: int, headers: httpx.Headers) -> bool:
    verdict = headers.get("x-should-retry", "").strip().lower()
    if verdict == "true":
        return True
    if verdict == "false":
        return False
    return status in (408, 409, 429) or status >= 500


def retry_delay(attempt: int, config: CallConfig, asked: float | None) -> float:
    """Seconds before retry number ``attempt + 1``."""
    if asked is not None and 0 <= asked <= config.retry_after_max:
        return asked
    backoff = min(config.backoff_base * 2 ** attempt, config.backoff_max)
    return backoff * (1 - 0.25 * random.random())


def safe_url(url: str) -> str:
    """The URL without a key in its query string (or a password in it), for saving and showing."""
    return split_url_secrets(url)[0]


def _now_utc() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


class _Retry(Exception):
    def __init__(self, error: StreamError, asked: float | None):
        self.error = error
        self.asked = asked


class Call:
    """One request and its stream. Raises RequestRefused when made if it cannot be sent."""

    def __init__(self, conversation: Conversation, *, api_key: str | None = None,
                 client: httpx.AsyncClient | None = None, config: CallConfig | None = None,
                 protocol: WireProtocol | None = None):
        """``protocol`` overrides the preset's (a protocol under development, a test dialect)."""
        self.conversation = conversation
        self.settings = conversation.settings
        self.config = config or CallConfig()
        self._client = client
        self._api_key = api_key  # only to cut it out of an error that echoes it
        try:
            self.preset: Preset = resolve(self.settings.provider)
        except UnknownProvider as exc:
            raise RequestRefused(str(exc), field_name="provider") from None
        self.status: int | None = None
        self.log: list[LogEntry] = []
        self.timing = Timing()
        self.parser: GuardedParser | None = None
        self._t0 = 0.0
        self._started = False
        self._replay: replay.ReplaySource | None = None
        self._via_llm = False
        if self.preset.protocol == "replay":
            self._replay = replay.open_source(self.settings.base_url)
            self.protocol: WireProtocol = self._replay.protocol
            self.protocol_name = self._replay.protocol_name
            self.base_url = self._replay.location
            self.request = HttpRequest("REPLAY", self._replay.location)
            return
        self._via_llm = self.preset.protocol == llm_plugin.NAME
        if self._via_llm:  # llm sends: no URL, no key of ours, no wire protocol
            if not self.settings.model:
                raise RequestRefused("choose one of llm's models", field_name="model")
            self.protocol_name = self.base_url = llm_plugin.NAME
            self.request = HttpRequest("LLM", f"llm:{self.settings.model}")
            return
        self.protocol_name = (protocol.name if protocol else None) or self.preset.protocol
        self.base_url = _check_target(self.preset, self.settings.base_url, api_key)
        try:
            self.protocol = protocol or protocol_for(self.preset.protocol)
        except ImportError as exc:
            raise RequestRefused(f"the {self.preset.protocol} protocol is not available: {exc}",
                                 field_name="provider") from None
        # build_request adds settings.headers itself: the inspector shows the same request.
        self.request = self.protocol.build_request(conversation, base_url=self.base_url,
                                                   api_key=api_key)

    # -- the stream ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return safe_url(self.request.url)

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self._t0) * 1000, 1)

    async def events(self) -> AsyncIterator[StreamEvent]:
        """The stream's events, from send to end, one by one. Runs once."""
        async with aclosing(self.batches()) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """The stream's events, from send to end, as they came: one list per network read
        (a fast stream's read holds hundreds; one hop per read, not per event). Runs once."""
        if self._started:
            raise RuntimeError("a Call runs once; make a new one to send again")
        self._started = True
        self._t0 = time.monotonic()
        self.timing.started_utc = _now_utc()
        try:
            if self._replay is not None:
                async for event in self._replay_events(self._replay):
                    yield [event]
                return
            if self._via_llm:
                async for event in llm_plugin.events(self.conversation):
                    if self.timing.first_token_ms is None and isinstance(event, _FIRST_TOKEN):
                        self.timing.first_token_ms = self.elapsed_ms()
                    yield [event]
                return
            client = self._client or new_client()
            try:
                async for batch in self._http_batches(client):
                    yield batch
            finally:
                if client is not self._client:
                    await client.aclose()
        finally:
            self.timing.total_ms = self.elapsed_ms()

    async def _http_batches(self, client: httpx.AsyncClient
                            ) -> AsyncIterator[list[StreamEvent]]:
        attempt = 0
        while True:
            try:
                async for batch in self._attempt(client):
                    yield batch
                return
            except _Retry as retry:
                if attempt >= self.config.retries:
                    yield [retry.error]
                    return
                delay = retry_delay(attempt, self.config, retry.asked)
                attempt += 1
                yield [Retrying(delay=delay, attempt=attempt, of=self.config.retries,
                                reason=describe_error(retry.error))]
                await asyncio.sleep(delay)

    async def _attempt(self, client: httpx.AsyncClient
                       ) -> AsyncIterator[list[StreamEvent]]:
        req = self.request
        host = httpx.URL(req.url).host
        body_started = False
        chunks = None
        try:
            async with open_response(client, req, timeout_for(self.config)) as response:
                self.status = response.status_code
                if not 200 <= response.status_code < 300:
                    yield [await self._status_error(response)]
                    return
                decoder = decoder_for(self.protocol.framing)
                parser = self._open_parser(self.protocol)
                last_turn = time.monotonic()
                with pace.reading():  # (slices are shorter while several streams are read)
                    chunks = response.aiter_bytes()
                    async for chunk in chunks:
                        if not chunk:
                            continue
                        if not body_started:
                            body_started = True
                            self.timing.first_byte_ms = self.elapsed_ms()
                        # Bytes that already arrived are read without awaiting the socket: a read
                        # of a fast stream holds thousands of events. They go in slices of a few
                        # milliseconds, with a turn of the loop (or the window's pace) after each,
                        # or a fast stream starves the window's painting. Each event is logged
                        # at the time its read arrived.
                        t = round(time.monotonic() - self._t0, 4)
                        frames = decoder.feed(chunk)
                        done = 0
                        while done < len(frames):
                            batch, done = self._parse_slice(parser, frames, done, t)
                            if batch:
                                yield batch
                            if pace.due(last_turn):
                                await pace.turn()
                                last_turn = time.monotonic()
                batch = [event for frame in decoder.close()
                         for event in self._parse(parser, frame)]
                batch.extend(parser.close())
                if batch:
                    yield batch
        except KeyRedirectRefused as exc:
            yield [StreamError(str(exc), kind="refused", status=exc.status)]
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            kind = "timeout" if isinstance(exc, httpx.ConnectTimeout) else "network"
            what = (f"no connection to {host} within {self.config.connect_timeout:g} s"
                    if kind == "timeout" else f"cannot connect to {host}: {_reason(exc)}")
            raise _Retry(StreamError(what, kind=kind), None) from None
        except httpx.ReadTimeout:
            yield [StreamError(f"no data from {host} for {self.config.read_timeout:g} s "
                               "(read timeout)", kind="timeout")]
        except httpx.TimeoutException as exc:
            yield [StreamError(f"{host}: {type(exc).__name__}", kind="timeout")]
        except (httpx.RemoteProtocolError, httpx.NetworkError) as exc:
            error = StreamError(f"connection to {host} lost: {_reason(exc)}", kind="network")
            if not body_started and (self.status is None or 200 <= self.status < 300):
                raise _Retry(error, None) from None
            yield [error]
        except httpx.DecodingError as exc:
            yield [StreamError(f"cannot decode the response from {host}: {_reason(exc)}",
                               kind="network")]
        except httpx.LocalProtocolError as exc:
            yield [StreamError(f"the request to {host} is malformed: {_reason(exc)}",
                               kind="refused")]
        except httpx.HTTPError as exc:
            yield [StreamError(f"{host}: {_reason(exc)}", kind="network")]
        finally:
            # Closed here, in this task, once the response is: a Stop while a burst is parsed
            # leaves httpx's byte generators waiting at a yield, and dropped there they were
            # closed by the garbage collector outside any task (the window's qasync loop sets
            # no asyncgen hooks), which cannot close a response: "async generator ignored
            # GeneratorExit".
            if chunks is not None:
                await chunks.aclose()

    async def _status_error(self, response: httpx.Response) -> StreamError:
        """The error a non-2xx response reads as; raises _Retry when it is worth another try."""
        raw = await response.aread()
        error = read_error(self.protocol, response.status_code, raw, response.headers,
                           self._api_key)
        if should_retry(response.status_code, response.headers):
            asked = retry_after(response.headers)
            raise _Retry(error, asked if asked is not None else error.retry_after)
        return error

    def _open_parser(self, protocol: WireProtocol) -> GuardedParser:
        """The protocol's parser inside the guard (nothing escapes it, text is valid Unicode);
        the last one's count of replaced characters goes into the exchange's notes."""
        self.parser = open_parser(protocol)
        return self.parser

    def _parse_slice(self, parser: GuardedParser, frames: list[Frame], start: int, t: float
                     ) -> tuple[list[StreamEvent], int]:
        """The events of ``frames`` from ``start`` on, as many as ``pace.SLICE`` of work gives
        (one group of frames at least), and where the next slice starts; ``t`` is when they
        arrived (each is logged with it)."""
        deadline = time.monotonic() + pace.slice_seconds()
        batch: list[StreamEvent] = []
        i = start
        while i < len(frames):
            group = frames[i:i + SLICE_GROUP]
            batch += self._parse_frames(parser, group, t)
            i += len(group)
            if time.monotonic() >= deadline:
                break
        return (parser.joined(batch) if len(batch) > 1 else batch), i

    def _parse_frames(self, parser: GuardedParser, frames: Sequence[Frame], t: float
                      ) -> list[StreamEvent]:
        self.log += _logged(frames, t)
        events = parser.feed_frames(frames)
        if self.timing.first_token_ms is None and any(isinstance(e, _FIRST_TOKEN)
                                                       for e in events):
            self.timing.first_token_ms = self.elapsed_ms()
        return events

    def _parse(self, parser: GuardedParser, frame: Frame, t: float | None = None
               ) -> list[StreamEvent]:
        return self._parse_frames(parser, (frame,), round(time.monotonic() - self._t0, 4)
                                  if t is None else t)

    async def _replay_events(self, source: replay.ReplaySource) -> AsyncIterator[StreamEvent]:
        speed = self.config.replay_speed
        if speed is None:
            # The replay's own field (``send -o speed 0``), else the option files have kept.
            option = self.settings.extra_body.get("speed", self.settings.options.get("speed"))
            speed = float(option) if isinstance(option, int | float) else 1.0
        parser = self._open_parser(source.protocol)
        self.status = source.exchange.composer.status
        self.timing.first_byte_ms = 0.0
        async for entry in replay.paced(source.entries, speed):
            # The replayed log keeps the recorded times, so a replay of a replay paces the same.
            for event in self._parse(parser, Frame(data=entry.data, event=entry.event), entry.t):
                yield event
        for event in parser.close():
            yield event


def _check_target(preset: Preset, base_url: str | None, api_key: str | None) -> str:
    """The base URL to send to (``base_url`` or the preset's own). Raises RequestRefused when it
    is not an http(s) URL, or when it is a hosted preset's own URL and there is no key."""
    base = (base_url or preset.base_url).strip()
    if not base:
        raise RequestRefused(f"{preset.title} needs a base URL", field_name="base URL")
    try:
        parsed = httpx.URL(base)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise RequestRefused(f"base URL {base!r} is not an http(s) URL", field_name="base URL")
    if needs_key(preset) and not api_key and base.rstrip("/") == preset.base_url.rstrip("/"):
        raise RequestRefused(missing_key_message(preset), field_name="API key")
    return base


def read_error(protocol: WireProtocol, status: int, body: bytes, headers: httpx.Headers,
                 api_key: str | None = None) -> StreamError:
    """The protocol's reading of a non-2xx response, always with its status. A server that
    echoes the key back ("invalid key sk-...") has it cut out: errors are shown and saved."""
    try:
        error = protocol.parse_error(status, body, dict(headers))
    except Exception as exc:  # a protocol bug must still give the user one line
        text = body.decode("utf-8", errors="replace").strip()
        error = StreamError(f"HTTP {status}: {text[:300] or exc}", kind="http",
                            status=status, body=text or None)
    if error.status is None:
        error = error.model_copy(update={"status": status})
    if api_key and (api_key in error.message or api_key in (error.body or "")):
        error = error.model_copy(update={
            "message": error.message.replace(api_key, "<your key>"),
            "body": error.body.replace(api_key, "<your key>") if error.body else None})
    return error


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


# -- driving a call to its Exchange ----------------------------------------------------------

OnEvent = Callable[[StreamEvent, int | None], None]


async def run_call(call: Call, assembler: Assembler | None = None,
                   on_event: OnEvent | None = None, *, reraise_cancel: bool = False) -> Exchange:
    """Run ``call`` to its end through ``assembler``; return the Exchange.

    ``on_event(event, part_index)`` sees every event as it is applied. Cancelling the task
    feeds a StreamError(kind="cancelled") and returns the partial Exchange, or re-raises the
    CancelledError after that when ``reraise_cancel`` is set.
    """
    assembler = assembler if assembler is not None else Assembler()
    try:
        async with aclosing(call.batches()) as batches:
            async for batch in batches:
                for event in batch:
                    index = assembler.feed(event)
                    if on_event is not None:
                        on_event(event, index)
    except asyncio.CancelledError:
        cancelled = StreamError("cancelled by the user", kind="cancelled")
        index = assembler.feed(cancelled)
        if on_event is not None:
            on_event(cancelled, index)
        if reraise_cancel:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    return build_exchange(call, assembler)


def build_exchange(call: Call, assembler: Assembler) -> Exchange:
    """The llm-shaped Exchange for a call and what its assembler holds so far."""
    settings = call.settings.model_copy(deep=True)
    reply = assembler.message()
    model = assembler.model or settings.model
    if not model and call._replay is not None:
        model = call._replay.exchange.model
    extras = ExchangeExtras(
        settings=settings,
        protocol=call.protocol_name,
        url=call.url,
        status=call.status,
        stop_reason=assembler.stop_reason,
        error=assembler.error_info(),
        timing=call.timing.model_copy(),
    )
    # The log's own entries, as they are (assigned, not validated: a long reply logs 100,000).
    extras.events = list(call.log)
    text, error = assembler.reply_text(), assembler.error
    if settings.response_schema is not None and (text or error is None):
        # A request that failed before any reply has nothing to judge.
        extras.schema_verdict = structured.verdict(
            settings.response_schema, text, stop_reason=assembler.stop_reason,
            error_kind=error.kind if error is not None else None)
    notes = [*call.request.notes, *assembler.notes()]
    if call.parser is not None and call.parser.replaced:
        notes.append(f"reply: {replaced_note(call.parser.replaced)}")
    if notes:
        extras.notes = notes  # type: ignore[attr-defined]  # extra="allow"
    return Exchange(
        model=model,
        # The messages as sent: no edit changes a message (it replaces it), so the exchange
        # shares them (a deep copy of 10,000 held the window ~300 ms at the end of each reply).
        prompt=Prompt(messages=list(call.conversation.messages),
                      options=dict(settings.options) or None),
        messages=[reply] if reply.parts or reply.provider_metadata else [],
        id=assembler.response_id,
        usage=assembler.usage_or_none(),
        datetime_utc=call.timing.started_utc or _now_utc(),
        composer=extras,
    )


# -- the model list ---------------------------------------------------------------------------

async def list_models(preset: Preset | str, *, base_url: str | None = None,
                      api_key: str | None = None, client: httpx.AsyncClient | None = None,
                      config: CallConfig | None = None) -> list[str]:
    """The model ids a provider offers. Raises RequestRefused or CallFailed (one line each)."""
    try:
        p = resolve(preset) if isinstance(preset, str) else preset
        if p.protocol == llm_plugin.NAME:
            return await in_thread(llm_plugin.list_models)  # plugins load slowly
        protocol = protocol_for(p.protocol)
    except (UnknownProvider, ImportError) as exc:
        raise RequestRefused(str(exc), field_name="provider") from None
    if isinstance(protocol, replay.ReplayProtocol):
        return protocol.list_models(base_url)
    base = _check_target(p, base_url, api_key)
    request = protocol.models_request(base_url=base, api_key=api_key)
    c = config or CallConfig()
    timeout = timeout_for(c, read=min(c.read_timeout, 60.0))
    own = client is None
    client = client or new_client()
    host = httpx.URL(request.url).host
    try:
        response = await fetch(client, request, timeout)
    except KeyRedirectRefused as exc:
        raise CallFailed(StreamError(str(exc), kind="refused", status=exc.status)) from None
    except httpx.TimeoutException:
        raise CallFailed(StreamError(f"no answer from {host}", kind="timeout")) from None
    except httpx.HTTPError as exc:
        raise CallFailed(StreamError(f"cannot reach {host}: {_reason(exc)}",
                                     kind="network")) from None
    finally:
        if own:
            await client.aclose()
    if not 200 <= response.status_code < 300:
        raise CallFailed(read_error(protocol, response.status_code, response.content,
                                      response.headers, api_key))
    try:
        return protocol.parse_models(response.json())
    except Exception as exc:
        raise CallFailed(StreamError(f"{host} sent a model list Composer cannot read: "
                                     f"{type(exc).__name__}: {exc}", kind="provider")) from None
