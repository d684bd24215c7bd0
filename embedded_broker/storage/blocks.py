"""Event blocks: runs of consecutive events of one topic, sealed together as one AES-GCM message.

A block is the unit of storage and encryption. Writing one row and one AES-GCM operation per
block rather than per event is what lets the log sustain group commits of thousands of events.

Plaintext layout, repeated for each event in offset order::

    id (10 bytes RLID) | duplicate_of (u64, 0 = not a duplicate) | length (u32) | Event bytes

The nonce is 12 fresh random bytes, stored beside the block: it stays unique under a topic's key
even when a copy of the data directory (a restored VM snapshot) runs beside the original and
hands out the same event ids (random 96-bit nonces are safe for 2^32 blocks per key, NIST SP
800-38D 8.3). Blocks written before this rule have no stored nonce; theirs is the block's first
event id followed by two zero bytes. The associated data binds the ciphertext to its topic, first
offset and count, so a block moved or copied elsewhere fails to open.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from embedded_broker.core.model import EventRecord
from embedded_broker.crypto.aead import NONCE_SIZE, Sealer

_HEADER = struct.Struct(">10sQI")
HEADER_SIZE = _HEADER.size
_NONCE_PAD = b"\x00\x00"

MAX_BLOCK_EVENTS = 512
MAX_BLOCK_BYTES = 256 * 1024


pack_header: Callable[[bytes, int, int], bytes] = _HEADER.pack
"""``pack_header(event_id, duplicate_of, length)``: the framing header that precedes an event."""
unpack_header: Callable[[bytes, int], tuple[bytes, int, int]] = _HEADER.unpack_from
"""``unpack_header(plain, position)``: (event id, duplicate_of, length) of a framing header."""


def block_aad(topic_id: bytes, first_offset: int, count: int) -> bytes:
    """The associated data that binds a block to its place in its topic."""
    return topic_id + first_offset.to_bytes(8, "big") + count.to_bytes(4, "big")


def seal_block(
    sealer: Sealer, topic_id: bytes, first_offset: int, count: int, plain: bytes
) -> tuple[bytes, bytes]:
    """Encrypt one block's plaintext under a fresh random nonce; return (nonce, ciphertext)."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce, sealer.seal(nonce, plain, block_aad(topic_id, first_offset, count))


def open_block(
    sealer: Sealer,
    topic_id: bytes,
    topic_name: str,
    first_offset: int,
    count: int,
    first_id: bytes,
    nonce: bytes | None,
    sealed: bytes,
) -> bytes:
    """Decrypt one block (``nonce`` None: a block written before nonces were stored).

    Raises:
        CorruptData: naming the topic and offsets, if the block was altered.
    """
    last = first_offset + count - 1
    what = f"events {first_offset}-{last} of topic {topic_name!r}"
    used = nonce if nonce is not None else first_id + _NONCE_PAD
    return sealer.open(used, sealed, block_aad(topic_id, first_offset, count), what)


def decode_block(
    topic_id: bytes, first_offset: int, plain: bytes, start: int = 0, stop: int | None = None
) -> list[EventRecord]:
    """Return the events of a decrypted block with ``start <= offset < stop``, in order."""
    out: list[EventRecord] = []
    append, unpack = out.append, unpack_header
    pos, offset, end = 0, first_offset, len(plain)
    stop = stop if stop is not None else 1 << 62
    while pos < end and offset < stop:
        event_id, duplicate_of, length = unpack(plain, pos)
        pos += HEADER_SIZE
        if offset >= start:
            append(EventRecord(topic_id, offset, event_id, duplicate_of, plain[pos : pos + length]))
        pos += length
        offset += 1
    return out
