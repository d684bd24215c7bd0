"""The main window: topic browser, events, query, charts and broker panel around one session."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.client.clients import AnySettings
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError
from workbench.client.records import EventRow, TopicRow
from workbench.models.about import window_title
from workbench.models.broker_status import BrokerState
from workbench.models.embedded_connection import LOCAL_PROJECT
from workbench.models.profiles import EMBEDDED, Profile, ProfileStore
from workbench.models.query_library import QueryLibrary
from workbench.models.reconnect import worth_retrying
from workbench.models.template_library import TemplateLibrary
from workbench.models.time_display import TimeZoneChoice
from workbench.views.qt_broker_panel import QtBrokerPanel, state_badge
from workbench.views.qt_capture import QtCapturesPanel
from workbench.views.qt_charts import QtCharts
from workbench.views.qt_command_palette import PaletteEntry, QtCommandPalette
from workbench.views.qt_connect_code import QtConnectCodeDialog
from workbench.views.qt_connection_banner import QtConnectionBanner
from workbench.views.qt_embedded_broker import QtEmbeddedBroker
from workbench.views.qt_event_detail import QtEventDetail
from workbench.views.qt_event_table import QtEventTable
from workbench.views.qt_fields_panel import QtFieldsPanel
from workbench.views.qt_help_actions import QtHelpActions
from workbench.views.qt_key_manager import QtKeyManager
from workbench.views.qt_page_tabs import QtPageTabs
from workbench.views.qt_producer import QtProducer
from workbench.views.qt_profile_dialog import QtProfileDialog
from workbench.views.qt_query_panel import QtQueryPanel
from workbench.views.qt_reconnector import QtReconnector
from workbench.views.qt_replay_panel import OtherBrokers
from workbench.views.qt_scenario_panel import QtScenarioPanel
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import FontScaler, Theme, apply_theme
from workbench.views.qt_topic_browser import QtTopicBrowser
from workbench.views.qt_topic_profile import QtTopicProfile
from workbench.views.qt_welcome import QtWelcome

log = logging.getLogger(__name__)
ADD_PROFILE = "Add remote broker…"
TEST_TOPIC = "hello"
"""The topic "Send a test event" makes when there is none."""
TABS = (
    "events",
    "produce",
    "query",
    "charts",
    "fields",
    "profile",
    "demo",
    "broker",
    "keys",
)
"""The tabs, in order, by the names the settings remember them by."""


class QtMainWindow(QMainWindow):
    """The workbench window."""

    def __init__(
        self,
        broker: QtEmbeddedBroker,
        session: QtSession,
        profiles: ProfileStore,
        library: QueryLibrary,
        settings: QSettings,
        templates: TemplateLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.broker = broker
        self.session = session
        self.profiles = profiles
        self.settings = settings
        self.setWindowTitle(window_title())
        self.setObjectName("main_window")
        self.resize(1400, 860)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self._app = app
        self._fonts = FontScaler(app)

        self.topics = QtTopicBrowser(session)
        self.events = QtEventTable(session)
        self.detail = QtEventDetail()
        self.query = QtQueryPanel(session, library)
        self.producer = QtProducer(
            session,
            templates,
            others=OtherBrokers(lambda: [p.name for p in profiles.all()], self.profile_settings),
        )
        self.charts = QtCharts(session)
        self.fields = QtFieldsPanel(session)
        self.demo = QtScenarioPanel(session)
        self.broker_panel = QtBrokerPanel(broker, session)
        self.captures = QtCapturesPanel(session, settings)
        self.broker_panel.add_section(self.captures)
        self.captures.lag_reported.connect(self.charts.add_capture_lag)
        self.keys_view = QtKeyManager(session)
        self.profile_view = QtTopicProfile(session)

        self.event_split = QSplitter(Qt.Orientation.Vertical)
        self.event_split.setObjectName("event_split")
        self.event_split.addWidget(self.events)
        self.event_split.addWidget(self.detail)
        self.event_split.setStretchFactor(0, 3)
        self.event_split.setStretchFactor(1, 2)

        self.tabs = QtPageTabs()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.event_split, "Events")
        self.tabs.addTab(self.producer, "Produce")
        self.tabs.addTab(self.query, "Query")
        self.tabs.addTab(self.charts, "Charts")
        self.tabs.addTab(self.fields, "Fields")
        self.tabs.addTab(self.profile_view, "Profile")
        self.tabs.addTab(self.demo, "Demo")
        self.tabs.addTab(self.broker_panel, "Broker")
        self.tabs.addTab(self.keys_view, "Keys")
        assert self.tabs.count() == len(TABS), "every tab has a name in TABS"
        self.welcome = QtWelcome(self.demo.scenarios)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.welcome)
        self.connection_banner = QtConnectionBanner()
        self.reconnector = QtReconnector(self)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.connection_banner)
        column.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        dock = QDockWidget("Topics", self)
        dock.setObjectName("topics_dock")
        dock.setWidget(self.topics)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.topics_dock = dock
        self._normal_topics_width = self.fontMetrics().averageCharWidth() * 64
        """The topics panel's width outside presentation mode, to go back to on leaving it."""
        self.resizeDocks([dock], [self._normal_topics_width], Qt.Orientation.Horizontal)

        self.palette_popup = QtCommandPalette(self)
        self.palette_popup.chosen.connect(self._palette_chosen)

        self._build_status_bar()
        self._build_actions()
        self._wire()
        self._restore()

    # -- construction -------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        self.broker_state = QLabel(state_badge(self.broker.state))
        self.broker_state.setTextFormat(Qt.TextFormat.RichText)
        self.connection_state = QLabel("Not connected")
        bar = self.statusBar()
        bar.addPermanentWidget(self.connection_state)
        bar.addPermanentWidget(self.broker_state)

    def _build_actions(self) -> None:
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" Broker: "))
        self.profile_box = QComboBox()
        self.profile_box.setMinimumContentsLength(18)
        toolbar.addWidget(self.profile_box)
        self._fill_profiles()
        self.profile_box.activated.connect(self._profile_chosen)

        def action(
            text: str, shortcut: str | QKeySequence.StandardKey | None, slot: object
        ) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.palette_action = action("Command palette…", "Ctrl+K", self.show_palette)
        self.presentation_action = action("Presentation mode", "Ctrl+Shift+P", self._presentation)
        self.presentation_action.setCheckable(True)
        toolbar.addSeparator()
        toolbar.addAction(self.palette_action)
        toolbar.addAction(self.presentation_action)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.topics.new_action)
        file_menu.addSeparator()
        file_menu.addAction(action("Add remote broker…", None, self.add_profile))
        self.profiles_menu = file_menu.addMenu("Remote brokers")
        self.profiles_menu.aboutToShow.connect(self._fill_profiles_menu)
        file_menu.addSeparator()
        file_menu.addAction(action("&Quit", QKeySequence.StandardKey.Quit, self.close))

        view = menu.addMenu("&View")
        for index in range(self.tabs.count()):
            name = self.tabs.tabText(index)
            view.addAction(
                action(name, f"Ctrl+{index + 1}", lambda _=False, i=index: self.show_tab(i))
            )
        view.addSeparator()
        view.addAction(self.palette_action)
        view.addAction(self.presentation_action)
        theme_menu = view.addMenu("Theme")
        self.theme_group = QActionGroup(self)
        for theme in Theme:
            theme_action = QAction(theme.value.capitalize(), self, checkable=True)
            theme_action.setData(theme.value)
            theme_action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            self.theme_group.addAction(theme_action)
            theme_menu.addAction(theme_action)
        zone_menu = view.addMenu("Time zone")
        self.time_zone_group = QActionGroup(self)
        for zone, text in ((TimeZoneChoice.LOCAL, "Local time"), (TimeZoneChoice.UTC, "UTC")):
            zone_action = QAction(text, self, checkable=True)
            zone_action.setData(zone.value)
            zone_action.setChecked(zone is self.session.time_zone)
            zone_action.triggered.connect(lambda _=False, z=zone: self.session.set_time_zone(z))
            self.time_zone_group.addAction(zone_action)
            zone_menu.addAction(zone_action)

        broker_menu = menu.addMenu("&Broker")
        broker_menu.addAction(action("Start embedded broker", None, self.broker.start))
        broker_menu.addAction(action("Stop embedded broker", None, self.broker.stop))
        broker_menu.addAction(
            action("Restart embedded broker", "Ctrl+Shift+R", self.broker.restart)
        )
        broker_menu.addSeparator()
        broker_menu.addAction(action("Connect your code…", None, self.show_connect_code))
        broker_menu.addAction(action("Capture from a database…", None, self.captures.ask))

        help_menu = menu.addMenu("&Help")
        help_menu.addAction(action("Welcome", None, self.show_welcome))
        config_dir = Path(self.settings.fileName()).parent
        self.help = QtHelpActions(self, self.tabs, self.session, self.broker.data_dir, config_dir)
        self.help.add_to(help_menu)

    def _wire(self) -> None:
        self.topics.topic_selected.connect(self._topic_selected)
        self.events.event_selected.connect(self._event_selected)
        self.query.event_selected.connect(self._event_selected)
        self.events.produce_from.connect(self._produce_from)
        self.broker.state_changed.connect(self._broker_state)
        self.broker.ready.connect(self._broker_ready)
        self.broker_panel.connect_code_requested.connect(self.show_connect_code)
        self.session.connected.connect(self._connected)
        self.session.time_zone_changed.connect(self._show_time_zone)
        self.session.disconnected.connect(self._disconnected)
        self.session.connection_failed.connect(self._session_failed)
        self.reconnector.attempt.connect(self._try_again)
        self.session.error.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.session.topics_changed.connect(self._topics_changed)
        self.tabs.currentChanged.connect(lambda _index: self.show_tabs())
        self.welcome.run_scenario.connect(self.run_scenario)
        self.welcome.send_test_event.connect(self.send_test_event)
        self.welcome.connect_code.connect(self._welcome_connect_code)
        self.welcome.dismissed.connect(self.show_tabs)
        self.profile_view.drift_noticed.connect(
            lambda text: self.statusBar().showMessage(text, 60_000)
        )
        self.connection_banner.retry.connect(lambda: self.switch_to(self.current_profile_name()))
        self.connection_banner.edit_profile.connect(
            lambda: self.edit_profile(self.current_profile_name())
        )

    # -- state --------------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        split = s.value("window/event_split")
        if isinstance(split, QByteArray):
            self.event_split.restoreState(split)
        tab = s.value("window/tab", "events")
        self.tabs.setCurrentIndex(TABS.index(tab) if tab in TABS else 0)
        theme = Theme(s.value("view/theme", Theme.SYSTEM.value))
        self.set_theme(theme)
        self.session.set_time_zone(TimeZoneChoice.parse(s.value("view/time_zone", "local")))
        presentation = s.value("view/presentation", False, type=bool)
        self.presentation_action.setChecked(bool(presentation))
        self._fonts.apply(bool(presentation))
        if presentation:  # room for the names in the larger font, once the window is laid out
            QTimer.singleShot(0, self._fit_topics)
        normal_width = s.value("window/normal_topics_width", self._normal_topics_width, type=int)
        self._normal_topics_width = normal_width if isinstance(normal_width, int) else 0
        profile = str(s.value("connection/profile", EMBEDDED))
        index = self.profile_box.findText(profile)
        self.profile_box.setCurrentIndex(max(0, index))

    def save_state(self) -> None:
        """Remember window layout, tabs, splitter, theme and the profile in use."""
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/event_split", self.event_split.saveState())
        s.setValue("window/tab", TABS[self.tabs.currentIndex()])
        checked = self.theme_group.checkedAction()
        s.setValue("view/theme", checked.data() if checked else Theme.SYSTEM.value)
        s.setValue("view/presentation", self.presentation_action.isChecked())
        s.setValue("view/time_zone", self.session.time_zone.value)
        if not self.presentation_action.isChecked():
            self._normal_topics_width = self.topics_dock.width()
        s.setValue("window/normal_topics_width", self._normal_topics_width)
        s.setValue("connection/profile", self.current_profile_name())
        s.sync()

    def set_theme(self, theme: Theme) -> None:
        """Switch theme (System follows the desktop)."""
        apply_theme(self._app, theme)
        for act in self.theme_group.actions():
            act.setChecked(act.data() == theme.value)

    def _show_time_zone(self, zone: TimeZoneChoice) -> None:
        """Every time shown is told in ``zone`` (the views follow the session)."""
        self.detail.set_time_zone(zone)
        for act in self.time_zone_group.actions():
            act.setChecked(act.data() == zone.value)

    def _show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _presentation(self, on: bool) -> None:
        if on:
            self._normal_topics_width = self.topics_dock.width()
        self._fonts.apply(on)
        if on:
            QTimer.singleShot(0, self._fit_topics)  # once the new font has reached the browser
        else:
            QTimer.singleShot(0, self._restore_topics_width)

    def _restore_topics_width(self) -> None:
        """Give the topics panel back the width it had before presentation mode."""
        self.resizeDocks([self.topics_dock], [self._normal_topics_width], Qt.Orientation.Horizontal)

    def _topics_changed(self, _topics: object) -> None:
        if self.presentation_action.isChecked():  # a longer name may want a wider panel
            QTimer.singleShot(0, self._fit_topics)

    def _fit_topics(self) -> None:
        """Widen the topics panel for the larger font, up to 40% of the window."""
        wanted = min(self.topics.preferred_width(), int(self.width() * 0.4))
        if self.topics_dock.width() < wanted:
            self.resizeDocks([self.topics_dock], [wanted], Qt.Orientation.Horizontal)

    # -- profiles -----------------------------------------------------------------------------

    def _fill_profiles(self) -> None:
        current = self.profile_box.currentText()
        self.profile_box.blockSignals(True)
        self.profile_box.clear()
        for profile in self.profiles.all():
            self.profile_box.addItem(profile.name)
        self.profile_box.addItem(ADD_PROFILE)
        index = self.profile_box.findText(current)
        self.profile_box.setCurrentIndex(max(0, index))
        self.profile_box.blockSignals(False)

    def _show_profile(self, name: str) -> None:
        """The toolbar names the profile the views are for."""
        index = self.profile_box.findText(name)
        if index >= 0 and index != self.profile_box.currentIndex():
            self.profile_box.blockSignals(True)
            self.profile_box.setCurrentIndex(index)
            self.profile_box.blockSignals(False)

    def current_profile_name(self) -> str:
        """The profile chosen in the toolbar."""
        text = self.profile_box.currentText()
        return EMBEDDED if text == ADD_PROFILE or not text else text

    def _profile_chosen(self, index: int) -> None:
        if self.profile_box.itemText(index) == ADD_PROFILE:
            self.add_profile()
            return
        self.switch_to(self.profile_box.itemText(index))

    def add_profile(self) -> None:
        """Ask for a remote broker's details; save and switch to it."""
        dialog = self._profile_dialog(None)
        dialog.accepted.connect(lambda: self.save_profile(dialog.result_profile(), dialog.secret()))
        dialog.rejected.connect(self._fill_profiles)

    def edit_profile(self, name: str) -> None:
        """Edit a remote profile (it may be renamed); reconnect if it is the one in use."""
        profile = self.profiles.get(name)
        if profile is None or profile.embedded:
            return
        dialog = self._profile_dialog(profile)
        dialog.accepted.connect(
            lambda: self._replace_profile(name, dialog.result_profile(), dialog.secret())
        )

    def duplicate_profile(self, name: str) -> None:
        """Save a copy of a remote profile, edited first (its secret too, unless changed)."""
        profile = self.profiles.get(name)
        if profile is None or profile.embedded:
            return
        copy = replace(profile, name=self.profiles.copy_name(name))
        dialog = self._profile_dialog(copy, f"Duplicate {name}", self.profiles.secret(profile))
        dialog.accepted.connect(
            lambda: self._replace_profile(
                "", dialog.result_profile(), dialog.secret() or self.profiles.secret(profile)
            )
        )

    def delete_profile(self, name: str) -> QMessageBox | None:
        """Ask, then forget a remote profile and its secret (switching away if it is in use)."""
        profile = self.profiles.get(name)
        if profile is None or profile.embedded:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete profile",
            f"Delete the profile {name} and its stored ClientSecret?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) != QMessageBox.StandardButton.Yes:
                return
            in_use = self.current_profile_name() == name
            self.profiles.remove(name)
            self._fill_profiles()
            if in_use:
                self.switch_to(EMBEDDED)

        box.buttonClicked.connect(answered)
        box.open()
        return box

    def _profile_dialog(
        self, profile: Profile | None, title: str = "", secret: str | None = None
    ) -> QtProfileDialog:
        if profile is not None and secret is None:
            secret = self.profiles.secret(profile)
        dialog = QtProfileDialog(profile, self, secret, title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _fill_profiles_menu(self) -> None:
        menu = self.profiles_menu
        menu.clear()
        remote = [p for p in self.profiles.all() if not p.embedded]
        if not remote:
            menu.addAction("No remote brokers yet").setEnabled(False)
        for profile in remote:
            sub = menu.addMenu(profile.name)
            for text, act in (
                ("Edit…", self.edit_profile),
                ("Duplicate…", self.duplicate_profile),
                ("Delete…", self.delete_profile),
            ):
                sub.addAction(text, partial(act, profile.name))

    def save_profile(self, profile: Profile, secret: str | None) -> None:
        """Store a remote profile (secret in the secret store) and connect to it."""
        self._replace_profile(profile.name, profile, secret, connect=True)

    def _replace_profile(
        self, old_name: str, profile: Profile, secret: str | None, connect: bool = False
    ) -> None:
        in_use = bool(old_name) and self.current_profile_name() == old_name
        try:
            self.profiles.replace(old_name, profile, secret)
        except ValueError as exc:
            QMessageBox.warning(self, "Profile not saved", str(exc))
            return
        self._fill_profiles()
        if connect or in_use:
            self.switch_to(profile.name)

    def switch_to(self, name: str) -> asyncio.Task[None] | None:
        """Connect to the profile called ``name`` (views show nothing until it answers)."""
        self.reconnector.cancel()  # the user's choice: tries by itself start over from it
        if self.profiles.get(name) is not None:
            self.connection_banner.hide()
        return self._connect_profile(name)

    def _connect_profile(self, name: str) -> asyncio.Task[None] | None:
        """Connect to the profile called ``name``; the banner stays until it answers (a try
        by itself) or :meth:`switch_to` hid it (the user's choice)."""
        profile = self.profiles.get(name)
        if profile is None:
            return None
        self._show_profile(name)
        if profile.embedded:
            settings = self.broker.settings
            if self.broker.state is not BrokerState.READY or settings is None:
                if self.session.client is not None and self.session.profile_name != EMBEDDED:
                    self.session.run(self.session.drop_connection("switching brokers"))
                self.broker.start()
                self.connection_state.setText("Waiting for the embedded broker…")
                return None
            return self._connect(settings, EMBEDDED)
        secret = self.profiles.secret(profile) or ""
        if not secret and profile.needs_secret:
            what = "credentials are" if profile.is_nats else "ClientSecret is"
            return self._cannot_connect(name, f"no {what} stored for it; edit the profile.")
        try:
            remote = profile.settings(secret)
        except OSError as exc:
            return self._cannot_connect(name, f"its CA certificate cannot be read: {exc}")
        except ClientError as exc:
            return self._cannot_connect(name, str(exc))
        return self._connect(remote, name)

    def profile_settings(self, name: str) -> AnySettings:
        """The connection settings of the profile called ``name``, with its secret.

        Raises:
            ClientError: no such profile, no stored secret, or the embedded broker not running.
            OSError: its CA certificate cannot be read.
        """
        profile = self.profiles.get(name)
        if profile is None:
            raise ClientError(f"there is no profile {name!r}")
        if profile.embedded:
            if self.broker.settings is None:
                raise ClientError("the embedded broker is not running")
            return self.broker.settings
        secret = self.profiles.secret(profile) or ""
        if not secret and profile.needs_secret:
            raise ClientError(f"no credentials are stored for {name}; edit the profile")
        return profile.settings(secret)

    def _cannot_connect(self, name: str, why: str) -> asyncio.Task[None]:
        self._connection_failed(name, why)
        return self.session.run(self.session.drop_connection(f"cannot connect to {name}"))

    def _connect(self, settings: AnySettings, name: str) -> asyncio.Task[None]:
        self.connection_state.setText(f"Connecting to {name}…")
        return self.session.run(
            self.session.connect_to(settings, name), what=f"connecting to {name}"
        )

    def _session_failed(self, name: str, why: str) -> None:
        """A connection failed or was lost: say so, and try again by itself when the failure
        may pass. The embedded broker is tried again only while it runs: its supervisor
        restarts it after a crash (the session connects when it is ready), and one that was
        stopped stays stopped."""
        embedded = name == EMBEDDED
        if embedded and self.broker.state in (BrokerState.CRASHED, BrokerState.STARTING):
            why += "; the embedded broker is restarting: the workbench connects when ready"
        elif embedded and self.broker.state in (BrokerState.STOPPED, BrokerState.STOPPING):
            why += "; the embedded broker is stopped: Broker → Start embedded broker"
        retry = (
            name == self.current_profile_name()
            and worth_retrying(self.session.failure)
            and (not embedded or self.broker.state is BrokerState.READY)
        )
        self._connection_failed(name, why, self.reconnector.failed(retry))

    def _try_again(self) -> None:
        """The reconnector's turn: connect to the profile in use again."""
        name = self.current_profile_name()
        if name == EMBEDDED and self.broker.state is not BrokerState.READY:
            return  # restarted by its supervisor (then connected), or stopped by the user
        self._connect_profile(name)

    def _connection_failed(self, name: str, why: str, retry_in_s: float | None = None) -> None:
        self.statusBar().clearMessage()  # a "Connected to …" shown a moment ago is over
        self.connection_state.setText(f"Not connected to {name}")
        self.connection_banner.show_problem(
            name, why, editable=name != EMBEDDED, retry_in_s=retry_in_s
        )

    # -- reactions ----------------------------------------------------------------------------

    def _broker_state(self, state: BrokerState) -> None:
        self.broker_state.setText("Embedded broker: " + state_badge(state))
        if state is BrokerState.CRASHED:
            self.statusBar().showMessage(
                f"The embedded broker stopped unexpectedly ({self.broker.problem}); restarting."
            )

    def _broker_ready(self, settings: ConnectionSettings) -> None:
        if self.current_profile_name() == EMBEDDED:
            self._connect(settings, EMBEDDED)

    # -- first run ----------------------------------------------------------------------------

    def show_welcome(self) -> None:
        """Show the welcome page instead of the tabs."""
        self.pages.setCurrentWidget(self.welcome)

    def show_tabs(self) -> None:
        """Leave the welcome page."""
        self.pages.setCurrentWidget(self.tabs)

    def show_tab(self, index: int) -> None:
        """Show the tab at ``index`` (leaving the welcome page)."""
        self.show_tabs()
        self.tabs.setCurrentIndex(index)

    def run_scenario(self, name: str) -> None:
        """Run a demo scenario and show its dashboard."""
        self.show_tabs()
        self.tabs.setCurrentWidget(self.demo)
        self.demo.run_scenario(name)

    def send_test_event(self) -> None:
        """Open the composer with an example event, on a topic made for it if there is none."""
        self.show_tabs()
        self.tabs.setCurrentWidget(self.producer)
        self.producer.pages.setCurrentWidget(self.producer.composer)
        if self.producer.target() is None:
            self.producer.create_topic(TEST_TOPIC)
        self.producer.composer.send_button.setFocus()

    def _welcome_connect_code(self) -> None:
        self.show_tabs()
        self.show_connect_code()

    def _connected(self, _client: object) -> None:
        self.reconnector.cancel()
        self.connection_banner.hide()
        if not self.session.topics:  # a broker with nothing on it yet: the welcome page
            self.show_welcome()
        self.connection_state.setText(f"Connected to {self.session.profile_name}")
        address = self.session.client.address if self.session.client else ""
        self.setWindowTitle(window_title(self.session.profile_name, address))
        self.statusBar().showMessage(f"Connected to {self.session.profile_name}", 5000)

    def _disconnected(self, reason: str) -> None:
        self.connection_state.setText(f"Not connected ({reason})")
        self.setWindowTitle(window_title())
        self.detail.show_event(None)

    def _topic_selected(self, topic: TopicRow | None) -> None:
        if topic is not None:
            self.show_tabs()  # a topic chosen on the welcome page: show it
        self.events.show_topic(topic)
        self.query.set_topic(topic)
        self.charts.set_topic_filter(topic.name if topic else None)
        self.profile_view.set_topic(topic)

    def _event_selected(self, event: EventRow | None) -> None:
        self.detail.show_event(event)

    # -- palette ------------------------------------------------------------------------------

    def _produce_from(self, event: EventRow) -> None:
        self.producer.compose_from(event)
        self.tabs.setCurrentWidget(self.producer)

    def show_palette(self) -> None:
        """Open the quick switcher: topics and main actions."""
        entries = [
            PaletteEntry(t.name, f"{t.project_name} · {t.events:,} events", "topic", t.id)
            for t in self.session.topics
        ]
        for act in [self.topics.new_action, *self.actions()]:
            if act.text() and act is not self.palette_action:
                shortcut = act.shortcut().toString()
                entries.append(PaletteEntry(act.text().replace("&", ""), shortcut, "action", act))
        self.palette_popup.set_entries(entries)
        self.palette_popup.popup()

    def _palette_chosen(self, entry: PaletteEntry) -> None:
        if entry.kind == "topic":
            self.tabs.setCurrentIndex(0)
            self.topics.select_topic(entry.payload)
        elif isinstance(entry.payload, QAction):
            entry.payload.trigger()

    def show_connect_code(self) -> QtConnectCodeDialog | None:
        """Broker → Connect your code…: the connected broker's addresses and snippets."""
        client = self.session.client
        if client is None:
            self.statusBar().showMessage("Connect to a broker first.", 5000)
            return None
        settings = client.ensign_settings
        if settings is None:
            self.statusBar().showMessage(
                f"Connect your code… shows Ensign snippets; {client.kind} clients connect to "
                f"{client.address} with their own SDK.",
                8000,
            )
            return None
        embedded = self.session.profile_name == EMBEDDED
        dialog = QtConnectCodeDialog(
            settings,
            self.session.profile_name,
            self.broker.port_notice if embedded else "",
            f"The workbench's own key is in project {LOCAL_PROJECT}." if embedded else "",
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.create_key_requested.connect(self._create_key_for_code)
        dialog.open()
        return dialog

    def _create_key_for_code(self) -> None:
        self.tabs.setCurrentWidget(self.keys_view)
        self.keys_view.ask_new_key()

    def bring_to_front(self) -> None:
        """Show the window above the others (another ``ensign-workbench`` start asked for it)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- closing ------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout; the app stops the broker once the loop ends."""
        self.save_state()
        super().closeEvent(event)
