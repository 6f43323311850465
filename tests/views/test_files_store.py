"""The recent-files list and the draft store, on real files in a temporary user directory."""

from __future__ import annotations

import threading

from composer.models.conversation import Conversation
from composer.models.parts import Message
from composer.views.files import (
    RECENT_LIMIT,
    Autosaver,
    DraftState,
    DraftStore,
    RecentFiles,
    example_conversation,
    held,
)


def test_recent_files_are_most_recent_first_without_duplicates(tmp_path):
    recent = RecentFiles(tmp_path)
    for i in range(RECENT_LIMIT + 3):
        recent.add(tmp_path / f"c{i}.json")
    recent.add(tmp_path / "c5.json")
    paths = recent.paths()
    assert len(paths) == RECENT_LIMIT
    assert paths[0].endswith("c5.json")
    assert len(set(paths)) == len(paths)
    recent.remove(paths[0])
    assert not any(p.endswith("c5.json") for p in recent.paths())


def test_a_corrupt_recent_list_reads_as_empty(tmp_path):
    (tmp_path / "recent.json").write_text("{not json", encoding="utf-8")
    assert RecentFiles(tmp_path).paths() == []


def test_draft_round_trip_and_recovery_rule(tmp_path):
    store = DraftStore(tmp_path)
    conversation = Conversation(messages=[Message.text("user", "half-written")])
    store.save(conversation, DraftState(path=None, modified=True, clean_exit=False))
    assert store.recoverable()
    assert store.load() == conversation
    store.write_state(DraftState(modified=True, clean_exit=True))
    assert not store.recoverable()  # the session ended normally
    store.write_state(DraftState(modified=False, clean_exit=False))
    assert not store.recoverable()  # nothing unsaved to recover
    store.discard()
    assert store.load() is None


def test_a_state_that_tells_nothing_new_is_not_written_but_a_clean_end_always_is(tmp_path):
    store = DraftStore(tmp_path)
    # A start with nothing to recover, on the file the last session ended on: no write.
    store.write_state(DraftState(path="/a.json", clean_exit=True, saved_at=1.0))
    epoch = store.epoch
    store.write_state(DraftState(path="/a.json", clean_exit=False, saved_at=2.0), if_changed=True)
    assert store.state() == DraftState(path="/a.json", clean_exit=True, saved_at=1.0)
    assert store.epoch == epoch + 1  # a draft snapshotted before it is still not committed
    store.write_state(DraftState(path="/a.json", clean_exit=True, saved_at=3.0), if_changed=True)
    assert store.state().saved_at == 1.0
    # Another file, or a draft to recover in either state, is news.
    store.write_state(DraftState(path="/b.json", clean_exit=False), if_changed=True)
    assert store.state().path == "/b.json" and store.state().clean_exit is False
    # The end of a session is recorded even when it is all that changed.
    store.write_state(DraftState(path="/b.json", clean_exit=True), if_changed=True)
    assert store.state().clean_exit is True
    store.save(Conversation(messages=[Message.text("user", "x")]),
               DraftState(path="/b.json", modified=True, clean_exit=False))
    assert store.recoverable()
    store.write_state(DraftState(path="/b.json", clean_exit=False), if_changed=True)
    assert not store.recoverable()  # the start said so: the draft was dealt with


def test_autosaver_writes_only_when_something_changed(qtbot, tmp_path):
    store = DraftStore(tmp_path)
    conversation = Conversation(messages=[Message.text("user", "v1")])
    saver = Autosaver(store, lambda: (conversation, DraftState(modified=True, clean_exit=False)),
                      interval_ms=20)
    saver.flush()
    assert not store.draft_path.exists()
    with qtbot.waitSignal(saver.saved, timeout=2000):
        saver.mark_changed()
    assert store.load() == conversation
    assert not saver.pending


def test_autosave_keeps_a_conversations_unknown_top_level_keys(qtbot, tmp_path):
    """An llm file's extras (and any key we do not know) ride along in the draft, as in a Save."""
    store = DraftStore(tmp_path)
    conversation = Conversation.model_validate({
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}],
        "llm": {"id": "01j", "prompt": {"options": {"seed": 1}}}, "their_key": [1, 2]})
    saver = Autosaver(store, lambda: (conversation, DraftState(modified=True, clean_exit=False)),
                      interval_ms=20)
    with qtbot.waitSignal(saver.saved, timeout=2000):
        saver.mark_changed()
    loaded = store.load()
    assert loaded.model_extra == {"llm": {"id": "01j", "prompt": {"options": {"seed": 1}}},
                                  "their_key": [1, 2]}
    assert loaded == conversation


def test_the_example_conversation_ships_and_loads():
    conversation = example_conversation()
    assert conversation.messages


def test_the_draft_is_written_off_the_gui_thread_and_stop_waits_for_it(qtbot, tmp_path):
    import threading

    release = threading.Event()
    writers = []

    class SlowStore(DraftStore):
        def save(self, conversation, state, *epoch):
            writers.append(threading.current_thread())
            release.wait(5)
            return super().save(conversation, state, *epoch)

    store = SlowStore(tmp_path)
    conversation = Conversation(messages=[Message.text("user", "big")])
    saver = Autosaver(store, lambda: (conversation, DraftState(modified=True, clean_exit=False)))
    saver.mark_changed()
    saver.flush()  # returns while the write is still blocked
    qtbot.waitUntil(lambda: bool(writers), timeout=2000)
    assert writers[0] is not threading.main_thread() and not store.draft_path.exists()
    with qtbot.waitSignal(saver.saved, timeout=5000):
        release.set()
    assert store.load() == conversation
    saver.mark_changed()
    saver.flush()
    saver.stop()  # joins the second write: nothing lands after stop returns
    assert not saver._worker.is_alive()


