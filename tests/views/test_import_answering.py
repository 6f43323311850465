"""After the first paint, asyncio is imported on a worker while the window keeps answering
(composer.views.app.import_answering)."""

from __future__ import annotations

import sys
import threading
import types

import pytest
from PySide6.QtCore import QTimer

from composer.views.app import import_answering

# A module whose import ends only once the window's thread has answered a timer: were the
# window not answering while it is imported, the import would wait out its 10 s and fail.
SLOW = """
import threading
import answering_gate
WORKER = threading.current_thread().name
assert answering_gate.answered.wait(10), "the window did not answer while this was imported"
"""


@pytest.fixture
def slow_module(tmp_path, monkeypatch):
    (tmp_path / "slow_to_import.py").write_text(SLOW, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    gate = types.SimpleNamespace(answered=threading.Event())
    monkeypatch.setitem(sys.modules, "answering_gate", gate)
    yield gate
    sys.modules.pop("slow_to_import", None)


def test_the_module_is_imported_on_a_worker_while_the_window_answers(qapp, slow_module):
    QTimer.singleShot(0, slow_module.answered.set)
    import_answering("slow_to_import")
    module = sys.modules["slow_to_import"]
    assert module.WORKER != threading.current_thread().name
    assert slow_module.answered.is_set()


def test_a_failed_import_is_raised_on_the_windows_thread(qapp):
    with pytest.raises(ModuleNotFoundError):
        import_answering("composer_no_such_module_here")
