"""The auth endpoint fed random and mutated HTTP requests and JSON bodies: every answer is a
4xx with a JSON reason (or the connection is closed on a malformed request), never a 500, and the
endpoint keeps serving."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedded_broker.api.auth_http import AuthHttpServer
from embedded_broker.auth.rate_limit import FailureLimiter
from embedded_broker.auth.tokens import TokenIssuer
from embedded_broker.core.ids import new_ulid
from tests.broker.test_auth_http import Broker, RecordingKeyStore, post, raw_exchange
from tests.fuzz.conftest import fuzz_settings

PATHS = ["/v1/authenticate", "/v1/refresh", "/.well-known/jwks.json", "/healthz", "/", "/v1/x"]


class Endpoint:
    """An auth endpoint in this process whose rate limiter forgets at once (so that the fuzzer
    reaches the credential checks), with one valid key."""

    def __init__(self, directory: Path) -> None:
        self.keys = RecordingKeyStore(directory)
        self.key, self.secret = self.keys.create(new_ulid(), ["publisher"])
        moments = itertools.count(0, 10_000)
        server = AuthHttpServer(
            self.keys, TokenIssuer(directory), FailureLimiter(clock=lambda: float(next(moments)))
        )
        server.exempt_loopback = False
        server.request_timeout_s = 0.5  # incomplete requests are dropped quickly
        self.server = Broker(server)

    def close(self) -> None:
        self.server.stop()
        self.keys.close()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    opened = Endpoint(tmp_path_factory.mktemp("fuzz-auth"))
    yield opened
    opened.close()


json_docs = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)


@fuzz_settings(150)
@given(data=st.data())
def test_any_json_body_gets_an_answer_with_a_reason(
    endpoint: Endpoint, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(["/v1/authenticate", "/v1/refresh"]))
    fields = {
        "client_id": st.text(max_size=40) | st.just(endpoint.key.client_id) | json_docs,
        "client_secret": st.text(max_size=70) | json_docs,
        "refresh_token": st.text(max_size=60) | st.just("a.b.c") | json_docs,
    }
    doc = data.draw(
        st.fixed_dictionaries({}, optional=fields) | json_docs  # type: ignore[arg-type]
    )
    reply = post(endpoint.server.base + path, doc)
    assert reply.status in (400, 401, 413, 429), reply
    assert isinstance(reply.body.get("error"), str) and reply.body["error"]


@fuzz_settings(150)
@given(data=st.data())
def test_any_request_bytes_get_a_4xx_or_a_closed_connection(
    endpoint: Endpoint, data: st.DataObject
) -> None:
    method = data.draw(st.sampled_from(["POST", "GET", "PUT", "HEAD", "OPTIONS", "X\x00"]))
    path = data.draw(st.sampled_from(PATHS) | st.text(max_size=30).map(lambda t: "/" + t))
    body = data.draw(st.binary(max_size=200) | json_docs.map(lambda d: json.dumps(d).encode()))
    headers = data.draw(
        st.lists(
            st.sampled_from(
                [
                    f"Content-Length: {len(body)}",
                    "Content-Length: 99999999",
                    "Content-Length: -1",
                    "Transfer-Encoding: chunked",
                    "Content-Type: application/json",
                    "Expect: 100-continue",
                    "Connection: keep-alive",
                    "Host: x",
                ]
            )
            | st.text(max_size=40),
            max_size=5,
        )
    )
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    raw = head.encode("utf-8", "surrogateescape") + body
    if data.draw(st.booleans()):
        where = data.draw(st.integers(0, len(raw)))
        raw = raw[:where] + data.draw(st.binary(max_size=8)) + raw[where:]
    answer = raw_exchange(endpoint.server.port, raw)
    if answer:
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.") else 0
        assert 100 <= status < 500, answer[:200]


def test_the_endpoint_still_logs_the_owner_in(endpoint: Endpoint) -> None:
    reply = post(
        endpoint.server.base + "/v1/authenticate",
        {"client_id": endpoint.key.client_id, "client_secret": endpoint.secret},
    )
    assert reply.status in (200, 429)  # the fuzzer's wrong secrets may have limited 127.0.0.1
