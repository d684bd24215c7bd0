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


def test_an_edit_may_rename_a_profile_and_its_secret_moves_with_it(tmp_path: Path) -> None:
    secrets = FileSecretStore(tmp_path / "secrets.json")
    store = ProfileStore.open(tmp_path, secrets)
    first = Profile("a", "h:1", "http://h:2", "ID")
    store.save(first, "s1")
    store.save(Profile("b", "h:3", "http://h:4", "ID2"), "s2")
    renamed = Profile("c", "h:9", "http://h:2", "ID")
    store.replace("a", renamed, None)
    assert [p.name for p in store.all()][1:] == ["c", "b"], "an edit keeps the profile's place"
    assert store.secret(renamed) == "s1"
    assert secrets.get(first.secret_name) is None
    with pytest.raises(ValueError, match="exists"):
        store.replace("c", Profile("b", "h:1", "http://h:2", "ID"), None)
    store.replace("c", Profile("c", "h:1", "http://h:2", "ID"), "new")
    assert store.secret(store.get("c")) == "new"  # type: ignore[arg-type]


def test_a_copy_gets_a_free_name(tmp_path: Path) -> None:
    store = ProfileStore.open(tmp_path, FileSecretStore(tmp_path / "secrets.json"))
    store.save(Profile("a", "h:1", "http://h:2", "ID"), "s")
    assert store.copy_name("a") == "a (copy)"
    store.save(Profile("a (copy)", "h:1", "http://h:2", "ID"), "s")
    assert store.copy_name("a") == "a (copy 2)"


def test_a_nats_jetstream_profile_keeps_its_password_and_creds_text_as_secrets(
    tmp_path: Path,
) -> None:
    from workbench.client.jetstream_settings import JetStreamSettings
    from workbench.models.profiles import NATS_JETSTREAM

    secrets = FileSecretStore(tmp_path / "secrets.json")
    store = ProfileStore.open(tmp_path, secrets)
    user = Profile(
        "cluster",
        kind=NATS_JETSTREAM,
        nats_servers="nats://a:4222,nats://b:4222",
        nats_auth="user",
        nats_user="alice",
    )
    store.save(user, "pw-for-alice")
    creds = Profile(
        "decentral", kind=NATS_JETSTREAM, nats_servers="nats://c:4222", nats_auth="creds",
        creds_file="/somewhere/user.creds",
    )  # fmt: skip
    store.save(creds, "-----BEGIN NATS USER JWT-----\nxyz")
    reopened = ProfileStore.open(tmp_path, FileSecretStore(tmp_path / "secrets.json"))
    assert reopened.get("cluster") == user
    settings = user.settings(reopened.secret(user) or "")
    assert isinstance(settings, JetStreamSettings)
    assert settings.servers == ("nats://a:4222", "nats://b:4222")
    assert (settings.user, settings.password, settings.auth_kind) == (
        "alice",
        "pw-for-alice",
        "user",
    )
    assert "pw-for-alice" not in repr(settings)
    decentral = creds.settings(reopened.secret(creds) or "")
    assert isinstance(decentral, JetStreamSettings)
    assert decentral.creds.startswith("-----BEGIN NATS USER JWT") and decentral.auth_kind == "creds"
    text = (tmp_path / "profiles.json").read_text()
    assert "pw-for-alice" not in text and "BEGIN NATS" not in text
    anonymous = Profile("open", kind=NATS_JETSTREAM, nats_servers="127.0.0.1:4222")
    assert not anonymous.needs_secret and user.needs_secret
