from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from embedded_broker.api import auth_http
from embedded_broker.api.auth_http import (
    MAX_BODY_BYTES,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADERS,
    AuthHttpServer,
)
from embedded_broker.auth.api_keys import ApiKey, KeyStore
from embedded_broker.auth.rate_limit import FREE_FAILURES, FailureLimiter
from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.core.ids import new_ulid, ulid_str
from embedded_broker.crypto.tls_certificate import ensure_certificate, server_ssl_context

PROJECT = new_ulid()
USER_AGENT = "pyensign/0.12.1b0"
INVALID = "invalid client_id or client_secret"


class RecordingKeyStore(KeyStore):
    """A real key store that counts Argon2 checks and can hold them at a gate."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.calls: list[str] = []  # thread names
        self.entered = threading.Semaphore(0)
        self.gate = threading.Event()
        self.gate.set()

    def authenticate(self, client_id: str, client_secret: str) -> ApiKey:
        self.calls.append(threading.current_thread().name)
        self.entered.release()
        assert self.gate.wait(30)
        return super().authenticate(client_id, client_secret)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class Broker:
    """An AuthHttpServer on 127.0.0.1, its event loop running in a background thread."""

    def __init__(self, server: AuthHttpServer, scheme: str = "http") -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self.run(server.start("127.0.0.1", 0))
        self.base = f"{scheme}://127.0.0.1:{self.port}"

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        self.run(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def request(
    url: str,
    body: bytes | None = None,
    method: str | None = None,
    context: ssl.SSLContext | None = None,
) -> Reply:
    """Send a request the way pyensign does (urllib, its User-Agent, no Content-Type)."""
    req = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT}, method=method)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=30) as resp:
            return Reply(resp.status, dict(resp.headers), json.loads(resp.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, dict(error.headers), json.loads(error.read()))


def post(url: str, doc: object, context: ssl.SSLContext | None = None) -> Reply:
    return request(url, json.dumps(doc).encode(), "POST", context)


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes and return everything the server answers before it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[RecordingKeyStore]:
    store = RecordingKeyStore(tmp_path)
    yield store
    store.close()


@pytest.fixture
def tokens(tmp_path: Path) -> TokenIssuer:
    return TokenIssuer(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker(keys: KeyStore, tokens: TokenIssuer, clock: Clock) -> Iterator[Broker]:
    server = AuthHttpServer(keys, tokens, FailureLimiter(clock=clock))
    server.exempt_loopback = False  # these tests stand in for remote clients
    running = Broker(server)
    yield running
    running.stop()


def test_authenticate_accepts_pyensigns_form_labelled_json(
    broker: Broker, keys: RecordingKeyStore, tokens: TokenIssuer
) -> None:
    key, secret = keys.create(PROJECT, ["publisher", "subscriber"])
    creds = {"client_id": key.client_id, "client_secret": secret}
    # Exactly what pyensign's AuthClient sends: urllib then adds a form Content-Type.
    req = urllib.request.Request(
        broker.base + "/v1/authenticate",
        data=json.dumps(creds).encode(),
        headers={"User-Agent": "pyensign/0.12.1b0"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Connection"] == "close"
        reply = json.loads(resp.read())
    assert req.get_header("Content-type") == "application/x-www-form-urlencoded"
    claims = tokens.verify(reply["access_token"])
    assert claims.key_id == ulid_str(key.id)
    assert claims.project_id == ulid_str(PROJECT)
    assert tokens.verify(reply["refresh_token"], refresh=True).refresh
    assert "last_login" not in reply  # first login
    # Argon2 ran in the dedicated pool, not on the event loop's thread.
    assert keys.calls and all(name.startswith("argon2") for name in keys.calls)

    again = post(broker.base + "/v1/authenticate", creds)
    assert again.status == 200
    assert again.body["last_login"].endswith("Z")


@pytest.mark.parametrize("case", ["wrong secret", "unknown client", "revoked"])
def test_bad_credentials_get_one_401_message(
    broker: Broker, keys: RecordingKeyStore, case: str
) -> None:
    key, secret = keys.create(PROJECT, ["publisher"])
    creds = {"client_id": key.client_id, "client_secret": secret}
    if case == "wrong secret":
        creds["client_secret"] = secret[::-1]
    elif case == "unknown client":
        creds["client_id"] = "x" * 32
    else:
        keys.revoke(key.client_id)
    reply = post(broker.base + "/v1/authenticate", creds)
    assert reply.status == 401
    assert reply.body == {"error": INVALID}


def test_repeated_failures_are_rate_limited_without_running_argon2(
    broker: Broker, keys: RecordingKeyStore, clock: Clock
) -> None:
    key, secret = keys.create(PROJECT, ["publisher"])
    other, other_secret = keys.create(PROJECT, ["publisher"])
    url = broker.base + "/v1/authenticate"
    wrong = {"client_id": key.client_id, "client_secret": "nope"}
    for _ in range(FREE_FAILURES):
        assert post(url, wrong).status == 401
    checks = len(keys.calls)

    limited = post(url, {"client_id": key.client_id, "client_secret": secret})
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "1"
    assert "too many failed logins" in limited.body["error"]
    clock.now += 0.5
    assert post(url, wrong).headers["Retry-After"] == "1"  # rounded up
    # The address is limited too, so another client id from here waits as well.
    assert post(url, {"client_id": other.client_id, "client_secret": other_secret}).status == 429
    assert len(keys.calls) == checks

    clock.now += 5
    assert post(url, {"client_id": key.client_id, "client_secret": secret}).status == 200
    assert post(url, {"client_id": other.client_id, "client_secret": other_secret}).status == 200


def post_from(source: str, url: str, doc: object) -> Reply:
    """POST JSON from the loopback address ``source`` (127.0.0.0/8 all reaches this machine)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=30, source_address=(source, 0)
    )
    try:
        conn.request("POST", parts.path, json.dumps(doc), {"User-Agent": USER_AGENT})
        resp = conn.getresponse()
        return Reply(resp.status, dict(resp.getheaders()), json.loads(resp.read()))
    finally:
        conn.close()


