"""Before Qt starts: the X11 libraries it needs, named with the packages that provide them."""

from __future__ import annotations

import json

from workbench.app.qt_libraries import missing_libraries_message, missing_xcb_libraries


def test_missing_xcb_libraries_are_named_with_their_packages() -> None:
    def only_some(name: str) -> bool:
        return name not in ("libxcb-cursor.so.0", "libEGL.so.1")

    env = {"DISPLAY": ":0"}
    assert missing_xcb_libraries(env, "linux", only_some) == ["libegl1", "libxcb-cursor0"]
    assert missing_xcb_libraries({"QT_QPA_PLATFORM": "offscreen"}, "linux", only_some) == []
    assert missing_xcb_libraries(env, "darwin", only_some) == []
    message = missing_libraries_message(["libegl1", "libxcb-cursor0"])
    assert "sudo apt install libegl1 libxcb-cursor0" in message
    assert "\n" not in message
    assert json.dumps(message)
