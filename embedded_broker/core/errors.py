"""Errors the broker reports. Each says what was wrong and, where it can, what to do."""

from __future__ import annotations


class BrokerError(Exception):
    """Base class of every error the broker reports to its clients."""


class InvalidArgument(BrokerError, ValueError):
    """A name, id, policy or event is malformed."""


class MalformedEvent(InvalidArgument):
    """An event cannot be decoded as an ``ensign.v1beta1.Event`` or has no data."""


class UnhandledMimetype(InvalidArgument):
    """An event's mimetype is not one of Ensign's ``MIME`` values."""


class NotFound(BrokerError, LookupError):
    """A project, topic or event does not exist."""


class AlreadyExists(BrokerError):
    """A project or topic with that name already exists."""


class Unauthenticated(BrokerError):
    """The call carries no usable credentials (no token, or one that is forged or expired)."""


class PermissionDenied(BrokerError):
    """The caller's API key lacks a permission the call needs, or belongs to another project."""


class TopicArchived(BrokerError):
    """The topic is archived (read-only); publishing to it is refused."""


class EventTooLarge(BrokerError):
    """An event exceeds the maximum event size."""


class CorruptData(BrokerError):
    """Stored data failed authentication: it was altered or damaged on disk."""


class StorageFull(BrokerError):
    """The disk holding the data directory is full; nothing in the failed batch was stored."""


class StorageError(BrokerError):
    """The event log could not be written or read."""


class KeyUnavailable(BrokerError):
    """The master key is missing or the passphrase is wrong, so data cannot be decrypted."""


class StoreClosed(BrokerError):
    """The store has been closed."""
