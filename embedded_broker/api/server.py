"""``ensign-broker serve``: the gRPC API, the auth endpoint and their housekeeping, in one process.

The process owns the data directory (the event log's lock). It serves until SIGTERM or SIGINT,
then stops taking calls, commits every queued event, saves consumer-group offsets and exits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from embedded_broker.api.admin_service import AdminService, add_admin_service
from embedded_broker.api.auth_http import AuthHttpServer
from embedded_broker.api.ensign_service import EnsignService, add_ensign_service
from embedded_broker.api.listen_address import ListenAddress
from embedded_broker.auth.api_keys import KeyStore
from embedded_broker.auth.projects import ProjectDirectory
from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.core.ids import now_ms
from embedded_broker.crypto.tls_certificate import ensure_certificate, server_ssl_context
from embedded_broker.engine.broker import Broker, Endpoints
from embedded_broker.engine.housekeeping import keep_groups, keep_metrics
from embedded_broker.private_files import write_private_file
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.group_offsets import GroupOffsets

log = logging.getLogger("embedded_broker.server")

SERVE_FILE = "serve.json"
"""Written while serving: where to reach this broker (for the workbench and scripts)."""
MAX_MESSAGE_BYTES = (
    8 * 1024 * 1024
)  # an event over the limit must arrive whole, to be nacked politely
STOP_GRACE_S = 2.0
PARENT_CHECK_S = 1.0


@dataclass(frozen=True)
class ServeOptions:
    """How to serve."""

    data_dir: Path
    listen: ListenAddress
    auth_listen: ListenAddress
    tls: bool = False
    passphrase: str | None = None
    exit_with_parent: bool = False
    free_port_if_taken: bool = False
    """If a chosen port is taken, listen on a free one instead of failing (the workbench's
    embedded broker prefers Ensign's usual ports but must start even when they are busy)."""

    def needs_tls(self) -> bool:
        """TLS when asked for, and always when either address is reachable off this machine."""
        return self.tls or not (self.listen.is_loopback and self.auth_listen.is_loopback)


class BrokerServer:
    """A running broker: start it, then ``wait()`` for a stop signal, then ``stop()``."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self._stack = AsyncExitStack()
        self._grpc: grpc.aio.Server | None = None
        self._auth: AuthHttpServer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()
        self.broker: Broker | None = None
        self.grpc_address: ListenAddress | None = None
        self.auth_url = ""

    async def start(self) -> None:
        """Open the data directory and start listening.

        Raises:
            BrokerError: if the data directory cannot be opened (locked, wrong key, ...).
            OSError: if an address cannot be bound.
        """
        opts = self.options
        loop = asyncio.get_running_loop()
        store = await asyncio.to_thread(EventStore.open, opts.data_dir, passphrase=opts.passphrase)
        self._stack.callback(store.close)
        data_dir = store.data_dir
        projects = ProjectDirectory(data_dir)
        self._stack.callback(projects.close)
        keys = KeyStore(data_dir)
        self._stack.callback(keys.close)
        offsets = GroupOffsets(data_dir)
        self._stack.callback(offsets.close)
        broker = Broker(data_dir, store, projects, keys, TokenIssuer(data_dir), offsets, loop)
        self.broker = broker
        self._stack.callback(broker.close)  # (exit callbacks run last-in, first-out)
        self._stack.push_async_callback(self._save_groups)
        tls = opts.needs_tls()
        material = None
        if tls:
            hosts = [opts.listen.host, opts.auth_listen.host]
            material = await asyncio.to_thread(ensure_certificate, data_dir, hosts)
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),  # a second broker on the same port must fail loudly
            ]
        )
        add_ensign_service(EnsignService(broker), server)
        add_admin_service(AdminService(broker), server)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        credentials = None
        if material is not None:
            credentials = grpc.ssl_server_credentials([(material.key_pem, material.cert_pem)])
        port = _bind_grpc(server, opts.listen, credentials)
        if port == 0 and self._may_move(opts.listen, "gRPC"):
            port = _bind_grpc(server, opts.listen.with_port(0), credentials)
        if port == 0:
            raise OSError(f"cannot listen on {opts.listen}: the address is in use or not available")
        await server.start()
        self._grpc = server
        self._stack.push_async_callback(self._stop_grpc)
        self.grpc_address = opts.listen.with_port(port)
        for service in ("", "ensign.v1beta1.Ensign", "ensign_workbench.admin.v1.BrokerAdmin"):
            await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)

        auth = AuthHttpServer(
            keys, broker.tokens, ssl_context=server_ssl_context(material) if material else None
        )
        try:
            auth_port = await auth.start(opts.auth_listen.host, opts.auth_listen.port)
        except OSError:
            if not self._may_move(opts.auth_listen, "auth"):
                raise
            auth_port = await auth.start(opts.auth_listen.host, 0)
        self._auth = auth
        self._stack.push_async_callback(auth.close)
        scheme = "https" if material else "http"
        self.auth_url = f"{scheme}://{opts.auth_listen.with_port(auth_port)}"
        broker.endpoints = Endpoints(
            str(self.grpc_address),
            self.auth_url,
            tls,
            material.fingerprint_sha256 if material else "",
        )
        self._tasks = [
            asyncio.create_task(keep_groups(broker)),
            asyncio.create_task(keep_metrics(broker)),
        ]
        self._write_serve_file(broker, material.cert_path if material else None)
        log.info(
            "ready: gRPC %s (%s), auth %s, data %s, pid %d",
            self.grpc_address,
            "TLS" if tls else "plaintext",
            self.auth_url,
            data_dir,
            os.getpid(),
        )

    def _may_move(self, address: ListenAddress, what: str) -> bool:
        """Whether a taken ``address`` may be replaced by a free port (and say so)."""
        if not self.options.free_port_if_taken or address.port == 0:
            return False
        log.warning("%s port %d is taken; listening on a free port instead", what, address.port)
        return True

    def _write_serve_file(self, broker: Broker, cert: Path | None) -> None:
        info = {
            "pid": os.getpid(),
            "grpc_address": str(self.grpc_address),
            "auth_url": self.auth_url,
            "tls": cert is not None,
            "tls_certificate": str(cert) if cert else None,
            "version": broker.version,
            "started_ms": now_ms(),
        }
        path = broker.data_dir / SERVE_FILE
        write_private_file(path, json.dumps(info, indent=2).encode())
        self._stack.callback(path.unlink, missing_ok=True)

    async def _save_groups(self) -> None:
        if self.broker is not None:
            await self.broker.groups.save()

    async def _stop_grpc(self) -> None:
        if self._grpc is not None:
            if self.broker is not None:
                self.broker.stopping.set()  # streams end themselves within the grace period
                self.broker.metrics_listeners.publish(None)
            await self._grpc.stop(STOP_GRACE_S)

    def request_stop(self) -> None:
        """Ask ``wait`` to return (safe from a signal handler)."""
        self._stopped.set()

    async def wait(self) -> None:
        """Wait until a stop is requested."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop serving; every acknowledged event is on disk when this returns."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stack.aclose()
        if self.broker is not None:  # a start that failed never served: nothing to report
            log.info("stopped")


def _bind_grpc(
    server: grpc.aio.Server, address: ListenAddress, credentials: grpc.ServerCredentials | None
) -> int:
    """Add a listening port to ``server``; return it, or 0 if it cannot be bound."""
    try:
        if credentials is None:
            return int(server.add_insecure_port(str(address)))
        return int(server.add_secure_port(str(address), credentials))
    except RuntimeError:  # grpcio >= 1.60 raises where older releases returned 0
        return 0


async def serve(options: ServeOptions) -> None:
    """Serve until SIGTERM or SIGINT."""
    server = BrokerServer(options)
    try:
        await server.start()
    except BaseException:
        await server.stop()
        raise
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.request_stop)
    watcher = None
    if options.exit_with_parent:
        watcher = asyncio.create_task(_stop_when_orphaned(server, os.getppid()))
    try:
        await server.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        log.info("stopping")
        await server.stop()


async def _stop_when_orphaned(server: BrokerServer, parent: int) -> None:
    """Stop the broker if its parent (the app that started it) dies, even without a signal."""
    while True:
        await asyncio.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            log.warning("the process that started the broker is gone; stopping")
            server.request_stop()
            return
