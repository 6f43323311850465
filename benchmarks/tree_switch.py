"""A conversation of many branches in the window: opening its file (read, parse, the table and
the branches panel shown) and switching from branch to branch (the table committed, the rows
replaced, the panel rebuilt), worst and 95th percentile.

    QT_QPA_PLATFORM=offscreen python -m benchmarks.tree_switch [NODES]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

TEXT = ("The quick brown fox jumps over the lazy dog while the model explains, at length, why "
        "the sky looks blue at noon and red at dusk. ") * 4
DEPTH = 100  # rows per branch
OPENS = 3


def build(nodes: int):
    """A conversation with a tree of about ``nodes`` nodes: one DEPTH-row path, then branches
    forking at rows spread along it until the tree is that big."""
    from composer.models.conversation import Conversation
    from composer.models.parts import Message
    from composer.models.tree import Tree

    def message(row: int, branch: int) -> Message:
        role = "user" if row % 2 == 0 else "assistant"
        return Message.text(role, f"branch {branch}, row {row}: {TEXT}")

    rows = [message(r, 0) for r in range(min(DEPTH, nodes))]
    tree = Tree.linear(rows)
    branch = 0
    while len(tree) < nodes:
        branch += 1
        fork = (branch * 37) % max(1, len(rows) - 1)
        length = min(len(rows), fork + nodes - len(tree))
        tree, _ = tree.commit([*rows[:fork], *(message(r, branch) for r in range(fork, length))])
    tree = tree.switch(tree.leaves[0])
    conversation = Conversation(messages=tree.messages())
    conversation.set_tree(tree)
    return conversation


def run(nodes: int) -> tuple[float, float, float, int]:
    """(open ms (best of OPENS), worst switch ms, p95 switch ms, branches) in an offscreen
    window."""
    from PySide6.QtWidgets import QApplication

    from composer.models import files
    from composer.views.window import MainWindow

    app = QApplication.instance()
    scratch = Path(tempfile.mkdtemp(prefix="composer-bench-"))
    path = scratch / "tree.json"
    files.save(build(nodes), path)
    window = MainWindow(user_dir=scratch / "user")
    window.resize(1400, 800)
    window.show()
    app.processEvents()

    def settle() -> None:
        app.processEvents()  # the panel refresh waits for the event loop (a zero timer)
        app.processEvents()

    warm = scratch / "warm.json"  # first-use imports (the Markdown preview) are not the tree's
    files.save(build(DEPTH + DEPTH // 2), warm)
    assert window.open_path(warm)
    settle()
    window.branches.switch_to(window.document.tree.leaves[-1])
    settle()
    opens = []
    for _ in range(OPENS):  # the best of a few: a busy machine's stalls are not the tree's
        start = time.perf_counter()
        assert window.open_path(path)
        settle()
        opens.append((time.perf_counter() - start) * 1000)
    opened = min(opens)
    tree = window.document.tree
    assert tree is not None and len(tree) >= nodes, tree
    leaves = tree.leaves
    costs = []
    for leaf in [*leaves[1:], *leaves[:1]]:
        start = time.perf_counter()
        window.branches.switch_to(leaf)
        settle()
        costs.append((time.perf_counter() - start) * 1000)
        assert window.document.tree.path[-1] == leaf
    window._close_confirmed = True
    window.autosaver.stop()
    window.close()
    window.deleteLater()
    app.processEvents()
    ordered = sorted(costs)
    return opened, ordered[-1], ordered[int(len(ordered) * 0.95)], len(leaves)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from composer.views.app import create_app

    app = create_app([])
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    opened, worst, p95, branches = run(size)
    print(f"{size} nodes, {branches} branches: open {opened:.1f} ms, switch worst {worst:.1f} ms,"
          f" p95 {p95:.1f} ms")
