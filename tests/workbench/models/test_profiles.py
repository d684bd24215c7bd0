"""Connection profiles: saved without their secrets, which go to the keyring or a private file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from workbench.models.profiles import EMBEDDED, Profile, ProfileStore
from workbench.models.secret_store import FileSecretStore, open_secret_store


def test_profiles_keep_secrets_out_of_their_file(tmp_path: Path) -> None:
    secrets = FileSecretStore(tmp_path / "secrets.json")
    store = ProfileStore.open(tmp_path, secrets)
    assert [p.name for p in store.all()] == [EMBEDDED]
    profile = Profile("staging", "broker:5356", "https://broker:5357", "ABC", tls=True)
    store.save(profile, "s3cret-value")
    reopened = ProfileStore.open(tmp_path, FileSecretStore(tmp_path / "secrets.json"))
    assert reopened.get("staging") == profile
    assert reopened.secret(profile) == "s3cret-value"
    assert "s3cret-value" not in (tmp_path / "profiles.json").read_text()
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="built-in"):
        store.save(Profile(EMBEDDED), "x")
    store.remove("staging")
    assert FileSecretStore(tmp_path / "secrets.json").get(profile.secret_name) is None


def test_without_an_os_keyring_secrets_go_to_a_private_file(tmp_path: Path) -> None:
    store = open_secret_store(tmp_path / "secrets.json")
    assert store.kind in ("file", "keyring")
    forced = open_secret_store(tmp_path / "secrets.json", use_keyring=False)
    assert isinstance(forced, FileSecretStore)
