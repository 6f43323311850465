"""The window's actions, menus and toolbar.

Frequent things have keys: the platform's standard keys for New, Open, Save, Save As, Undo,
Redo, Copy, Paste, Preferences and Quit. Ctrl+Enter (Send) and Esc (Stop) are reserved for the
results helper and deliberately not bound here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

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


def _close_action(window: MainWindow) -> QAction:
    """Close Window on the keys the platform gives Close (Ctrl+W; Ctrl+F4 too on some), not
    a keyboard's own Close key, which the shortcut list would show as a bare "Close"."""
    action = _action(window, "&Close Window", window.close)
    action.setShortcuts([k for k in QKeySequence.keyBindings(Key.Close)
                         if k.count() and k[0].keyboardModifiers()])
    return action


def _standard(key: QKeySequence.StandardKey, fallback: str) -> QKeySequence:
    """The platform's key, or ``fallback`` where the platform defines none (Linux: Quit,
    Preferences)."""
    sequence = QKeySequence(key)
    return sequence if not sequence.isEmpty() else QKeySequence(fallback)


class WindowCommands(Struct):
    """The window's actions, its menus and its toolbar, as ``build`` made them."""

    new_action: QAction
    open_action: QAction
    save_action: QAction
    save_as_action: QAction
    import_action: QAction
    export_action: QAction
    close_action: QAction
    quit_action: QAction
    undo_action: QAction
    redo_action: QAction
    keys_action: QAction
    show_request_action: QAction
    show_detail_action: QAction
    shortcuts_action: QAction
    about_action: QAction
    recent_menu: QMenu | None = None
    conversation_menu: QMenu | None = None
    view_menu: QMenu | None = None
    toolbar: QToolBar | None = None


def _make_actions(w: MainWindow) -> WindowCommands:
    undo = w.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence(Key.Undo))
    undo.setIcon(QIcon.fromTheme("edit-undo", w.style().standardIcon(Pixmap.SP_ArrowBack)))
    redo = w.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence(Key.Redo), QKeySequence("Ctrl+Shift+Z")]
                      if QKeySequence(Key.Redo) != QKeySequence("Ctrl+Shift+Z")
                      else [QKeySequence(Key.Redo)])
    redo.setIcon(QIcon.fromTheme("edit-redo", w.style().standardIcon(Pixmap.SP_ArrowForward)))
    return WindowCommands(
        new_action=_action(w, "&New", w.new_file, Key.New, Pixmap.SP_FileIcon,
                           "Start a new conversation"),
        open_action=_action(w, "&Open…", w.choose_open, Key.Open, Pixmap.SP_DialogOpenButton,
                            "Open a conversation or exchange file"),
        save_action=_action(w, "&Save", w.save, Key.Save, Pixmap.SP_DialogSaveButton,
                            "Save the conversation"),
        save_as_action=_action(w, "Save &As…", w.choose_save_as, Key.SaveAs),
        import_action=_action(w, "&Import…", w.choose_import, "Ctrl+Shift+O", None,
                              "Import a conversation from another format"),
        export_action=_action(w, "&Export…", w.choose_export, "Ctrl+E", None,
                              "Export the conversation to another format"),
        close_action=_close_action(w),
        quit_action=_action(w, "&Quit", w.quit, _standard(Key.Quit, "Ctrl+Q"), None,
                            "Close every Composer window"),
        undo_action=undo,
        redo_action=redo,
        keys_action=_action(w, "&Settings (API Keys, Attachments)…", w.show_settings,
                            _standard(Key.Preferences, "Ctrl+,")),
        show_request_action=_toggle(w, "&Request Panel", w.request_panel, "Ctrl+Shift+R"),
        show_detail_action=_toggle(w, "Part &Details", w.detail, "Ctrl+Shift+D"),
        shortcuts_action=_action(w, "&Keyboard Shortcuts…", w.show_shortcuts, "Ctrl+/", None,
                                 "Every command and its keys; rebind them"),
        about_action=_action(w, "&About Composer", w.show_about),
    )


def build(window: MainWindow) -> WindowCommands:
    """Create the window's actions, then its menus and toolbar; returns them (the window keeps
    them as ``window.commands``)."""
    w = window
    c = _make_actions(w)
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([c.new_action, c.open_action])
    c.recent_menu = file_menu.addMenu("Open &Recent")
    c.recent_menu.aboutToShow.connect(w.fill_recent_menu)
    file_menu.addSeparator()
    file_menu.addActions([c.save_action, c.save_as_action])
    file_menu.addSeparator()
    file_menu.addActions([c.import_action, c.export_action])
    file_menu.addSeparator()
    file_menu.addActions([c.close_action, c.quit_action])

    t = w.table
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addActions([c.undo_action, c.redo_action])
    edit_menu.addSeparator()
    edit_menu.addActions([t.copy_action, t.paste_action])
    edit_menu.addSeparator()
    edit_menu.addAction(c.keys_action)

    conv_menu = bar.addMenu("&Conversation")
    conv_menu.addActions([t.add_row_action, t.insert_above_action, t.insert_below_action,
                          t.duplicate_action, t.delete_action])
    conv_menu.addSeparator()
    conv_menu.addActions([t.move_up_action, t.move_down_action])
    conv_menu.addSeparator()
    conv_menu.addAction(t.attach_action)
    c.conversation_menu = conv_menu

    c.view_menu = bar.addMenu("&View")
    c.view_menu.addActions([c.show_request_action, c.show_detail_action])

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([c.shortcuts_action, c.about_action])

    tools = QToolBar("Main", w)
    tools.setObjectName("main-toolbar")
    tools.setMovable(False)
    tools.addActions([c.new_action, c.open_action, c.save_action])
    tools.addSeparator()
    tools.addActions([c.undo_action, c.redo_action])
    tools.addSeparator()
    tools.addActions([t.add_row_action, t.attach_action, t.delete_action])
    tools.addSeparator()
    tools.addActions([c.import_action, c.export_action])
    w.addToolBar(tools)
    c.toolbar = tools
    return c


def _toggle(window: MainWindow, text: str, widget, shortcut: str) -> QAction:
    action = QAction(text, window)
    action.setCheckable(True)
    action.setChecked(True)
    action.setShortcut(QKeySequence(shortcut))
    action.toggled.connect(widget.setVisible)
    return action
