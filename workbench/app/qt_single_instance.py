"""One workbench per user and data directory: a second start brings the first window forward.

The first workbench holds a lock file and listens on a local socket (``QLocalServer``, readable
by its user only) whose name comes from the user and the broker's data directory. A second one
finds the lock taken, says "activate" on the socket, reads back the first one's process id and
exits, before it builds a window or touches the data directory (whose ``serve.json`` and broker
belong to the first). The lock file closes the gap between two starts at the same moment: only
one of them can take it, and a lock whose process died is taken over.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import time
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ACTIVATE = b"activate\n"
ANSWER_TIMEOUT_MS = 2_000
STARTING_WAIT_S = 10.0
"""How long a second start waits for a first one that holds the lock but does not listen yet."""


def instance_name(data_dir: Path) -> str:
    """The local socket name for this user and broker data directory."""
    who = f"{getpass.getuser()}\0{data_dir.expanduser().resolve()}"
    return f"ensign-workbench-{hashlib.sha256(who.encode()).hexdigest()[:16]}"


def ask_to_activate(name: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> int | None:
    """Ask the workbench listening on ``name`` to bring its window to the front.

    Returns:
        Its process id (0 if it did not say), or None if no workbench answers there.
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return None
    socket.write(ACTIVATE)
    socket.waitForBytesWritten(timeout_ms)
    answer = b""
    while b"\n" not in answer and socket.waitForReadyRead(timeout_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    text = answer.decode(errors="replace").strip()
    return int(text) if text.isdigit() else 0


class QtSingleInstance(QObject):
    """Claims the workbench's place for this user and data directory, or finds who has it."""

    activate_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._lock = QLockFile(str(Path(QDir.tempPath()) / f"{name}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._answer)

    def claim(self) -> int | None:
        """Become the running workbench, or find the one that is.

        Returns:
            None if this process is now the workbench (it listens for later starts); else the
            running workbench's process id, which was asked to show its window (0 if unknown).

        Raises:
            OSError: if neither the lock nor the socket can be used (the message says why).
        """
        if self._lock.tryLock(0):
            QLocalServer.removeServer(self.name)  # a socket left by a workbench that crashed
            if not self._server.listen(self.name):
                raise OSError(f"cannot listen on {self.name}: {self._server.errorString()}")
            return None
        deadline = time.monotonic() + STARTING_WAIT_S
        while time.monotonic() < deadline:  # it may be starting and not listening yet
            pid = ask_to_activate(self.name)
            if pid is not None:
                return pid
            time.sleep(0.1)
        holder = self._lock.getLockInfo()
        return int(holder[0]) if isinstance(holder, tuple) and holder else 0

    def release(self) -> None:
        """Stop listening and give the lock up (at exit)."""
        self._server.close()
        self._lock.unlock()

    def _answer(self) -> None:
        while (connection := self._server.nextPendingConnection()) is not None:
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(connection.deleteLater)

    def _read(self, connection: QLocalSocket) -> None:
        if connection.canReadLine() and bytes(connection.readLine().data()) == ACTIVATE:
            connection.write(f"{os.getpid()}\n".encode())
            connection.flush()
            self.activate_requested.emit()
