"""A template as the generator's event source: rendered in batches, encoded for publishing.

A command line or a form may override what the template says of every event: the mimetype,
the type and version, and metadata keys (added to, or replacing, the template's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workbench.client.broker_client import encode_event
from workbench.client.broker_rules import mimetype_number
from workbench.client.records import NewEvent
from workbench.models.event_templates import RenderedEvent, TemplateRenderer


@dataclass(frozen=True, slots=True)
class Overrides:
    """What replaces the template's own values in every event (None: keep the template's).

    Attributes:
        mimetype: mimetype text, e.g. ``text/plain``.
        type_name: the type's name.
        type_version: ``major.minor.patch``.
        metadata: keys set on every event, over the template's.
    """

    mimetype: str | None = None
    type_name: str | None = None
    type_version: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


class TemplateSource:
    """Renders and encodes the next ``n`` events of a template run (an ``EventSource``).

    Args:
        renderer: the template's run (its counters and random state carry across calls).
        overrides: values that replace the template's in every event.

    Raises (when called):
        TemplateError: if rendering fails (an expression's error, with its path).
        InvalidInput: if an overriding mimetype is not one Ensign knows.
    """

    def __init__(self, renderer: TemplateRenderer, overrides: Overrides | None = None) -> None:
        self._renderer = renderer
        self._overrides = overrides or Overrides()
        self._numbers: dict[str, int] = {}

    def __call__(self, n: int) -> list[bytes]:
        return [encode_event(self.new_event(e)) for e in self._renderer.render_batch(n)]

    def new_event(self, rendered: RenderedEvent) -> NewEvent:
        """A rendered event with the overrides applied, as the client publishes it."""
        o = self._overrides
        mimetype = o.mimetype or rendered.mimetype
        number = self._numbers.get(mimetype)
        if number is None:
            number = self._numbers[mimetype] = mimetype_number(mimetype)
        metadata = {**rendered.metadata, **o.metadata} if o.metadata else rendered.metadata
        return NewEvent(
            rendered.data,
            number,
            o.type_name or rendered.type_name,
            o.type_version or rendered.type_version,
            metadata,
        )
