"""The topic browser: projects and their topics with live counts, sizes and rates.

The tree is a :class:`QStandardItemModel` kept in step with the session by
:func:`workbench.models.topic_tree.diff`: rows are added, removed and updated in place, never
rebuilt, so the selection, the expanded projects and the scroll position survive every refresh.
A :class:`QSortFilterProxyModel` sorts it and filters topics by name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QIcon,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from workbench.client.broker_rules import topic_id_text
from workbench.client.records import MetricsSample, ProjectRow, TopicRow
from workbench.client.stream_client import Capability
from workbench.models.event_pages import human_bytes
from workbench.models.event_search import fold
from workbench.models.time_display import TimeZoneChoice, exact_ms
from workbench.models.topic_tree import (
    ProjectNode,
    TopicNode,
    TopicTree,
    TreeDiff,
    diff,
    format_count,
    format_rate,
    latest_rates,
)
from workbench.views.qt_session import QtSession
from workbench.views.qt_topic_dialogs import (
    QtDedupPolicyDialog,
    QtDestroyTopicDialog,
    QtNewTopicDialog,
)

COLUMNS = ("Name", "Events", "Size", "Rate")
NAME, EVENTS, SIZE, RATE = range(4)
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # bytes: the project's or topic's id
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "project" or "topic"
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # the value a column sorts by
ARCHIVED_ROLE = Qt.ItemDataRole.UserRole + 4  # bool, on every cell of an archived topic
NAME_ROLE = Qt.ItemDataRole.UserRole + 5  # the plain name, for filtering
PROJECT, TOPIC = "project", "topic"
_NUMBER_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _themed(name: QIcon.ThemeIcon | str, fallback: QIcon) -> QIcon:
    icon = QIcon.fromTheme(name)
    return fallback if icon.isNull() else icon


class _TopicFilter(QSortFilterProxyModel):
    """Sorts by each column's value and keeps topics whose name contains the search text."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._text = ""
        self.setRecursiveFilteringEnabled(True)
        self.setDynamicSortFilter(True)
        self.setSortRole(SORT_ROLE)

    @property
    def text(self) -> str:
        """The search text (folded: see :func:`~workbench.models.event_search.fold`)."""
        return self._text

    def set_text(self, text: str) -> None:
        """Filter by ``text`` (as the event filter compares: any case, any normal form); ""
        shows everything."""
        text = fold(text)
        if text != self._text:
            self.beginFilterChange()
            self._text = text
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        """Every row without a search; else topics whose name matches (and their projects)."""
        if not self._text:
            return True
        if not source_parent.isValid():
            return False  # a project shows when one of its topics matches (recursive filtering)
        index = self.sourceModel().index(source_row, NAME, source_parent)
        return self._text in fold(str(index.data(NAME_ROLE)))


_MARGIN = 4
"""Around the search bar and the tree, in pixels."""
NAME_CHARS = 14
NAME_MAX_CHARS = 40
"""The Name column asks for room for the longest topic name, up to this many characters."""
"""The width, in average characters, of the topic names the browser would like to show."""


class _TopicDelegate(QStyledItemDelegate):
    """Bold project rows and dimmed archived topics, following the current font and palette."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Style a cell by its row's kind."""
        super().initStyleOption(option, index)
        if index.data(KIND_ROLE) == PROJECT:
            option.font.setBold(True)
        elif index.data(ARCHIVED_ROLE):
            palette: QPalette = option.palette
            dim = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            palette.setColor(QPalette.ColorRole.Text, dim)


