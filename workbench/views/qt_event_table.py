"""A topic's events as a virtual table: pages on demand, go to offset or time, live tail, filter.

The model's row count is the topic's event count; rows are served from an :class:`EventPages`
cache and a row not loaded yet shows a placeholder while its page is fetched (once the view
has stopped scrolling, and only the pages in view). A live tail collects incoming events and
inserts them ten times a second in one insertion, following the end only while the view is at
the end.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QDateTime,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.client.records import EventPage, EventRow, TopicRow
from workbench.client.stream_client import StreamClient
from workbench.models.event_export import ExportFormat, record_text
from workbench.models.event_pages import Column
from workbench.models.live_tail import LiveTailPolicy, TailMode
from workbench.models.payload_copy import payload_copies
from workbench.models.time_display import TimeZoneChoice, column_title, stamp_ms
from workbench.views.qt_copy_fields import copy_payload, copy_to_clipboard
from workbench.views.qt_eliding_label import QtElidingLabel
from workbench.views.qt_event_pages_model import (
    EVENT_ROLE,
    PLACEHOLDER,
    QtEventPagesModel,
    cell_font,
)
from workbench.views.qt_event_table_view import QtEventTableView
from workbench.views.qt_export import QtExportJob, ask_export_path, run_export
from workbench.views.qt_glyph_icons import standard_icon
from workbench.views.qt_session import QtSession

ID_CHARS = 12
"""Hex digits of an id the Id column has room for (its start is elided: an id's start is its
time, the same for hours; its end tells neighbours apart)."""
TAIL_TICK_MS = 100
TAIL_BUFFER = 20_000
TAIL_POLL_ROWS = 200
TAIL_POLL_MS = 250
"""How often a tail under a flood shows the newest events: four times a second rather than ten
(each a repaint of a whole table of new text), as the rows are a blur either way."""


class QtEventTable(QWidget):
    """A topic's events with navigation, a live tail and a filter over loaded events.

    ``event_selected`` carries the selected :class:`EventRow` (once loaded), or None when the
    topic changes.
    """

    event_selected = Signal(object)  # EventRow | None
    produce_from = Signal(object)  # EventRow: open the composer filled from it

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = QtEventPagesModel(session, self)
        self._tail_task: asyncio.Task[None] | None = None
        self.tail_policy = LiveTailPolicy()
        self._incoming: deque[EventRow] = deque(maxlen=TAIL_BUFFER)
        self._pending_row = -1  # the current row, until its event is loaded
        self._pause_icon = standard_icon(self, QStyle.StandardPixmap.SP_MediaPause)
        self._resume_icon = standard_icon(self, QStyle.StandardPixmap.SP_MediaPlay)
        self._build()
        self.model.set_visible_rows(self._visible_rows)
        self.model.size_seen.connect(self._size_seen)
        self.model.dataChanged.connect(self._rows_loaded)
        self.model.modelReset.connect(self._update_status)
        self.model.rowsInserted.connect(self._update_status)
        self._tick = QTimer(self)
        self._tick.setInterval(TAIL_TICK_MS)
        self._tick.timeout.connect(self._apply_incoming)
        self._tick.start()
        session.topics_changed.connect(self._topics_changed)
        session.disconnected.connect(self._disconnected)
        session.connected.connect(self._reconnected)
        self._update_status()

    # -- construction -------------------------------------------------------------------------

    def _build(self) -> None:
        style = self.style()
        bar = QToolBar(self)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(bar.iconSize() * 0.8)
        self.start_action = self._action(
            bar, "Start", QStyle.StandardPixmap.SP_MediaSkipBackward, "Ctrl+Home",
            "Jump to the first event", self.jump_to_start,
        )  # fmt: skip
        self.end_action = self._action(
            bar, "End", QStyle.StandardPixmap.SP_MediaSkipForward, "Ctrl+End",
            "Jump to the newest event", self.jump_to_end,
        )  # fmt: skip
        bar.addSeparator()
        bar.addWidget(QLabel(" Offset ", bar))
        self.offset_box = QSpinBox(bar)
        self.offset_box.setRange(1, 2**31 - 1)
        self.offset_box.setGroupSeparatorShown(True)
        self.offset_box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.offset_box.setMinimumWidth(self.fontMetrics().horizontalAdvance("0,000,000,000") + 16)
        self.offset_box.setToolTip("Go to an offset: type it and press Enter (Ctrl+G)")
        self.offset_box.lineEdit().returnPressed.connect(self._go_to_offset_box)
        bar.addWidget(self.offset_box)
        self._action(
            bar, "Go", QStyle.StandardPixmap.SP_ArrowRight, "", "Go to this offset",
            self._go_to_offset_box,
        )  # fmt: skip
        self._shortcut("Ctrl+G", lambda: _focus(self.offset_box))
        bar.addSeparator()
        self.time_label = QLabel(bar)
        bar.addWidget(self.time_label)
        self.time_box = QDateTimeEdit(QDateTime.currentDateTime(), bar)
        self.time_box.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.time_box.setCalendarPopup(True)
        self._show_time_zone(self.session.time_zone)
        self.session.time_zone_changed.connect(self._show_time_zone)
        self.time_box.lineEdit().returnPressed.connect(self._go_to_time_box)
        bar.addWidget(self.time_box)
        self._action(
            bar, "Go", QStyle.StandardPixmap.SP_ArrowRight, "",
            "Go to the first event committed at or after this time", self._go_to_time_box,
        )  # fmt: skip
        bar.addSeparator()
        self.live_action = self._action(
            bar, "Live", QStyle.StandardPixmap.SP_BrowserReload, "Ctrl+L",
            "Live tail: show events as they are published", self._live_toggled, checkable=True,
        )  # fmt: skip
        self.live_action.setChecked(True)
        self.pause_action = self._action(
            bar, "Pause", QStyle.StandardPixmap.SP_MediaPause, "Ctrl+P",
            "Freeze the table; new events wait until you resume", self._pause_toggled,
            checkable=True,
        )  # fmt: skip
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.filter_box = QLineEdit(bar)
        self.filter_box.setPlaceholderText("Filter loaded events…")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setToolTip(
            "Show only loaded events containing this text (in type, mimetype, id, metadata or "
            "payload). Events not loaded yet are not searched. (Ctrl+F)"
        )
        self.filter_box.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 18)
        self.filter_box.addAction(
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView),
            QLineEdit.ActionPosition.LeadingPosition,
        )
        self.filter_box.textChanged.connect(self._filter_changed)
        bar.addWidget(self.filter_box)
        self._shortcut("Ctrl+F", lambda: _focus(self.filter_box))

        self.view = QtEventTableView(self.model, self)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform row heights
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self._size_columns()
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.verticalScrollBar().valueChanged.connect(self.model.request_visible)
        copy = QAction("Copy as JSON", self.view)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selected)
        self.view.addAction(copy)

        # Elided in the middle: a topic name of up to 512 characters never widens the window,
        # and the count and state at the end stay in view.
        self.status = QtElidingLabel(mode=Qt.TextElideMode.ElideMiddle, parent=self)
        self.filter_status = QLabel(self)
        self.filter_status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        footer = QHBoxLayout()
        footer.setContentsMargins(6, 2, 6, 2)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.filter_status)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(footer)
        self.toolbar = bar
        self.setFocusProxy(self.view)

    def _show_time_zone(self, zone: TimeZoneChoice) -> None:
        """The time box reads and shows times in ``zone``, and says so."""
        shown = self.time_box.dateTime()
        self.time_box.setTimeZone(
            QTimeZone.utc() if zone is TimeZoneChoice.UTC else QTimeZone.systemTimeZone()
        )
        self.time_box.setDateTime(shown)  # the same moment, told in the new zone
        self.time_label.setText(f" {column_title('Time', zone)} ")
        self.time_box.setToolTip(
            f"Go to the first event committed at or after this time ({zone.label})"
        )

    def _action(
        self,
        bar: QToolBar,
        text: str,
        icon: QStyle.StandardPixmap,
        shortcut: str,
        tip: str,
        slot: Callable[[], None],
        checkable: bool = False,
    ) -> QAction:
        action = QAction(standard_icon(self, icon), text, self)
        action.setCheckable(checkable)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            tip = f"{tip} ({shortcut})"
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        bar.addAction(action)
        self.addAction(action)
        return action

    def _shortcut(self, keys: str, slot: Callable[[], None]) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)

    def _size_columns(self) -> None:
        """Widths that leave the Preview room in a 1366-px-wide window: each column fits its
        usual values (longer ones are elided, whole in the tooltip and the detail below)."""
        metrics = self.view.fontMetrics()
        fixed = cell_font(self.view.font(), fixed=True, italic=False)  # as IDs are drawn
        samples = {
            Column.OFFSET: "10,000,000",
            Column.COMMITTED: "2024-12-31 23:59:59.999",
            Column.CREATED: "2024-12-31 23:59:59.999",
            Column.TYPE: "OrderPlaced v1.0.0",
            Column.MIMETYPE: "application/json",
            Column.SIZE: "1023.9 KiB",
        }
        pad = 2 * metrics.averageCharWidth()
        for column, sample in samples.items():
            self.view.setColumnWidth(column, metrics.horizontalAdvance(sample) + pad)
        id_width = QFontMetrics(fixed).horizontalAdvance("0" * ID_CHARS) + pad
        self.view.setColumnWidth(Column.ID, id_width)

    # -- public API ---------------------------------------------------------------------------

    @property
    def topic(self) -> TopicRow | None:
        """The topic shown."""
        return self.model.topic

    @property
    def live(self) -> bool:
        """True while the live tail is on."""
        return self.live_action.isChecked()

    @property
    def tail_mode(self) -> TailMode:
        """How the live tail follows the topic: "stream" (every event) or "poll" (a flood)."""
        return self.tail_policy.mode

    @property
    def paused(self) -> bool:
        """True while the table is frozen."""
        return self.pause_action.isChecked()

    def show_topic(self, topic: TopicRow | None) -> None:
        """Show a topic's events (opens at the end while the live tail is on)."""
        self._stop_tail()
        self._incoming.clear()
        self.tail_policy.clear_held()
        self._pending_row = -1
        self.filter_box.blockSignals(True)
        self.filter_box.clear()
        self.filter_box.blockSignals(False)
        self.model.set_topic(topic)
        if topic is not None and topic.last_committed_ms:
            self.time_box.setDateTime(QDateTime.fromMSecsSinceEpoch(topic.last_committed_ms))
        self.event_selected.emit(None)
        if topic is not None:
            if self.live and not self.paused:
                QTimer.singleShot(0, self.view.scrollToBottom)
            self._start_tail()
        self.model.request_visible()
        self._update_status()

    def jump_to_start(self) -> None:
        """Show and select the first event."""
        if self.model.rowCount() > 0:
            self._select_row(0)

    def jump_to_end(self) -> None:
        """Show and select the newest event."""
        if self.model.rowCount() > 0:
            self._select_row(self.model.rowCount() - 1)

    def go_to_offset(self, offset: int) -> None:
        """Show and select the event at an offset (the nearest one if out of range)."""
        if self.model.rowCount() > 0:
            self._select_row(self.model.row_of_offset(offset))

    def go_to_time(self, ms: int) -> None:
        """Show and select the first event committed at or after ``ms`` (Unix milliseconds)."""
        client, topic = self.session.client, self.topic
        if client is None or topic is None:
            return

        def found(page: EventPage) -> None:
            if self.topic is None or self.topic.id != topic.id:
                return
            if page.events:
                self._catch_up(page.last_offset)
                self.go_to_offset(page.events[0].offset)
            else:
                when = stamp_ms(ms, self.session.time_zone)
                self.status.setText(f"No events after {when}; showing the newest.")
                self.jump_to_end()

        self.session.run(
            client.read_events(topic.id, after_ms=ms, limit=1), found, "finding events by time"
        )

    def set_filter(self, text: str) -> None:
        """Filter the loaded events (as typing in the filter box does)."""
        self.filter_box.setText(text)

    def selected_event(self) -> EventRow | None:
        """The selected event, if loaded."""
        current = self.view.currentIndex()
        return self.model.event_at(current.row()) if current.isValid() else None

    def selected_offsets(self) -> list[tuple[int, int]]:
        """The selected rows' offsets as (first, last) ranges, in order."""
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        ranges: list[tuple[int, int]] = []
        for row in rows:
            event = self.model.event_at(row)
            offset = event.offset if event is not None else self._row_offset(row)
            if offset is None:
                continue
            if ranges and ranges[-1][1] + 1 == offset:
                ranges[-1] = (ranges[-1][0], offset)
            else:
                ranges.append((offset, offset))
        return ranges

    def _row_offset(self, row: int) -> int | None:
        return None if self.model.filtering else row + 1  # unfiltered rows are offsets - 1

    def export_selected(
        self, path: str | Path, fmt: ExportFormat, show_progress: bool = True
    ) -> QtExportJob | None:
        """Export the selected events (fetched from the broker if not loaded)."""
        client, topic, ranges = self.session.client, self.topic, self.selected_offsets()
        if client is None or topic is None or not ranges:
            return None

        async def events() -> AsyncIterator[EventRow]:
            for first, last in ranges:
                offset = first
                while offset <= last:
                    page = await client.read_events(
                        topic.id, offset=offset, limit=min(1000, last - offset + 1)
                    )
                    if not page.events:
                        return
                    for event in page.events:
                        if event.offset <= last:
                            yield event
                    offset = page.events[-1].offset + 1

        total = sum(last - first + 1 for first, last in ranges)
        return run_export(self, events, path, fmt, total, show_progress)

    def _ask_export_selected(self) -> None:
        name = f"{self.topic.name if self.topic else 'events'}-selected.jsonl"
        ask_export_path(
            self,
            "Export selected events",
            Path.home(),
            name,
            lambda path, fmt: self.export_selected(path, fmt),
        )

    def copy_selected(self) -> None:
        """Put the selected event on the clipboard as JSON."""
        event = self.selected_event()
        if event is not None:
            copy_to_clipboard(record_text(event, indent=2))

    # -- navigation ---------------------------------------------------------------------------

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.view.setCurrentIndex(index)
        self.view.selectRow(row)
        self.model.request_visible()

    def _go_to_offset_box(self) -> None:
        if self.model.filtering:
            self.filter_box.clear()
        self.offset_box.interpretText()
        self.go_to_offset(self.offset_box.value())

    def _go_to_time_box(self) -> None:
        if self.model.filtering:
            self.filter_box.clear()
        self.go_to_time(self.time_box.dateTime().toMSecsSinceEpoch())

    def _visible_rows(self) -> tuple[int, int]:
        count = self.model.rowCount()
        if count == 0:
            return 0, -1
        first = max(self.view.rowAt(0), 0)
        last = self.view.rowAt(self.view.viewport().height() - 1)
        if last < 0:
            row_height = max(self.view.verticalHeader().defaultSectionSize(), 1)
            last = first + self.view.viewport().height() // row_height
        return first, min(last, count - 1)

    def _at_end(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() >= bar.maximum()

    # -- selection ----------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.row() if current.isValid() else -1
        event = self.model.event_at(row) if row >= 0 else None
        self._pending_row = row if event is None else -1
        if event is not None:
            self._selected(event)

    def _selected(self, event: EventRow) -> None:
        if not self.offset_box.hasFocus():
            self.offset_box.setValue(min(event.offset, self.offset_box.maximum()))
        if not self.time_box.hasFocus():
            self.time_box.setDateTime(QDateTime.fromMSecsSinceEpoch(event.committed_ms))
        self.event_selected.emit(event)

    def _rows_loaded(self, top: QModelIndex, bottom: QModelIndex) -> None:
        if top.row() <= self._pending_row <= bottom.row():
            event = self.model.event_at(self._pending_row)
            if event is not None:
                self._pending_row = -1
                self._selected(event)

    def _context_menu(self, at: QPoint) -> None:
        index = self.view.indexAt(at)
        event = self.model.event_at(index.row()) if index.isValid() else None
        if event is None:
            return
        menu = QMenu(self)
        menu.addAction("Copy as JSON", lambda: copy_to_clipboard(record_text(event, indent=2)))
        for copy in payload_copies(event):
            menu.addAction(copy.label, partial(copy_payload, copy))
        menu.addAction("Copy id", lambda: copy_to_clipboard(event.id.hex()))
        menu.addSeparator()
        menu.addAction("Produce from this event…", lambda: self.produce_from.emit(event))
        count = len(self.view.selectionModel().selectedRows())
        menu.addAction(f"Export {count:,} selected event(s)…", self._ask_export_selected)
        menu.exec(self.view.viewport().mapToGlobal(at))

    # -- filter -------------------------------------------------------------------------------

    def _filter_changed(self, text: str) -> None:
        self.model.set_filter(text)
        self._update_status()

    # -- live tail ----------------------------------------------------------------------------

    def _start_tail(self) -> None:
        self._stop_tail()
        client, topic = self.session.client, self.topic
        if client is None or topic is None or not self.live:
            return
        self._tail_task = self.session.run(
            self._tail(client, topic.id), what=f"live tail of {topic.name}"
        )

    def _stop_tail(self) -> None:
        if self._tail_task is not None:
            self._tail_task.cancel()
            self._tail_task = None

    async def _tail(self, client: StreamClient, topic_id: bytes) -> None:
        # Events stream in one by one; under a flood (more than anyone can read) the tail
        # polls the end of the topic instead, so the GUI's work no longer grows with the rate.
        while await self._stream_tail(client, topic_id):
            await self._poll_tail(client, topic_id)

    async def _stream_tail(self, client: StreamClient, topic_id: bytes) -> bool:
        """Receive every new event; return True when a flood calls for polling."""
        policy = self.tail_policy
        policy.stream(time.monotonic())
        async for event in client.tail(client.topic_ref(topic_id)):
            if self.topic is None or event.topic_id != self.topic.id:
                continue
            self._incoming.append(event)
            known_end = self.topic.last_offset
            if policy.streamed(event.offset, known_end, time.monotonic(), self.paused):
                return True
        return False

    async def _poll_tail(self, client: StreamClient, topic_id: bytes) -> None:
        """Fetch the newest page every tick until the rate drops."""
        policy = self.tail_policy
        while policy.mode == "poll":
            await asyncio.sleep(TAIL_POLL_MS / 1000)
            page = await client.read_events(topic_id, from_end=True, limit=TAIL_POLL_ROWS)
            offsets = [e.offset for e in page.events]
            new = policy.polled(offsets, time.monotonic(), self.paused)
            if new:
                self._incoming.extend(page.events[-new:])

    def _apply_incoming(self) -> None:
        count = self.tail_policy.to_insert(len(self._incoming), self.paused)
        if count:
            last = self._incoming[-1].offset
            events = list(self._incoming)[-count:]
            self._incoming.clear()
            self._grow(events, last)
        elif self.paused and self.tail_policy.held:
            self._update_status()

    def _grow(self, events: list[EventRow], count: int = 0) -> None:
        """Add rows in one insertion; follow the end if the view was there (and live)."""
        follow = self.live and self._at_end()
        self.model.add_events(events, count)
        if follow:
            self.view.scrollToBottom()

    def _size_seen(self, count: int) -> None:
        """A read or a topic refresh learned the topic's size (ignored while the tail runs)."""
        self._catch_up(count, tailing=self._tailing())

    def _catch_up(self, count: int, tailing: bool = False) -> None:
        """Grow the table towards ``count`` events as the live-tail policy allows."""
        rows = self.model.pages.count
        more = self.tail_policy.growth(count, rows, self.paused, tailing)
        if more:
            self._grow([], rows + more)

    def _tailing(self) -> bool:
        return self._tail_task is not None and not self._tail_task.done()

    def _topics_changed(self, topics: list[TopicRow]) -> None:
        topic = self.topic
        if topic is None:
            return
        fresh = next((t for t in topics if t.id == topic.id), None)
        if fresh is None:
            return
        self.model.topic = fresh
        self._size_seen(fresh.events)
        self._update_status()

    def _live_toggled(self) -> None:
        if self.live:
            self._start_tail()
            self._resync()
        else:
            self._stop_tail()
            self._incoming.clear()
        self._update_status()

    def _pause_toggled(self) -> None:
        if not self.paused:
            self.tail_policy.clear_held()
            self._apply_incoming()
            self._resync()
        self._update_status()

    def _resync(self) -> None:
        """Catch up with the topic's current size and fetch what is in view."""
        client, topic = self.session.client, self.topic
        if client is None or topic is None:
            return

        def caught_up(page: EventPage) -> None:
            if self.topic is None or self.topic.id != topic.id:
                return
            self._catch_up(page.last_offset)
            self.model.request_visible()

        self.session.run(
            client.read_events(topic.id, from_end=True, limit=1), caught_up, "reading events"
        )

    def _disconnected(self, _why: str) -> None:
        self.show_topic(None)  # its events are that broker's

    def _reconnected(self, _client: object) -> None:
        if self.topic is not None and self.session.topic(self.topic.id) is None:
            self.show_topic(None)  # another broker: its topics are not this one's
        elif self.topic is not None:
            self.model.invalidate()
            self._start_tail()
            self._resync()
        self._update_status()

    # -- status -------------------------------------------------------------------------------

    def _update_status(self) -> None:
        label = "Resume" if self.paused else "Pause"
        if self.pause_action.text() != label:  # runs on every new row: change only on a toggle
            self.pause_action.setText(label)
            self.pause_action.setIcon(self._resume_icon if self.paused else self._pause_icon)
        topic = self.topic
        if topic is None:
            self.status.setText("No topic selected")
            self.filter_status.setText("")
            return
        count = self.model.pages.count
        state = "live tail off"
        if self.live:
            state = "live" if self._tailing() else "live tail stopped"
        if self.paused:
            held = self.tail_policy.held
            state = f"paused · {held:,} new" if held else "paused"
        self.status.setText(f"{topic.name} · {count:,} events · {state}")
        if self.model.filtering:
            self.filter_status.setText(
                f"filtering {self.model.loaded_count():,} loaded events · "
                f"{self.model.rowCount():,} match"
            )
        else:
            self.filter_status.setText("")


def _focus(widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
    if isinstance(widget, QLineEdit | QSpinBox):
        widget.selectAll()


__all__ = ["EVENT_ROLE", "PLACEHOLDER", "QtEventPagesModel", "QtEventTable"]
