from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from embedded_broker.auth.api_keys import (
    ApiKey,
    AuthenticationFailed,
    KeyStore,
)
from embedded_broker.auth.permissions import Permission
from embedded_broker.auth.projects import AUTH_DATABASE_FILE
from embedded_broker.auth.rate_limit import FREE_FAILURES, FailureLimiter
from embedded_broker.auth.tokens import (
    ACCESS_TTL_S,
    REFRESH_TTL_S,
    SIGNING_KEY_FILE,
    InvalidToken,
    TokenIssuer,
)
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import new_ulid, ulid_str

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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _json_b64(doc: dict[str, Any]) -> str:
    return _b64(json.dumps(doc).encode())


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def _edited(token: str, **claims: Any) -> str:
    """The token with some claims changed and its signature kept."""
    head, _, signature = token.split(".")
    return ".".join([head, _json_b64({**_claims(token), **claims}), signature])


def _unsigned(token: str) -> str:
    """The token's claims under ``alg: none`` with an empty signature."""
    return _json_b64({"alg": "none", "typ": "JWT"}) + "." + token.split(".")[1] + "."


def _hs256(token: str, secret: bytes) -> str:
    """The token's claims re-signed with HMAC-SHA256 keyed with ``secret``."""
    signing_input = _json_b64({"alg": "HS256", "typ": "JWT"}) + "." + token.split(".")[1]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


