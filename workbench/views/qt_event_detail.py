"""One event in full: its headers, its payload shown as what it is, and its metadata.

JSON becomes a collapsible tree and highlighted pretty text, CSV a table, other text plain text,
and anything else a hex dump. "Raw" shows the exact bytes instead (as text, or hex when they
are not UTF-8). Nothing shown changes a value: numbers appear as written and repeated keys
each get a row. Where the payload cannot be shown as its mimetype says (JSON too deep for a
tree, text that is not UTF-8), a notice above the tabs says so and what is shown instead; a
value too long for a tree cell shows its start there and whole in the Text tab.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QIcon,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_rules import topic_id_text
from workbench.client.records import EventRow
from workbench.models.event_export import record_text
from workbench.models.event_pages import human_bytes, type_text
from workbench.models.payload_copy import payload_copies
from workbench.models.payload_formats import (
    Payload,
    PayloadKind,
    cell_value,
    hex_dump,
    is_number,
    json_members,
    json_type,
    json_value,
    parse_csv,
    shown_text,
)
from workbench.models.time_display import TimeZoneChoice, stamp_ms
from workbench.views.qt_copy_fields import copy_payload, copy_to_clipboard
from workbench.views.qt_json_highlighter import QtJsonHighlighter
from workbench.views.qt_label_grid import QtLabelGrid
from workbench.views.qt_long_text import show_text
from workbench.views.qt_themes import error_color, palette_is_dark

TREE_LIMIT = 20_000  # nodes built for a JSON tree
TREE_EXPAND_ALL = 500  # documents with at most this many nodes open fully
HIGHLIGHT_LIMIT = 2 * 1024 * 1024  # characters; larger text is shown without colours


class QtEventDetail(QWidget):
    """Shows one event: header, payload (tree, text, table or hex) and metadata."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current_event: EventRow | None = None
        self.payload: Payload | None = None
        self._build()
        self.show_event(None)

    # -- construction -------------------------------------------------------------------------

    def _build(self) -> None:
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.header = QtLabelGrid(
            ["Offset", "Type", "Mimetype", "Size", "Id", "Committed", "Created"], parent=self
        )
        self._header_values = self.header.values
        self._header_values["Id"].setFont(fixed)
        self._zone = TimeZoneChoice.LOCAL
        self.duplicate_badge = QLabel("duplicate", self)
        self.duplicate_badge.setToolTip(
            "A duplicate of an earlier event under the topic's deduplication policy"
        )
        self.duplicate_badge.setAutoFillBackground(True)
        self.duplicate_badge.setBackgroundRole(QPalette.ColorRole.Highlight)
        self.duplicate_badge.setForegroundRole(QPalette.ColorRole.HighlightedText)
        self.duplicate_badge.setContentsMargins(6, 1, 6, 1)

        self.raw_button = QToolButton(self)
        self.raw_button.setText("Raw")
        self.raw_button.setCheckable(True)
        self.raw_button.setToolTip("Show the exact payload bytes (as text, or hex) (Ctrl+R)")
        self.raw_button.setShortcut("Ctrl+R")
        self.raw_button.toggled.connect(self._raw_toggled)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy as JSON")
        self.copy_button.setIcon(QIcon.fromTheme(QIcon.ThemeIcon.EditCopy))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setToolTip(
            "Copy the whole event, payload included, as JSON (the arrow: copy the payload alone)"
        )
        self.copy_button.clicked.connect(self.copy_as_json)
        self.copy_menu = QMenu(self.copy_button)
        self.copy_menu.aboutToShow.connect(self._fill_copy_menu)
        self.copy_button.setMenu(self.copy_menu)
        self.copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.raw_button)
        buttons.addWidget(self.copy_button)

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.duplicate_badge, 0, Qt.AlignmentFlag.AlignTop)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._color_notice()

        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Key", "Value", "Type"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.setColumnWidth(0, self.fontMetrics().horizontalAdvance("M") * 16)
        self.tree.setColumnWidth(2, self.fontMetrics().horizontalAdvance("boolean") + 24)

        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(fixed)
        self._unhighlighted = QTextDocument(self)  # where the highlighter rests when not needed
        self.highlighter = QtJsonHighlighter(self._unhighlighted, self._dark())

        self.table = QTableWidget(self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

        self.hex = QPlainTextEdit(self)
        self.hex.setReadOnly(True)
        self.hex.setFont(fixed)
        self.hex.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        self.metadata = QTreeWidget(self)
        self.metadata.setHeaderLabels(["Name", "Value"])
        self.metadata.setRootIsDecorated(False)
        self.metadata.setAlternatingRowColors(True)
        self.metadata.setColumnWidth(0, self.fontMetrics().horizontalAdvance("M") * 12)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        corner = QWidget(self)
        corner.setLayout(buttons)
        buttons.setContentsMargins(0, 0, 0, 2)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self.tree_tab = self.tabs.addTab(self.tree, "Tree")
        self.text_tab = self.tabs.addTab(self.text, "Text")
        self.table_tab = self.tabs.addTab(self.table, "Table")
        self.hex_tab = self.tabs.addTab(self.hex, "Hex")
        self.metadata_tab = self.tabs.addTab(self.metadata, "Metadata")
        tips = {
            self.tree_tab: "The JSON document as a tree",
            self.text_tab: "The payload as text (pretty-printed JSON unless Raw is on)",
            self.table_tab: "The CSV rows as a table",
            self.hex_tab: "Every byte: offset, hex and ASCII",
            self.metadata_tab: "The event's headers and metadata",
        }
        for tab, tip in tips.items():
            self.tabs.setTabToolTip(tab, tip)

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)

        self.empty = QLabel("Select an event to see it here", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def _dark(self) -> bool:
        return palette_is_dark(self.palette())

    def _color_notice(self) -> None:
        self.notice.setStyleSheet(f"color: {error_color(self.palette()).name()};")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_dark(self._dark())
            self._color_notice()
        if event.type() == QEvent.Type.FontChange:  # presentation mode: fixed fonts follow
            for widget in (self._header_values["Id"], self.text, self.hex):
                fixed = QFont(widget.font())
                fixed.setPointSizeF(self.font().pointSizeF())
                widget.setFont(fixed)
        super().changeEvent(event)

    # -- public API ---------------------------------------------------------------------------

    def show_event(self, event: EventRow | None) -> None:
        """Show an event (or nothing), picking the best view for its payload."""
        self.current_event = event
        if event is None:
            self.payload = None
            self.stack.setCurrentWidget(self.empty)
            return
        self.payload = payload = Payload(event)
        self._show_header(event)
        self._show_metadata(event)
        self._show_tree(payload)
        self._show_table(payload)
        self.hex.setPlainText(hex_dump(event.data))
        self._show_text(payload)
        self.tabs.setTabVisible(self.tree_tab, payload.kind is PayloadKind.JSON)
        self.tabs.setTabVisible(self.table_tab, payload.kind is PayloadKind.CSV)
        self.tabs.setTabVisible(self.text_tab, payload.text is not None)
        self.tabs.setCurrentIndex(self._default_tab(payload))
        self.notice.setText(payload.notice)
        self.notice.setVisible(bool(payload.notice))
        self.stack.setCurrentIndex(1)

    def set_time_zone(self, zone: TimeZoneChoice) -> None:
        """Show times in ``zone`` (each says which)."""
        self._zone = zone
        if self.current_event is not None:
            self._show_header(self.current_event)
            self._show_metadata(self.current_event)

    def header_value(self, name: str) -> str:
        """A value shown in the header ("Offset", "Committed", "Created" …)."""
        return self._header_values[name].text()

    def copy_as_json(self) -> None:
        """Put the event, payload included, on the clipboard as JSON (values as stored)."""
        if self.current_event is not None:
            copy_to_clipboard(record_text(self.current_event, indent=2))

    def _fill_copy_menu(self) -> None:
        self.copy_menu.clear()
        self.copy_menu.addAction("Copy as JSON", self.copy_as_json)
        if self.current_event is not None:
            for copy in payload_copies(self.current_event):
                self.copy_menu.addAction(copy.label, partial(copy_payload, copy))

    # -- parts --------------------------------------------------------------------------------

    def _default_tab(self, payload: Payload) -> int:
        if self.raw_button.isChecked():
            return self.text_tab if payload.text is not None else self.hex_tab
        return {
            PayloadKind.JSON: self.tree_tab,
            PayloadKind.CSV: self.table_tab,
            PayloadKind.TEXT: self.text_tab,
            PayloadKind.BINARY: self.hex_tab,
        }[payload.kind]

    def _show_header(self, event: EventRow) -> None:
        values = {
            "Offset": f"{event.offset:,}",
            "Type": type_text(event),
            "Mimetype": event.mimetype_text,
            "Size": f"{human_bytes(event.size)} ({event.size:,} bytes)"
            if event.size >= 1024
            else human_bytes(event.size),
            "Id": event.id.hex(),
            "Committed": stamp_ms(event.committed_ms, self._zone),
            "Created": stamp_ms(event.created_ms, self._zone) if event.created_ms else "—",
        }
        for name, value in values.items():
            self.header.set_value(name, value)
        self.duplicate_badge.setVisible(event.is_duplicate)

    def _show_metadata(self, event: EventRow) -> None:
        self.metadata.clear()
        headers = QTreeWidgetItem(self.metadata, ["Headers"])
        rows = [
            ("offset", str(event.offset)),
            ("id", event.id.hex()),
            ("type", event.type_name),
            ("version", event.type_version),
            ("mimetype", event.mimetype_text),
            ("created", stamp_ms(event.created_ms, self._zone) if event.created_ms else "—"),
            ("committed", stamp_ms(event.committed_ms, self._zone)),
            ("size", f"{event.size:,} bytes"),
            ("duplicate", "yes" if event.is_duplicate else "no"),
            ("topic", topic_id_text(event.topic_id)),
        ]
        if event.subject:
            rows.append(("subject", event.subject))
        for name, value in rows:
            QTreeWidgetItem(headers, [name, value])
        count = len(event.metadata)
        metadata = QTreeWidgetItem(self.metadata, [f"Metadata ({count})" if count else "Metadata"])
        for name, value in sorted(event.metadata.items()):
            item = QTreeWidgetItem(metadata)
            _set_cell(item, 0, name)
            _set_cell(item, 1, value)
        if not count:
            none = QTreeWidgetItem(metadata, ["(none)", ""])
            none.setForeground(0, self.palette().color(QPalette.ColorRole.PlaceholderText))
        bold = self.metadata.font()
        bold.setBold(True)
        for group in (headers, metadata):
            group.setFont(0, bold)
            group.setFirstColumnSpanned(True)
            group.setExpanded(True)

    def _show_tree(self, payload: Payload) -> None:
        self.tree.clear()
        if payload.kind is not PayloadKind.JSON:
            return
        root = self._tree_item(None, "(root)", payload.json)
        self.tree.addTopLevelItem(root)
        nodes = self._add_descendants(root, payload.json)
        if nodes <= TREE_EXPAND_ALL:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(0)

    def _add_descendants(self, root: QTreeWidgetItem, value: Any) -> int:
        """Add the members of ``value`` at every depth (at most TREE_LIMIT items, without
        recursion); return how many were added."""
        budget = TREE_LIMIT
        pending = [(root, json_members(value))]
        while pending:
            parent, members = pending.pop()
            for key, child in members:
                if budget <= 0:
                    more = QTreeWidgetItem(parent, ["…", "more items not shown", ""])
                    more.setForeground(1, self.palette().color(QPalette.ColorRole.PlaceholderText))
                    break
                budget -= 1
                item = self._tree_item(parent, key, child)
                if isinstance(child, dict | list):
                    pending.append((item, json_members(child)))
        return TREE_LIMIT - budget

    def _tree_item(self, parent: QTreeWidgetItem | None, key: str, value: Any) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent) if parent is not None else QTreeWidgetItem()
        _set_cell(item, 0, shown_text(key))
        _set_cell(item, 1, json_value(value))
        item.setText(2, json_type(value))
        if isinstance(value, dict | list):
            item.setForeground(1, self.palette().color(QPalette.ColorRole.PlaceholderText))
        return item

    def _show_table(self, payload: Payload) -> None:
        self.table.clear()
        if payload.csv is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        headers, rows = payload.csv
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                item = QTableWidgetItem(cell)
                if is_number(cell):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _show_text(self, payload: Payload) -> None:
        raw = self.raw_button.isChecked()
        text = payload.raw() if raw else payload.pretty()
        highlight = payload.kind is PayloadKind.JSON and not raw and len(text) <= HIGHLIGHT_LIMIT
        wrap = payload.kind is PayloadKind.TEXT or raw
        self.highlighter.setDocument(self.text.document() if highlight else self._unhighlighted)
        show_text(self.text, text, wrap)

    def _raw_toggled(self) -> None:
        if self.payload is not None:
            self._show_text(self.payload)
            self.tabs.setCurrentIndex(self._default_tab(self.payload))


def _set_cell(item: QTreeWidgetItem, column: int, text: str) -> None:
    """Show ``text`` in a cell: whole when short, its start and a tooltip when long."""
    shown, tip = cell_value(text)
    item.setText(column, shown)
    if tip:
        item.setToolTip(column, tip + ", the whole in the Text tab")


__all__ = ["Payload", "PayloadKind", "QtEventDetail", "QtJsonHighlighter", "hex_dump", "parse_csv"]
