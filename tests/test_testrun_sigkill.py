"""``llm-composer run`` killed with SIGKILL at random moments, then resumed, again and again:
after every kill every file in the run folder parses (never a torn file), and the servers count
that no cell whose file was there before a resume is sent again by it; the last resume finishes
the run, having lost at most the calls in flight at each kill, and leaves no temp file. Each
run is a process of its own, forked from one that imported Composer once (tests/forked_cli.py).

Seeded by COMPOSER_SIGKILL_SEED (printed); COMPOSER_RUN_KILLS rounds (default 3)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
from pathlib import Path

from composer.run.testrun.summary import load_run
from tests import cassettes, forked_cli
from tests.conftest import ROOT, recordings_or_skip
from tests.loopback import LoopbackServer, Reply

KILLS = int(os.environ.get("COMPOSER_RUN_KILLS", "3"))
SEED = int(os.environ.get("COMPOSER_SIGKILL_SEED", str(int(time.time()))))
LANGS = [f"Language{n:02d}" for n in range(1, 9)]
RECORDINGS = {"openai": "TestOpenAICommon/openai-gpt-4o/simple_streaming.yaml",
              "anthropic": "TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml"}


def _suite(folder: Path, servers: dict[str, LoopbackServer]) -> Path:
    suite = {
        "name": "kill",
        "conversation": {"messages": [{"role": "user", "parts": [
            {"type": "text", "text": "Say hi in {{lang}}"}]}]},
        "cases": [{"id": lang.lower(), "lang": lang} for lang in LANGS],
        "targets": [f"openai-chat:gpt-4o,base_url={servers['openai'].url}/v1",
                    f"anthropic:claude-sonnet-4-20250514,base_url={servers['anthropic'].url}"],
        "checks": [{"kind": "contains", "value": "Olá"}],
    }
    path = folder / "kill.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path


def _sent(server: LoopbackServer, start: int) -> tuple[list[str], int]:
    """The cases of the requests that reached the server whole, and how many were cut: a kill
    between a request's headers and its body leaves the server a short (often empty) body."""
    out, cut = [], 0
    for received in server.received[start:]:
        length = int(received.headers.get("Content-Length") or 0)
        if len(received.body) < length:
            cut += 1
            continue
        text = json.dumps(received.json)
        out.append(next(lang.lower() for lang in LANGS if f"Say hi in {lang}" in text))
    return out, cut


def _finished(out: Path) -> set[tuple[str, str]]:
    """(target folder, case) of every cell file; each must parse (a torn file fails here)."""
    found = set()
    for path in (out / "cells").rglob("*.json") if (out / "cells").exists() else []:
        json.loads(path.read_text(encoding="utf-8"))
        target = {"t1": "openai", "t2": "anthropic"}[path.parent.name.split("-")[0]]
        found.add((target, path.name.split(".")[0].split("-", 1)[1]))
    return found


def _queue(servers: dict[str, LoopbackServer], delay: float) -> None:
    """Each server's replies from now on: its recording, ``delay`` s before each chunk."""
    for name, server in servers.items():
        body = cassettes.load(recordings_or_skip() / RECORDINGS[name]).interactions[0]
        server.replies.clear()
        server.queue(*[Reply.sse(body.response_body, delay=delay) for _ in range(200)])


