"""The master key: a 0600 file in the data directory, or derived from a passphrase."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from embedded_broker.core.errors import KeyUnavailable
from embedded_broker.crypto.aead import KEY_SIZE, random_key
from embedded_broker.private_files import write_private_file

MASTER_KEY_FILE = "master.key"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id parameters for deriving the master key from a passphrase."""

    salt: bytes
    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 2

    @classmethod
    def new(cls) -> KdfParams:
        """Return default parameters with a fresh random salt."""
        return cls(salt=os.urandom(16))


def derive_master_key(passphrase: str, params: KdfParams) -> bytes:
    """Derive a 32-byte master key from ``passphrase`` with Argon2id."""
    if not passphrase:
        raise KeyUnavailable("the passphrase is empty")
    return hash_secret_raw(
        secret=passphrase.encode(),
        salt=params.salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        hash_len=KEY_SIZE,
        type=Type.ID,
    )


def load_or_create_key_file(data_dir: Path, create: bool) -> bytes:
    """Read the master key file, creating it (mode 0600) when ``create`` is true.

    Raises:
        KeyUnavailable: if the file is missing and may not be created, or is malformed.
    """
    path = data_dir / MASTER_KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        if not create:
            raise KeyUnavailable(
                f"the master key file {path} is missing: without it the stored events "
                "cannot be decrypted. Restore it from your backup."
            ) from None
        key = random_key()
        write_private_file(path, key)
        return key
    if len(key) != KEY_SIZE:
        raise KeyUnavailable(f"the master key file {path} is damaged (expected {KEY_SIZE} bytes)")
    return key
