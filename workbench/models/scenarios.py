"""Demo scenarios: stories of events told by templates at rates, one click or one command.

A scenario is a folder in ``resources/scenarios/``, or in ``scenarios/`` in the workbench's
config directory (copy a shipped one there to make your own; the same name replaces it):

- ``scenario.json``::

      {
        "name": "workout",                      # the folder's name; what commands call it
        "title": "Fitness tracker during a workout",
        "description": "One or two sentences for the audience.",
        "topics": [
          {
            "topic": "workout.samples",         # created if missing; a rerun continues it
            "template": "samples.json",         # beside scenario.json: the producer's format
            "rate": {"shape": "constant", "rate": 10},
            "charts": ["heart_rate", "pace_min_per_km"]
          }
        ]
      }

  ``rate`` takes the generator's rate shape: ``shape`` (constant, ramp, burst or sine), ``rate``,
  ``to_rate``, ``period`` (seconds), ``amplitude``, ``burst`` (events per burst). ``charts``
  names the JSON fields (paths such as ``position.lat``) the dashboard plots: numbers as lines,
  anything else as counts per value.
- one template file per topic, in the producer console's template format.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from workbench.client.broker_rules import validate_topic_name
from workbench.client.errors import InvalidInput
from workbench.models.event_templates import EventTemplate, TemplateError, load_template
from workbench.models.frozen_app import bundle_data_dir, is_frozen
from workbench.models.profiles import config_dir
from workbench.models.rate_shapes import RateShape, ShapeKind

SCENARIO_FILE: Final = "scenario.json"
RESOURCES_ENV: Final = "ENSIGN_WORKBENCH_RESOURCES"
"""Overrides where the workbench's resources (scenarios, icons) are, e.g. in a bundle."""
_RATE_KEYS: Final = {"shape", "rate", "to_rate", "period", "amplitude", "burst"}
_TOPIC_KEYS: Final = {"topic", "template", "rate", "charts"}
_SCENARIO_KEYS: Final = {"name", "title", "description", "topics"}


class ScenarioError(ValueError):
    """A scenario folder that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class ScenarioTopic:
    """One topic of a scenario: what its events are and how fast they come."""

    topic: str
    template: EventTemplate
    shape: RateShape
    charts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A demo scenario (see the module docstring for its files)."""

    name: str
    title: str
    description: str
    topics: tuple[ScenarioTopic, ...]

    def to_json(self) -> dict[str, Any]:
        """The scenario as ``ensign-workbench scenarios --json`` lists it."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "topics": [t.topic for t in self.topics],
        }


def resources_dir() -> Path:
    """The workbench's resources folder: ``$ENSIGN_WORKBENCH_RESOURCES`` if set, else a frozen
    bundle's ``resources/``, else the source tree's."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    if is_frozen():
        return bundle_data_dir() / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def scenarios_dir() -> Path:
    """Where the shipped scenarios are."""
    return resources_dir() / "scenarios"


def user_scenarios_dir() -> Path:
    """Where a user's own scenarios are: ``scenarios/`` in the workbench's config directory
    (``~/.config/ensign-workbench/scenarios`` on Linux). One named like a shipped scenario
    replaces it."""
    return config_dir() / "scenarios"


@dataclass(frozen=True, slots=True)
class ScenarioShelf:
    """The scenarios found, and the folders that could not be used (each error names its file)."""

    scenarios: list[Scenario]
    problems: dict[str, ScenarioError]
    """By folder name (the name the scenario would have)."""


def load_scenarios(directories: Sequence[Path] | None = None) -> ScenarioShelf:
    """Every scenario in ``directories`` (default: the shipped ones, then the user's), by name;
    a later folder's scenario replaces an earlier one of the same name. A folder that cannot be
    used is reported in ``problems`` and does not hide the others."""
    found: dict[str, Scenario] = {}
    problems: dict[str, ScenarioError] = {}
    for root in directories if directories is not None else (scenarios_dir(), user_scenarios_dir()):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if (p / SCENARIO_FILE).is_file()):
            try:
                scenario = load_scenario(folder)
            except ScenarioError as exc:
                problems[folder.name] = exc
                found.pop(folder.name, None)
                continue
            found[scenario.name] = scenario
            problems.pop(scenario.name, None)
    return ScenarioShelf(sorted(found.values(), key=lambda s: s.name), problems)


