"""Runs ``ensign-broker serve`` as a child process: start, watch, restart, stop.

The broker listens on Ensign's usual loopback ports, 5356 (gRPC) and 5357 (auth), so that code
written for a local Ensign finds it; if another program holds one, the broker takes a free port
instead and :attr:`QtEmbeddedBroker.port_notice` says so. It reports where it listens in its data
directory's ``serve.json`` and in its ready line. The first start creates a ``local`` project and
an admin key for the workbench, whose secret goes to the secret store. Every start asks the
running broker whether the saved key still logs in; a key it refuses (revoked) is replaced.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from workbench.client.broker_rules import STANDARD_AUTH_PORT, STANDARD_GRPC_PORT
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.broker_status import BrokerState, LogBuffer, restart_delay
from workbench.models.embedded_connection import embedded_connection, moved_ports_notice
from workbench.models.frozen_app import broker_command
from workbench.models.secret_store import SecretStore

STOP_TIMEOUT_MS = 15_000
MAX_EARLY_CRASHES = 3
STEADY_S = 60.0
"""A broker that ran this long before it died is restarted after the shortest delay again."""


STANDARD_PORTS = (STANDARD_GRPC_PORT, STANDARD_AUTH_PORT)


def broker_arguments(data_dir: Path, ports: tuple[int, int] = STANDARD_PORTS) -> list[str]:
    """The arguments of ``ensign-broker`` (see :func:`broker_command`) that serve a broker on
    loopback, on ``ports`` (gRPC, auth) while they are free and on free ports otherwise."""
    grpc_port, auth_port = ports
    return [
        "serve",
        "--data-dir",
        str(data_dir),
        "--listen",
        f"127.0.0.1:{grpc_port}",
        "--auth-listen",
        f"127.0.0.1:{auth_port}",
        "--free-port-if-taken",  # decided by the broker as it binds: no race with a probe
        "--exit-with-parent",  # no orphan, even if the app is killed
    ]


class QtEmbeddedBroker(QObject):
    """The embedded broker process, its state and its log."""

    state_changed = Signal(object)  # BrokerState
    log_line = Signal(str)
    ready = Signal(object)  # ConnectionSettings

    def __init__(
        self,
        data_dir: Path,
        secrets: SecretStore,
        parent: QObject | None = None,
        ports: tuple[int, int] = STANDARD_PORTS,
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.ports = ports
        """The ports (gRPC, auth) the broker takes when they are free."""
        self._secrets = secrets
        self.state = BrokerState.STOPPED
        self.log = LogBuffer()
        self.settings: ConnectionSettings | None = None
        self.started_at: float | None = None
        self.crashes = 0
        """Times the broker died since the workbench started."""
        self._crashes_in_a_row = 0  # crashes without a steady run between: the restart backoff
        self.problem = ""
        self._early_crashes = 0
        self._stopping = False
        self._process: QProcess | None = None
        self._finishing: asyncio.Future[ConnectionSettings] | None = None
        self._restart = QTimer(self)
        self._restart.setSingleShot(True)
        self._restart.timeout.connect(self.start)

    @property
    def pid(self) -> int | None:
        """The running process's id."""
        if self._process is None or self._process.state() == QProcess.ProcessState.NotRunning:
            return None
        return int(self._process.processId())

    def start(self) -> None:
        """Start the broker (no-op if it runs)."""
        if self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning:
            return
        self._restart.stop()
        self._stopping = False
        self.problem = ""
        # serve.json is the running broker's: never removed here, where it may be another
        # process's (the broker writes it before it says it is ready, and removes it on exit).
        self.data_dir.mkdir(parents=True, exist_ok=True)
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.readyReadStandardOutput.connect(self._read_output)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self._process = process
        self._set_state(BrokerState.STARTING)
        self.started_at = time.monotonic()
        program, *arguments = broker_command(*broker_arguments(self.data_dir, self.ports))
        process.start(program, arguments)

    @property
    def port_notice(self) -> str:
        """Why the ready broker is not on :attr:`ports` ("" when it is, or is not ready)."""
        if self.state is not BrokerState.READY or self.settings is None:
            return ""
        return moved_ports_notice(self.settings, self.ports)

    def stop(self) -> None:
        """Ask the broker to stop (SIGTERM); it is killed if it takes too long."""
        self._restart.stop()
        process = self._process
        if process is None or process.state() == QProcess.ProcessState.NotRunning:
            self._set_state(BrokerState.STOPPED)
            return
        self._stopping = True
        self._set_state(BrokerState.STOPPING)
        process.terminate()
        QTimer.singleShot(STOP_TIMEOUT_MS, self._kill_if_running)

    def restart(self) -> None:
        """Stop, then start again."""
        if self._process is None or self._process.state() == QProcess.ProcessState.NotRunning:
            self.start()
            return
        self.stop()
        assert self._process is not None
        self._process.finished.connect(lambda *_: QTimer.singleShot(0, self.start))

    def stop_and_wait(self, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
        """Stop and block until the process is gone (for application exit)."""
        self._restart.stop()
        process = self._process
        if process is None or process.state() == QProcess.ProcessState.NotRunning:
            return
        self._stopping = True
        process.terminate()
        if not process.waitForFinished(timeout_ms):
            process.kill()
            process.waitForFinished(5000)
        self._set_state(BrokerState.STOPPED)

    def _kill_if_running(self) -> None:
        process = self._process
        running = process is not None and process.state() != QProcess.ProcessState.NotRunning
        if self._stopping and running and process is not None:
            self._emit_line("the broker did not stop in time; killing it")
            process.kill()

    def _read_output(self) -> None:
        process = self._process
        if process is None:
            return
        chunk = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace")
        for line in self.log.feed(chunk):
            self.log_line.emit(line)
            if " ready: " in line and self.state is BrokerState.STARTING:
                self._became_ready()

    def _emit_line(self, line: str) -> None:
        for complete in self.log.feed(line + "\n"):
            self.log_line.emit(complete)

    def _became_ready(self) -> None:
        # Reading serve.json, asking the broker whether the saved key still works, and creating
        # a key when it does not (a subprocess and an Argon2 hash) happen on a worker thread:
        # the window never waits for them.
        self._finishing = asyncio.ensure_future(asyncio.to_thread(self._connection_details))
        self._finishing.add_done_callback(self._details_ready)

    def _connection_details(self) -> ConnectionSettings:
        return embedded_connection(self.data_dir, self._secrets)

    def _details_ready(self, done: asyncio.Future[ConnectionSettings]) -> None:
        if done.cancelled() or self.state is not BrokerState.STARTING:
            return
        exc = done.exception()
        if exc is not None:
            self.problem = f"the broker started but the workbench cannot use it: {exc}"
            self._emit_line(self.problem)
            self.stop()
            return
        self.settings = done.result()
        self._early_crashes = 0
        self._set_state(BrokerState.READY)
        self.ready.emit(self.settings)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.problem = f"the broker could not be started: {broker_command()[0]} failed to run"
            self._emit_line(self.problem)
            self._set_state(BrokerState.FAILED)

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        if self._stopping:
            self._set_state(BrokerState.STOPPED)
            return
        was_ready = self.state is BrokerState.READY
        self.crashes += 1
        steady = self.started_at is not None and time.monotonic() - self.started_at >= STEADY_S
        self._crashes_in_a_row = 1 if was_ready and steady else self._crashes_in_a_row + 1
        how = (
            f"was killed (signal {_signal_name(exit_code)})"
            if status == QProcess.ExitStatus.CrashExit
            else f"exited with code {exit_code}"
        )
        last = self.log.tail(1)
        self.problem = f"the broker {how}" + (f": {last[0]}" if last and not was_ready else "")
        self._emit_line(self.problem)
        if not was_ready:
            self._early_crashes += 1
        if self._early_crashes >= MAX_EARLY_CRASHES:
            self._set_state(BrokerState.FAILED)
            return
        self._set_state(BrokerState.CRASHED)
        delay = restart_delay(self._crashes_in_a_row)
        self._emit_line(f"restarting the broker in {delay:.0f} s")
        self._restart.start(int(delay * 1000))

    def _set_state(self, state: BrokerState) -> None:
        if state is not self.state:
            self.state = state
            self.state_changed.emit(state)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
