"""Text of any length in a ``QPlainTextEdit``, without freezing the window.

Qt wraps a line in time that grows with the square of its length: here a 50,000-character line
takes 0.14 s to wrap, a 400,000-character one 9.5 s (and a 4 MiB payload minutes), while the same
4 MiB unwrapped take under two seconds. A view that wraps its text therefore stops wrapping when
a line is longer than :data:`WRAP_LINE_LIMIT`; the text is the same, read by scrolling sideways.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit

WRAP_LINE_LIMIT = 20_000
"""Characters in a line, at most, for it to be wrapped (about 30 ms of layout)."""


def longest_line(text: str) -> int:
    """The length of the longest line of ``text``."""
    return max(map(len, text.split("\n")), default=0)


def show_text(edit: QPlainTextEdit, text: str, wrap: bool = True) -> None:
    """Show ``text`` in ``edit``, wrapped if ``wrap`` and no line is too long to wrap in time."""
    wrapped = wrap and longest_line(text) <= WRAP_LINE_LIMIT
    # Empty the editor before changing its wrap mode: a new mode lays out the text already there
    # again, and wrapping a 1 MB line shown unwrapped took Qt 30-50 s.
    edit.clear()
    edit.setLineWrapMode(
        QPlainTextEdit.LineWrapMode.WidgetWidth if wrapped else QPlainTextEdit.LineWrapMode.NoWrap
    )
    edit.setPlainText(text)


def editor_text(edit: QPlainTextEdit) -> str:
    """The text in ``edit`` as typed, lines joined by ``\\n``.

    ``QPlainTextEdit.toPlainText()`` turns each no-break space (U+00A0) into a space (and the
    frame marks U+FDD0/U+FDD1 into line breaks): an event body or template read that way would be
    sent changed. This reads the document's raw text and only turns its paragraph separators
    (U+2029) back into line breaks.
    """
    return edit.document().toRawText().replace("\u2029", "\n")
