"""AES-256-GCM sealing with errors that name what failed authentication."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from embedded_broker.core.errors import CorruptData

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


def random_key() -> bytes:
    """Return 32 fresh random bytes for an AES-256 key."""
    return os.urandom(KEY_SIZE)


def derive_subkey(key: bytes, purpose: str) -> bytes:
    """Derive an independent 32-byte key for one ``purpose`` from ``key`` (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose.encode()
    ).derive(key)


class Sealer:
    """Seals and opens byte strings with one AES-256-GCM key.

    Callers choose the nonce: it must never repeat under this key. ``open`` raises
    :class:`CorruptData` (with ``what`` in the message) instead of returning altered data.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """Encrypt and authenticate ``plaintext``; ``aad`` is authenticated but not stored."""
        return self._aead.encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, ciphertext: bytes, aad: bytes, what: str) -> bytes:
        """Decrypt ``ciphertext``.

        Raises:
            CorruptData: if the ciphertext, nonce or associated data was altered.
        """
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise CorruptData(
                f"{what} failed authentication: the stored ciphertext was altered or damaged"
            ) from None

    def seal_random(self, plaintext: bytes, aad: bytes) -> bytes:
        """Seal with a fresh random nonce, returned as the first 12 bytes of the result.

        For rarely written values (wrapped keys, statistics); bulk data uses counters instead.
        """
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open_random(self, sealed: bytes, aad: bytes, what: str) -> bytes:
        """Open a value produced by :meth:`seal_random`."""
        return self.open(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], aad, what)


def keyed_digest(key: bytes, *parts: bytes) -> bytes:
    """Return a 16-byte HMAC-SHA256 of length-prefixed ``parts`` under ``key``.

    Used for deduplication fingerprints, so equal events can be found without storing any
    plaintext hash that could confirm a guessed payload.
    """
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(len(part).to_bytes(8, "big"))
        mac.update(part)
    return mac.digest()[:16]
