"""The user's EnSQL queries: a history of what ran and named queries saved per topic.

Both live in one JSON file in a directory the caller chooses (the app passes
:func:`workbench.models.profiles.config_dir`). A missing or unreadable file starts an empty library;
every change is written at once, atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.models.atomic_files import write_text_atomically

FILE_NAME = "queries.json"
HISTORY_LIMIT = 200


class QueryLibrary:
    """Query history (most recent first, without repeats) and saved queries per topic name."""

    def __init__(self, directory: Path, history_limit: int = HISTORY_LIMIT) -> None:
        self.path = Path(directory) / FILE_NAME
        self.history_limit = history_limit
        self._history: list[str] = []
        self._saved: dict[str, dict[str, str]] = {}
        self._load()

    # -- history ------------------------------------------------------------------------------

    def history(self) -> list[str]:
        """Queries that ran, most recent first."""
        return list(self._history)

    def record(self, query: str) -> None:
        """Put ``query`` at the top of the history (a repeat moves up; blanks are ignored).

        Raises:
            OSError: if the library cannot be written (the change is kept in memory).
        """
        text = query.strip()
        if not text:
            return
        key = _normalized(text)
        kept = [q for q in self._history if _normalized(q) != key]
        self._history = [text, *kept][: self.history_limit]
        self._write()

    def clear_history(self) -> None:
        """Forget every query in the history.

        Raises:
            OSError: if the library cannot be written.
        """
        self._history = []
        self._write()

    # -- saved queries ------------------------------------------------------------------------

    def saved(self, topic: str) -> dict[str, str]:
        """The queries saved for ``topic``, by name (sorted by name)."""
        queries = self._saved.get(topic, {})
        return {name: queries[name] for name in sorted(queries, key=str.casefold)}

    def save(self, topic: str, name: str, query: str) -> None:
        """Save ``query`` under ``name`` for ``topic`` (replacing one of the same name).

        Raises:
            ValueError: if the name or the query is blank.
            OSError: if the library cannot be written (the change is kept in memory).
        """
        name, text = name.strip(), query.strip()
        if not name:
            raise ValueError("a saved query needs a name")
        if not text:
            raise ValueError("there is no query to save")
        self._saved.setdefault(topic, {})[name] = text
        self._write()

    def delete(self, topic: str, name: str) -> None:
        """Forget the query saved as ``name`` for ``topic`` (if there is one).

        Raises:
            OSError: if the library cannot be written.
        """
        queries = self._saved.get(topic, {})
        if queries.pop(name, None) is None:
            return
        if not queries:
            del self._saved[topic]
        self._write()

    # -- storage ------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            content = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(content, dict):
            return
        history = content.get("history")
        if isinstance(history, list):
            self._history = [q for q in history if isinstance(q, str) and q.strip()][
                : self.history_limit
            ]
        saved = content.get("saved")
        if isinstance(saved, dict):
            for topic, queries in saved.items():
                if not isinstance(queries, dict):
                    continue
                good = {n: q for n, q in queries.items() if isinstance(q, str) and n.strip()}
                if good:
                    self._saved[str(topic)] = good

    def _write(self) -> None:
        content = {"history": self._history, "saved": self._saved}
        write_text_atomically(self.path, json.dumps(content, indent=1, ensure_ascii=False))


def _normalized(query: str) -> str:
    """The query with runs of white space collapsed, so reformatting is not a new entry."""
    return " ".join(query.split())
