"""The fuzz suite: hostile input through every importer, stream parser and exporter.

    python -m tests.fuzz [--cases N] [--seed S] [--only TARGET] [--list] [--show K]

Runs N cases (default 10,000) per target and counts *unexpected* exceptions: anything an importer
raises other than a FormatError, anything a stream parser or the assembler raises at all (a
stream's problems are StreamError events), anything an exporter raises on a valid conversation.
It also checks that whatever was read can be written as UTF-8 (no lone surrogates). Exit status
1 when any target found one. ``tests/test_fuzz.py`` runs a few hundred cases of the same
generators in the normal test run.

Targets: ``import:auto`` (auto-detection) and ``import:<format>`` (each importable format asked
for by name), ``detect:<format>`` (each detector on what detection hands it),
``stream:<protocol>`` (the four wire protocols: framing, guarded parser, assembler, saving),
``reply:<protocol>`` (a whole non-streamed reply), ``error:<protocol>`` (an HTTP error body),
``models:<protocol>`` (a models list), ``export:<format>`` (a generated conversation exported,
then imported back by name). Seeds: exports of generated conversations,
the bundled examples, hand-written hostile cases and, when ../shared/recordings is present, the
recorded requests and streams; a seeded ``random.Random`` mutates them, so a run is repeatable.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from composer.models import files, formats
from composer.models.assembler import Assembler
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.events import StreamError
from composer.models.exchange import Exchange, ExchangeExtras
from composer.providers.base import Frame
from composer.providers.guard import open_parser
from composer.providers.presets import protocol_for
from composer.providers.sse import decoder_for
from tests.fuzz_cases import (
    RECORDINGS,
    _cassettes,
    binary_case,
    file_case,
    mutate_text,
    mutate_value,
    random_conversation,
    reply_seeds,
    stream_case,
)

PROTOCOLS = ("openai-chat", "openai-responses", "anthropic", "gemini")

# -- outcomes ---------------------------------------------------------------------------------


@dataclass
class Tally:
    target: str
    cases: int = 0
    expected: int = 0  # the clear error type
    unexpected: list[tuple[str, str]] = field(default_factory=list)  # (summary, input head)
    seconds: float = 0.0


def _utf8(conversation: Conversation) -> None:
    files.dumps(conversation).encode("utf-8")  # raises on a lone surrogate


def run_import(text: str, fmt: str | None) -> bool:
    """True when the import raised the clear error, False when it succeeded."""
    try:
        imported = formats.import_text(text, fmt, "fuzz")
    except FormatError:
        return True
    _utf8(imported.conversation)
    return False


def run_binary(data: bytes) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "logs.db"
        path.write_bytes(data)
        try:
            imported = formats.import_path(path)
        except FormatError:
            return True
    _utf8(imported.conversation)
    return False


# -- streams ----------------------------------------------------------------------------------


def run_stream(protocol: str, body: bytes, rng: random.Random) -> bool:
    """Bytes in random chunks through framing, parser and assembler; True if an error event."""
    proto = protocol_for(protocol)
    decoder = decoder_for(proto.framing)
    parser = open_parser(proto)
    assembler = Assembler()
    errored = False
    cuts = sorted(rng.randint(0, len(body)) for _ in range(rng.randint(0, 6)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    frames: list[Frame] = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    frames += decoder.close()
    for frame in frames:
        for event in parser.feed(frame):
            errored |= isinstance(event, StreamError)
            assembler.feed(event)
    for event in parser.close():
        errored |= isinstance(event, StreamError)
        assembler.feed(event)
    # What build_exchange makes of it, and what saving it does.
    exchange = Exchange(model=assembler.model or "", messages=[assembler.message()],
                        id=assembler.response_id, usage=assembler.usage_or_none(),
                        composer=ExchangeExtras(stop_reason=assembler.stop_reason,
                                                error=assembler.error_info()))
    files.dumps(exchange).encode("utf-8")
    assembler.notes()
    if parser.caught:  # the guard kept the stream going, but the parser itself raised
        raise parser.caught[0]
    return errored


def run_reply(protocol: str, rng: random.Random) -> bool:
    """A mutated whole reply through the protocol's ``parse_response`` and the assembler."""
    module = importlib.import_module(f"composer.providers.{protocol.replace('-', '_')}")
    data = mutate_value(rng.choice(reply_seeds(protocol)), rng, rng.randint(1, 4))
    assembler = Assembler()
    errored = False
    for event in module.parse_response(data):
        errored |= isinstance(event, StreamError)
        assembler.feed(event)
    files.dumps(Exchange(model=assembler.model or "", messages=[assembler.message()],
                         id=assembler.response_id)).encode("utf-8")
    return errored


def run_error(protocol: str, rng: random.Random) -> bool:
    """An HTTP error body (a mutated provider error, or damaged bytes) through ``parse_error``."""
    value = mutate_value({"error": {"type": "x", "message": "m", "code": 400,
                                    "status": "INVALID"}, "request_id": "r"}, rng)
    body = json.dumps(value).encode("utf-8", "surrogatepass")
    if rng.random() < 0.3:
        body = mutate_text(body.decode("utf-8", "replace"), rng).encode("utf-8", "surrogatepass")
    headers = rng.choice([{}, {"retry-after": rng.choice(["5", "-1", "soon", "1e400"])},
                          {"request-id": "\udc00"}])
    error = protocol_for(protocol).parse_error(rng.choice([400, 429, 500, 529]), body, headers)
    if not isinstance(error, StreamError):
        raise AssertionError(f"parse_error gave {error!r}")
    return True


