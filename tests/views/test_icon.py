"""The icon in the window, the task switcher and the About box."""

from __future__ import annotations

from composer.cli.desktop import APP_ID
from composer.views.app import create_app
from composer.views.icon import app_icon


def test_the_app_and_its_windows_carry_the_icon_and_the_desktop_entry_name(qapp, run_window):
    app = create_app()
    assert app.desktopFileName() == APP_ID
    sizes = {s.width() for s in app.windowIcon().availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    window = run_window()
    assert not window.windowIcon().isNull()  # a window without its own icon uses the app's


def test_the_about_box_shows_the_icon(run_window):
    window = run_window()
    box = window.show_about()
    pixmap = box.iconPixmap()
    assert not pixmap.isNull() and pixmap.width() == 64
    assert pixmap.toImage() == app_icon().pixmap(64, 64).toImage()
    box.close()