def test_someone_elses_wrong_secrets_never_lock_the_owner_out(
    broker: Broker, keys: RecordingKeyStore, clock: Clock
) -> None:
    """An attacker at one address sends wrong secrets for a valid ClientID, slowly and for
    long: the owner, elsewhere, keeps logging in and renewing."""
    key, secret = keys.create(PROJECT, ["publisher"])
    url = broker.base + "/v1/authenticate"
    right = {"client_id": key.client_id, "client_secret": secret}
    wrong = {"client_id": key.client_id, "client_secret": "guess"}
    owner = post_from("127.0.0.1", url, right)
    assert owner.status == 200
    statuses = []
    for _ in range(FREE_FAILURES + 6):
        statuses.append(post_from("127.0.0.2", url, wrong).status)
        clock.now += 1
    assert post_from("127.0.0.1", url, right).status == 200  # was 429 for 16 s, then more
    assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert 429 in statuses  # the attacker's address is limited
    refreshed = post(broker.base + "/v1/refresh", {"refresh_token": owner.body["refresh_token"]})
    assert refreshed.status == 200
    # The owner's own mistakes are limited at the owner's address, for that key.
    other, other_secret = keys.create(PROJECT, ["publisher"])
    for _ in range(FREE_FAILURES):
        assert post_from("127.0.0.3", url, wrong).status == 401
    assert post_from("127.0.0.3", url, right).status == 429
    assert (
        post_from(
            "127.0.0.3", url, {"client_id": other.client_id, "client_secret": other_secret}
        ).status
        == 429
    )
    assert post_from("127.0.0.4", url, right).status == 200


