"""Connect your code: the running workbench's broker as a user's own pyensign program sees it,
with the README's snippet run as written."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.interop.pyensign_env import pyensign_python
from tests.serve_process import create_key
from tests.workbench.app.test_app import App
from tests.workbench.conftest import QLoop
from workbench.models.connect_code import pyensign_snippet
from workbench.views.qt_key_dialogs import QtNewKeyDialog

README = Path(__file__).parents[3] / "README.md"
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def running(qtbot: QtBot, qloop: QLoop, tmp_path: Path) -> Iterator[App]:
    app = App(tmp_path)
    qtbot.addWidget(app.window)
    app.start(qloop)
    yield app
    app.quit(qloop)


def readme_snippet() -> str:
    """The README's pyensign program."""
    section = README.read_text().split("## Using it from pyensign", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_connect_your_code_shows_the_brokers_addresses_and_makes_a_key_for_it(
    qloop: QLoop, running: App
) -> None:
    settings = running.broker.settings
    assert settings is not None
    dialog = running.window.show_connect_code()
    assert dialog is not None and dialog.isVisible()
    assert dialog.endpoint.text() == settings.grpc_address
    assert dialog.auth_url.text() == settings.auth_url
    assert dialog.tls_label.text().startswith("plaintext")
    assert dialog.ca_file.text() == "—"
    assert dialog.pyensign.code() == pyensign_snippet(settings)
    assert f"export ENSIGN_ENDPOINT={settings.grpc_address}" in dialog.environment.code()
    assert dialog.notice.isHidden() == (running.broker.port_notice == "")

    dialog.create_key_button.click()
    window = running.window
    assert window.tabs.currentWidget() is window.keys_view
    qloop.until(
        lambda: any(d.isVisible() for d in window.findChildren(QtNewKeyDialog)),
        10,
        "the New key dialog",
    )


def test_the_readme_snippet_works_as_written_against_a_running_workbench(
    qloop: QLoop, qtbot: QtBot, tmp_path: Path
) -> None:
    for port in (5356, 5357):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                pytest.skip(f"another program holds port {port} on this machine")
    app = App(tmp_path)
    qtbot.addWidget(app.window)
    app.start(qloop)
    try:
        settings = app.broker.settings
        assert settings is not None and settings.grpc_address == "127.0.0.1:5356"
        key = create_key(app.broker.data_dir, "local", "all")  # as the README says, or Keys tab
        program = tmp_path / "readme.py"
        program.write_text(readme_snippet())
        ran = subprocess.run(
            [str(pyensign_python()), str(program)],
            env={
                **os.environ,
                "ENSIGN_CLIENT_ID": key["client_id"],
                "ENSIGN_CLIENT_SECRET": key["client_secret"],
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == "1 orders over 5 in region eu\n"
        app.session.refresh_topics()
        qloop.until(
            lambda: (
                [(t.project_name, t.name, t.events) for t in app.session.topics]
                == [("local", "orders", 1)]
            ),
            10,
            "the README's event in the workbench's project",
        )
    finally:
        app.quit(qloop)
