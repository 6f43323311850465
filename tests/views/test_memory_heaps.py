"""What a worker thread frees goes back to the system once the heaps are kept trimmed
(views/memory.py): with glibc's moving thresholds, freeing a big block (a file's bytes) made a
thread's heap keep everything freed at its top, resident, where malloc_trim does not reach."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import os, sys, threading
    from composer.views import memory

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    if sys.argv[1] == "kept":
        memory.keep_heaps_trimmed()
    big = bytearray(30_000_000)  # a file's bytes: freed, they raise glibc's moving thresholds
    big[::4096] = b"x" * len(big[::4096])
    del big

    def work():  # an autosave's pieces: 24 MB made and freed on a worker thread
        held = [bytearray(b"y" * 300_000) for _ in range(80)]
        del held

    before = rss()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    memory.give_back_freed()
    print((rss() - before) / 1e6)
""")


def _kept_mb(mode: str) -> float:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    # Said whole when it fails.
    assert done.returncode == 0 and done.stdout.strip(), (done.returncode, done.stdout,
                                                         done.stderr)
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_what_a_thread_frees_goes_back_once_the_heaps_are_kept_trimmed():
    kept = _kept_mb("kept")
    assert kept < 4, kept
    # The control shows the trap is real: by default the thread's heap keeps what it freed.
    # On a loaded machine glibc now and then returns it anyway (once in CI; here once in 2,800
    # runs, 8 at a time), so the control, never the claim, gets three tries.
    defaults = []
    while len(defaults) < 3 and not any(mb > 12 for mb in defaults):
        defaults.append(_kept_mb("default"))
    assert any(mb > 12 for mb in defaults), defaults