def _written_by_worker():
    """Wait for the worker ``held`` started, as the window's next write would not."""
    for thread in threading.enumerate():
        if thread.name == "composer-files":
            thread.join(10)


def test_writes_held_for_the_start_land_after_it_and_the_last_state_wins(tmp_path):
    (tmp_path / "draft-state.json").write_text('{"path": "last.json"}', encoding="utf-8")
    store, recent = DraftStore(tmp_path), RecentFiles(tmp_path)
    with held():
        store.write_state(DraftState(path=None, clean_exit=False))
        store.write_state(DraftState(path="opened.json", clean_exit=False))
        recent.add(tmp_path / "opened.json")
        assert store.state().path == "last.json" and recent.paths() == []
    _written_by_worker()
    assert store.state().path == "opened.json" and not store.state().clean_exit
    assert recent.paths() == [str(tmp_path / "opened.json")]


def test_a_draft_committed_before_the_held_state_is_written_is_not_undone_by_it(tmp_path):
    """The autosave's state is newer than the one the start left unwritten: the worker that
    comes after it must not put the older one back (the draft would be lost to recovery)."""
    store = DraftStore(tmp_path)
    with held():
        store.write_state(DraftState(path="opened.json", clean_exit=False))
        store.save(Conversation(messages=[Message.text("user", "typed")]),
                   DraftState(path="opened.json", modified=True, clean_exit=False))
    _written_by_worker()
    assert store.state().modified and store.recoverable()
    assert store.load().messages[0].plain_text == "typed"


def test_a_clean_document_writes_no_draft_only_a_state_with_nothing_to_recover(qtbot, tmp_path):
    """Undone back to what its file holds (or just opened): the autosave says so in the state,
    on its worker, and copies nothing; a state that says so already is not written again."""
    store = DraftStore(tmp_path)
    conversation = Conversation(messages=[Message.text("user", "typed")])
    modified = [True]
    saver = Autosaver(store, lambda: (conversation, DraftState(
        path="c.json", modified=modified[0], clean_exit=False)), interval_ms=20)
    with qtbot.waitSignal(saver.saved, timeout=2000):
        saver.mark_changed()
    assert store.recoverable() and store.load() == conversation
    draft = store.draft_path
    modified[0] = False  # undone back to the file
    with qtbot.waitSignal(saver.saved, timeout=2000):
        saver.mark_changed()
    assert not store.recoverable() and store.draft_path == draft  # no new draft written
    assert sorted(p.name for p in tmp_path.iterdir()) == [draft.name, "draft-state.json"]
    written = store.state_path.stat().st_mtime_ns
    with qtbot.waitSignal(saver.saved, timeout=2000):
        saver.mark_changed()
    assert store.state_path.stat().st_mtime_ns == written


def test_a_file_opened_in_the_window_is_not_copied_into_a_draft(qtbot, make_window, tmp_path):
    from composer.models.files import save

    path = tmp_path / "opened.json"
    save(Conversation(messages=[Message.text("user", "from disk")]), path)
    window = make_window()
    window.autosaver._timer.setInterval(20)
    with qtbot.waitSignal(window.autosaver.saved, timeout=2000):
        assert window.open_path(path)
    assert not any((window.user_dir / slot).exists() for slot in ("draft.json", "draft-b.json"))
    assert window.drafts.state().path == str(path) and not window.drafts.recoverable()


class _PutAsTheWorkerLeaves:
    """A writer's lock that, each time the worker lets it go after finding the queue empty,
    has ``put`` ask for one more write at that very moment: the interleaving where a write
    asked for from the window lands just as the worker decides it is done."""

    def __init__(self, writer, puts):
        self._lock, self._writer, self._puts = threading.Lock(), writer, puts
        self._found_empty = False

    def acquire(self, *args):
        got = self._lock.acquire(*args)
        if got:
            self._found_empty = not self._writer._queue
        return got

    def release(self):
        found_empty = self._found_empty and not self._writer._queue
        self._lock.release()
        if threading.current_thread().name == "composer-files" and found_empty and self._puts:
            self._puts.pop()()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()


def test_a_write_asked_for_as_the_worker_finds_its_queue_empty_is_not_left_behind():
    from composer.views.files import _Writer

    writer, done = _Writer(), []
    puts = [lambda n=n: writer.later(lambda: done.append(n)) for n in (3, 2)]
    writer._lock = _PutAsTheWorkerLeaves(writer, puts)
    writer._idle = threading.Condition(writer._lock)
    writer.later(lambda: done.append(1))
    while workers := [t for t in threading.enumerate() if t.name == "composer-files"]:
        for worker in workers:  # each started the next one, if any, before it ended
            worker.join(10)
    writer.flush()
    assert done == [1, 2, 3] and not puts