class _TopicView(QTreeView):
    """A tree that says why it is empty, and tells when its rows' width changed."""

    def __init__(self, parent: QWidget, resized: Callable[[], None]) -> None:
        super().__init__(parent)
        self.empty_text = ""
        self._resized = resized

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Let the browser fit its columns to the new width."""
        super().resizeEvent(event)
        self._resized()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the rows, or the empty text when there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            margin = self.fontMetrics().height()
            area = self.viewport().rect().adjusted(margin, margin, -margin, -margin)
            painter.drawText(
                area,
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()


class QtTopicBrowser(QWidget):
    """Projects and topics of the connected broker, with actions to manage topics."""

    topic_selected = Signal(object)  # TopicRow | None

    def __init__(self, session: QtSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._tree = TopicTree()
        self._rates: dict[bytes, float] = {}
        self._project_items: dict[bytes, QStandardItem] = {}
        self._topic_items: dict[bytes, QStandardItem] = {}
        self._collapsed: set[bytes] = set()  # projects the user collapsed
        self._selected: bytes | None = None  # the topic last reported on topic_selected
        self._pending_select: bytes | None = None  # a topic to select once it is listed
        self._chosen: bytes | None = None  # the topic chosen while connected
        self._refiltering = False
        self._number_widths: dict[int, int] = {}  # column -> width, set by _size_columns
        self._name_width = 0
        self._name_floor = 0

        style = self.style()
        self._project_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._topic_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)
        self._archived_icon = QIcon()
        for size in (16, 24, 32, 48):
            self._archived_icon.addPixmap(self._topic_icon.pixmap(size, QIcon.Mode.Disabled))

        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        for column in (EVENTS, SIZE, RATE):
            self.model.setHeaderData(
                column, Qt.Orientation.Horizontal, _NUMBER_ALIGN, Qt.ItemDataRole.TextAlignmentRole
            )
        self.model.setHeaderData(
            RATE, Qt.Orientation.Horizontal, "Events per second", Qt.ItemDataRole.ToolTipRole
        )
        self.proxy = _TopicFilter(self)
        self.proxy.setSourceModel(self.model)

        # The view's own size, not the browser's: when a restored window lays itself out, the
        # browser is resized before its layout has resized the view.
        self.view = _TopicView(self, lambda: self._fit_columns())
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(_TopicDelegate(self.view))
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self._size_columns()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter topics")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only topics whose name contains this text (Ctrl+F)")

        self.new_action = self._action(
            "New topic…",
            _themed(
                QIcon.ThemeIcon.DocumentNew,
                style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder),
            ),
            QKeySequence("Ctrl+N"),
            self.ask_new_topic,
            Qt.ShortcutContext.WindowShortcut,  # a main action: wherever the focus is
        )
        self.archive_action = self._action(
            "Archive…",
            _themed("archive-insert", style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)),
            None,
            self.ask_archive,
        )
        self.destroy_action = self._action(
            "Destroy…",
            _themed(
                QIcon.ThemeIcon.EditDelete, style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon)
            ),
            QKeySequence(Qt.Key.Key_Delete),
            self.ask_destroy,
        )
        self.dedup_action = self._action(
            "Dedup policy…",
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView),
            None,
            self.ask_dedup,
        )
        self.refresh_action = self._action(
            "Refresh",
            _themed(
                QIcon.ThemeIcon.ViewRefresh,
                style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
            ),
            QKeySequence(Qt.Key.Key_F5),
            self.refresh,
        )
        self.archive_action.setToolTip("Make the selected topic read-only (cannot be undone)")
        self.destroy_action.setToolTip("Delete the selected topic and all its events (Delete)")
        self.dedup_action.setToolTip("Choose how the selected topic recognises duplicate events")
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self._focus_search)
        self.addAction(find)
        clear = QAction(self.search)
        clear.setWhatsThis("Clear the search and show every topic")
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear.triggered.connect(self._leave_search)
        self.search.addAction(clear)

        bar = QHBoxLayout()
        bar.setSpacing(2)
        bar.addWidget(self.search, 1)
        bar.addSpacing(4)
        for action in (
            self.new_action,
            self.archive_action,
            self.destroy_action,
            self.dedup_action,
            self.refresh_action,
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(_MARGIN, _MARGIN, _MARGIN, _MARGIN)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        layout.addWidget(self.details)
        self.setFocusProxy(self.view)

        self.search.textChanged.connect(self._search)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.collapsed.connect(self._collapsed_row)
        self.view.expanded.connect(self._expanded_row)
        self.proxy.rowsInserted.connect(self._rows_shown)
        selection = self.view.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)
        session.topics_changed.connect(self._topics_changed)
        session.metrics_sample.connect(self._metrics)
        session.connected.connect(self._connected)
        session.disconnected.connect(self._disconnected)
        session.time_zone_changed.connect(self._time_zone_changed)
        if session.client is not None:
            self._topics_changed(session.topics)
        self._update_actions()

    # -- public API ---------------------------------------------------------------------------

    def selected_topic(self) -> TopicRow | None:
        """The selected topic, as last listed."""
        indexes = self.view.selectionModel().selectedRows(NAME)
        if not indexes or indexes[0].data(KIND_ROLE) != TOPIC:
            return None
        node = self._tree.topic(bytes(indexes[0].data(ID_ROLE)))
        return node.topic if node else None

    def select_topic(self, topic_id: bytes) -> None:
        """Select, reveal and scroll to a topic (later, if it is not listed yet)."""
        item = self._topic_items.get(topic_id)
        if item is None:
            self._pending_select = topic_id
            return
        self._pending_select = None
        index = self.proxy.mapFromSource(item.index())
        if not index.isValid():  # filtered out: the user asked for this topic, show it
            self.search.clear()
            index = self.proxy.mapFromSource(item.index())
        self._reveal(index)

    def _reveal(self, index: QModelIndex) -> None:
        self.view.expand(index.parent())
        self.view.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)

    def refresh(self) -> None:
        """Ask the broker for the topic list now."""
        self._session.refresh_topics()

    # -- dialogs (each calls one of the actions below when accepted) ---------------------------

    def ask_new_topic(self) -> QtNewTopicDialog:
        """Open the new-topic dialog, in the selected topic's project (else the key's own)."""
        known = {
            t.project_id: ProjectRow(t.project_id, t.project_name) for t in self._session.topics
        }
        client = self._session.client
        jetstream = client is not None and Capability.REPLICAS in client.capabilities
        dialog = QtNewTopicDialog(
            self, list(known.values()), self._chosen_project(known), jetstream=jetstream
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.create_topic_named(
                dialog.topic_name(), dialog.project_id(), dialog.replicas()
            )
        )
        if client is not None and Capability.PROJECTS in client.capabilities:
            listing = self._session.run(
                client.projects(), dialog.project_box.set_projects, "listing projects"
            )
            dialog.finished.connect(listing.cancel)
        dialog.open()
        return dialog

    def _chosen_project(self, known: dict[bytes, ProjectRow]) -> bytes:
        indexes = self.view.selectionModel().selectedRows(NAME)
        if indexes:
            item_id = bytes(indexes[0].data(ID_ROLE))
            if indexes[0].data(KIND_ROLE) == PROJECT:
                return item_id
            node = self._tree.topic(item_id)
            if node is not None:
                return node.topic.project_id
        client = self._session.client
        return client.project_id if client is not None else b""

    def ask_archive(self, topic: TopicRow | None = None) -> QMessageBox | None:
        """Ask before archiving a topic (the selected one by default)."""
        topic = topic or self.selected_topic()
        if topic is None or topic.readonly:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            f"Archive {topic.name}",
            f"Archive {topic.name}?\n\nAn archived topic keeps its events but accepts no new "
            f"ones. This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.addButton("Archive", QMessageBox.ButtonRole.AcceptRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.archive_topic(topic))
        box.open()
        return box

    def ask_destroy(self, topic: TopicRow | None = None) -> QtDestroyTopicDialog | None:
        """Open the destroy dialog for a topic (the selected one by default)."""
        topic = topic or self.selected_topic()
        if topic is None:
            return None
        dialog = QtDestroyTopicDialog(topic.name, topic.events, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.destroy_topic_confirmed(topic))
        dialog.open()
        return dialog

    def ask_dedup(self, topic: TopicRow | None = None) -> QtDedupPolicyDialog | None:
        """Open the dedup policy dialog for a topic (the selected one by default)."""
        topic = topic or self.selected_topic()
        if topic is None:
            return None
        dialog = QtDedupPolicyDialog(topic, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.apply_dedup(topic, dialog.strategy(), dialog.keys(), dialog.fields())
        )
        dialog.open()
        return dialog

    # -- actions ------------------------------------------------------------------------------

    def create_topic_named(
        self, name: str, project_id: bytes = b"", replicas: int = 1
    ) -> asyncio.Task[None] | None:
        """Create a topic (in the key's project, or ``project_id``; on JetStream a stream with
        ``replicas`` copies), then select it once it is listed."""
        client = self._session.client
        if client is None:
            return None

        async def create() -> None:
            topic_id = await client.create_topic(name, project_id, replicas)
            self._pending_select = topic_id

        return self._session.run(create(), self._changed, f"creating topic {name}")

    def archive_topic(self, topic: TopicRow) -> asyncio.Task[None] | None:
        """Archive a topic (no confirmation)."""
        client = self._session.client
        if client is None:
            return None
        work = client.archive_topic(topic.id)
        return self._session.run(work, self._changed, f"archiving {topic.name}")

    def destroy_topic_confirmed(self, topic: TopicRow) -> asyncio.Task[None] | None:
        """Destroy a topic and its events (no confirmation)."""
        client = self._session.client
        if client is None:
            return None
        work = client.destroy_topic(topic.id)
        return self._session.run(work, self._changed, f"destroying {topic.name}")

    def apply_dedup(
        self, topic: TopicRow, strategy: str, keys: list[str], fields: list[str]
    ) -> asyncio.Task[None] | None:
        """Set a topic's deduplication policy."""
        client = self._session.client
        if client is None:
            return None
        work = client.set_dedup_policy(topic.id, strategy, keys, fields)
        return self._session.run(work, self._changed, f"changing the policy of {topic.name}")

    def _changed(self, _result: object = None) -> None:
        self._session.refresh_topics()

    # -- session updates ----------------------------------------------------------------------

    def _topics_changed(self, topics: list[TopicRow]) -> None:
        self._show(TopicTree.build(topics, self._rates))
        if self._pending_select is not None and self._pending_select in self._topic_items:
            self.select_topic(self._pending_select)

    def _connected(self, _client: object) -> None:
        self._topics_changed(self._session.topics)

    def _metrics(self, sample: MetricsSample) -> None:
        if sample.history:
            return  # an hour of replayed samples: only the live ones say how fast topics grow
        self._rates = latest_rates(sample)
        self._show(self._tree.with_rates(self._rates))

    def _disconnected(self, _reason: str) -> None:
        if self._chosen is not None:  # selected again when a broker lists it (this one, back)
            self._pending_select = self._chosen
        self._rates = {}
        self._show(TopicTree())

    def _time_zone_changed(self, _zone: object) -> None:
        """Tooltips tell the last event's time in the new zone."""
        for project in self._tree.projects:
            for node in project.topics:
                self._fill_topic(self._row_of(self._topic_items[node.id]), node)

    def _show(self, tree: TopicTree) -> None:
        changes = diff(self._tree, tree)
        self._tree = tree
        if changes:
            self._apply(changes)
            if self._number_widths:
                self._measure_names()
                self._fit_columns()
        self._update_actions()

    def _apply(self, changes: TreeDiff) -> None:
        rows = self.view.selectionModel().selectedRows(NAME)
        selected = rows[0].data(ID_ROLE) if rows else None
        parent_id = rows[0].parent().data(ID_ROLE) if rows else None
        if selected in changes.removed_topics or parent_id in changes.removed_projects:
            # Otherwise the view would select a neighbour, and show a topic nobody chose.
            self.view.selectionModel().clear()
        root = self.model.invisibleRootItem()
        for topic_id in changes.removed_topics:
            item = self._topic_items.pop(topic_id)
            parent = item.parent() or root
            parent.removeRow(item.row())
        for project_id in changes.removed_projects:
            item = self._project_items.pop(project_id)
            for row in range(item.rowCount()):
                child = item.child(row, NAME)
                self._topic_items.pop(bytes(child.data(ID_ROLE)), None)
            root.removeRow(item.row())
        for project in changes.added_projects:
            items = self._new_row(PROJECT, project.id)
            self._fill_project(items, project)
            for node in project.topics:  # before the project is shown, so it opens with them
                self._add_topic(items[NAME], node)
            self._project_items[project.id] = items[NAME]
            root.appendRow(items)
        for node in changes.added_topics:
            self._add_topic(self._project_items[node.topic.project_id], node)
        for project in changes.changed_projects:
            self._fill_project(self._row_of(self._project_items[project.id]), project)
        for node in changes.changed_topics:
            self._fill_topic(self._row_of(self._topic_items[node.id]), node)

    def _add_topic(self, project_item: QStandardItem, node: TopicNode) -> None:
        items = self._new_row(TOPIC, node.id)
        self._fill_topic(items, node)
        project_item.appendRow(items)
        self._topic_items[node.id] = items[NAME]

    def _row_of(self, item: QStandardItem) -> list[QStandardItem]:
        parent = item.parent() or self.model.invisibleRootItem()
        return [parent.child(item.row(), column) for column in range(len(COLUMNS))]

    def _new_row(self, kind: str, item_id: bytes) -> list[QStandardItem]:
        items = [QStandardItem() for _ in COLUMNS]
        for column, item in enumerate(items):
            item.setEditable(False)
            item.setData(kind, KIND_ROLE)
            item.setData(item_id, ID_ROLE)
            if column != NAME:
                item.setData(_NUMBER_ALIGN, Qt.ItemDataRole.TextAlignmentRole)
        return items

    def _fill_project(self, items: list[QStandardItem], project: ProjectNode) -> None:
        events, size, rate, count = project.totals()
        topics = "topic" if count == 1 else "topics"
        tip = (
            f"Project {project.name}\n{count} {topics}, {format_count(events)} events, "
            f"{human_bytes(size)}"
        )
        _set(items[NAME], project.name, project.name.lower(), tip)
        items[NAME].setData(self._project_icon, Qt.ItemDataRole.DecorationRole)
        items[NAME].setData(project.name, NAME_ROLE)
        _set(items[EVENTS], format_count(events), events, tip)
        _set(items[SIZE], human_bytes(size), size, f"{size:,} bytes")
        _set(items[RATE], format_rate(rate), rate, f"{rate:,.2f} events per second")

    def _fill_topic(self, items: list[QStandardItem], node: TopicNode) -> None:
        topic = node.topic
        label = f"{topic.name} (archived)" if topic.readonly else topic.name
        tip = _topic_tooltip(topic, self._session.time_zone)
        _set(items[NAME], label, topic.name.lower(), tip)
        items[NAME].setData(
            self._archived_icon if topic.readonly else self._topic_icon,
            Qt.ItemDataRole.DecorationRole,
        )
        items[NAME].setData(topic.name, NAME_ROLE)
        _set(items[EVENTS], format_count(topic.events), topic.events, tip)
        _set(items[SIZE], human_bytes(topic.bytes), topic.bytes, f"{topic.bytes:,} bytes")
        _set(items[RATE], format_rate(node.rate), node.rate, f"{node.rate:,.2f} events per second")
        for item in items:
            item.setData(topic.readonly, ARCHIVED_ROLE)

    # -- view state ---------------------------------------------------------------------------

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        topic = self.selected_topic()
        self._update_actions()
        if self._refiltering:
            return  # hidden or shown again by the search, not chosen by the user
        topic_id = topic.id if topic else None
        if self._session.client is not None:  # not the emptying of a connection that ended
            self._chosen = topic_id
        if topic_id != self._selected:
            self._selected = topic_id
            self.topic_selected.emit(topic)

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _leave_search(self) -> None:
        self.search.clear()
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _search(self, text: str) -> None:
        # The selected topic stays "selected" for the other views while the search hides it;
        # clearing first stops the view from selecting a neighbour of the hidden row.
        self._refiltering = True
        try:
            self.view.selectionModel().clear()
            self.proxy.set_text(text)
            if self.proxy.text:
                self.view.expandAll()
            else:
                for row in range(self.proxy.rowCount()):
                    self._restore_expansion(self.proxy.index(row, NAME))
            item = self._topic_items.get(self._selected) if self._selected else None
            if item is not None and self.proxy.mapFromSource(item.index()).isValid():
                self._reveal(self.proxy.mapFromSource(item.index()))
        finally:
            self._refiltering = False
        self._update_empty_text()

    def _rows_shown(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        for row in range(first, last + 1):
            index = self.proxy.index(row, NAME)
            if self.proxy.text:
                self.view.expand(index)
            else:
                self._restore_expansion(index)

    def _restore_expansion(self, index: QModelIndex) -> None:
        self.view.setExpanded(index, bytes(index.data(ID_ROLE)) not in self._collapsed)

    def _collapsed_row(self, index: QModelIndex) -> None:
        if index.data(KIND_ROLE) == PROJECT and not self.proxy.text:
            self._collapsed.add(bytes(index.data(ID_ROLE)))

    def _expanded_row(self, index: QModelIndex) -> None:
        if index.data(KIND_ROLE) == PROJECT:
            self._collapsed.discard(bytes(index.data(ID_ROLE)))

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in (self.new_action, self.refresh_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.dedup_action, self.archive_action, self.destroy_action):
            menu.addAction(action)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def _update_actions(self) -> None:
        connected = self._session.client is not None
        topic = self.selected_topic()
        self.new_action.setEnabled(connected)
        self.refresh_action.setEnabled(connected)
        self.destroy_action.setEnabled(connected and topic is not None)
        writable = connected and topic is not None and not topic.readonly
        client = self._session.client
        can = client.capabilities if client is not None else frozenset()
        self.archive_action.setEnabled(writable and Capability.ARCHIVE in can)
        self.dedup_action.setEnabled(writable and Capability.DEDUP_POLICY in can)
        self.archive_action.setVisible(client is None or Capability.ARCHIVE in can)
        self.dedup_action.setVisible(client is None or Capability.DEDUP_POLICY in can)
        self._show_details(topic)
        self._update_empty_text()

    def _show_details(self, topic: TopicRow | None) -> None:
        """A line under the list about the selected stream: its subjects and replicas (a
        JetStream stream's; an Ensign topic says it all in its row)."""
        if topic is None or not topic.subjects:
            self.details.hide()
            return
        self.details.setText(
            f"{topic.name}: subjects {', '.join(topic.subjects)} · R{topic.replicas} · "
            f"{format_count(topic.events)} messages · {human_bytes(topic.bytes)}"
        )
        self.details.show()

    def _update_empty_text(self) -> None:
        if self._session.client is None:
            text = "Not connected to a broker."
        elif self.proxy.text:
            text = f"No topic name contains “{self.search.text().strip()}”."
        else:
            text = "No topics yet.\nCreate one with New topic (Ctrl+N)."
        if text != self.view.empty_text:
            self.view.empty_text = text
            self.view.viewport().update()

    def _action(
        self,
        text: str,
        icon: QIcon,
        shortcut: QKeySequence | None,
        slot: Callable[[], object],
        context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut,
    ) -> QAction:
        action = QAction(icon, text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(context)
            action.setToolTip(
                f"{text.rstrip('…')} ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})"
            )
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _size_columns(self) -> None:
        metrics = self.view.fontMetrics()
        padding = metrics.averageCharWidth() * 2
        samples = {EVENTS: "00,000,000", SIZE: "000.0 MiB", RATE: "00,000/s"}
        header = self.view.header()
        self._number_widths = {}
        for column, sample in samples.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = metrics.horizontalAdvance(sample) + padding
            header.resizeSection(column, width)
            self._number_widths[column] = width
        header.setMinimumSectionSize(metrics.averageCharWidth() * 4)
        self._name_floor = self._name_room(metrics.averageCharWidth() * NAME_CHARS)
        self._measure_names()
        # Never narrower than a name and its event count (Size and Rate give way first), so
        # that no layout, restored or squeezed, hides the topic names.
        self.setMinimumWidth(self._width_for(self._number_widths[EVENTS], self._name_floor))
        self._fit_columns()

    def preferred_width(self) -> int:
        """The width that shows the longest name (up to :data:`NAME_MAX_CHARS` characters, at
        least :data:`NAME_CHARS`) and every number column."""
        return self._width_for(sum(self._number_widths.values()), self._name_width)

    def _width_for(self, numbers: int, names: int) -> int:
        """The browser's width for ``names`` pixels of Name column and ``numbers`` pixels of
        number columns."""
        scrollbar = self.view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        frame = 2 * self.view.frameWidth()
        return names + numbers + scrollbar + frame + 2 * _MARGIN

    def _name_room(self, text_width: int) -> int:
        """The Name column's width for a name ``text_width`` pixels wide (a topic's row)."""
        metrics = self.view.fontMetrics()
        return (
            text_width + 2 * self.view.indentation() + metrics.height() + metrics.averageCharWidth()
        )

    def _measure_names(self) -> None:
        """Size the Name column for the longest name shown (within the bounds), so that Size
        and Rate give way before a name is cut."""
        # The view's own measure: the delegate's text, icon and margins plus the indentation.
        longest = self.view.sizeHintForColumn(NAME)
        cap = self._name_room(self.view.fontMetrics().averageCharWidth() * NAME_MAX_CHARS)
        self._name_width = max(self._name_floor, min(longest, cap))

    def _fit_columns(self) -> None:
        """Give names their room first: drop Size, then Rate, when the panel is too narrow.

        On a projector (presentation mode) the numbers grow with the font, and a squeezed Name
        column would show "a…", "or…" where the audience needs to read the topic names.
        """
        if not self._number_widths:
            return  # not sized yet
        room = self.view.viewport().width() - self._name_width - self._number_widths[EVENTS]
        for column in (RATE, SIZE):  # Events always shows; then these, in this order
            fits = room >= self._number_widths[column]
            self.view.setColumnHidden(column, not fits)
            if fits:
                room -= self._number_widths[column]

    def changeEvent(self, event: QEvent) -> None:
        """Resize the number columns when the font changes (presentation mode)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_columns()


def _set(item: QStandardItem, text: str, sort_value: object, tooltip: str) -> None:
    item.setData(text, Qt.ItemDataRole.DisplayRole)
    item.setData(sort_value, SORT_ROLE)
    item.setData(tooltip, Qt.ItemDataRole.ToolTipRole)


def _topic_tooltip(topic: TopicRow, zone: TimeZoneChoice) -> str:
    lines = [f"{topic.name}{' (archived: read-only)' if topic.readonly else ''}"]
    lines.append(f"Project: {topic.project_name}")
    events = f"Events: {format_count(topic.events)}"
    if topic.duplicates:
        events += f" ({format_count(topic.duplicates)} duplicates)"
    lines.append(events)
    lines.append(f"Size: {human_bytes(topic.bytes)}")
    if topic.events:
        lines.append(f"Offsets: {topic.first_offset:,} to {topic.last_offset:,}")
    if topic.last_committed_ms:
        lines.append(f"Last event: {exact_ms(topic.last_committed_ms, zone)}")
    if topic.subjects:
        lines.append(f"Subjects: {', '.join(topic.subjects)}")
        lines.append(f"Replicas: {topic.replicas}")
        lines.append("Deduplication: by Nats-Msg-Id, within the stream's window")
        lines.append(f"Stream: {topic_id_text(topic.id)}")
        return "\n".join(lines)
    policy = topic.dedup_strategy.replace("_", " ").title()
    if topic.dedup_keys:
        policy += f" (keys: {', '.join(topic.dedup_keys)})"
    if topic.dedup_fields:
        policy += f" (fields: {', '.join(topic.dedup_fields)})"
    lines.append(f"Deduplication: {policy}")
    lines.append(f"ID: {topic_id_text(topic.id)}")
    return "\n".join(lines)
