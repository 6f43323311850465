"""WCAG AA contrast (4.5:1 for text) in both themes: the palette's text/background pairs, the
dimmed text, and the named colours the views draw errors, warnings and code with."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from composer.views import theme

Group = QPalette.ColorGroup


def _palettes(qapp) -> dict[str, QPalette]:
    return {"light": theme.ensure_contrast(QApplication.style().standardPalette()),
            "dark": theme.ensure_contrast(theme.dark_palette())}


def test_contrast_ratio_matches_the_wcag_definition():
    assert theme.contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert theme.contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert theme.contrast(QColor("#767676"), QColor("white")) >= 4.5


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_pair_of_the_palette_meets_aa(qapp, scheme):
    p = _palettes(qapp)[scheme]
    low = {}
    for group in (Group.Active, Group.Inactive):
        for fg, bg in theme.PAIRS:
            ratio = theme.contrast(p.color(group, fg), p.color(group, bg))
            if ratio < theme.AA:
                low[f"{group.name} {fg.name} on {bg.name}"] = round(ratio, 2)
    for fg, bg in theme.DIM_PAIRS:
        ratio = theme.contrast(p.color(Group.Disabled, fg), p.color(bg))
        if ratio < theme.AA:
            low[f"dimmed {fg.name} on {bg.name}"] = round(ratio, 2)
    assert low == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_named_colours_meet_aa_on_their_schemes_backgrounds(qapp, scheme):
    p = _palettes(qapp)[scheme]
    base = p.color(QPalette.ColorRole.Base)
    code = base.darker(106) if base.lightness() > 128 else base.lighter(140)  # code blocks
    backgrounds = {"Base": base, "Window": p.color(QPalette.ColorRole.Window), "code": code}
    index = 0 if scheme == "light" else 1
    low = {f"{name} on {where}": round(theme.contrast(QColor(pair[index]), bg), 2)
           for name, pair in theme.COLOURS.items() for where, bg in backgrounds.items()
           if theme.contrast(QColor(pair[index]), bg) < theme.AA}
    assert low == {}


def test_a_platform_colour_that_falls_short_is_shaded_until_it_passes(qapp):
    p = QPalette()
    p.setColor(QPalette.ColorRole.Base, QColor("white"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#c8c8c8"))  # 1.7:1
    fixed = theme.ensure_contrast(p)
    assert theme.contrast(fixed.color(QPalette.ColorRole.PlaceholderText),
                          QColor("white")) >= theme.AA


def test_code_colours_follow_the_scheme(qapp):
    from composer.views.results.highlight import code_style

    app = QApplication.instance()
    before = QPalette(app.palette())
    try:
        app.setPalette(theme.dark_palette())
        assert theme.COLOURS["code-string"][1] in code_style("str")
        app.setPalette(_palettes(qapp)["light"])
        assert theme.COLOURS["code-string"][0] in code_style("str")
    finally:
        app.setPalette(before)