def test_refresh_issues_a_new_pair_until_the_key_is_revoked(
    broker: Broker, keys: RecordingKeyStore, tokens: TokenIssuer
) -> None:
    key, secret = keys.create(PROJECT, ["subscriber"])
    login = post(
        broker.base + "/v1/authenticate", {"client_id": key.client_id, "client_secret": secret}
    )
    refresh_token = login.body["refresh_token"]
    checks = len(keys.calls)

    refreshed = post(broker.base + "/v1/refresh", {"refresh_token": refresh_token})
    assert refreshed.status == 200
    assert tokens.verify(refreshed.body["access_token"]).key_id == ulid_str(key.id)
    assert tokens.verify(refreshed.body["refresh_token"], refresh=True).refresh
    assert len(keys.calls) == checks  # refreshing needs no Argon2

    access = post(broker.base + "/v1/refresh", {"refresh_token": login.body["access_token"]})
    assert access.status == 401
    assert "refresh token" in access.body["error"]

    keys.revoke(key.client_id)
    revoked = post(broker.base + "/v1/refresh", {"refresh_token": refresh_token})
    assert revoked.status == 401
    assert "revoked" in revoked.body["error"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [("garbage", "malformed"), ("a.b.c", "malformed")],
)
def test_garbage_refresh_tokens_are_refused(broker: Broker, token: str, reason: str) -> None:
    reply = post(broker.base + "/v1/refresh", {"refresh_token": token})
    assert reply.status == 401
    assert reason in reply.body["error"]


def test_a_refresh_token_from_another_broker_is_refused(
    broker: Broker, keys: RecordingKeyStore, tmp_path: Path
) -> None:
    key, _ = keys.create(PROJECT, ["subscriber"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, forged = TokenIssuer(elsewhere).issue(key)
    reply = post(broker.base + "/v1/refresh", {"refresh_token": forged})
    assert reply.status == 401
    assert "signature is invalid" in reply.body["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[" * 50_000, "not valid JSON"),
        (json.dumps({"client_id": "abc"}).encode(), "client_secret is required"),
        (json.dumps({"client_id": 5, "client_secret": "x"}).encode(), "client_id is required"),
    ],
)
def test_malformed_bodies_get_400(broker: Broker, body: bytes, message: str) -> None:
    reply = request(broker.base + "/v1/authenticate", body, "POST")
    assert reply.status == 400
    assert message in reply.body["error"]


def test_unknown_paths_wrong_methods_and_oversize_bodies(broker: Broker) -> None:
    missing = request(broker.base + "/v1/nothing-here", b"{}", "POST")
    assert missing.status == 404
    assert "no such endpoint" in missing.body["error"]

    wrong_method = request(broker.base + "/v1/authenticate")
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert request(broker.base + "/healthz", b"{}", "POST").headers["Allow"] == "GET"

    huge = json.dumps({"client_id": "x", "client_secret": "y" * MAX_BODY_BYTES}).encode()
    oversize = request(broker.base + "/v1/authenticate", huge, "POST")
    assert oversize.status == 413
    for refusal in (missing, wrong_method, oversize):
        assert refusal.headers["Content-Type"] == "application/json"
        assert refusal.headers["Cache-Control"] == "no-store"
        assert refusal.headers["X-Content-Type-Options"] == "nosniff"