def run_models(protocol: str, rng: random.Random) -> bool:
    try:
        ids = protocol_for(protocol).parse_models(mutate_value(
            {"data": [{"id": "a"}], "models": [{"name": "models/b"}], "object": "list"}, rng))
    except FormatError:
        return True
    if not all(isinstance(i, str) for i in ids):
        raise AssertionError(f"model ids {ids!r}")
    return False


# -- exporters --------------------------------------------------------------------------------


def run_export(fmt: formats.Format, conversation: Conversation) -> bool:
    exported = fmt.dump(conversation)  # type: ignore[misc]
    exported.text.encode("utf-8")
    if fmt.load is None:
        return False
    try:
        back = formats.import_text(exported.text, fmt.name, "fuzz")
    except FormatError:
        return True
    _utf8(back.conversation)
    if fmt.name == "composer" and back.conversation != conversation:
        raise AssertionError("the composer format did not round-trip")
    return False


# -- the run ----------------------------------------------------------------------------------


def targets() -> dict[str, Callable[[random.Random], bool]]:
    out: dict[str, Callable[[random.Random], bool]] = {
        "import:auto": lambda rng: run_import(file_case(rng), None)}
    for fmt in formats.importers():
        if fmt.input_kind == "binary":
            out[f"import:{fmt.name}"] = lambda rng: run_binary(binary_case(rng))
            continue
        out[f"import:{fmt.name}"] = lambda rng, f=fmt.name: run_import(file_case(rng, f), f)
        if fmt.detect is not None:
            out[f"detect:{fmt.name}"] = lambda rng, f=fmt: run_detect(file_case(rng, f.name), f)
    for protocol in PROTOCOLS:
        out[f"stream:{protocol}"] = lambda rng, p=protocol: run_stream(p, stream_case(p, rng),
                                                                      rng)
        out[f"reply:{protocol}"] = lambda rng, p=protocol: run_reply(p, rng)
        out[f"error:{protocol}"] = lambda rng, p=protocol: run_error(p, rng)
        out[f"models:{protocol}"] = lambda rng, p=protocol: run_models(p, rng)
    for fmt in formats.exporters():
        out[f"export:{fmt.name}"] = lambda rng, f=fmt: run_export(f, random_conversation(rng))
    return out


def run_detect(text: str, fmt: formats.Format) -> bool:
    """The detector on what detection gives it: the parsed value, or text that is not one JSON
    value (text detection refuses as too deep or too long never reaches a detector)."""
    try:
        _, value, _ = formats._parse(text, "fuzz")
    except FormatError:
        return True
    score = fmt.detect(value)  # type: ignore[misc]
    if not isinstance(score, int | float) or not 0 <= score <= 1:
        raise AssertionError(f"score {score!r}")
    return False


def run(cases: int, seed: int, only: list[str] | None = None,
        report: Callable[[Tally], None] | None = None) -> list[Tally]:
    tallies = []
    for name, case in targets().items():
        if only and not any(name == o or name.startswith(o + ":") or o == name.split(":")[0]
                            for o in only):
            continue
        tally = Tally(name)
        start = time.perf_counter()
        for i in range(cases):
            # One generator per case: case i of a target is the same on every run.
            rng = random.Random(f"{seed}:{name}:{i}")
            try:
                tally.expected += bool(case(rng))
            except Exception as exc:  # what the suite counts
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                where = f"{Path(frame.filename).name}:{frame.lineno}"
                tally.unexpected.append((f"{type(exc).__name__} at {where}: {exc}"[:300],
                                         f"case {i}"))
            tally.cases += 1
        tally.seconds = time.perf_counter() - start
        tallies.append(tally)
        if report is not None:
            report(tally)
    return tallies


def _print(tally: Tally, show: int) -> None:
    print(f"{tally.target:<26} {tally.cases:>7} cases {tally.seconds:7.1f} s  "
          f"{tally.expected:>6} clear errors  {len(tally.unexpected):>4} unexpected", flush=True)
    for summary, where in tally.unexpected[:show]:
        print(f"    {where}: {summary}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz",
        description="Fuzz every importer, detector, stream parser and exporter with hostile "
                    "input; count unexpected exceptions (must be 0). Exit 1 when any is found.")
    parser.add_argument("--cases", type=int, default=10_000, help="cases per target (10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0); a run repeats")
    parser.add_argument("--only", action="append", metavar="TARGET",
                        help="run only this target or group (import, detect, stream, reply, "
                             "error, models, export, or a name from --list); repeatable")
    parser.add_argument("--show", type=int, default=5, help="unexpected cases shown per target")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(targets()))
        return 0
    print(f"recordings: {'used' if _cassettes() else 'absent'} ({RECORDINGS})")
    start = time.perf_counter()
    tallies = run(args.cases, args.seed, args.only, lambda t: _print(t, args.show))
    bad = sum(len(t.unexpected) for t in tallies)
    total = sum(t.cases for t in tallies)
    print(f"total: {total} cases over {len(tallies)} targets in "
          f"{time.perf_counter() - start:.0f} s, {bad} unexpected exception(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

