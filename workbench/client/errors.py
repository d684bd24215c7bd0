"""What can go wrong talking to a broker, in words a user can act on."""

from __future__ import annotations


class ClientError(Exception):
    """A broker call failed; the message says why."""


class AuthError(ClientError):
    """The broker refused the credentials (wrong ClientID/ClientSecret, revoked key)."""


class KeyRefused(AuthError):
    """The broker does not accept the ClientID and ClientSecret: unknown, wrong, or revoked."""


class Unavailable(ClientError):
    """The broker cannot be reached (not started, stopped, wrong address)."""


class PermissionError_(ClientError):
    """The key lacks a permission the call needs."""


class NotFound(ClientError):
    """The broker has no such thing for this key (a topic, a project, a key)."""


class InvalidInput(ClientError, ValueError):
    """A value breaks one of the broker's rules (a topic name, a dedup policy, an id's size).

    The message is the broker's own, naming the rule, so a dialog can show it as typed.
    """


class Refused(ClientError):
    """The broker refused events it was asked to publish, with Ensign's nack code and why.

    Attributes:
        code: the ``Nack.Code`` name (``TOPIC_ARCHIVED``, ``MAX_EVENT_SIZE_EXCEEDED``,
            ``UNHANDLED_MIMETYPE``, ``UNPROCESSED``, ``PERMISSION_DENIED``, ``TOPIC_UNKNOWN`` …).
        reason: the broker's explanation, naming the event's index in a batch.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class Unsupported(ClientError):
    """The broker's engine cannot do this (e.g. key admin on NATS JetStream).

    Views check :attr:`~workbench.client.stream_client.StreamClient.capabilities` first and
    hide such controls; this error is what a call to one raises all the same.
    """
