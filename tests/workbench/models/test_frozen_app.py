"""In a frozen bundle the broker is the bundle's own executable and the resources its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workbench.models.frozen_app import (
    broker_command,
    bundle_data_dir,
    is_frozen,
    restore_library_path,
)
from workbench.models.scenarios import RESOURCES_ENV, resources_dir, scenarios_dir


def _frozen(monkeypatch: pytest.MonkeyPatch, executable: Path, data: Path | None) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    if data is None:
        monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    else:
        monkeypatch.setattr(sys, "_MEIPASS", str(data), raising=False)
    monkeypatch.delenv(RESOURCES_ENV, raising=False)


def test_from_source_the_broker_is_this_interpreter_and_resources_are_the_repositorys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    assert not is_frozen()
    assert broker_command("serve") == [sys.executable, "-m", "embedded_broker", "serve"]
    assert resources_dir() == Path(__file__).resolve().parents[3] / "resources"
    assert (scenarios_dir() / "bank" / "scenario.json").is_file()


def test_frozen_the_broker_is_the_executable_beside_the_apps(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _frozen(monkeypatch, tmp_path / "ensign-workbench", tmp_path / "_internal")
    assert is_frozen()
    assert broker_command("serve", "--data-dir", "d") == [
        str(tmp_path / "ensign-broker"),
        "serve",
        "--data-dir",
        "d",
    ]
    _frozen(monkeypatch, tmp_path / "ensign-workbench.exe", tmp_path / "_internal")
    assert broker_command()[0] == str(tmp_path / "ensign-broker.exe")


def test_frozen_resources_are_in_the_bundles_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _frozen(monkeypatch, tmp_path / "ensign-workbench", tmp_path / "_internal")
    assert bundle_data_dir() == tmp_path / "_internal"
    assert resources_dir() == tmp_path / "_internal" / "resources"
    _frozen(monkeypatch, tmp_path / "ensign-workbench", None)
    assert resources_dir() == tmp_path / "resources", "next to the executable without _MEIPASS"
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path / "mine"))
    assert resources_dir() == tmp_path / "mine", "the environment still wins"


def test_frozen_the_programs_the_app_starts_get_the_users_library_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = str(tmp_path / "_internal")
    environ = {"LD_LIBRARY_PATH": bundle, "HOME": "/home/me"}
    restore_library_path(environ)
    assert environ["LD_LIBRARY_PATH"] == bundle, "installed from source: left alone"
    _frozen(monkeypatch, tmp_path / "ensign-workbench", tmp_path / "_internal")
    restore_library_path(environ)
    assert environ == {"HOME": "/home/me"}, "the user had none"
    environ = {"LD_LIBRARY_PATH": f"{bundle}:/opt/lib", "LD_LIBRARY_PATH_ORIG": "/opt/lib"}
    restore_library_path(environ)
    assert environ == {"LD_LIBRARY_PATH": "/opt/lib"}
