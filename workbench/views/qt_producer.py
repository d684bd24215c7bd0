"""The producer console: a target topic, and four ways to send into it.

- Compose: one event by hand (``qt_composer``), with the history of sends.
- Generate: events from a template, paced by a rate shape (``qt_generator_panel``).
- Import: a JSON Lines or CSV file with a field mapping (``qt_import_panel``).
- Replay: a topic, or a query's results, copied in (``qt_replay_panel``).

The topic picker lists the connected broker's topics (``project / topic`` when there are several
projects); "New topic…" creates one in place and selects it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.client.errors import ClientError
from workbench.client.jetstream_settings import subject_matches
from workbench.client.records import EventRow, TopicRow
from workbench.client.stream_client import Capability
from workbench.models.template_library import TemplateLibrary
from workbench.views.qt_composer import QtComposer
from workbench.views.qt_flow_layout import QtFlowLayout, fit_combo
from workbench.views.qt_generator_panel import QtGeneratorPanel
from workbench.views.qt_import_panel import QtImportPanel
from workbench.views.qt_page_tabs import QtPageTabs
from workbench.views.qt_replay_panel import OtherBrokers, QtReplayPanel
from workbench.views.qt_session import QtSession
from workbench.views.qt_topic_dialogs import QtNewTopicDialog

COMPOSE, GENERATE, IMPORT, REPLAY = range(4)


class QtProducer(QWidget):
    """The Produce tab."""

    def __init__(
        self,
        session: QtSession,
        templates: TemplateLibrary | None = None,
        parent: QWidget | None = None,
        others: OtherBrokers | None = None,
    ) -> None:
        """
        Args:
            session: the connection.
            templates: the saved templates (None: none).
            parent: the window.
            others: the other profiles' brokers a replay may read from (None: only this one).
        """
        super().__init__(parent)
        self._session = session
        self._templates = templates
        self._others = others
        self._wanted: bytes | None = None
        self._chosen: bytes | None = None  # the topic chosen while connected
        self._build()
        session.topics_changed.connect(self._fill_topics)
        session.disconnected.connect(self._disconnected)
        self._fill_topics(session.topics)

    def _build(self) -> None:
        self.topic_combo = QComboBox()
        self.topic_combo.setObjectName("producerTopic")
        fit_combo(self.topic_combo, 20)
        self.topic_combo.setToolTip("The topic every page sends to")
        self.topic_combo.currentIndexChanged.connect(self._topic_chosen)
        self.new_topic_button = QPushButton("New topic…")
        self.new_topic_button.setToolTip("Create a topic and send to it")
        self.new_topic_button.clicked.connect(self.ask_new_topic)
        self.topic_note = QLabel()
        self.topic_note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        label = QLabel("Send to &topic:")
        label.setBuddy(self.topic_combo)
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("the stream's own")
        self.subject_edit.setToolTip(
            "The subject every page publishes to (a JetStream stream's; empty: its own)"
        )
        self.subject_edit.textChanged.connect(self._topic_chosen)
        self.subject_label = QLabel("S&ubject:")
        self.subject_label.setBuddy(self.subject_edit)
        top = QtFlowLayout()  # wraps on a narrow window instead of widening it
        top.add_group(label, self.topic_combo, self.new_topic_button)
        top.add_group(self.subject_label, self.subject_edit)
        top.addWidget(self.topic_note)

        self.composer = QtComposer(self._session, self.target)
        self.generator = QtGeneratorPanel(self._session, self.target, self._templates)
        self.importer = QtImportPanel(self._session, self.target)
        self.replayer = QtReplayPanel(self._session, self.target, others=self._others)
        self.pages = QtPageTabs()
        self.pages.setObjectName("producerPages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.composer, "Compose")
        self.pages.addTab(self.generator, "Generate")
        self.pages.addTab(self.importer, "Import")
        self.pages.addTab(self.replayer, "Replay")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)

    # -- the target topic ---------------------------------------------------------------------

    def target(self) -> TopicRow | None:
        """The topic chosen to send to (the broker's latest state of it), or None; on an engine
        with subjects and a subject typed, its id is that subject's publish target."""
        topic = self._topic()
        subject = self.subject_edit.text().strip()
        client = self._session.client
        if topic is None or client is None or not subject or self._subject_problem(topic):
            return topic
        return replace(topic, id=client.subject_target(topic.id, subject))

    def _topic(self) -> TopicRow | None:
        topic_hex = self.topic_combo.currentData(Qt.ItemDataRole.UserRole)
        return self._session.topic(bytes.fromhex(topic_hex)) if topic_hex else None

    def _subject_problem(self, topic: TopicRow) -> str:
        """Why the typed subject cannot be published to ("" if it can, or none is typed)."""
        subject = self.subject_edit.text().strip()
        client = self._session.client
        if not subject or client is None or Capability.SUBJECTS not in client.capabilities:
            return ""
        try:
            client.subject_target(topic.id, subject)
        except ClientError as exc:
            return str(exc)
        if topic.subjects and not any(subject_matches(p, subject) for p in topic.subjects):
            return (
                f"{topic.name} does not take {subject} (its subjects: {', '.join(topic.subjects)})"
            )
        return ""

    def select_topic(self, topic_id: bytes) -> None:
        """Choose a topic (as soon as it is listed, if it is not yet)."""
        # Item data holds ids as hex text: QComboBox.findData cannot match Python bytes.
        index = self.topic_combo.findData(topic_id.hex(), Qt.ItemDataRole.UserRole)
        if index >= 0:
            self.topic_combo.setCurrentIndex(index)
            self._wanted = None
        else:
            self._wanted = topic_id

    def _fill_topics(self, topics: list[TopicRow]) -> None:
        current = self.topic_combo.currentData(Qt.ItemDataRole.UserRole)
        projects = {t.project_id for t in topics}
        self.topic_combo.blockSignals(True)
        self.topic_combo.clear()
        for topic in sorted(topics, key=lambda t: (t.project_name, t.name)):
            shown = f"{topic.project_name} / {topic.name}" if len(projects) > 1 else topic.name
            if topic.readonly:
                shown += "  (archived)"
            self.topic_combo.addItem(shown, topic.id.hex())
        self.topic_combo.blockSignals(False)
        wanted = self._wanted.hex() if self._wanted else current
        index = self.topic_combo.findData(wanted, Qt.ItemDataRole.UserRole) if wanted else -1
        if index >= 0:
            self.topic_combo.setCurrentIndex(index)
            self._wanted = None
        self._topic_chosen()

    def _disconnected(self, _why: str) -> None:
        if self._chosen is not None:  # chosen again when a broker lists it (this one, back)
            self._wanted = self._chosen
        self._fill_topics([])

    def _topic_chosen(self, *_: object) -> None:
        topic = self._topic()
        client = self._session.client
        if client is not None:  # not the emptying of a connection that ended
            self._chosen = topic.id if topic is not None else None
        subjects = client is not None and Capability.SUBJECTS in client.capabilities
        self.subject_label.setVisible(subjects)
        self.subject_edit.setVisible(subjects)
        problem = self._subject_problem(topic) if topic is not None else ""
        if problem:
            self.topic_note.setText(problem)
            return
        if self._session.client is None:
            note = "Not connected to a broker."
        elif topic is None:
            note = "No topic yet: create one with New topic…"
        elif topic.readonly:
            note = "This topic is archived: the broker will refuse events (try it)."
        else:
            note = f"{topic.events:,} events"
        self.topic_note.setText(note)

    def ask_new_topic(self) -> QtNewTopicDialog:
        """Ask for a name, create the topic, and send to it."""
        dialog = QtNewTopicDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_topic(dialog.topic_name()))
        dialog.open()
        return dialog

    def create_topic(self, name: str) -> None:
        """Create a topic in the key's project and select it."""
        client = self._session.client
        if client is None:
            return

        def created(topic_id: bytes) -> None:
            self.select_topic(topic_id)
            self._session.refresh_topics()

        self._session.run(client.create_topic(name), created, f"creating topic {name!r}")

    # -- from other views ---------------------------------------------------------------------

    def compose_from(self, event: EventRow) -> None:
        """Open the composer filled from a stored event, sending to its topic."""
        self.select_topic(event.topic_id)
        self.composer.load_stored(event)
        self.pages.setCurrentIndex(COMPOSE)