def _signing_key(data_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(
        (data_dir / SIGNING_KEY_FILE).read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return key


@pytest.fixture
def issuer(tmp_path: Path) -> TokenIssuer:
    return TokenIssuer(tmp_path)


@pytest.fixture
def publisher(keys: KeyStore) -> ApiKey:
    return keys.create(PROJECT, ["publisher"])[0]


def test_tokens_carry_the_key_and_verify(
    keys: KeyStore, issuer: TokenIssuer, tmp_path: Path
) -> None:
    key, _ = keys.create(PROJECT, ["publisher", "topics:read"])
    issued = int(time.time())
    access, refresh = issuer.issue(key, now=issued)
    claims = issuer.verify(access)
    assert claims.key_id == ulid_str(key.id)
    assert claims.project_id == ulid_str(PROJECT)
    assert claims.permissions == {Permission.PUBLISHER, Permission.TOPICS_READ}
    assert claims.expires == issued + ACCESS_TTL_S
    assert not claims.refresh
    refreshed = issuer.verify(refresh, refresh=True)
    assert refreshed.refresh and refreshed.expires == issued + REFRESH_TTL_S
    assert jwt.get_unverified_header(access) == {
        "alg": "EdDSA",
        "typ": "JWT",
        "kid": issuer.key_id,
    }
    assert _claims(access) == {
        "iss": "ensign-workbench",
        "sub": ulid_str(key.id),
        "project": ulid_str(PROJECT),
        "permissions": ["publisher", "topics:read"],
        "iat": issued,
        "nbf": issued,
        "exp": issued + ACCESS_TTL_S,
        "token": "access",
    }
    # A restarted broker keeps its signing key, so issued tokens stay valid.
    assert TokenIssuer(tmp_path).verify(access).key_id == claims.key_id


def test_the_jwks_publishes_the_verifying_key(
    issuer: TokenIssuer, publisher: ApiKey, tmp_path: Path
) -> None:
    (jwk,) = issuer.jwks()["keys"]
    raw = _raw_public(_signing_key(tmp_path))
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
        "kid": _b64(raw[:12]),
        "x": _b64(raw),
    }
    assert issuer.key_id == jwk["kid"]
    access, _ = issuer.issue(publisher)
    public = jwt.PyJWK(jwk).key
    assert jwt.decode(access, public, algorithms=["EdDSA"], issuer="ensign-workbench")


def test_the_signing_key_file_is_private(tmp_path: Path) -> None:
    TokenIssuer(tmp_path)
    path = tmp_path / SIGNING_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_tokens_within_the_leeway_still_verify(issuer: TokenIssuer, publisher: ApiKey) -> None:
    just_expired, _ = issuer.issue(publisher, now=time.time() - ACCESS_TTL_S - 1)
    assert issuer.verify(just_expired)
    nearly_valid, _ = issuer.issue(publisher, now=time.time() + 1)
    assert issuer.verify(nearly_valid)


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _pem_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _resigned(token: str, key: Ed25519PrivateKey, drop: str = "", **claims: Any) -> str:
    """The token's claims, edited, properly signed with the broker's own key."""
    edited = {k: v for k, v in {**_claims(token), **claims}.items() if k != drop}
    return jwt.encode(edited, key, algorithm="EdDSA")


# case: (forge a token from an access token, a refresh token and the signing key; the refusal)
_REFUSED: dict[str, tuple[Callable[[str, str, Ed25519PrivateKey], str], str]] = {
    "no token": (lambda access, refresh, key: "", "malformed"),
    "garbage": (lambda access, refresh, key: "not.a.token!", "malformed"),
    "two parts": (lambda access, refresh, key: access.rsplit(".", 1)[0], "malformed"),
    "alg none": (lambda access, refresh, key: _unsigned(access), "algorithm must be EdDSA"),
    # The algorithm-confusion attack: the public key used as an HMAC secret.
    "HS256 keyed with the raw public key": (
        lambda access, refresh, key: _hs256(access, _raw_public(key)),
        "algorithm must be EdDSA",
    ),
    "HS256 keyed with the PEM public key": (
        lambda access, refresh, key: _hs256(access, _pem_public(key)),
        "algorithm must be EdDSA",
    ),
    "permissions edited": (
        lambda access, refresh, key: _edited(access, permissions=["topics:destroy"]),
        "signature is invalid",
    ),
    "expiry edited": (
        lambda access, refresh, key: _edited(access, exp=_claims(access)["exp"] + 86400),
        "signature is invalid",
    ),
    "signature of another token": (
        lambda access, refresh, key: access.rsplit(".", 1)[0] + "." + refresh.rsplit(".", 1)[1],
        "signature is invalid",
    ),
    "refresh used as access": (lambda access, refresh, key: refresh, "expected an access"),
    "missing type claim": (
        lambda access, refresh, key: _resigned(access, key, drop="token"),
        "claims are incomplete",
    ),
    "another issuer": (
        lambda access, refresh, key: _resigned(access, key, iss="someone-else"),
        "issued by another service",
    ),
    "unknown permission": (
        lambda access, refresh, key: _resigned(access, key, permissions=["root"]),
        "claims are invalid",
    ),
}


@pytest.mark.parametrize("case", sorted(_REFUSED))
def test_forged_and_malformed_tokens_are_refused(
    issuer: TokenIssuer, publisher: ApiKey, tmp_path: Path, case: str
) -> None:
    access, refresh = issuer.issue(publisher)
    forge, message = _REFUSED[case]
    with pytest.raises(InvalidToken, match=message):
        issuer.verify(forge(access, refresh, _signing_key(tmp_path)))


def test_an_access_token_is_not_a_refresh_token(issuer: TokenIssuer, publisher: ApiKey) -> None:
    access, _ = issuer.issue(publisher)
    with pytest.raises(InvalidToken, match="expected a refresh token"):
        issuer.verify(access, refresh=True)


def test_expired_and_not_yet_valid_tokens_are_refused(
    issuer: TokenIssuer, publisher: ApiKey
) -> None:
    access, refresh = issuer.issue(publisher, now=time.time() - ACCESS_TTL_S - 60)
    with pytest.raises(InvalidToken, match="token has expired; authenticate again"):
        issuer.verify(access)
    assert issuer.verify(refresh, refresh=True)  # the refresh token lives longer
    _, old_refresh = issuer.issue(publisher, now=time.time() - REFRESH_TTL_S - 60)
    with pytest.raises(InvalidToken, match="token has expired"):
        issuer.verify(old_refresh, refresh=True)
    future, _ = issuer.issue(publisher, now=time.time() + 60)
    with pytest.raises(InvalidToken, match="token is not valid yet"):
        issuer.verify(future)


def test_another_brokers_tokens_are_refused(publisher: ApiKey, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    access, _ = TokenIssuer(elsewhere).issue(publisher)
    with pytest.raises(InvalidToken, match="signature is invalid"):
        TokenIssuer(tmp_path).verify(access)


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


def test_the_rate_of_wrong_secrets_one_address_may_try_is_measured() -> None:
    """An attacker that retries the moment it may: how many wrong secrets are checked in an
    hour, per address (the README reports it)."""
    now = [0.0]
    limiter = FailureLimiter(clock=lambda: now[0])
    subjects = ("client_id:victim@203.0.113.9", "address:203.0.113.9")
    checked = 0
    while now[0] < 3600:
        wait = limiter.retry_after(*subjects)
        if wait > 0:
            now[0] += wait
            continue
        limiter.failed(*subjects)
        checked += 1
    assert checked == 24  # 5 free, 9 while the delay doubles to 256 s, then one each 300 s
    # The key's owner at another address is never among the limited subjects.
    assert limiter.retry_after("client_id:victim@198.51.100.7") == 0