def test_sigkill_at_any_moment_never_tears_a_file_and_resume_never_resends_a_finished_cell(
        tmp_path):
    print(f"COMPOSER_SIGKILL_SEED={SEED}")
    rng = random.Random(SEED)
    servers = {name: LoopbackServer().start() for name in RECORDINGS}
    # A slow drip: each call takes a while, so kills land with calls in flight.
    _queue(servers, delay=0.01)
    suite = _suite(tmp_path, servers)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "k",
           "ANTHROPIC_API_KEY": "k", "COMPOSER_USER_DIR": str(tmp_path / "user")}
    err = tmp_path / "child.err"
    kills = lost = 0
    try:
        for round_ in range(KILLS + 1):
            before = _finished(out)
            starts = {name: len(s.received) for name, s in servers.items()}
            if round_ == KILLS:  # the last resume is not killed: it may go at full speed
                _queue(servers, delay=0.0)
            child = forked_cli.start(["run", str(suite), "--out", str(out), "--trust-base-url",
                                      *(["--resume"] if round_ else [])],
                                     env=env, cwd=ROOT, stderr=err)
            if round_ < KILLS:
                # Start-up takes a while on a loaded machine: kill once calls are going out,
                # at a random moment after that (or now and then during start-up).
                deadline = time.time() + 60 if rng.random() > 0.2 else 0
                while (child.is_alive() and time.time() < deadline
                       and sum(len(s.received) for s in servers.values()) == sum(
                           starts.values())):
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.5))
                child.kill()
                kills += 1
            child.join(timeout=120)
            assert child.exitcode in (-signal.SIGKILL, 0), err.read_text()[-2000:]
            for server in servers.values():  # what the child sent is all in ``received``
                server.settle()
            after = _finished(out)  # every file parses
            print(f"round {round_}: {len(before)} -> {len(after)} cells")
            for name, server in servers.items():
                sent, cut = _sent(server, starts[name])
                lost += cut
                again = [case for case in sent if (name, case) in before]
                assert not again, f"round {round_}: {name} sent finished cells {again} again"
                assert len(sent) == len(set(sent)), f"round {round_}: {name} sent {sent}"
                done_now = {c for t, c in after if t == name}
                lost += len([c for c in sent if c not in done_now])
            if round_ == KILLS - 1:
                # A killed write's temp file (its owner is dead): ignored, then removed.
                cell_dir = next((out / "cells").iterdir(), None) if (out / "cells").exists() \
                    else None
                if cell_dir is not None:
                    (cell_dir / f".c001-language01.r1.json.{child.pid}-abcdefgh.tmp").write_text(
                        '{"composer": {"kind": "exch')
    finally:
        for server in servers.values():
            server.stop()
    summary = load_run(out)
    assert summary.counts() == {"pass": 16, "fail": 0, "error": 0, "pending": 0}
    assert not [p for p in out.rglob("*.tmp")]
    total = sum(len(s.received) for s in servers.values())
    print(f"\nSIGKILL (seed {SEED}): {kills} kills, {total} calls for 16 cells, {lost} lost "
          "in flight")
    # At most one call a server per kill: the one in flight (the runner writes a cell's file
    # before it lets the next call to that server go).
    assert total == 16 + lost and lost <= len(servers) * kills


def test_ctrl_c_keeps_the_finished_cells_says_how_to_go_on_and_exits_130(tmp_path):
    server = LoopbackServer().start()
    body = cassettes.load(recordings_or_skip() / RECORDINGS["openai"]).interactions[0]
    # Three calls go through; the fourth and later are held until the child has exited, so the
    # Ctrl-C comes while one is on its way, with five cells not done.
    go_on = threading.Event()
    server.queue(*[Reply.sse(body.response_body) for _ in range(3)],
                 *[Reply.sse(body.response_body, stall_before=0, stall=60, until=go_on)
                   for _ in range(17)])
    servers = {"openai": server, "anthropic": server}
    suite = _suite(tmp_path, servers)
    data = json.loads(suite.read_text())
    data["targets"] = data["targets"][:1]
    suite.write_text(json.dumps(data))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "k",
           "COMPOSER_USER_DIR": str(tmp_path / "user")}
    out = tmp_path / "out"
    try:
        child = forked_cli.start(["run", str(suite), "--out", str(out), "--trust-base-url"],
                                 env=env, cwd=ROOT, stderr=tmp_path / "child.err")
        deadline = time.time() + 60
        while len(server.received) < 4 and time.time() < deadline and child.is_alive():
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGINT)
        child.join(timeout=60)
    finally:
        go_on.set()
        server.stop()
    err = (tmp_path / "child.err").read_text()
    assert child.exitcode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert re.fullmatch(r"llm-composer: interrupted: \d cell\(s\) not done; llm-composer run "
                        r"\S+ --out \S+ --resume goes on", last), last
    summary = load_run(out)
    assert summary.counts()["pass"] == len(_finished(out)) >= 2
    assert json.loads((out / "run.json").read_text())["counts"] == summary.counts()
