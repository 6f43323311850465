"""The test-run runner's own overhead per cell: a suite run against a loopback server that
answers at once (a recorded-shape OpenAI Chat stream, written in one piece), compared with the
same number of bare ``run_call``s on one client — the floor any runner pays for HTTP, parsing
and assembling. What is left is the runner's: lanes, judging the checks, writing the cell file
(atomic, fsync'd, in a worker thread), events and the manifest.

The figure is CPU time (this process, every thread): on a shared machine the wall time of a
15 ms call swings by more than the whole overhead from one run to the next, CPU time far less.
The wall times are printed beside it.

    python -m benchmarks.bench_runner [CELLS]
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from composer.providers.http import new_client

CHUNKS = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"choices": [{"index": 0, "delta": {"content": "Olá! "}}]},
    {"choices": [{"index": 0, "delta": {"content": "Tudo bem?"}}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 4}},
]
BODY = ("".join(f"data: {json.dumps({'id': 'c1', 'model': 'gpt-4o', **c})}\n\n"
                for c in CHUNKS) + "data: [DONE]\n\n").encode()


class _Instant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        # Status, headers and body in one write: no Nagle/delayed-ACK wait between them.
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))


def serve() -> None:
    """The server, in its own process (a server in the measuring process would share its GIL
    with the runner's threads): prints its port, serves until stdin closes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Instant)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_runner", "--serve"],
                            cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/v1"


def stop_server(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=10)


@dataclass
class Result:
    cells: int
    floor_ms: float  # CPU per bare call
    run_ms: float  # CPU per cell through the runner
    floor_wall_ms: float
    run_wall_ms: float

    @property
    def overhead_ms(self) -> float:
        return self.run_ms - self.floor_ms


def _suite(base_url: str, cells: int, targets: int = 1):
    from composer.run.testrun.suite import suite_from_data

    cases = [{"id": f"c{i}", "lang": f"Language {i}"} for i in range(cells // targets)]
    data = {"name": "bench", "conversation": {"messages": [{"role": "user", "parts": [
        {"type": "text", "text": "Say hi in {{lang}}"}]}]}, "cases": cases,
        "targets": [f"custom:gpt-4o,base_url={base_url},label=t{t}" for t in range(targets)],
        "checks": [{"kind": "contains", "value": "Olá"}, {"kind": "stop-reason", "value": "stop"},
                   {"kind": "regex", "pattern": r"Tudo\s+bem"},
                   {"kind": "latency", "under_ms": 10000}]}
    from composer.run.testrun.suite import _Reader

    return suite_from_data(data, _Reader(None, "bench", False, "--allow-paths"))


async def _floor(suite, count: int) -> float:

    from composer.providers.transport import Call, run_call

    conversation = suite.cell_conversation(suite.targets[0], suite.cases[0])
    async with new_client() as client:
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(count):
            await run_call(Call(conversation, client=client))
        return time.perf_counter() - t0, time.process_time() - c0


def _through_runner(suite, cells: int) -> tuple[float, float]:
    from composer.run.prepare import prepare_call
    from composer.run.testrun.runner import Runner

    with tempfile.TemporaryDirectory() as folder:
        runner = Runner(suite, Path(folder) / "run",
                        lambda conv, client: prepare_call(conv, client=client).call)
        t0, c0 = time.perf_counter(), time.process_time()
        summary = asyncio.run(runner.run())
        took = time.perf_counter() - t0, time.process_time() - c0
        assert summary.counts()["pass"] == cells, summary.counts()
    return took


def run(cells: int = 300, rounds: int = 3) -> Result:
    """The best of ``rounds`` alternating runs of each (a shared machine's noise hits both)."""
    server, url = start_server()
    try:
        suite = _suite(url, cells)
        asyncio.run(_floor(suite, 10))  # warm up: first-use imports are not the run's cost
        floors, runs = [], []
        for _ in range(rounds):
            floors.append(asyncio.run(_floor(suite, cells)))
            runs.append(_through_runner(suite, cells))
    finally:
        stop_server(server)
    per = 1000 / cells
    return Result(cells, min(c for _, c in floors) * per, min(c for _, c in runs) * per,
                  min(w for w, _ in floors) * per, min(w for w, _ in runs) * per)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
        sys.exit(0)
    r = run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print(f"{r.cells} cells, CPU per cell: bare call {r.floor_ms:.2f} ms, through the runner "
          f"{r.run_ms:.2f} ms: the runner's own overhead {r.overhead_ms:.2f} ms per cell "
          f"(wall: {r.floor_wall_ms:.2f} ms, {r.run_wall_ms:.2f} ms)")
