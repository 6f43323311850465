"""What a Send found before sending, shown: every problem marked on its row or field and the
first brought forward, the list of them all (composer/views/preflight_dialog.py) with "Send
anyway" when there are only notes, and the question before a key goes to a host only the file
chose. A mixin of RunController (composer/views/run_controller.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from composer.models.problems import Field
from composer.providers.refused import RequestRefused
from composer.run import Finding, RunState

if TYPE_CHECKING:
    from composer.models.conversation import Conversation
    from composer.models.exchange import Exchange
    from composer.providers.trust import KeyTarget
    from composer.views.preflight_dialog import PreflightDialog


class SendProblems:
    """Needs the controller's ``window``, ``key_trust``, ``pane``, ``stats_label``,
    ``preflight_dialog``, ``send``, ``output_tabs_show``, ``_ask_key``, ``_dialog``,
    ``_notes_silenced``, ``_set_state`` and ``_update_actions``."""

    def _ask_trust(self, conversation: Conversation, target: KeyTarget,
                   notes_seen: frozenset[str],
                   keep: Callable[[Exchange], None] | None = None) -> None:
        """The key would go to a host only the file chose: ask, and a Yes sends again
        (remembered for this session, or for good)."""
        def answered(send: bool, remember: bool) -> None:
            self._dialog = None
            if not send:
                self._refuse([Finding.of(RequestRefused(
                    target.refusal("Send again to confirm it, or type the base URL yourself"),
                    field_name="base URL"))])
                return
            try:
                self.key_trust.allow(target, remember=remember)
            except OSError as exc:
                self.window.statusBar().showMessage(
                    f"Could not remember {target.origin}: {exc.strerror or exc}", 10000)
            self.send(conversation, notes_seen=notes_seen, keep=keep)

        self._dialog = self._ask_key(target, answered)

    def _typing_findings(self) -> list[Finding]:
        """What the window holds that the conversation does not yet: a base URL that cannot be
        saved, editors whose text does not parse (the settings keep their last good value, so
        sending would silently send that), tool-call arguments that are not valid JSON."""
        panel = self.window.request_panel
        found = []
        if typed := panel.commit_typing():
            found.append(Finding(typed, True, field=Field.BASE_URL))
        found += [Finding(p.text, True, field=p.field) for p in panel.problems()]
        if (detail := self.window.detail.first_problem()) is not None:
            row, part_index, text = detail
            found.append(Finding(text, True, row, part_index))
        return found

    def _refuse(self, findings: list[Finding]) -> None:
        """Nothing is sent: every row with a problem is marked, the first problem is brought
        forward and said in the pane and the status line (the list has them all)."""
        for finding in findings:
            if finding.message_index is not None:
                self.window.table.mark_problem(finding.message_index, finding.line())
        self.show_finding(findings[0], refused=True)
        line = findings[0].line()
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        from composer.models.exchange import ErrorInfo

        self.pane.show_notice(ErrorInfo(message=line + more, kind="refused"))
        self.output_tabs_show(self.pane)
        self.stats_label.clear()  # the last run's figures do not belong beside a refusal
        self._set_state(RunState.REFUSED, f"Not sent: {line}{more}")  # said once, by the state
        self._update_actions()
        return None

    def show_finding(self, finding: Finding, refused: bool = False) -> None:
        """Bring a problem's or note's row and part, or its field, forward."""
        row = finding.message_index
        if row is not None:
            self.window.table.select_rows([row])
            if finding.part_index is not None and self.window.detail.row == row:
                self.window.detail.focus_part(finding.part_index)
        elif refused:
            self.window.request_panel.show_field_problem(finding.field, finding.line())
        else:
            self.window.request_panel.focus_field(finding.field)

    def _show_preflight(self, findings: list[Finding], conversation: Conversation | None = None,
                        keep: Callable[[Exchange], None] | None = None) -> PreflightDialog:
        """The list of what was found at Send; with notes only (``conversation`` given),
        "Send anyway" sends that conversation (its reply to ``keep``, as the Send asked)."""
        from composer.views.preflight_dialog import PreflightDialog  # with the first finding

        dialog = self.preflight_dialog = PreflightDialog(findings, self.window)
        dialog.finding_activated.connect(self.show_finding)
        if conversation is not None:
            lines = frozenset(f.line() for f in findings)

            def send_anyway() -> None:
                if dialog.dont_ask.isChecked():
                    self._notes_silenced |= lines
                self.send(conversation, notes_seen=lines, keep=keep)

            dialog.accepted.connect(send_anyway)
        dialog.finished.connect(lambda _result: self._forget_preflight(dialog))
        if conversation is None:
            # Beside the window, which keeps the focus at the first problem.
            dialog.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
            dialog.show()
        else:
            dialog.open()  # Send anyway or Cancel: the question of the moment
        return dialog

    def _forget_preflight(self, dialog: PreflightDialog) -> None:
        if self.preflight_dialog is dialog:
            self.preflight_dialog = None
        dialog.deleteLater()

    def _close_preflight(self) -> None:
        """A new Send (or another conversation) makes the last list old news."""
        dialog, self.preflight_dialog = self.preflight_dialog, None
        if dialog is not None:
            dialog.finished.disconnect()
            dialog.close()
            dialog.deleteLater()
