"""The window's actions, menus and toolbar.

Frequent things have keys: the platform's standard keys for New, Open, Save, Save As, Undo,
Redo, Copy, Paste, Preferences and Quit. Ctrl+Enter (Send) and Esc (Stop) are reserved for the
results helper and deliberately not bound here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QStyle, QToolBar

if TYPE_CHECKING:
    from composer.views.window import MainWindow

Key = QKeySequence.StandardKey
Pixmap = QStyle.StandardPixmap


def _action(window: MainWindow, text: str, slot, shortcut=None, icon: Pixmap | None = None,
            tip: str | None = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def _standard(key: QKeySequence.StandardKey, fallback: str) -> QKeySequence:
    """The platform's key, or ``fallback`` where the platform defines none (Linux: Quit,
    Preferences)."""
    sequence = QKeySequence(key)
    return sequence if not sequence.isEmpty() else QKeySequence(fallback)


def build(window: MainWindow) -> None:
    """Create the window's actions as attributes, then its menus and toolbar."""
    w = window
    w.new_action = _action(w, "&New", w.new_file, Key.New, Pixmap.SP_FileIcon,
                           "Start a new conversation")
    w.open_action = _action(w, "&Open…", w.choose_open, Key.Open, Pixmap.SP_DialogOpenButton,
                            "Open a conversation or exchange file")
    w.save_action = _action(w, "&Save", w.save, Key.Save, Pixmap.SP_DialogSaveButton,
                            "Save the conversation")
    w.save_as_action = _action(w, "Save &As…", w.choose_save_as, Key.SaveAs)
    w.import_action = _action(w, "&Import…", w.choose_import, "Ctrl+Shift+O", None,
                              "Import a conversation from another format")
    w.export_action = _action(w, "&Export…", w.choose_export, "Ctrl+E", None,
                              "Export the conversation to another format")
    w.quit_action = _action(w, "&Quit", w.close, _standard(Key.Quit, "Ctrl+Q"))
    w.undo_action = w.undo_stack.createUndoAction(w, "&Undo")
    w.undo_action.setShortcut(QKeySequence(Key.Undo))
    w.undo_action.setIcon(QIcon.fromTheme("edit-undo", w.style().standardIcon(
        Pixmap.SP_ArrowBack)))
    w.redo_action = w.undo_stack.createRedoAction(w, "&Redo")
    w.redo_action.setShortcuts([QKeySequence(Key.Redo), QKeySequence("Ctrl+Shift+Z")]
                               if QKeySequence(Key.Redo) != QKeySequence("Ctrl+Shift+Z")
                               else [QKeySequence(Key.Redo)])
    w.redo_action.setIcon(QIcon.fromTheme("edit-redo", w.style().standardIcon(
        Pixmap.SP_ArrowForward)))
    w.keys_action = _action(w, "&Settings (API Keys, Attachments)…", w.show_settings,
                            _standard(Key.Preferences, "Ctrl+,"))
    w.show_request_action = _toggle(w, "&Request Panel", w.request_panel, "Ctrl+Shift+R")
    w.show_detail_action = _toggle(w, "Part &Details", w.detail, "Ctrl+Shift+D")
    w.shortcuts_action = _action(w, "&Keyboard Shortcuts…", w.show_shortcuts, "Ctrl+/", None,
                                 "Every command and its keys; rebind them")
    w.about_action = _action(w, "&About Composer", w.show_about)

    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([w.new_action, w.open_action])
    w.recent_menu = file_menu.addMenu("Open &Recent")
    w.recent_menu.aboutToShow.connect(w.fill_recent_menu)
    file_menu.addSeparator()
    file_menu.addActions([w.save_action, w.save_as_action])
    file_menu.addSeparator()
    file_menu.addActions([w.import_action, w.export_action])
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)

    t = w.table
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([w.undo_action, w.redo_action])
    edit_menu.addSeparator()
    edit_menu.addActions([t.copy_action, t.paste_action])
    edit_menu.addSeparator()
    edit_menu.addAction(w.keys_action)

    conv_menu = bar.addMenu("&Conversation")
    conv_menu.addActions([t.add_row_action, t.insert_above_action, t.insert_below_action,
                          t.duplicate_action, t.delete_action])
    conv_menu.addSeparator()
    conv_menu.addActions([t.move_up_action, t.move_down_action])
    conv_menu.addSeparator()
    conv_menu.addAction(t.attach_action)
    w.conversation_menu = conv_menu

    view_menu = bar.addMenu("&View")
    view_menu.addActions([w.show_request_action, w.show_detail_action])
    w.view_menu = view_menu

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([w.shortcuts_action, w.about_action])

    tools = QToolBar("Main", w)
    tools.setObjectName("main-toolbar")
    tools.setMovable(False)
    tools.addActions([w.new_action, w.open_action, w.save_action])
    tools.addSeparator()
    tools.addActions([w.undo_action, w.redo_action])
    tools.addSeparator()
    tools.addActions([t.add_row_action, t.attach_action, t.delete_action])
    tools.addSeparator()
    tools.addActions([w.import_action, w.export_action])
    w.addToolBar(tools)
    w.toolbar = tools


def _toggle(window: MainWindow, text: str, widget, shortcut: str) -> QAction:
    action = QAction(text, window)
    action.setCheckable(True)
    action.setChecked(True)
    action.setShortcut(QKeySequence(shortcut))
    action.toggled.connect(widget.setVisible)
    return action
