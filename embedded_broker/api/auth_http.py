"""The authentication HTTP endpoint that Ensign clients call before any gRPC request.

A small asyncio HTTP/1.1 server, one request per connection:

- ``POST /v1/authenticate`` ``{"client_id", "client_secret"}`` returns an access and a refresh
  token. The body is JSON whatever the Content-Type says: pyensign sends JSON labelled
  ``application/x-www-form-urlencoded``.
- ``POST /v1/refresh`` ``{"refresh_token"}`` returns a new pair while the key is still active.
- ``GET /.well-known/jwks.json`` and ``GET /healthz``.

Argon2 runs only in a dedicated thread pool, so the event loop stays responsive, and failed
logins are rate-limited per client id and per remote address.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import logging
import math
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from embedded_broker.auth.api_keys import ApiKey, AuthenticationFailed, KeyStore
from embedded_broker.auth.rate_limit import FailureLimiter
from embedded_broker.auth.tokens import InvalidToken, TokenIssuer
from embedded_broker.core.errors import InvalidArgument, NotFound
from embedded_broker.core.ids import parse_ulid

MAX_BODY_BYTES = 64 * 1024
MAX_HEAD_BYTES = 16 * 1024
REQUEST_TIMEOUT_S = 10.0
MAX_PENDING_AUTHENTICATIONS = 64
_DISCARD_LIMIT = 1024 * 1024  # an oversized body up to this size is read and dropped, not reset
_MAX_FIELD_CHARS = 1024
_INVALID_CREDENTIALS = "invalid client_id or client_secret"

log = logging.getLogger("embedded_broker.auth_http")


class _HttpError(Exception):
    """Answer the request with ``status`` and ``{"error": message}``."""

    def __init__(
        self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(slots=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    content_length: int | None
    body: bytes = b""


@dataclass(slots=True)
class _Response:
    status: int
    payload: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Exchange:
    """What one request line in the log says."""

    remote: str
    method: str = "-"
    path: str = "-"
    status: str = "-"
    client_id: str | None = None
    extra: list[str] = field(default_factory=list)


_Handler = Callable[["AuthHttpServer", _Request, _Exchange], Awaitable[_Response]]


class AuthHttpServer:
    """Serves ``/v1/authenticate``, ``/v1/refresh``, the JWKS and a health check.

    Args:
        keys: the API key store.
        tokens: issues and verifies tokens.
        limiter: rate limiter for failed logins (a fresh one if omitted).
        ssl_context: serve HTTPS with this context; plain HTTP if omitted.
        argon2_workers: threads that run Argon2 checks.

    Raises:
        ValueError: if ``argon2_workers`` is less than 1.
    """

    request_timeout_s: float = REQUEST_TIMEOUT_S
    exempt_loopback: bool = True
    """Loopback addresses are not limited as addresses (their client ids still are)."""

    def __init__(
        self,
        keys: KeyStore,
        tokens: TokenIssuer,
        limiter: FailureLimiter | None = None,
        ssl_context: ssl.SSLContext | None = None,
        argon2_workers: int = 2,
    ) -> None:
        if argon2_workers < 1:
            raise ValueError("argon2_workers must be at least 1")
        self._keys = keys
        self._tokens = tokens
        self._limiter = limiter if limiter is not None else FailureLimiter()
        self._ssl = ssl_context
        self._argon2 = ThreadPoolExecutor(max_workers=argon2_workers, thread_name_prefix="argon2")
        self._pending = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` and return the bound port (``port`` 0 picks a free one).

        Raises:
            RuntimeError: if the server was already started.
            OSError: if the address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the auth HTTP server is already started")
        server = await self._listen(host, port)
        bound = int(server.sockets[0].getsockname()[1])
        if port == 0 and any(s.getsockname()[1] != bound for s in server.sockets):
            # A name with several addresses got a different free port for each: use one port.
            server.close()
            await server.wait_closed()
            server = await self._listen(host, bound)
        self._server = server
        return bound

    async def _listen(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(
            self._serve_connection,
            host,
            port,
            ssl=self._ssl,
            ssl_handshake_timeout=self.request_timeout_s if self._ssl else None,
            limit=MAX_HEAD_BYTES,
        )

    async def close(self) -> None:
        """Stop listening, drop open connections and stop the Argon2 threads."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        self._argon2.shutdown(wait=False, cancel_futures=True)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        peer = writer.get_extra_info("peername")
        exchange = _Exchange(remote=str(peer[0]) if isinstance(peer, tuple) else "unknown")
        try:
            response = await self._respond(reader, writer, exchange)
            if response is not None:
                exchange.status = str(response.status)
                async with asyncio.timeout(self.request_timeout_s):
                    writer.write(_encode(response))
                    await writer.drain()
        except TimeoutError:
            exchange.extra.append("timed out")
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            exchange.extra.append("client disconnected")
        except Exception:
            log.exception("auth HTTP request from %s failed", exchange.remote)
        finally:
            if task is not None:
                self._connections.discard(task)
            _log_exchange(exchange)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, exchange: _Exchange
    ) -> _Response | None:
        """Read and answer one request; None when there is nothing to answer."""
        try:
            async with asyncio.timeout(self.request_timeout_s):
                request = await _read_head(reader, exchange)
                if request is None:
                    return None
                route = _ROUTES.get(request.path)
                if route is None:
                    await _discard_body(reader, request)
                    raise _HttpError(404, f"no such endpoint: {exchange.path}")
                method, handler = route
                if request.method != method:
                    await _discard_body(reader, request)
                    raise _HttpError(405, f"use {method} for {request.path}", (("Allow", method),))
                if method == "POST":
                    await _read_body(reader, writer, request)
                else:
                    await _discard_body(reader, request)
        except _HttpError as error:
            return _error(error)
        try:
            return await handler(self, request, exchange)
        except _HttpError as error:
            return _error(error)
        except Exception:
            log.exception("auth HTTP %s %s failed", exchange.method, exchange.path)
            return _error(_HttpError(500, "internal error; see the broker log"))

    async def _authenticate(self, request: _Request, exchange: _Exchange) -> _Response:
        doc = _json_object(request.body)
        client_id = _string_field(doc, "client_id")
        exchange.client_id = client_id
        secret = _string_field(doc, "client_secret")
        subjects: tuple[str, ...] = (f"client_id:{client_id}",)
        if not (self.exempt_loopback and _is_loopback(exchange.remote)):
            # On loopback every local client shares one address: one misconfigured app must
            # not lock out the others. Keys themselves stay limited.
            subjects += (f"address:{exchange.remote}",)
        wait = self._limiter.retry_after(*subjects)
        if wait > 0:
            return _too_many_failures(wait)
        if self._pending >= MAX_PENDING_AUTHENTICATIONS:
            return _error(_HttpError(503, "too many logins in progress", (("Retry-After", "1"),)))
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(
                self._argon2, self._check_credentials, client_id, secret, subjects
            )
        except AuthenticationFailed:
            return _error(_HttpError(401, _INVALID_CREDENTIALS))
        finally:
            self._pending -= 1
        if not isinstance(outcome, ApiKey):
            return _too_many_failures(outcome)
        access, refresh = self._tokens.issue(outcome)
        payload: dict[str, Any] = {"access_token": access, "refresh_token": refresh}
        if outcome.last_used_ms is not None:
            payload["last_login"] = _rfc3339(outcome.last_used_ms)
        return _Response(200, payload)

    def _check_credentials(
        self, client_id: str, secret: str, subjects: tuple[str, ...]
    ) -> ApiKey | float:
        """Run in an Argon2 thread: check the limiter again (the request may have queued
        behind others), then the credentials. Return the key or the seconds to wait.

        Raises:
            AuthenticationFailed: for wrong credentials; the failure is recorded.
        """
        wait = self._limiter.retry_after(*subjects)
        if wait > 0:
            return wait
        try:
            key = self._keys.authenticate(client_id, secret)
        except AuthenticationFailed:
            self._limiter.failed(*subjects)
            raise
        # Only the client id is cleared: one valid key must not reset an address's failures.
        self._limiter.succeeded(subjects[0])
        return key

    async def _refresh(self, request: _Request, exchange: _Exchange) -> _Response:
        token = _string_field(_json_object(request.body), "refresh_token", _MAX_FIELD_CHARS * 8)
        try:
            claims = self._tokens.verify(token, refresh=True)
        except InvalidToken as error:
            return _error(_HttpError(401, str(error)))
        try:
            key = await asyncio.to_thread(self._keys.by_id, parse_ulid(claims.key_id))
        except (NotFound, InvalidArgument):
            return _error(_HttpError(401, "the API key of this token no longer exists"))
        exchange.client_id = key.client_id
        if not key.active:
            return _error(_HttpError(401, "the API key of this token has been revoked"))
        access, refresh = self._tokens.issue(key)
        return _Response(200, {"access_token": access, "refresh_token": refresh})

    async def _jwks(self, request: _Request, exchange: _Exchange) -> _Response:
        return _Response(200, self._tokens.jwks())

    async def _healthz(self, request: _Request, exchange: _Exchange) -> _Response:
        return _Response(200, {"status": "ok"})


