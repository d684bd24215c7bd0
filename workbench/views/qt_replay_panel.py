"""Replay a topic, or an EnSQL query's results, into the producer's topic.

Events are copied whole (data, mimetype, type, metadata, creation time) in order: as fast as the
broker acknowledges them, or at their original pacing (by commit time) scaled 0.1x to 100x.
The source may be on another broker than the connected one, by its connection profile: an
Ensign topic copied into a JetStream stream, or the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from workbench.client.clients import AnySettings, client_for
from workbench.client.errors import ClientError
from workbench.client.records import TopicRow
from workbench.client.stream_client import StreamClient
from workbench.models.event_export import topic_events
from workbench.models.event_replay import MAX_FACTOR, MIN_FACTOR, Replay, ReplayProgress
from workbench.views.qt_run_status import QtRunStatus
from workbench.views.qt_session import QtSession

REFRESH_MS = 200
THIS_BROKER = "This connection"


class OtherBrokers:
    """The brokers a replay may read from besides the connected one (by profile name).

    Args:
        names: the profile names to offer (the connected one is left out by the panel).
        settings: a profile's connection settings with its secret; raises ``ClientError`` or
            ``OSError`` when they cannot be made.
    """

    def __init__(
        self, names: Callable[[], list[str]], settings: Callable[[str], AnySettings]
    ) -> None:
        self.names = names
        self.settings = settings


class QtReplayPanel(QWidget):
    """The Replay page."""

    def __init__(
        self,
        session: QtSession,
        target: Callable[[], TopicRow | None],
        parent: QWidget | None = None,
        others: OtherBrokers | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._target = target
        self._others = others
        self._other: StreamClient | None = None
        self._other_name = ""
        self._other_topics: list[TopicRow] = []
        self._opening: asyncio.Task[None] | None = None
        self._replay: Replay | None = None
        self._task: asyncio.Task[ReplayProgress] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._build()
        session.topics_changed.connect(self._session_topics)
        session.connected.connect(lambda _client: self._fill_brokers())
        self._fill_topics(session.topics)
        self._fill_brokers()

    def _build(self) -> None:
        self.broker_combo = QComboBox()
        self.broker_combo.setToolTip(
            "Where the events come from: the connected broker, or another profile's (an Ensign "
            "topic into a JetStream stream, or the other way round)"
        )
        self.broker_combo.addItem(THIS_BROKER, "")
        self.broker_combo.activated.connect(lambda _index: self._broker_chosen())
        self.from_topic = QRadioButton("A topic:")
        self.from_query = QRadioButton("An EnSQL query's results:")
        self.from_topic.setChecked(True)
        sources = QButtonGroup(self)
        sources.addButton(self.from_topic)
        sources.addButton(self.from_query)
        self.source_combo = QComboBox()
        self.source_combo.setMinimumContentsLength(24)
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText("SELECT * FROM orders WHERE region = 'eu'")
        self.fast = QRadioButton("As fast as the broker acknowledges")
        self.paced = QRadioButton("At the original pacing, times")
        self.fast.setChecked(True)
        speeds = QButtonGroup(self)
        speeds.addButton(self.fast)
        speeds.addButton(self.paced)
        self.factor_spin = QDoubleSpinBox()
        self.factor_spin.setRange(MIN_FACTOR, MAX_FACTOR)
        self.factor_spin.setDecimals(1)
        self.factor_spin.setValue(1.0)
        self.factor_spin.setSuffix("x")
        self.factor_spin.setToolTip("2x replays twice as fast as it happened; 0.5x half as fast")
        paced_row = QHBoxLayout()
        paced_row.addWidget(self.paced)
        paced_row.addWidget(self.factor_spin)
        paced_row.addStretch(1)
        form = QFormLayout()
        form.addRow("From broker:", self.broker_combo)
        form.addRow(self.from_topic, self.source_combo)
        form.addRow(self.from_query, self.query_edit)
        form.addRow("Speed:", self.fast)
        form.addRow("", paced_row)

        self.replay_button = QPushButton("Replay")
        self.replay_button.clicked.connect(self.start)
        self.status = QtRunStatus(can_pause=False)
        self.status.stop_requested.connect(self.stop)
        self.summary = QLabel("Copies events whole, in order, into the topic chosen above.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        run_row = QHBoxLayout()
        run_row.addWidget(self.replay_button, 0, Qt.AlignmentFlag.AlignTop)
        run_row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def _fill_brokers(self) -> None:
        chosen = self.broker_combo.currentData()
        self.broker_combo.clear()
        self.broker_combo.addItem(THIS_BROKER, "")
        if self._others is not None:
            for name in self._others.names():
                if name != self._session.profile_name:
                    self.broker_combo.addItem(name, name)
        index = self.broker_combo.findData(chosen)
        self.broker_combo.setCurrentIndex(max(index, 0))

    def choose_broker(self, name: str) -> asyncio.Task[None] | None:
        """Read from another profile's broker ("" for the connected one); its topics fill the
        source list once it answers."""
        index = self.broker_combo.findData(name)
        if index < 0:
            return None
        self.broker_combo.setCurrentIndex(index)
        return self._broker_chosen()

    def _broker_chosen(self) -> asyncio.Task[None] | None:
        name = str(self.broker_combo.currentData() or "")
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        self._session.run(self._close_other())
        if not name or self._others is None:
            self._fill_topics(self._session.topics)
            return None
        self.source_combo.clear()
        self.summary.setText(f"Connecting to {name}…")
        self._opening = self._session.run(self._open_other(name), what=f"connecting to {name}")
        return self._opening

    async def _open_other(self, name: str) -> None:
        assert self._others is not None
        try:
            client = client_for(self._others.settings(name))
        except (ClientError, OSError) as exc:
            self.summary.setText(f"Cannot use {name}: {exc}")
            return
        try:
            await client.login()
            topics = await client.topics(all_projects=True)
        except BaseException as exc:
            await client.close()
            if isinstance(exc, ClientError):
                self.summary.setText(f"Cannot read from {name}: {exc}")
                return
            raise
        self._other, self._other_name, self._other_topics = client, name, topics
        self._fill_topics(topics)
        self.summary.setText(
            f"Reading from {name} ({client.kind}); events are copied into the topic chosen above."
        )

    async def _close_other(self) -> None:
        other, self._other, self._other_topics = self._other, None, []
        self._other_name = ""
        if other is not None:
            await other.close()

    def _session_topics(self, topics: list[TopicRow]) -> None:
        if self._other is None and not self.broker_combo.currentData():
            self._fill_topics(topics)

    def _fill_topics(self, topics: list[TopicRow]) -> None:
        current = self.source_combo.currentData(Qt.ItemDataRole.UserRole)
        self.source_combo.clear()
        for topic in sorted(topics, key=lambda t: (t.project_name, t.name)):
            self.source_combo.addItem(f"{topic.name} ({topic.events:,} events)", topic.id.hex())
        index = self.source_combo.findData(current, Qt.ItemDataRole.UserRole)
        if index >= 0:
            self.source_combo.setCurrentIndex(index)

    def choose_source(self, topic_id: bytes) -> None:
        """Replay from this topic."""
        self.from_topic.setChecked(True)
        index = self.source_combo.findData(topic_id.hex(), Qt.ItemDataRole.UserRole)
        if index >= 0:
            self.source_combo.setCurrentIndex(index)

    def start(self) -> None:
        """Start copying into the producer's topic."""
        target, client = self._target(), self._session.client
        source_client = self._other or client
        if target is None or client is None or source_client is None:
            self.summary.setText("Choose a topic to replay into (above) first.")
            return
        if self.is_running():
            return
        total = None
        if self.from_topic.isChecked():
            source_hex = self.source_combo.currentData(Qt.ItemDataRole.UserRole)
            source = self._source_topic(bytes.fromhex(source_hex)) if source_hex else None
            if source is None:
                self.summary.setText("Choose the topic to replay from.")
                return
            if self._other is None and source.id == target.id:
                self.summary.setText("Replaying a topic into itself would never end.")
                return
            events = topic_events(source_client, source.id)
            total, what = source.events, source.name
            if self._other is not None:
                what += f" on {self._other_name}"
        else:
            query = self.query_edit.text().strip()
            if not query:
                self.summary.setText("Write the query whose results to replay.")
                return
            events, what = source_client.query(query), "the query's results"
        factor = self.factor_spin.value() if self.paced.isChecked() else None
        self._replay = Replay(client, target.id, events, factor, total)
        self._task = self._session.run(self._replay.run(), self._finished, "replaying")
        self.replay_button.setEnabled(False)
        pace = f"at {factor:g}x the original pacing" if factor else "as fast as acknowledged"
        self.summary.setText(f"Replaying {what} into {target.name} {pace}…")
        self._timer.start()

    def _source_topic(self, topic_id: bytes) -> TopicRow | None:
        if self._other is not None:
            return next((t for t in self._other_topics if t.id == topic_id), None)
        return self._session.topic(topic_id)

    def is_running(self) -> bool:
        """True while a replay runs."""
        return self._task is not None and not self._task.done()

    def stop(self) -> None:
        """Stop after the batch in flight."""
        if self._replay is not None:
            self._replay.stop()

    def _refresh(self) -> None:
        if self._replay is not None:
            p = self._replay.progress
            self.status.show_text(
                f"Read {p.read:,} · published {p.published:,}", p.published, p.total or 0, True
            )

    def _finished(self, progress: ReplayProgress) -> None:
        self._timer.stop()
        self.replay_button.setEnabled(True)
        self._session.refresh_topics()
        ended = "Failed" if progress.failure else "Stopped" if progress.stopped else "Done"
        text = f"{ended}: published {progress.published:,} of {progress.read:,} events read"
        self.status.show_text(text, progress.published, progress.total or 0, False)
        if progress.failure:
            self.status.show_problems([f"Ended: {progress.failure}"])
            text += f". {progress.failure}"
        self.summary.setText(text + ".")
