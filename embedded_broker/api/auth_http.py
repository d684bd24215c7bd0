"""The authentication HTTP endpoint that Ensign clients call before any gRPC request.

An aiohttp application, one request per connection:

- ``POST /v1/authenticate`` ``{"client_id", "client_secret"}`` returns an access and a refresh
  token. The body is JSON whatever the Content-Type says: pyensign sends JSON labelled
  ``application/x-www-form-urlencoded``.
- ``POST /v1/refresh`` ``{"refresh_token"}`` returns a new pair while the key is still active.
- ``GET /.well-known/jwks.json`` and ``GET /healthz``.

Every answer is JSON; a refusal is ``{"error": message}``. Argon2 runs only in a dedicated
thread pool, so the event loop stays responsive, and failed logins are rate-limited per remote
address and per (client id, address): a key's owner logs in from elsewhere whatever an attacker
sends, and a client with a refresh token renews without a login. The access log has one line per
request and never a body, so never a secret or a token.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import ipaddress
import json
import logging
import math
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from embedded_broker.auth.api_keys import ApiKey, AuthenticationFailed, KeyStore
from embedded_broker.auth.rate_limit import FailureLimiter
from embedded_broker.auth.tokens import InvalidToken, TokenIssuer
from embedded_broker.core.errors import InvalidArgument, NotFound
from embedded_broker.core.ids import parse_ulid

MAX_BODY_BYTES = 64 * 1024
MAX_HEADER_FIELD_BYTES = 8 * 1024
"""The longest request line and the longest header field (aiohttp answers 400 or 431 beyond)."""
MAX_HEADERS = 64
REQUEST_TIMEOUT_S = 10.0
MAX_PENDING_AUTHENTICATIONS = 64
_SHUTDOWN_GRACE_S = 0.5
_MAX_FIELD_CHARS = 1024
_INVALID_CREDENTIALS = "invalid client_id or client_secret"

log = logging.getLogger("embedded_broker.auth_http")


class _WithoutRequestBytes(logging.Filter):
    """aiohttp's parser errors quote the offending request bytes, which may carry a secret:
    keep the kind of error and drop its text and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {type(record.exc_info[1]).__name__}"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True


_protocol_log = logging.getLogger("embedded_broker.auth_http.protocol")
"""What aiohttp's request handler reports (malformed requests), without request bytes."""
_protocol_log.addFilter(_WithoutRequestBytes())

# aiohttp runs each request's handler, and then the access-log call for it, in one task of its
# own: a value set here by a handler belongs to that request alone.
_client_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "auth_http_client_id", default=None
)


