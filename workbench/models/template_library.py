"""The user's event templates: named templates kept as files, one per template, in a directory.

The caller chooses the directory (the app passes a ``templates`` folder in
:func:`workbench.models.profiles.config_dir`). A template named ``orders`` is the file
``orders.json`` there, in the format of :mod:`workbench.models.event_templates`; every change is
written at once and atomically, so a crash never leaves half a file.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Final

from workbench.models.atomic_files import write_text_atomically
from workbench.models.event_templates import EventTemplate, load_template, template_to_json

SUFFIX: Final = ".json"
MAX_NAME_LENGTH: Final = 100
_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class TemplateLibrary:
    """Named templates stored as ``<name>.json`` files in ``directory`` (created on first save)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def names(self) -> list[str]:
        """The saved templates' names, sorted (case-insensitively)."""
        try:
            files = [p for p in self.directory.iterdir() if p.suffix == SUFFIX]
        except OSError:
            return []
        names = [p.stem for p in files if p.is_file() and not p.name.startswith(".")]
        return sorted(names, key=str.casefold)

    def __contains__(self, name: object) -> bool:
        try:
            return isinstance(name, str) and self.path_of(name).is_file()
        except ValueError:
            return False

    def path_of(self, name: str) -> Path:
        """The file that holds (or would hold) the template ``name``.

        Raises:
            ValueError: if ``name`` cannot be a template's name (see :meth:`save`).
        """
        return self.directory / f"{checked_name(name)}{SUFFIX}"

    def load(self, name: str) -> EventTemplate:
        """The template saved as ``name``.

        Raises:
            FileNotFoundError: if there is none.
            OSError: if its file cannot be read.
            TemplateError: if its file is not a valid template (naming the file).
        """
        return load_template(self.path_of(name))

    def save(self, name: str, template: EventTemplate) -> None:
        """Save ``template`` as ``name`` (replacing one of that name); its ``name`` becomes it.

        A name is 1 to 100 characters, not starting with ``.``, without ``/ \\ : * ? " < > |`` or
        control characters (so it is a file name on every system); blanks around it are dropped.

        Raises:
            ValueError: for a name that breaks those rules.
            OSError: if the file cannot be written.
        """
        path = self.path_of(name)
        named = dataclasses.replace(template, name=checked_name(name))
        write_text_atomically(path, template_to_json(named))

    def delete(self, name: str) -> None:
        """Forget the template saved as ``name`` (if there is one).

        Raises:
            OSError: if the file cannot be removed.
        """
        self.path_of(name).unlink(missing_ok=True)

    def export(self, name: str, path: Path) -> None:
        """Write the template saved as ``name`` to the file ``path`` (to share it).

        Raises:
            OSError, TemplateError: as :meth:`load`, or if ``path`` cannot be written.
        """
        write_text_atomically(Path(path), template_to_json(self.load(name)))

    def import_file(self, path: Path, name: str | None = None) -> str:
        """Check the template file ``path`` and save it, replacing one of the same name.

        Args:
            path: a template file.
            name: the name to save it as; by default the template's own ``name``, else the file's
                name without ``.json``.

        Returns:
            the name it was saved as.

        Raises:
            OSError: if the file cannot be read or the library written.
            TemplateError: if the file is not a valid template.
            ValueError: if the name cannot be a template's name.
        """
        path = Path(path)
        template = load_template(path)
        chosen = checked_name(name or template.name or path.stem)
        self.save(chosen, template)
        return chosen


def checked_name(name: str) -> str:
    """``name`` without surrounding blanks, if it can name a template file.

    Raises:
        ValueError: saying which rule the name breaks.
    """
    text = name.strip()
    if not text:
        raise ValueError("a template needs a name")
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(f"a template's name is at most {MAX_NAME_LENGTH} characters")
    if text.startswith("."):
        raise ValueError("a template's name may not start with '.'")
    bad = _UNSAFE.search(text)
    if bad is not None:
        raise ValueError(f"a template's name may not contain {bad.group()!r}")
    return text
