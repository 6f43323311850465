"""Compare in the window: Run ▸ Compare… opens the targets dialog (the last targets, remembered
in the preferences), and Send there opens the compare view on the conversation as it is now.

``install(window)`` adds the action to the Run menu and returns the ``CompareUI``; the window
keeps it. "Keep this one" calls ``window.keep_compare_replies(replies, chosen)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from composer.models.conversation import Conversation
from composer.views import keychain
from composer.views.trust import ask_key_target

if TYPE_CHECKING:
    import asyncio

    from composer.run.targets import Target
    from composer.views.compare.targets_dialog import CompareDialog
    from composer.views.compare.window import CompareWindow
    from composer.views.window import MainWindow

COMPARE_KEYS = "Ctrl+Shift+M"


class CompareUI:
    def __init__(self, window: MainWindow):
        self.window = window
        self.dialog: CompareDialog | None = None
        self.question: QMessageBox | None = None  # the key-trust question, while it is open
        self.action = QAction("&Compare…", window)
        self.action.setObjectName("compare")
        self.action.setShortcut(QKeySequence(COMPARE_KEYS))
        self.action.setStatusTip("Send the conversation to several targets and compare the "
                                 "replies side by side")
        self.action.setToolTip(f"{self.action.statusTip()} ({COMPARE_KEYS})")
        self.action.triggered.connect(lambda _c=False: self.choose_targets())
        self._view: CompareWindow | None = None  # made the first time it is needed (``view``)
        window.document_replaced.connect(self._on_window_document_replaced)
        window.closed.connect(self._on_window_closed)

    @property
    def view(self) -> CompareWindow:
        """The compare view, made the first time it is needed."""
        if self._view is None:
            from composer.views.compare.window import CompareWindow  # with the view, not at start

            window, run = self.window, self.window.run_ui
            view = self._view = CompareWindow(window, http_client=window.http_client,
                                              trusted=run.key_trust, config=run.call_config,
                                              stop_keys=run.stop_action.shortcuts)
            view.targets_requested.connect(self.choose_targets)
            view.keep_requested.connect(window.keep_compare_replies)
            view.save_requested.connect(run.choose_save_exchange)
        return self._view

    def _on_window_document_replaced(self) -> None:
        if self._view is not None:
            self._view.conversation_gone()

    def _on_window_closed(self) -> None:
        if self._view is not None:
            self._view.shutdown()

    # -- the targets ------------------------------------------------------------------------

    def remembered(self) -> list[Target]:
        from composer.run.targets import Target, TargetError  # with Compare, not at start

        targets = []
        for data in self.window.preferences.compare_targets:
            try:
                targets.append(Target.from_dict(data))
            except TargetError:
                continue  # a preferences file from elsewhere: leave that one out
        return targets or self._first_targets()

    def _first_targets(self) -> list[Target]:
        """The first time: the conversation's own target, and the same server and parameters
        for another model."""
        from composer.run.targets import Target

        settings = self.window.document.conversation.settings
        chosen = self.window.request_panel.provenance.base_url_chosen
        base_url = settings.base_url if chosen else None
        own = Target(settings.provider, settings.model, base_url, dict(settings.options))
        return [own, Target(settings.provider, "", base_url, dict(settings.options))]

    def known_models(self) -> dict[str, list[str]]:
        """Models to offer per preset: the conversation's, the ones its provider listed in the
        request panel, and the ones compared before."""
        from composer.run.targets import Target, TargetError

        known: dict[str, list[str]] = {}
        settings = self.window.document.conversation.settings
        combo = self.window.request_panel.model_combo
        listed = [Target(settings.provider, combo.itemText(i)) for i in range(combo.count())]
        for target in [Target(settings.provider, settings.model), *listed, *self.remembered()]:
            try:
                preset = target.preset().name
            except TargetError:
                continue
            models = known.setdefault(preset, [])
            if target.model and target.model not in models:
                models.append(target.model)
        return known

    def choose_targets(self) -> CompareDialog:
        """Open the targets dialog; its Send starts the compare."""
        from composer.views.compare.targets_dialog import CompareDialog  # not at start

        if self.dialog is not None:
            self.dialog.close()
        dialog = CompareDialog(self.remembered(), self.window, known_models=self.known_models(),
                               http_client=self.window.http_client,
                               trusted=self.window.run_ui.key_trust,
                               inherited=self.window.document.conversation.settings)
        dialog.targets_chosen.connect(self.send)
        dialog.finished.connect(lambda _r: self._on_dialog_finished(dialog))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_dialog_finished(self, dialog: CompareDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def send(self, targets: list[Target]) -> asyncio.Task | None:
        """Remember ``targets`` and send the conversation, as it is now, to each of them. When
        a key would go to a base URL only the file chose, ask first (as Send does): None then,
        and the answer sends (a No sends too: those targets are refused in their columns).
        None too while the keychain is asked, on a worker, for the targets' providers it was
        not asked for yet: the send goes on with its answers."""
        from composer.run.targets import TargetError  # the targets: with the first compare

        self.window.preferences = self.window.preferences.model_copy(
            update={"compare_targets": [t.to_dict() for t in targets]})
        try:
            self.window.preferences.save(self.window.user_dir)
        except OSError as exc:
            self.window.statusBar().showMessage(
                f"Could not save preferences: {exc.strerror or exc}", 10000)
        conversation = self._conversation()
        presets = []
        for target in targets:
            try:
                presets.append(target.preset())
            except TargetError:
                pass  # refused in its column
        if keychain.ask_first(self.window, presets, lambda: self._send(conversation, targets)):
            self.window.statusBar().showMessage("Asking the keychain…", 5000)
            return None
        return self._send(conversation, targets)

    def _send(self, conversation: Conversation, targets: list[Target]) -> asyncio.Task | None:
        chosen = self.window.request_panel.provenance.base_url_chosen
        trusted = self.window.run_ui.key_trust
        from composer.run.compare import key_question  # the compare core: with the first compare

        question = None if chosen else key_question(conversation, targets, trusted=trusted)
        if question is None:
            return self._start(conversation, targets, chosen)

        def answered(send: bool, remember: bool) -> None:
            self.question = None
            if send:
                try:
                    trusted.allow(question, remember=remember)
                except OSError as exc:
                    self.window.statusBar().showMessage(
                        f"Could not remember {question.origin}: {exc.strerror or exc}", 10000)
            self._start(conversation, targets, chosen)

        self.question = ask_key_target(self.window, question, answered)
        return None

    def _start(self, conversation: Conversation, targets: list[Target],
               chosen: bool) -> asyncio.Task:
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        return self.view.start(conversation, targets, chosen_base_url=chosen)

    def _conversation(self) -> Conversation:
        # What is typed counts, as for Send: an open cell editor, a half-typed base URL.
        self.window.table.commit_open_edit()
        self.window.request_panel.commit_typing()
        return self.window.document.conversation.snapshot()


def install(window: MainWindow) -> CompareUI:
    ui = CompareUI(window)
    menu = window.run_ui.menu
    if menu is not None:
        actions = menu.actions()
        # After Send and Stop, before the reply's own commands.
        menu.insertAction(actions[2] if len(actions) > 2 else None, ui.action)
    return ui
