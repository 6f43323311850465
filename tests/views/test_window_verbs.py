"""``llm-composer open FILE`` runs the window on the qasync loop and ends cleanly on close."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from composer.models.conversation import Conversation
from composer.models.files import save
from composer.models.parts import Message

# Runs the real verb; a timer closes the window once it is up (with the HTTP client it is given
# after its first paint, and markdown-it read for the first reply) and reports what it showed.
SCRIPT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from composer.main import main
    from composer.views.app import create_app
    from composer.views.window import MainWindow

    create_app()  # timers need the application; the verb reuses it

    def close_it():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows or not windows[0].isVisible() or windows[0].http_client is None \
                or "markdown_it" not in sys.modules:  # (read on a worker after the paint)
            QTimer.singleShot(50, close_it)
            return
        w = windows[0]
        print(json.dumps({"title": w.windowTitle(),
                          "texts": [m.plain_text for m in w.document.messages],
                          "client": w.http_client is not None}))
        w.close()

    QTimer.singleShot(50, close_it)
    sys.exit(main(["open", sys.argv[1]]))
""")


# What the window showed at its first paint, and whether the network stack was loaded then.
FIRST_PAINT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QEvent, QObject
    from composer.views.app import create_app
    from composer.views.window import MainWindow

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and isinstance(watched, MainWindow):
                print(json.dumps({"title": watched.windowTitle(),
                                  "texts": [m.plain_text for m in watched.document.messages],
                                  "httpx": "httpx" in sys.modules}), flush=True)
                QApplication.instance().removeEventFilter(self)
            return False

    from PySide6.QtWidgets import QApplication
    create_app().installEventFilter(watch := FirstPaint())
""")


def test_open_verb_shows_the_file_and_exits_zero_on_close(tmp_path):
    path = tmp_path / "hello.json"
    save(Conversation(messages=[Message.text("user", "hello from the verb")]), path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "COMPOSER_USER_DIR": str(tmp_path / "user")}
    result = subprocess.run([sys.executable, "-c", FIRST_PAINT + SCRIPT, str(path)], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    painted, shown = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    # The first paint shows the file (no other document before it) without waiting for httpx;
    # the HTTP client comes after it.
    assert painted == {"title": "hello.json[*] — Composer", "texts": ["hello from the verb"],
                       "httpx": False}
    assert shown == {"title": "hello.json[*] — Composer", "texts": ["hello from the verb"],
                     "client": True}
    state = json.loads((tmp_path / "user" / "draft-state.json").read_text())
    assert state["clean_exit"] is True and state["path"] == str(path)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="those always have a display")
def test_open_with_no_display_is_one_line_not_a_qt_abort():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "composer", "open"], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("llm-composer: error: no display")
    assert len(result.stderr.strip().splitlines()) == 1
