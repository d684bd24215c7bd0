"""A capture's connection to a broker: login, its topics, and batched publish.

Everything goes through the broker's public API, as any client's would: ``POST
/v1/authenticate`` for a token, Ensign's ``RetrieveTopic``, ``CreateTopic`` and ``SetTopicPolicy``
for the topics, and the admin service's ``PublishBatch`` (one durable commit a call) for events.
Calls are synchronous gRPC; :meth:`BrokerLink.publish` returns a future so that the next batch
can be read from the database while one is in flight.

The key needs ``publisher`` and ``topics:read``, plus ``topics:create`` for topics that do not
exist yet and ``topics:edit`` to set the deduplication policy of one that exists without it.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import grpc
from ulid import ULID

from change_capture.change_events import KEY_FIELDS
from embedded_broker.proto.admin.v1 import admin_pb2, admin_pb2_grpc
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2_grpc, topic_pb2

CALL_TIMEOUT_S = 30.0
LOGIN_TIMEOUT_S = 10.0
REFRESH_MARGIN_S = 120.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAUTHENTICATED,  # an expired token, or the broker restarted: log in again
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
    }
)
"""Statuses after which the same call is tried again (the topics deduplicate a repeat)."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is and the API key to use (the secret is held only in memory)."""

    grpc_address: str
    auth_url: str
    client_id: str
    client_secret: str
    tls: bool = False
    ca_certificate: bytes | None = None
    """PEM to trust for TLS; None trusts the system's roots."""


class BrokerError(Exception):
    """The broker refused a call, or could not be reached; the message says why.

    Attributes:
        retryable: True when the same call may succeed later (the broker is restarting, down,
            or busy); False when it never will as it stands (no permission, a bad key).
    """

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class BrokerLink:
    """One logged-in connection to a broker."""

    def __init__(self, address: BrokerAddress) -> None:
        self.address = address
        self._token = ""
        self._expires = 0.0
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        if address.tls:
            credentials = grpc.ssl_channel_credentials(root_certificates=address.ca_certificate)
            self._channel = grpc.secure_channel(address.grpc_address, credentials, options)
        else:
            self._channel = grpc.insecure_channel(address.grpc_address, options)
        self._ensign = ensign_pb2_grpc.EnsignStub(self._channel)
        self._admin = admin_pb2_grpc.BrokerAdminStub(self._channel)

    def close(self) -> None:
        """Close the connection."""
        self._channel.close()

    # -- login ----------------------------------------------------------------------------------

    def login(self) -> None:
        """Exchange the ClientID and ClientSecret for an access token.

        Raises:
            BrokerError: not retryable when the broker refuses the key, retryable when its auth
                endpoint cannot be reached.
        """
        address = self.address
        body = json.dumps({"client_id": address.client_id, "client_secret": address.client_secret})
        request = urllib.request.Request(
            f"{address.auth_url.rstrip('/')}/v1/authenticate",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        context = None
        if address.auth_url.startswith("https"):
            cadata = address.ca_certificate.decode() if address.ca_certificate else None
            context = ssl.create_default_context(cadata=cadata)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        try:
            with opener.open(request, timeout=LOGIN_TIMEOUT_S) as reply:
                self._token = str(json.load(reply)["access_token"])
        except urllib.error.HTTPError as exc:
            retryable = exc.code == 429 or exc.code >= 500
            raise BrokerError(
                f"the broker refused the key ({exc.code}): {_http_reason(exc)}", retryable
            ) from None
        except (OSError, ValueError, KeyError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise BrokerError(
                f"cannot reach the broker's auth endpoint {address.auth_url}: {reason}", True
            ) from None
        self._expires = time.monotonic() + _lifetime_s(self._token)

    def _metadata(self) -> list[tuple[str, str]]:
        if not self._token or time.monotonic() > self._expires - REFRESH_MARGIN_S:
            self.login()
        return [("authorization", f"Bearer {self._token}")]

    # -- topics ---------------------------------------------------------------------------------

    def ensure_topic(self, name: str) -> tuple[bytes, str]:
        """The id of the topic ``name`` in the key's project, created if missing, with the
        ``UNIQUE_KEY`` deduplication policy on the change key (set if it had another).

        Returns:
            The topic's id and what was done (``"created"``, ``"policy set"`` or ``""``).

        Raises:
            BrokerError: if the broker refuses (the key lacks a permission, a bad name).
        """
        wanted = topic_pb2.Deduplication(
            strategy=topic_pb2.Deduplication.UNIQUE_KEY, keys=list(KEY_FIELDS)
        )
        try:
            topic = self._unary(self._ensign.RetrieveTopic, topic_pb2.Topic(name=name))
        except BrokerError as exc:
            if not isinstance(exc.__cause__, grpc.RpcError) or not _not_found(exc.__cause__):
                raise
            created = self._unary(
                self._ensign.CreateTopic, topic_pb2.Topic(name=name, deduplication=wanted)
            )
            return bytes(created.id), "created"
        dedup = topic.deduplication
        if dedup.strategy == wanted.strategy and tuple(dedup.keys) == KEY_FIELDS:
            return bytes(topic.id), ""
        policy = topic_pb2.TopicPolicy(
            id=str(ULID.from_bytes(bytes(topic.id))), deduplication_policy=wanted
        )
        self._unary(self._ensign.SetTopicPolicy, policy)
        return bytes(topic.id), "policy set"

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, topic_id: bytes, events: list[bytes]) -> grpc.Future:
        """Start publishing a batch of encoded events in one durable commit.

        Returns:
            A future: :meth:`publish_result` of it says whether the broker acknowledged them.

        Raises:
            BrokerError: if logging in first fails.
        """
        request = admin_pb2.PublishBatchRequest(topic_id=topic_id, events=events)
        return self._admin.PublishBatch.future(
            request, metadata=self._metadata(), timeout=CALL_TIMEOUT_S
        )

    def publish_result(self, future: grpc.Future) -> int:
        """Wait for a batch's answer; return how many events the broker flagged as duplicates.

        Raises:
            BrokerError: if the broker refused the batch or could not be reached.
        """
        try:
            reply = future.result()
        except grpc.RpcError as exc:
            raise self._failure(exc) from exc
        return int(reply.duplicates)

    def _unary(self, method: grpc.UnaryUnaryMultiCallable, request: object) -> topic_pb2.Topic:
        try:
            return method(request, metadata=self._metadata(), timeout=CALL_TIMEOUT_S)  # type: ignore[no-any-return]
        except grpc.RpcError as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: grpc.RpcError) -> BrokerError:
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = (exc.details() if isinstance(exc, grpc.Call) else "") or code.name
        if code == grpc.StatusCode.UNAUTHENTICATED:
            self._token = ""  # log in again before the next call
        if code == grpc.StatusCode.UNAVAILABLE:
            details = f"the broker at {self.address.grpc_address} is not reachable ({details})"
        return BrokerError(details, code in RETRYABLE)


def _not_found(exc: grpc.RpcError) -> bool:
    return isinstance(exc, grpc.Call) and exc.code() == grpc.StatusCode.NOT_FOUND


def _http_reason(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, OSError):
        return str(exc.reason)


def _lifetime_s(token: str) -> float:
    """Seconds until a JWT expires, read from its claims (the broker checks its signature)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
        return max(0.0, float(claims["exp"]) - time.time())
    except (IndexError, ValueError, KeyError, TypeError):
        return 300.0
