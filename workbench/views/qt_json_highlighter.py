"""JSON highlighting in a text document: keys, strings, numbers and literals in colour."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from workbench.models.json_highlight import TokenKind, json_colours, json_tokens


class QtJsonHighlighter(QSyntaxHighlighter):
    """Colours JSON keys, strings, numbers and literals; readable on light and dark themes."""

    def __init__(self, document: QTextDocument, dark: bool) -> None:
        super().__init__(document)
        self._formats: dict[TokenKind, QTextCharFormat] = {}
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        """Pick the colours for a dark (or light) background."""
        self._formats = {}
        for kind, colour in json_colours(dark).items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if kind is TokenKind.KEY:
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats[kind] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for token in json_tokens(text):
            self.setFormat(token.start, token.length, self._formats[token.kind])