def test_missing_content_length_gets_411_and_bad_requests_400(broker: Broker) -> None:
    answer = raw_exchange(broker.port, b"POST /v1/authenticate HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 ")
    assert b"Content-Length" in answer
    # Both lengths at once (request smuggling) and a malformed request line are refused.
    smuggled = raw_exchange(
        broker.port,
        b"POST /v1/refresh HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    assert _status(smuggled) == 400
    assert _status(raw_exchange(broker.port, b"HELLO\r\n\r\n")) == 400


def _status(answer: bytes) -> int:
    return int(answer.split(b"\r\n", 1)[0].split(b" ")[1])


def _chunked(body: bytes) -> bytes:
    parts = (body[i : i + 4096] for i in range(0, len(body), 4096))
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def test_chunked_bodies_are_read_within_the_same_limit(broker: Broker) -> None:
    head = b"POST /v1/refresh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    small = raw_exchange(broker.port, head + _chunked(b'{"refresh_token": "garbage"}'))
    assert _status(small) == 401
    assert small.endswith(b'{"error":"malformed token"}')
    huge = json.dumps({"refresh_token": "x" * MAX_BODY_BYTES}).encode()
    assert _status(raw_exchange(broker.port, head + _chunked(huge))) == 413


@pytest.mark.parametrize(
    "data",
    [
        b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 3 * MAX_HEADER_FIELD_BYTES + b"\r\n\r\n",
        b"GET /" + b"a" * 3 * MAX_HEADER_FIELD_BYTES + b" HTTP/1.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n" + b"X-A: b\r\n" * (MAX_HEADERS + 1) + b"\r\n",
    ],
    ids=["long header", "long request line", "too many headers"],
)
def test_oversize_heads_are_refused(broker: Broker, data: bytes) -> None:
    assert _status(raw_exchange(broker.port, data)) in (400, 431)


def test_a_slow_request_is_dropped(broker: Broker) -> None:
    broker.server.request_timeout_s = 0.2
    for data in (  # the body stalls, the head never ends, nothing at all
        b"POST /v1/authenticate HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"",
    ):
        with socket.create_connection(("127.0.0.1", broker.port), timeout=30) as sock:
            sock.sendall(data)
            assert sock.recv(100) == b""  # closed without an answer


def test_logins_beyond_the_pending_limit_get_503(
    broker: Broker, keys: RecordingKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_http, "MAX_PENDING_AUTHENTICATIONS", 1)
    key, secret = keys.create(PROJECT, ["publisher"])
    creds = {"client_id": key.client_id, "client_secret": secret}
    keys.gate.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post, broker.base + "/v1/authenticate", creds)
        assert keys.entered.acquire(timeout=30)
        busy = post(broker.base + "/v1/authenticate", creds)
        assert busy.status == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.body == {"error": "too many logins in progress"}
        keys.gate.set()
        assert first.result(timeout=30).status == 200
    assert len(keys.calls) == 1  # the refused login ran no Argon2


def test_jwks_and_health(broker: Broker, tokens: TokenIssuer) -> None:
    jwks = request(broker.base + "/.well-known/jwks.json")
    assert jwks.status == 200
    assert jwks.body == tokens.jwks()
    assert request(broker.base + "/healthz").body == {"status": "ok"}
    assert request(broker.base + "/healthz?verbose=1").status == 200


def test_the_event_loop_keeps_serving_while_argon2_runs(
    broker: Broker, keys: RecordingKeyStore
) -> None:
    key, secret = keys.create(PROJECT, ["publisher"])
    creds = {"client_id": key.client_id, "client_secret": secret}
    keys.gate.clear()  # every Argon2 check now waits for the gate
    with ThreadPoolExecutor(max_workers=3) as pool:
        logins = [pool.submit(post, broker.base + "/v1/authenticate", creds) for _ in range(3)]
        for _ in range(2):  # both Argon2 workers are busy, the third login is queued
            assert keys.entered.acquire(timeout=30)
        health = request(broker.base + "/healthz")
        jwks = request(broker.base + "/.well-known/jwks.json")
        assert health.status == 200
        assert jwks.status == 200
        assert not any(login.done() for login in logins)
        keys.gate.set()
        assert [login.result(timeout=30).status for login in logins] == [200, 200, 200]
    assert len(keys.calls) == 3
    assert all(name.startswith("argon2") for name in keys.calls)