def find_scenario(name_or_folder: str, directories: Sequence[Path] | None = None) -> Scenario:
    """The scenario called ``name_or_folder``, or the one in that folder (a path holding
    ``scenario.json``, e.g. a copy being edited).

    Raises:
        ScenarioError: if there is none (the message lists the names there are), or it cannot
            be loaded (the message names the file and the problem).
    """
    folder = Path(name_or_folder).expanduser()
    if (folder / SCENARIO_FILE).is_file():
        return load_scenario(folder)
    shelf = load_scenarios(directories)
    for scenario in shelf.scenarios:
        if scenario.name == name_or_folder:
            return scenario
    if name_or_folder in shelf.problems:
        raise shelf.problems[name_or_folder]
    known = ", ".join(s.name for s in shelf.scenarios) or "none"
    raise ScenarioError(f"no scenario {name_or_folder!r}; the scenarios are: {known}")


def load_scenario(folder: Path) -> Scenario:
    """The scenario in ``folder``.

    Raises:
        ScenarioError: naming the file and what is wrong (a missing key, a bad rate, a template
            that does not load).
    """
    path = folder / SCENARIO_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: must be a JSON object")
    _only(path, "", document, _SCENARIO_KEYS)
    topics = document.get("topics")
    if not isinstance(topics, list) or not topics:
        raise ScenarioError(f"{path}: topics must be a list of at least one topic")
    return Scenario(
        name=folder.name,
        title=_text(path, document, "title", folder.name),
        description=_text(path, document, "description", ""),
        topics=tuple(_topic(folder, path, i, t) for i, t in enumerate(topics)),
    )


def _topic(folder: Path, path: Path, index: int, spec: Any) -> ScenarioTopic:
    where = f"topics[{index}]"
    if not isinstance(spec, dict):
        raise ScenarioError(f"{path}: {where} must be an object")
    _only(path, where, spec, _TOPIC_KEYS)
    name = spec.get("topic")
    try:
        topic = validate_topic_name(name if isinstance(name, str) else "")
    except InvalidInput as exc:
        raise ScenarioError(f"{path}: {where}.topic: {exc}") from None
    template_name = spec.get("template")
    if not isinstance(template_name, str) or "/" in template_name or "\\" in template_name:
        raise ScenarioError(f"{path}: {where}.template must name a file beside scenario.json")
    try:
        template = load_template(folder / template_name)
    except OSError as exc:
        raise ScenarioError(f"{path}: {where}.template: cannot read it ({exc.strerror})") from None
    except TemplateError as exc:
        raise ScenarioError(f"{path}: {where}.template: {exc}") from None
    charts = spec.get("charts", [])
    if not isinstance(charts, list) or not all(isinstance(c, str) and c for c in charts):
        raise ScenarioError(f"{path}: {where}.charts must be a list of field paths")
    return ScenarioTopic(topic, template, _shape(path, where, spec.get("rate", {})), tuple(charts))


def _shape(path: Path, where: str, rate: Any) -> RateShape:
    if not isinstance(rate, dict):
        raise ScenarioError(f"{path}: {where}.rate must be an object")
    _only(path, f"{where}.rate", rate, _RATE_KEYS)
    try:
        return RateShape(
            ShapeKind(rate.get("shape", "constant")),
            rate=float(rate.get("rate", 0)),
            to_rate=float(rate.get("to_rate", 0)),
            period_s=float(rate.get("period", 1)),
            amplitude=float(rate.get("amplitude", 0)),
            burst=int(rate.get("burst", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{path}: {where}.rate: {exc}") from None


def _only(path: Path, where: str, document: Mapping[str, Any], keys: set[str]) -> None:
    unknown = sorted(set(document) - keys)
    if unknown:
        place = f" {where}" if where else ""
        raise ScenarioError(f"{path}:{place} unknown key(s) {', '.join(unknown)}")


def _text(path: Path, document: Mapping[str, Any], key: str, default: str) -> str:
    value = document.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{path}: {key} must be text")
    return value
