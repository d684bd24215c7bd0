from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from embedded_broker.auth.api_keys import (
    AuthenticationFailed,
    KeyStore,
)
from embedded_broker.auth.permissions import Permission
from embedded_broker.auth.projects import AUTH_DATABASE_FILE
from embedded_broker.auth.rate_limit import FREE_FAILURES, FailureLimiter
from embedded_broker.auth.tokens import ACCESS_TTL_S, InvalidToken, TokenIssuer
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import new_ulid

PROJECT = new_ulid()


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path)
    yield store
    store.close()


def test_keys_have_ensign_shaped_credentials_and_only_a_hash_is_stored(
    keys: KeyStore, tmp_path: Path
) -> None:
    key, secret = keys.create(PROJECT, ["publisher", "subscriber"])
    assert re.fullmatch(r"[A-Za-z]{32}", key.client_id)
    assert re.fullmatch(r"[A-Za-z0-9]{64}", secret)
    assert key.permissions == {Permission.PUBLISHER, Permission.SUBSCRIBER}
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(AUTH_DATABASE_FILE + "*"))
    assert key.client_id.encode() in raw
    assert secret.encode() not in raw
    assert b"$argon2id$" in raw


def test_authentication_accepts_the_secret_and_records_the_use(keys: KeyStore) -> None:
    key, secret = keys.create(PROJECT, ["publisher"])
    assert keys.by_client_id(key.client_id).last_used_ms is None
    assert keys.authenticate(key.client_id, secret).id == key.id
    assert keys.by_client_id(key.client_id).last_used_ms is not None


@pytest.mark.parametrize("case", ["wrong secret", "unknown client", "revoked"])
def test_authentication_refuses_without_saying_why(keys: KeyStore, case: str) -> None:
    key, secret = keys.create(PROJECT, ["publisher"])
    client_id = key.client_id
    if case == "wrong secret":
        secret = secret[::-1]
    elif case == "unknown client":
        client_id = "x" * 32
    else:
        keys.revoke(key.client_id)
    with pytest.raises(AuthenticationFailed, match="invalid client id or client secret"):
        keys.authenticate(client_id, secret)


def test_listing_never_shows_secrets_and_revocation_is_visible(keys: KeyStore) -> None:
    key, secret = keys.create(PROJECT, ["topics:read"], name="dashboard")
    other, _ = keys.create(new_ulid(), ["publisher"])
    keys.revoke(key.client_id)
    listed = keys.list(PROJECT)
    assert [k.client_id for k in listed] == [key.client_id]
    assert not listed[0].active
    assert secret not in json.dumps([k.to_json() for k in keys.list()])
    assert {k.client_id for k in keys.list()} == {key.client_id, other.client_id}


def test_unknown_permissions_are_rejected(keys: KeyStore) -> None:
    with pytest.raises(InvalidArgument, match="unknown permission 'admin'"):
        keys.create(PROJECT, ["admin"])


def _forge(token: str, header: dict[str, str] | None = None, claims: dict | None = None) -> str:
    head, body, signature = token.split(".")

    def enc(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return ".".join(
        [enc(header) if header else head, enc({**decoded, **(claims or {})}), signature]
    )


def test_tokens_carry_the_key_and_verify(keys: KeyStore, tmp_path: Path) -> None:
    key, _ = keys.create(PROJECT, ["publisher", "topics:read"])
    issuer = TokenIssuer(tmp_path)
    access, refresh = issuer.issue(key, now=1_000_000)
    claims = issuer.verify(access, now=1_000_010)
    assert claims.permissions == {Permission.PUBLISHER, Permission.TOPICS_READ}
    assert claims.expires == 1_000_000 + ACCESS_TTL_S
    assert issuer.verify(refresh, refresh=True, now=1_000_010).refresh
    with pytest.raises(InvalidToken, match="expected an access token"):
        issuer.verify(refresh, now=1_000_010)
    # A restarted broker keeps its signing key, so issued tokens stay valid.
    assert TokenIssuer(tmp_path).verify(access, now=1_000_010).key_id == claims.key_id


def test_expired_forged_and_unsigned_tokens_are_refused(keys: KeyStore, tmp_path: Path) -> None:
    key, _ = keys.create(PROJECT, ["publisher"])
    issuer = TokenIssuer(tmp_path)
    access, _ = issuer.issue(key, now=1_000_000)
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify(access, now=1_000_000 + ACCESS_TTL_S + 60)
    with pytest.raises(InvalidToken, match="not valid yet"):
        issuer.verify(access, now=1_000_000 - 60)
    with pytest.raises(InvalidToken, match="signature is invalid"):
        issuer.verify(_forge(access, claims={"permissions": ["topics:destroy"]}), now=1_000_010)
    unsigned = _forge(access, header={"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + "."
    with pytest.raises(InvalidToken, match="algorithm must be EdDSA"):
        issuer.verify(unsigned, now=1_000_010)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = TokenIssuer(elsewhere)
    with pytest.raises(InvalidToken, match="signature is invalid"):
        other.verify(access, now=1_000_010)
    with pytest.raises(InvalidToken, match="malformed"):
        issuer.verify("not.a.token!", now=1_000_010)
    assert issuer.jwks()["keys"][0]["kid"] == issuer.key_id


def test_failures_are_rate_limited_with_growing_delays() -> None:
    now = [0.0]
    limiter = FailureLimiter(clock=lambda: now[0])
    for _ in range(FREE_FAILURES - 1):
        limiter.failed("client", "127.0.0.1")
    assert limiter.retry_after("client", "127.0.0.1") == 0
    limiter.failed("client", "127.0.0.1")
    first = limiter.retry_after("client")
    limiter.failed("client", "127.0.0.1")
    assert limiter.retry_after("client") > first > 0
    assert limiter.retry_after("other-client") == 0
    assert limiter.retry_after("other-client", "127.0.0.1") > 0  # the address is limited too
    now[0] += 1000
    assert limiter.retry_after("client", "127.0.0.1") == 0
    limiter.succeeded("client", "127.0.0.1")
    limiter.failed("client")
    assert limiter.retry_after("client") == 0
