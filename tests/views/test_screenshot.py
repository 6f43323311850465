"""``llm-composer screenshot`` renders the window to a PNG, in-process and as a command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from PySide6.QtGui import QImage

from composer.main import main
from composer.models.exchange import Exchange, Prompt
from composer.models.files import save
from composer.models.parts import Message


def test_screenshot_of_an_exchange_at_the_asked_size(qapp, tmp_path, capsys):
    exchange = Exchange(model="m", prompt=Prompt(messages=[Message.text("user", "ping")]),
                        messages=[Message.text("assistant", "pong")])
    source = tmp_path / "exchange.json"
    save(exchange, source)
    out = tmp_path / "shot.png"
    assert main(["screenshot", str(out), str(source), "--size", "900x600"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (900, 600)
    # Not a blank grab: the widgets painted more than one colour.
    colours = {image.pixel(x, y) for x in range(0, 900, 37) for y in range(0, 600, 23)}
    assert len(colours) > 3


def test_a_screenshot_never_starts_a_token_count(qapp, tmp_path, capsys, monkeypatch):
    """The count's debounce running out before the grab (a slow machine) started a count with
    no asyncio loop: an exception in Qt's event loop, and a network request from a screenshot."""
    from composer.views import token_count

    monkeypatch.setattr(token_count, "DEBOUNCE_MS", 0)
    asyncio.set_event_loop(None)  # as after any asyncio test: no loop to start a count on
    assert main(["screenshot", str(tmp_path / "shot.png")]) == 0
    assert capsys.readouterr().err == ""


def test_a_screenshot_shows_the_key_note_however_slowly_the_keychain_answers(
        qapp, tmp_path, capsys, monkeypatch):
    """The keychain is asked on a worker: the grab waits for its answer (a desktop keychain
    can take its time), so the picture shows the note the window shows."""
    import time

    from composer.models.conversation import Conversation
    from composer.models.settings import RequestSettings
    from composer.providers import keys
    from composer.views.window import MainWindow

    def slow(_user):
        time.sleep(0.5)
        return None, None

    shown = []

    def grab(window, grab=MainWindow.grab):
        shown.append(window.request_panel.key_note.isVisibleTo(window))
        return grab(window)

    monkeypatch.setattr(keys, "_keychain_lookup", slow)
    monkeypatch.setattr(MainWindow, "grab", grab)
    source = tmp_path / "keyed.json"
    save(Conversation(messages=[Message.text("user", "Hi")],
                      settings=RequestSettings(provider="anthropic", model="m")), source)
    assert main(["screenshot", str(tmp_path / "shot.png"), str(source)]) == 0
    assert shown == [True]


def test_screenshot_of_a_bad_file_is_one_line_and_a_failure(qapp, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    assert main(["screenshot", str(tmp_path / "x.png"), str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("llm-composer screenshot: ") and "bad.json" in err
    assert len(err.splitlines()) == 1
    assert main(["screenshot", str(tmp_path / "x.png"), "--size", "huge"]) == 2
    assert "--size" in capsys.readouterr().err


def test_the_command_renders_the_example_with_no_display(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "example.png"
    result = subprocess.run([sys.executable, "-m", "composer", "screenshot", str(out)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
