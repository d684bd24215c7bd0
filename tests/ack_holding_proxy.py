"""A loopback TCP proxy that can stop passing the broker's replies on: the moment between a
commit and its acknowledgement, held open for as long as a test needs.

A broker killed while its acknowledgements are held has stored events its client never heard
about; that is how a test reproduces, every time, what a crash does now and then.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class AckHoldingProxy:
    """Forwards connections from ``address`` to ``upstream`` ("host:port") in both directions;
    once held, what one side sends is read and dropped."""

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.rpartition(":")
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._holding = {True: threading.Event(), False: threading.Event()}  # replies, requests
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_replies(self) -> None:
        """Drop what the upstream sends from now on (requests still reach it)."""
        self._holding[True].set()

    def hold_requests(self) -> None:
        """Drop what clients send from now on (the upstream never sees it)."""
        self._holding[False].set()

    def close(self) -> None:
        """Stop listening and close every connection."""
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, target, replies in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(
                    target=self._pump, args=(source, target, replies), daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket, replies: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if not self._holding[replies].is_set():
                    target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):  # one side gone: so is the connection
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


@contextmanager
def ack_holding_proxy(upstream: str) -> Iterator[AckHoldingProxy]:
    """An :class:`AckHoldingProxy` to ``upstream``, closed afterwards."""
    proxy = AckHoldingProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
