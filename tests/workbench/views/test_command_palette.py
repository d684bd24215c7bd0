"""The command palette: typing ranks entries, keys move and choose, Esc closes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from workbench.views.qt_command_palette import POSITIONS_ROLE, PaletteEntry, QtCommandPalette

ENTRIES = [
    PaletteEntry("payments", "demo · 45 events", "topic", b"p"),
    PaletteEntry("orders.created", "demo · 12,000 events", "topic", b"o1"),
    PaletteEntry("orders.shipped", "demo · 800 events", "topic", b"o2"),
    PaletteEntry("inventory-updates", "demo · 0 events", "topic", b"i"),
    PaletteEntry("New topic…", "Ctrl+N", "action", "new"),
    PaletteEntry("Presentation mode", "Ctrl+Shift+P", "action", "present"),
]


def _palette(qtbot: QtBot) -> tuple[QMainWindow, QtCommandPalette]:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    palette = QtCommandPalette(window)
    palette.set_entries(ENTRIES)
    palette.popup()
    return window, palette


def test_without_a_query_every_entry_is_offered_in_order(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    assert palette.isVisible()
    assert palette.entries() == ENTRIES
    assert palette.current_entry() == ENTRIES[0]


def test_typing_ranks_entries_and_highlights_the_matched_letters(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    qtbot.keyClicks(palette.search, "osh")
    titles = [entry.title for entry in palette.entries()]
    assert titles[0] == "orders.shipped"
    assert "payments" not in titles
    assert palette.current_entry() == ENTRIES[2]
    first = palette.model.index(0)
    assert first.data(POSITIONS_ROLE) == (0, 7, 8)  # o, s, h

    palette.search.clear()
    qtbot.keyClicks(palette.search, "pres")
    assert [entry.payload for entry in palette.entries()] == ["present"]

    palette.search.clear()
    qtbot.keyClicks(palette.search, "zzz")
    assert palette.entries() == []
    assert palette.current_entry() is None


def test_down_and_enter_choose_an_entry_and_close(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    qtbot.keyClicks(palette.search, "orders")
    assert [e.title for e in palette.entries()] == ["orders.created", "orders.shipped"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.current_entry() == ENTRIES[2]
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)  # wraps to the first
    assert palette.current_entry() == ENTRIES[1]
    qtbot.keyClick(palette.search, Qt.Key.Key_Up)  # and back to the last
    assert palette.current_entry() == ENTRIES[2]
    with qtbot.waitSignal(palette.chosen) as chosen:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert chosen.args == [ENTRIES[2]]
    assert not palette.isVisible()


def test_enter_with_nothing_matching_chooses_nothing(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    chosen: list[PaletteEntry] = []
    palette.chosen.connect(chosen.append)
    qtbot.keyClicks(palette.search, "qqq")
    qtbot.keyClick(palette.search, Qt.Key.Key_Enter)
    assert chosen == []
    assert palette.isVisible()


def test_escape_closes_without_choosing(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    chosen: list[PaletteEntry] = []
    palette.chosen.connect(chosen.append)
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()
    assert chosen == []


def test_clicking_an_entry_chooses_it(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    rect = palette.list.visualRect(palette.model.index(3))
    with qtbot.waitSignal(palette.chosen) as chosen:
        qtbot.mouseClick(palette.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == [ENTRIES[3]]


def test_popup_is_centred_in_the_top_third_of_the_window_and_starts_afresh(
    qtbot: QtBot,
) -> None:
    window, palette = _palette(qtbot)
    frame = window.geometry()
    frame.moveTopLeft(window.mapToGlobal(QPoint(0, 0)))
    box = palette.geometry()
    assert abs(box.center().x() - frame.center().x()) <= 1
    assert frame.top() < box.top() < frame.top() + frame.height() // 3
    assert box.width() < frame.width()

    qtbot.keyClicks(palette.search, "pay")
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    palette.popup()
    assert palette.search.text() == ""
    assert palette.entries() == ENTRIES


def test_a_query_without_matches_says_so(qtbot: QtBot) -> None:
    _, palette = _palette(qtbot)
    qtbot.keyClicks(palette.search, "zzzz")
    assert palette.entries() == []
    shown = [label.text() for label in palette.findChildren(QLabel) if label.isVisible()]
    assert any("No matches for “zzzz”" in text for text in shown), shown
    palette.search.clear()
    shown = [label.text() for label in palette.findChildren(QLabel) if label.isVisible()]
    assert not any("No matches" in text for text in shown)
    assert palette.list.isVisible()
