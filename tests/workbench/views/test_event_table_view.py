"""How the event table paints its cells: the text and look each row is given, on screen."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from pytestqt.qtbot import QtBot

from workbench.client.records import EventRow, TopicRow
from workbench.models.event_pages import Column
from workbench.views.qt_event_pages_model import QtEventPagesModel
from workbench.views.qt_event_table_view import QtEventTableView
from workbench.views.qt_session import QtSession

TOPIC = TopicRow(b"t" * 16, b"p" * 16, "local", "sensors", False, 40, 0, 0, 1, 40, 0, "NONE")


def _event(offset: int, duplicate: bool = False) -> EventRow:
    data = json.dumps({"reading": offset, "sensor": "s-01"}).encode()
    event = EventRow(
        TOPIC.id, offset, bytes(16), 1_700_000_000_000, 0, "Reading", "1.0.0", 50, data
    )
    return dataclasses.replace(event, is_duplicate=duplicate)


@pytest.fixture
def view(qtbot: QtBot) -> QtEventTableView:
    model = QtEventPagesModel(QtSession())
    model.set_topic(TOPIC)
    # Rows 1-20 loaded (row 5 a duplicate), rows 21-40 not yet: as a live tail stores them.
    model.add_events([_event(n, duplicate=n == 5) for n in range(1, 21)])
    table = QtEventTableView(model)
    qtbot.addWidget(table)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.resize(1100, 1000)
    for column, width in enumerate((110, 200, 190, 190, 140, 160, 80, 300)):
        table.setColumnWidth(column, width)
    table.show()
    qtbot.waitExposed(table)
    return table


def _row_image(view: QtEventTableView, row: int, column: Column | None = None) -> QImage:
    rect = view.visualRect(view.model().index(row, column or 0))
    if column is None:
        rect.setLeft(0)
        rect.setRight(view.viewport().width() - 1)
    return view.viewport().grab(rect).toImage()


def _darkest(image: QImage) -> int:
    return min(
        QColor(image.pixel(x, y)).lightness()
        for x in range(image.width())
        for y in range(image.height())
    )


def _inked(image: QImage, x: int, y: int) -> bool:
    """Whether a pixel is text: clearly darker than the cell's background (its corner)."""
    background = QColor(image.pixel(0, 0)).lightness()
    return QColor(image.pixel(x, y)).lightness() < background - 40


def _ink_columns(image: QImage) -> list[int]:
    """The x positions where the cell has text."""
    return [
        x for x in range(image.width()) if any(_inked(image, x, y) for y in range(image.height()))
    ]


def test_loaded_rows_show_their_text_and_placeholders_and_duplicates_are_dimmed(
    view: QtEventTableView,
) -> None:
    text = view.palette().color(QPalette.ColorRole.Text).lightness()
    normal = _darkest(_row_image(view, 2))
    duplicate = _darkest(_row_image(view, 4))
    pending = _darkest(_row_image(view, 30))
    assert normal <= text + 40, "a loaded event is drawn in the text colour"
    assert duplicate > normal + 40, "a duplicate is dimmed"
    assert pending > normal + 40, "a row not loaded yet shows a dimmed placeholder"
    assert _ink_columns(_row_image(view, 30, Column.PREVIEW)), "its placeholder is drawn"


def test_numbers_are_right_aligned_and_text_left_aligned(view: QtEventTableView) -> None:
    offset = _row_image(view, 2, Column.OFFSET)
    offset_ink = _ink_columns(offset)
    kind = _row_image(view, 2, Column.TYPE)
    kind_ink = _ink_columns(kind)
    assert offset_ink and min(offset_ink) > offset.width() / 2, "'3' sits at the right edge"
    assert max(offset_ink) >= offset.width() - 12
    assert kind_ink and min(kind_ink) <= 12, "'Reading v1.0.0' starts at the left edge"


def test_a_selected_row_is_highlighted_and_long_text_is_elided(view: QtEventTableView) -> None:
    view.selectRow(7)
    image = _row_image(view, 7)
    highlight = view.palette().color(QPalette.ColorRole.Highlight).rgb()
    pixels = [image.pixel(x, image.height() // 2) for x in range(image.width())]
    assert sum(p == highlight for p in pixels) > len(pixels) / 2

    view.setColumnWidth(Column.PREVIEW, 60)
    preview = view.model().index(2, Column.PREVIEW).data()
    assert len(str(preview)) > 20, "the whole preview is in the model"
    ink = _ink_columns(_row_image(view, 2, Column.PREVIEW))
    assert ink and max(ink) < 60, "the preview is cut at the cell's edge"


def test_a_larger_font_draws_larger_text(view: QtEventTableView) -> None:
    def text_height() -> int:
        image = _row_image(view, 2, Column.TYPE)
        rows = [
            y
            for y in range(image.height())
            if any(_inked(image, x, y) for x in range(image.width()))
        ]
        return max(rows) - min(rows)

    before = text_height()
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)
    view.verticalHeader().setDefaultSectionSize(40)
    assert text_height() > before * 1.25