_ROUTES: dict[str, tuple[str, _Handler]] = {
    "/v1/authenticate": ("POST", AuthHttpServer._authenticate),
    "/v1/refresh": ("POST", AuthHttpServer._refresh),
    "/.well-known/jwks.json": ("GET", AuthHttpServer._jwks),
    "/healthz": ("GET", AuthHttpServer._healthz),
}


async def _read_head(reader: asyncio.StreamReader, exchange: _Exchange) -> _Request | None:
    """Read the request line and headers; None if the client closed before sending any."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise _HttpError(400, "incomplete request") from None
        return None
    except asyncio.LimitOverrunError:
        raise _HttpError(431, "request headers are too large") from None
    lines = raw.decode("latin-1").lstrip("\r\n").split("\r\n")[:-2]
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[0].isalpha() or not parts[2].startswith("HTTP/1."):
        raise _HttpError(400, "malformed request line")
    method, target = parts[0], parts[1]
    exchange.method = method
    exchange.path = _printable(target.split("?", 1)[0], 200)  # until the target is parsed
    if target.startswith("/"):
        path = target.split("?", 1)[0].split("#", 1)[0]
    elif target.lower().startswith(("http://", "https://")):
        path = urlsplit(target).path or "/"
    else:
        raise _HttpError(400, "malformed request target")
    exchange.path = _printable(path, 200)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise _HttpError(400, "malformed header line")
        name, value = name.lower(), value.strip()
        if name in headers and (name != "content-length" or headers[name] != value):
            headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    return _Request(method, path, headers, _content_length(headers))


def _content_length(headers: dict[str, str]) -> int | None:
    if "transfer-encoding" in headers:
        raise _HttpError(411, "send the body with a Content-Length; chunked bodies are refused")
    value = headers.get("content-length")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise _HttpError(400, "invalid Content-Length")
    return int(value)


async def _read_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: _Request
) -> None:
    length = request.content_length
    if length is None:
        raise _HttpError(411, "a Content-Length header is required")
    expects_continue = request.headers.get("expect", "").lower() == "100-continue"
    if length > MAX_BODY_BYTES:
        if not expects_continue:  # the client sends the body anyway: read it, or it gets a reset
            await _discard_body(reader, request)
        raise _HttpError(413, f"the request body exceeds {MAX_BODY_BYTES} bytes")
    if expects_continue:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    request.body = await reader.readexactly(length)


async def _discard_body(reader: asyncio.StreamReader, request: _Request) -> None:
    """Read and drop a body the request will not use, up to a limit."""
    remaining = min(request.content_length or 0, _DISCARD_LIMIT)
    while remaining > 0:
        chunk = await reader.read(min(remaining, 64 * 1024))
        if not chunk:
            return
        remaining -= len(chunk)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise _HttpError(400, "the request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise _HttpError(400, "the request body must be a JSON object")
    return doc


def _string_field(doc: dict[str, Any], name: str, max_chars: int = _MAX_FIELD_CHARS) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise _HttpError(400, f"{name} is required (a non-empty string)")
    if len(value) > max_chars:
        raise _HttpError(400, f"{name} is too long")
    return value


def _too_many_failures(wait: float) -> _Response:
    seconds = max(1, math.ceil(wait))
    return _error(
        _HttpError(
            429,
            f"too many failed logins; try again in {seconds} s",
            (("Retry-After", str(seconds)),),
        )
    )


def _error(error: _HttpError) -> _Response:
    return _Response(error.status, {"error": error.message}, error.headers)


def _encode(response: _Response) -> bytes:
    body = json.dumps(response.payload, separators=(",", ":")).encode()
    lines = [
        f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        *(f"{name}: {value}" for name, value in response.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _rfc3339(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _printable(text: str, limit: int) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def _log_exchange(exchange: _Exchange) -> None:
    client = _printable(exchange.client_id, 64) if exchange.client_id else "-"
    log.info(
        "%s %s %s from %s client_id=%s%s",
        exchange.method,
        exchange.path,
        exchange.status,
        exchange.remote,
        client,
        "".join(f" ({note})" for note in exchange.extra),
    )


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
