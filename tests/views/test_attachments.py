"""Files into rows: OS drops, the file dialog, clipboard images and files; size limit, errors."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage, QUndoStack
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composer.models.conversation import Conversation
from composer.models.document import Document
from composer.models.parts import AttachmentPart, Message
from composer.views import dialogs
from composer.views.table.view import MessageTable
from composer.views.undo import DocumentEditor
from tests.views.conftest import make_png
from tests.views.test_table import drop


@pytest.fixture
def table(qtbot):
    document = Document(Conversation(messages=[Message.text("user", "look at this"),
                                               Message.text("assistant", "ok")]))
    view = MessageTable(DocumentEditor(document, QUndoStack()))
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.loader.wait()
    for box in dialogs.open_boxes(view):
        box.close()


def url_mime(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def attachment_names(view: MessageTable, row: int) -> list[str]:
    return [a.display_name for a in view.document.message(row).attachments]


def test_files_dropped_on_a_row_attach_there_off_the_event_loop(qtbot, table, tmp_path):
    png = make_png(tmp_path / "cat.png")
    note = tmp_path / "notes.md"
    note.write_text("# hello\n")
    with qtbot.waitSignal(table.loader.attached, timeout=5000) as attached:
        drop(table, url_mime(png, note), 0)
        # The drop handler returned before the files were read.
        assert table.document.message(0).attachments == []
    assert attached.args == [0]
    atts = table.document.message(0).attachments
    assert [a.display_name for a in atts] == ["cat.png", "notes.md"]
    assert atts[0].type == "image/png" and atts[0].data() == png.read_bytes()
    assert table.document.message(0).plain_text == "look at this"
    assert table.editor.undo_stack.count() == 1
    table.editor.undo_stack.undo()
    assert table.document.message(0).attachments == []


def test_files_dropped_on_empty_space_make_a_new_user_row(qtbot, table, tmp_path):
    png = make_png(tmp_path / "dog.png")
    with qtbot.waitSignal(table.loader.attached, timeout=5000):
        drop(table, url_mime(png), None)
    assert len(table.document) == 3
    new = table.document.message(2)
    assert new.role == "user" and [p.type for p in new.parts] == ["attachment"]
    assert table.selected_rows() == [2]


def test_unreadable_files_get_a_clear_message_and_nothing_is_added(qtbot, table, tmp_path):
    good = make_png(tmp_path / "ok.png")
    missing = tmp_path / "missing.pdf"
    with qtbot.waitSignal(table.loader.failed) as failed:
        drop(table, url_mime(good, missing), 0)
    assert failed.args[0] == f"{missing}: no such file"
    boxes = dialogs.open_boxes(table)
    assert boxes and str(missing) in boxes[0].text()
    with qtbot.waitSignal(table.loader.failed) as failed:
        table.loader.add_files([str(tmp_path)], 0)
    assert "is a folder" in failed.args[0]
    assert table.document.message(0).attachments == [] and len(table.document) == 2
    assert table.editor.undo_stack.count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_refused(qtbot, table, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    with qtbot.waitSignal(table.loader.failed) as failed:
        table.loader.add_files([str(secret)], 0)
    assert "permission denied" in failed.args[0].lower()
    assert table.document.message(0).attachments == []


def test_a_file_over_the_size_limit_asks_first(qtbot, table, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4096))
    table.loader.size_limit = 1024
    table.loader.add_files([str(big)], 1)
    (box,) = dialogs.open_boxes(table)
    assert "big.bin (4.0 KB)" in box.text() and "1.0 KB" in box.text()
    with qtbot.waitSignal(table.loader.finished):
        box.button(QMessageBox.StandardButton.Cancel).click()
    assert table.document.message(1).attachments == []
    table.loader.add_files([str(big)], 1)
    (box,) = dialogs.open_boxes(table)
    with qtbot.waitSignal(table.loader.attached, timeout=5000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert attachment_names(table, 1) == ["big.bin"]
    assert table.document.message(1).attachments[0].size == 4096


def test_a_row_deleted_while_reading_sends_the_files_to_a_new_row(qtbot, table, tmp_path):
    png = make_png(tmp_path / "late.png")
    with qtbot.waitSignal(table.loader.attached, timeout=5000) as attached:
        table.loader.add_files([str(png)], 0)
        table.editor.remove_rows([0])
    assert attached.args == [1]
    assert [m.plain_text for m in table.document.messages] == ["ok", ""]
    assert attachment_names(table, 1) == ["late.png"]


def test_file_dialog_attaches_to_the_current_row(qtbot, table, tmp_path):
    png = make_png(tmp_path / "picked.png")
    table.select_rows([1])
    table.attach_action.trigger()
    dialog = table._file_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setDirectory(str(tmp_path))
    dialog.selectFile(str(png))
    with qtbot.waitSignal(table.loader.attached, timeout=5000):
        dialog.accept()
    assert attachment_names(table, 1) == ["picked.png"]


def test_pasting_an_image_attaches_a_png_to_the_selected_row(qtbot, table):
    image = QImage(8, 6, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    QGuiApplication.clipboard().setImage(image)
    table.select_rows([0])
    with qtbot.waitSignal(table.loader.attached, timeout=5000):
        table.paste_action.trigger()
    (att,) = table.document.message(0).attachments
    assert att.type == "image/png" and att.display_name == "pasted.png"
    back = QImage.fromData(att.data())
    assert back.size() == image.size() and back.pixelColor(0, 0) == QColor("red")


def test_pasting_copied_files_attaches_them(qtbot, table, tmp_path):
    png = make_png(tmp_path / "copied.png")
    QGuiApplication.clipboard().setMimeData(url_mime(png))
    table.select_rows([1])
    with qtbot.waitSignal(table.loader.attached, timeout=5000):
        table.paste_action.trigger()
    assert attachment_names(table, 1) == ["copied.png"]
    assert isinstance(table.document.message(1).parts[-1], AttachmentPart)
