"""Logging in to a broker's auth endpoint over HTTP, as pyensign does (``POST /v1/authenticate``),
and renewing a session with its refresh token (``POST /v1/refresh``).

These functions block on the network for up to :data:`LOGIN_TIMEOUT_S` seconds (and the broker
spends an Argon2 hash on each call): run them on a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request

from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import AuthError, ClientError, KeyRefused, Unavailable

LOGIN_TIMEOUT_S = 10.0
"""How long a login waits for the auth endpoint, in seconds."""


def authenticate(settings: ConnectionSettings) -> str:
    """Exchange ``settings``' ClientID and ClientSecret for an access token (a JWT).

    Uses ``settings.auth_url``; over https it trusts ``settings.ca_certificate`` (PEM) or, when
    that is None, the system's roots.

    Raises:
        KeyRefused: if the broker does not accept the key (HTTP 401: unknown ClientID, wrong
            secret, or a revoked key).
        AuthError: if the broker refuses the request otherwise (HTTP 400, 403, or 429 after too
            many failed logins).
        ClientError: for any other HTTP error status.
        Unavailable: if the auth endpoint cannot be reached or does not answer with a token.
    """
    return login_tokens(settings)[0]


def login_tokens(settings: ConnectionSettings) -> tuple[str, str]:
    """:func:`authenticate`, returning the access token and the refresh token ("" if none)."""
    body = {"client_id": settings.client_id, "client_secret": settings.client_secret}
    return _tokens(settings, "/v1/authenticate", body)


def refresh_tokens(settings: ConnectionSettings, refresh_token: str) -> tuple[str, str]:
    """Renew a session with its refresh token (``POST /v1/refresh``): no secret is sent, no
    Argon2 runs, and failed logins from elsewhere never stand in the way.

    Returns:
        The new access token and refresh token.

    Raises:
        KeyRefused: if the refresh token is no longer good (expired, or its key revoked).
        AuthError, ClientError, Unavailable: as :func:`authenticate`.
    """
    return _tokens(settings, "/v1/refresh", {"refresh_token": refresh_token})


def _tokens(settings: ConnectionSettings, path: str, body: dict[str, str]) -> tuple[str, str]:
    request = urllib.request.Request(
        f"{settings.auth_url.rstrip('/')}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    context = None
    if settings.auth_url.startswith("https"):
        context = ssl.create_default_context(
            cadata=settings.ca_certificate.decode() if settings.ca_certificate else None
        )
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    try:
        with opener.open(request, timeout=LOGIN_TIMEOUT_S) as reply:
            answer = json.load(reply)
            return str(answer["access_token"]), str(answer.get("refresh_token") or "")
    except urllib.error.HTTPError as exc:
        raise _refusal(exc) from None
    except http.client.HTTPException:  # an answer that is not HTTP/1.1: gRPC's HTTP/2, say
        raise Unavailable(
            f"{settings.auth_url} does not answer as the broker's auth endpoint (HTTP); "
            "is it the gRPC port? The auth URL names the broker's other port"
        ) from None
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        reason = str(getattr(exc, "reason", None) or exc)
        raise Unavailable(
            f"cannot reach the broker's auth endpoint {settings.auth_url}: {reason}"
        ) from None


def key_is_usable(settings: ConnectionSettings) -> bool:
    """True if the broker at ``settings.auth_url`` accepts the ClientID and ClientSecret.

    False only when the broker answers that it does not know or no longer accepts the key
    (HTTP 401); every other failure raises, so a broker that cannot be asked is never taken
    for one that said no.

    Raises:
        AuthError: for a refusal other than 401 (a malformed request, too many failed logins).
        ClientError: for any other HTTP error status.
        Unavailable: if the auth endpoint cannot be reached.
    """
    try:
        authenticate(settings)
    except KeyRefused:
        return False
    return True


def _refusal(exc: urllib.error.HTTPError) -> ClientError:
    reason = _error_text(exc)
    if exc.code == 401:
        return KeyRefused(f"the broker refused the key: {reason}")
    if exc.code in (400, 403):
        return AuthError(f"the broker refused the key: {reason}")
    if exc.code == 429:
        return AuthError(f"too many failed logins: {reason}")
    return ClientError(f"login failed ({exc.code}): {reason}")


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, OSError):
        return exc.reason if isinstance(exc.reason, str) else str(exc)