class _HttpError(Exception):
    """Answer the request with ``status`` and ``{"error": message}``."""

    def __init__(
        self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


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
    """Seconds a connection has, from its accept, to deliver its request and body (TLS
    handshake included); then it is closed without an answer."""
    exempt_loopback: bool = True
    """Loopback addresses are not limited as addresses (each client id from them still is)."""

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
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._deadlines: dict[asyncio.BaseProtocol, asyncio.TimerHandle] = {}

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` and return the bound port (``port`` 0 picks a free one).

        Raises:
            RuntimeError: if the server was already started.
            OSError: if the address cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the auth HTTP server is already started")
        runner = web.AppRunner(
            self._application(),
            handle_signals=False,
            shutdown_timeout=_SHUTDOWN_GRACE_S,
            access_log_class=_AccessLog,
            access_log=log,
            logger=_protocol_log,
            max_line_size=MAX_HEADER_FIELD_BYTES,
            max_field_size=MAX_HEADER_FIELD_BYTES,
            max_headers=MAX_HEADERS,
        )
        await runner.setup()
        self._runner = runner
        try:
            server = await self._listen(host, port)
            bound = int(server.sockets[0].getsockname()[1])
            if port == 0 and any(s.getsockname()[1] != bound for s in server.sockets):
                # A name with several addresses got a different free port for each: use one.
                server.close()
                await server.wait_closed()
                server = await self._listen(host, bound)
        except BaseException:
            self._runner = None
            await runner.cleanup()
            raise
        self._server = server
        return bound

    def _application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_json_answers])
        app.router.add_post("/v1/authenticate", self._authenticate)
        app.router.add_post("/v1/refresh", self._refresh)
        app.router.add_get("/.well-known/jwks.json", self._jwks, allow_head=False)
        app.router.add_get("/healthz", self._healthz, allow_head=False)
        app.on_response_prepare.append(self._prepare_response)
        return app

    async def _listen(self, host: str, port: int) -> asyncio.Server:
        # The loop's own create_server rather than a web.TCPSite: it bounds the TLS handshake,
        # and each connection gets its deadline as it is accepted (see _accept).
        return await asyncio.get_running_loop().create_server(
            self._accept,
            host,
            port,
            ssl=self._ssl,
            ssl_handshake_timeout=self.request_timeout_s if self._ssl else None,
        )

    def _accept(self) -> asyncio.BaseProtocol:
        """The protocol for a new connection, closed if its request is not in on time."""
        assert self._runner is not None and self._runner.server is not None
        protocol = self._runner.server()
        self._deadlines[protocol] = asyncio.get_running_loop().call_later(
            self.request_timeout_s, self._deadline_passed, protocol
        )
        return protocol

    def _deadline_passed(self, protocol: web.RequestHandler) -> None:
        del self._deadlines[protocol]
        if protocol.transport is not None:
            peer = protocol.transport.get_extra_info("peername")
            log.info("request from %s timed out", peer[0] if isinstance(peer, tuple) else "-")
            protocol.force_close()

    def _request_is_in(self, request: web.Request) -> None:
        """Lift the connection's deadline: the request and its body have arrived."""
        timer = self._deadlines.pop(request.protocol, None)
        if timer is not None:
            timer.cancel()

    async def close(self) -> None:
        """Stop listening, drop open connections and stop the Argon2 threads."""
        server, self._server = self._server, None
        runner, self._runner = self._runner, None
        if server is not None:
            server.close()
        if runner is not None:
            await runner.cleanup()
        if server is not None:
            await server.wait_closed()
        for timer in self._deadlines.values():
            timer.cancel()
        self._deadlines.clear()
        self._argon2.shutdown(wait=False, cancel_futures=True)

    async def _prepare_response(self, request: web.Request, response: web.StreamResponse) -> None:
        self._request_is_in(request)
        response.force_close()  # one request per connection
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        """Read the request body, whatever its Content-Type, as a JSON object.

        Raises:
            _HttpError: 411 without a length, 413 when too large, 400 when not a JSON object.
        """
        if request.content_length is None and "Transfer-Encoding" not in request.headers:
            raise _HttpError(411, "a Content-Length header is required")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length or 0)
        body = await request.read()  # at most client_max_size bytes, chunked or not
        self._request_is_in(request)
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise _HttpError(400, "the request body is not valid JSON") from None
        if not isinstance(doc, dict):
            raise _HttpError(400, "the request body must be a JSON object")
        return doc

    async def _authenticate(self, request: web.Request) -> web.Response:
        doc = await self._json_body(request)
        client_id = _string_field(doc, "client_id")
        _client_id.set(client_id)
        secret = _string_field(doc, "client_secret")
        remote = request.remote or "-"
        # Failures count per (client id, address) and per address, never per client id alone:
        # someone else's wrong secrets, from elsewhere, must not lock the key's owner out.
        subjects: tuple[str, ...] = (f"client_id:{client_id}@{remote}",)
        if not (self.exempt_loopback and _is_loopback(remote)):
            # On loopback every local client shares one address: one misconfigured app must
            # not lock out the others. Each key from here stays limited.
            subjects += (f"address:{remote}",)
        wait = self._limiter.retry_after(*subjects)
        if wait > 0:
            raise _too_many_failures(wait)
        if self._pending >= MAX_PENDING_AUTHENTICATIONS:
            raise _HttpError(503, "too many logins in progress", (("Retry-After", "1"),))
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            outcome = await loop.run_in_executor(
                self._argon2, self._check_credentials, client_id, secret, subjects
            )
        except AuthenticationFailed:
            raise _HttpError(401, _INVALID_CREDENTIALS) from None
        finally:
            self._pending -= 1
        if not isinstance(outcome, ApiKey):
            raise _too_many_failures(outcome)
        access, refresh = self._tokens.issue(outcome)
        payload: dict[str, Any] = {"access_token": access, "refresh_token": refresh}
        if outcome.last_used_ms is not None:
            payload["last_login"] = _rfc3339(outcome.last_used_ms)
        return _json(200, payload)

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
        # Only the key's failures from this address are cleared: one valid key must not reset
        # an address's failures.
        self._limiter.succeeded(subjects[0])
        return key

    async def _refresh(self, request: web.Request) -> web.Response:
        doc = await self._json_body(request)
        token = _string_field(doc, "refresh_token", _MAX_FIELD_CHARS * 8)
        try:
            claims = self._tokens.verify(token, refresh=True)
        except InvalidToken as error:
            raise _HttpError(401, str(error)) from None
        try:
            key = await asyncio.to_thread(self._keys.by_id, parse_ulid(claims.key_id))
        except (NotFound, InvalidArgument):
            raise _HttpError(401, "the API key of this token no longer exists") from None
        _client_id.set(key.client_id)
        if not key.active:
            raise _HttpError(401, "the API key of this token has been revoked")
        access, refresh = self._tokens.issue(key)
        return _json(200, {"access_token": access, "refresh_token": refresh})

    async def _jwks(self, request: web.Request) -> web.Response:
        return _json(200, self._tokens.jwks())

    async def _healthz(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})


@web.middleware
async def _json_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal, ours or aiohttp's (404, 405, 413), into ``{"error": message}``."""
    try:
        return await handler(request)
    except _HttpError as error:
        return _json(error.status, {"error": error.message}, error.headers)
    except web.HTTPException as error:
        path = _printable(request.path, 200)
        allow = error.headers.get("Allow", "")
        message = {
            404: f"no such endpoint: {path}",
            405: f"use {allow} for {path}",
            413: f"the request body exceeds {MAX_BODY_BYTES} bytes",
        }.get(error.status, error.reason)
        return _json(error.status, {"error": message}, (("Allow", allow),) if allow else ())
    except ConnectionError:
        raise  # the client left, or its deadline passed: there is no one to answer
    except Exception:
        log.exception("auth HTTP %s %s failed", request.method, _printable(request.path, 200))
        return _json(500, {"error": "internal error; see the broker log"})


class _AccessLog(AbstractAccessLogger):
    """One line per request, from fields that never hold a secret: method, path (without the
    query), status, remote address and the client id once known."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        client = _client_id.get()
        self.logger.info(
            "%s %s %s from %s client_id=%s",
            _printable(request.method, 20),
            _printable(request.path, 200),
            response.status,
            request.remote or "-",
            _printable(client, 64) if client else "-",
        )


def _json(
    status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(payload, separators=(",", ":")).encode(),
        content_type="application/json",
        headers=dict(headers),
    )


def _string_field(doc: dict[str, Any], name: str, max_chars: int = _MAX_FIELD_CHARS) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value:
        raise _HttpError(400, f"{name} is required (a non-empty string)")
    if len(value) > max_chars:
        raise _HttpError(400, f"{name} is too long")
    return value


def _too_many_failures(wait: float) -> _HttpError:
    seconds = max(1, math.ceil(wait))
    return _HttpError(
        429, f"too many failed logins; try again in {seconds} s", (("Retry-After", str(seconds)),)
    )


def _rfc3339(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _printable(text: str, limit: int) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
