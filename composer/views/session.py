"""The window's side of the draft: what a start opens, the recovery offer after a crash, the
draft state the window writes (start, open, save, close). A mixin of MainWindow, which owns
``drafts``, ``file_path``, ``undo_stack`` and the status bar these use.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from composer.models import files as model_files
from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.errors import FormatError
from composer.views import dialogs
from composer.views import files as window_files
from composer.views.files import DraftState, example_conversation

Button = QMessageBox.StandardButton


class DraftSession:
    """MainWindow's start, recovery offer and draft-state writes."""

    def _initial_document(self, reopen: bool = True) -> tuple[Document, str]:
        """The last file worked on, else the example; a crashed session's draft is set aside
        (draft-recovered.json) so nothing overwrites it before the user decides. Without
        ``reopen`` (a start on a file, which replaces it before the first paint) an empty
        document: the last file is not read, nor the example."""
        state = self._last_saved = self.drafts.state()
        note = ""
        if self.drafts.recoverable():
            try:
                self._recovery = self.drafts.set_aside()
            except OSError as exc:
                note = f"{self.drafts.draft_path}: unsaved draft left in place: {exc.strerror}"
        else:
            self._recovery = self.drafts.set_aside_draft()  # asked before, never answered
        # A Save the last session was killed in may have left a temp file beside its target.
        for target in {state.path, *(state.saving or [])[:1]} - {None}:
            model_files.remove_stale_temps(Path(target).parent)
        if not reopen:
            return Document(Conversation()), note
        if state.path and Path(state.path).is_file():
            try:
                data = model_files.read_bytes(state.path)
                self._vouched = state.vouched(data)
                conversation = model_files.conversation_from_bytes(
                    data, state.path, ours=self._vouched is not None)
            except FormatError as exc:
                self._vouched = None
                note = f"Could not reopen the last file: {exc.one_line()}"
            else:
                self.file_path = Path(state.path)
                return Document(conversation), note
        self._on_example = True
        return Document(example_conversation()), note

    def adopt_reopened(self) -> None:
        """Once the request panel follows the document: what the draft state vouched for
        (``DraftState.vouched``: the file reopened or opened as this window saved it)."""
        if self._vouched is not None:
            self.request_panel.provenance.adopt(self._vouched[1])
            self.request_panel.file_note.refresh()

    def vouch_saved(self, path: Path, digest: str, chosen: list[str]) -> None:
        """``path`` was just saved (its bytes' sha256) with the settings the user had chosen
        as the Save began (``chosen``): they are vouched for, now and when the file is opened
        again unchanged."""
        self._vouched = (digest, chosen)
        self._last_saved = DraftState(path=str(path), file_sha256=digest,
                                      file_chosen=self._vouched[1])

    def offer_recovery(self) -> QMessageBox | None:
        """Ask whether to recover a crashed session's unsaved changes; None when there are none."""
        if self._recovery is None:
            return None
        aside, state = self._recovery
        name = Path(state.path).name if state.path else "an untitled conversation"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.saved_at or time.time()))

        def answered(button: Button) -> None:
            self._recovery = None
            if button == Button.Open:
                try:
                    conversation = model_files.load_conversation(aside)
                except FormatError as exc:
                    self._error("Recovery failed", exc.one_line())
                    return
                self._replace(conversation, Path(state.path) if state.path else None)
                self.request_panel.provenance.adopt(state.chosen)
                self.request_panel.file_note.refresh()
                self.undo_stack.resetClean()
                if not self._commit_recovered():
                    return  # the set-aside copy stays until a draft holds the changes
                self.statusBar().showMessage("Recovered the unsaved changes.", 10000)
            self.drafts.forget_set_aside()

        box = dialogs.ask(self, "Recover unsaved changes",
                          f"Composer did not close normally. Recover the unsaved changes to "
                          f"{name} from {when}?", [Button.Open, Button.Discard], answered,
                          default=Button.Open)
        box.button(Button.Open).setText("&Recover")
        self._dialog = box
        return box

    def _commit_recovered(self) -> bool:
        """Write the recovered changes as the draft now, before the set-aside copy is removed:
        a kill in between must still find them."""
        self.autosaver.wait()  # one draft write at a time
        try:
            self.drafts.save(*self._draft_snapshot(), self.drafts.epoch)
        except Exception as exc:  # noqa: BLE001 (the set-aside copy keeps them)
            self._error("Recovery not saved", model_files.write_problem(self.drafts.draft_path,
                                                                         exc))
            return False
        return True

    def _draft_snapshot(self) -> tuple[Conversation, DraftState]:
        return self.document.conversation, DraftState(
            path=str(self.file_path) if self.file_path else None,
            modified=not self.undo_stack.isClean(), clean_exit=False,
            chosen=self.request_panel.provenance.chosen(), **self._vouched_fields())

    def _write_state(self, *, clean_exit: bool, if_changed: bool = False) -> None:
        try:
            self.drafts.write_state(DraftState(
                path=str(self.file_path) if self.file_path else None,
                modified=False, clean_exit=clean_exit, saved_at=time.time(),
                **self._vouched_fields()), if_changed=if_changed)
        except OSError:
            pass

    def _vouched_fields(self) -> dict:
        if self._vouched is None or self.file_path is None:
            return {}
        return {"file_sha256": self._vouched[0], "file_chosen": self._vouched[1]}

    def _finish_session(self) -> None:
        self.autosaver.stop()
        self.drafts.discard()
        self._write_state(clean_exit=True, if_changed=True)
        window_files.flush()  # the session's end is on disk before the window is gone