def test_one_log_line_per_request_without_secrets_or_tokens(
    broker: Broker, keys: RecordingKeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's own included
    key, secret = keys.create(PROJECT, ["publisher"])
    login = post(
        broker.base + "/v1/authenticate", {"client_id": key.client_id, "client_secret": secret}
    )
    refresh_token = login.body["refresh_token"]
    refreshed = post(
        broker.base + "/v1/refresh?refresh_token=" + refresh_token, {"refresh_token": refresh_token}
    )
    request(broker.base + "/nowhere")
    # aiohttp's parser errors quote the offending bytes; here they carry the secret.
    malformed = b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x01: " + secret.encode() + b"\r\n\r\n"
    assert _status(raw_exchange(broker.port, malformed)) == 400
    broker.run(asyncio.sleep(0.01))  # the log line is written after the response
    lines = [r.getMessage() for r in caplog.records if r.name == "embedded_broker.auth_http"]
    assert len(lines) == 4
    assert lines[0].startswith("POST /v1/authenticate 200 from 127.0.0.1")
    assert f"client_id={key.client_id}" in lines[0]
    assert lines[1].startswith("POST /v1/refresh 200 from 127.0.0.1")  # no query string
    assert f"client_id={key.client_id}" in lines[1]
    assert lines[2].startswith("GET /nowhere 404")
    assert " 400 from 127.0.0.1 client_id=-" in lines[3]
    text = caplog.text
    for secret_or_token in (
        secret,
        login.body["access_token"],
        refresh_token,
        refreshed.body["access_token"],
        refreshed.body["refresh_token"],
    ):
        assert secret_or_token not in text


def test_https_with_the_self_signed_certificate(
    keys: RecordingKeyStore, tokens: TokenIssuer, tmp_path: Path
) -> None:
    material = ensure_certificate(tmp_path)
    broker = Broker(
        AuthHttpServer(keys, tokens, ssl_context=server_ssl_context(material)), scheme="https"
    )
    try:
        trusting = ssl.create_default_context(cafile=str(material.cert_path))
        key, secret = keys.create(PROJECT, ["publisher"])
        for host in ("127.0.0.1", "localhost"):
            base = f"https://{host}:{broker.port}"
            assert request(base + "/healthz", context=trusting).body == {"status": "ok"}
            creds = {"client_id": key.client_id, "client_secret": secret}
            login = post(base + "/v1/authenticate", creds, context=trusting)
            assert tokens.verify(login.body["access_token"]).key_id == ulid_str(key.id)
        with pytest.raises(urllib.error.URLError) as refused:
            request(broker.base + "/healthz", context=ssl.create_default_context())
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    finally:
        broker.stop()


def test_a_stalled_tls_handshake_is_dropped(
    keys: RecordingKeyStore, tokens: TokenIssuer, tmp_path: Path
) -> None:
    server = AuthHttpServer(
        keys, tokens, ssl_context=server_ssl_context(ensure_certificate(tmp_path))
    )
    server.request_timeout_s = 0.2
    broker = Broker(server, scheme="https")
    try:
        with (
            socket.create_connection(("127.0.0.1", broker.port), timeout=30) as sock,
            contextlib.suppress(ConnectionResetError),  # aborted: closed all the same
        ):
            assert sock.recv(100) == b""
    finally:
        broker.stop()


def test_start_twice_and_bad_worker_count(keys: KeyStore, tokens: TokenIssuer) -> None:
    with pytest.raises(ValueError, match="argon2_workers"):
        AuthHttpServer(keys, tokens, argon2_workers=0)

    async def scenario() -> None:
        server = AuthHttpServer(keys, tokens)
        port = await server.start("127.0.0.1", 0)
        assert port > 0
        with pytest.raises(RuntimeError, match="already started"):
            await server.start("127.0.0.1", 0)
        await server.close()

    asyncio.run(scenario())


def test_local_clients_are_limited_per_key_not_per_shared_address(
    keys: RecordingKeyStore, tokens: TokenIssuer, clock: Clock
) -> None:
    local = Broker(AuthHttpServer(keys, tokens, FailureLimiter(clock=clock)))
    try:
        key, _ = keys.create(PROJECT, ["publisher"])
        other, other_secret = keys.create(PROJECT, ["publisher"])
        url = local.base + "/v1/authenticate"
        for _ in range(FREE_FAILURES + 1):
            post(url, {"client_id": key.client_id, "client_secret": "nope"})
        assert post(url, {"client_id": key.client_id, "client_secret": "nope"}).status == 429
        fine = post(url, {"client_id": other.client_id, "client_secret": other_secret})
        assert fine.status == 200  # another app on this machine is not locked out
    finally:
        local.stop()
