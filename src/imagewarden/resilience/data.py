"""The resilience catalog section: imaging services, roles, shared procedures, playbooks and
scenarios.

The data lives under ``<catalog root>/resilience`` (``services.yaml``, ``roles.yaml``,
``procedures.yaml``, ``playbooks/*.yaml``, ``scenarios/*.yaml``), so ``--catalog DIR``
replaces it with the rest of the catalog. Loading checks each entry's schema (errors name the
file, line and field); ``validate`` (``imagewarden catalog validate``) checks every reference
(roles, procedures, playbooks, service dependencies and their cycles, placeholders) and lists
every problem; commands refuse data with a broken reference through ``resilience_data``.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from imagewarden.catalog.loader import read_entries
from imagewarden.catalog.sections import CatalogSection
from imagewarden.catalog.validate import Problem
from imagewarden.model import Location, UserInputError
from imagewarden.resilience.inventory_view import CAST_PLACEHOLDERS, SITE_PLACEHOLDERS
from imagewarden.resilience.schema import Playbook, Procedure, Role, Scenario, ServiceNode, Step

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog

T = TypeVar("T", bound=BaseModel)

SECTION_NAME = "resilience"


def _load_list(path: Path, model: type[T]) -> list[T]:
    # A partial catalog folder (e.g. only services) is allowed.
    return read_entries(path, model, missing_ok=True)


def _unique(entries: list[tuple[Path, T]], kind: str) -> dict[str, T]:
    found: dict[str, T] = {}
    for path, entry in entries:
        key = str(getattr(entry, "id", ""))
        if key in found:
            raise UserInputError(f"duplicate {kind} id {key!r}", Location(str(path)))
        found[key] = entry
    return found


@dataclass(frozen=True)
class ResilienceData:
    """The resilience catalog section, as loaded (schema-checked)."""

    services: Mapping[str, ServiceNode]
    roles: Mapping[str, Role]
    playbooks: Mapping[str, Playbook]
    scenarios: Mapping[str, Scenario]
    procedures: Mapping[str, Procedure]
    """Procedures playbooks share, by id (``procedures.yaml``)."""
    root: str = ""
    """The folder it was read from, for messages."""


def load_resilience_data(root: Path) -> ResilienceData:
    """Read ``root`` (the section folder); raise ``UserInputError`` naming file and line."""
    services = root / "services.yaml"
    roles = root / "roles.yaml"
    procedures = root / "procedures.yaml"
    return ResilienceData(
        services=_unique([(services, s) for s in _load_list(services, ServiceNode)], "service"),
        roles=_unique([(roles, r) for r in _load_list(roles, Role)], "role"),
        playbooks=_unique(
            [(f, p) for f in _files(root / "playbooks") for p in _load_list(f, Playbook)],
            "playbook",
        ),
        scenarios=_unique(
            [(f, s) for f in _files(root / "scenarios") for s in _load_list(f, Scenario)],
            "scenario",
        ),
        procedures=_unique(
            [(procedures, p) for p in _load_list(procedures, Procedure)], "procedure"
        ),
        root=str(root),
    )


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _step_roles(step: Step) -> tuple[str, ...]:
    return (step.owner, *step.consulted, *step.informed)


def _cycle(services: Mapping[str, ServiceNode]) -> list[str]:
    """Services on or behind a dependency cycle (empty when the graph is acyclic)."""
    waiting = {sid: {d for d in s.depends_on if d in services} for sid, s in services.items()}
    done: set[str] = set()
    progress = True
    while progress:
        progress = False
        for sid, deps in waiting.items():
            if sid not in done and deps <= done:
                done.add(sid)
                progress = True
    return sorted(set(services) - done)


def _fields(text: str) -> Iterator[str]:
    try:
        for _literal, name, _spec, _conversion in string.Formatter().parse(text):
            if name is not None:
                yield name
    except ValueError:
        yield "{"


def reference_problems(data: ResilienceData) -> list[Problem]:
    """Every reference that does not resolve (roles, procedures, playbooks, dependencies,
    placeholders)."""
    problems: list[Problem] = []
    for service in data.services.values():
        for dep in service.depends_on:
            if dep not in data.services:
                problems.append(Problem(f"service {service.id}", f"depends on unknown {dep!r}"))
    cycle = _cycle(data.services)
    if cycle:
        problems.append(Problem("services", f"dependencies form a cycle: {', '.join(cycle)}"))
    for role in data.roles.values():
        if role.escalates_to and role.escalates_to not in data.roles:
            problems.append(
                Problem(f"role {role.id}", f"escalates to unknown role {role.escalates_to!r}")
            )
    site_names = set(SITE_PLACEHOLDERS)
    for procedure in data.procedures.values():
        where = f"procedure {procedure.id}"
        for step in procedure.steps:
            problems += _role_problems(where, _step_roles(step), data)
            problems += _placeholder_problems(where, step.text, site_names)
    for playbook in data.playbooks.values():
        where = f"playbook {playbook.id}"
        steps = [*(s for p in playbook.phases for s in p.steps), *playbook.downtime]
        for step in steps:
            problems += _role_problems(where, _step_roles(step), data)
            if step.procedure and step.procedure not in data.procedures:
                problems.append(Problem(where, f"unknown procedure {step.procedure!r}"))
        texts = [playbook.summary, *playbook.triggers, *(s.text for s in steps)]
        for text in texts:
            problems += _placeholder_problems(where, text, site_names)
    cast_names = site_names | set(CAST_PLACEHOLDERS)
    for scenario in data.scenarios.values():
        where = f"scenario {scenario.id}"
        if scenario.playbook not in data.playbooks:
            problems.append(Problem(where, f"unknown playbook {scenario.playbook!r}"))
        problems += _role_problems(where, tuple(scenario.questions), data)
        texts = [
            scenario.situation, *scenario.objectives, *(i.text for i in scenario.injects),
            *(q for qs in scenario.questions.values() for q in qs), *scenario.evaluation,
        ]  # fmt: skip
        for text in texts:
            problems += _placeholder_problems(where, text, cast_names)
    return problems


def _role_problems(where: str, roles: tuple[str, ...], data: ResilienceData) -> list[Problem]:
    return [
        Problem(where, f"unknown role {r!r}") for r in dict.fromkeys(roles) if r not in data.roles
    ]


def _placeholder_problems(where: str, text: str, known: set[str]) -> list[Problem]:
    return [
        Problem(where, f"unknown placeholder {{{name}}} (known: {', '.join(sorted(known))})")
        for name in dict.fromkeys(_fields(text))
        if name not in known
    ]


def validate(data: ResilienceData, _catalog: Catalog) -> list[Problem]:
    """The section's problems for ``imagewarden catalog validate``."""
    return [Problem(f"{SECTION_NAME} {p.where}", p.message) for p in reference_problems(data)]


RESILIENCE = CatalogSection(SECTION_NAME, load_resilience_data, validate)
"""The section the capability declares (``capability.py``, ``catalog_sections``)."""


def resilience_data(catalog: Catalog) -> ResilienceData:
    """The section of ``catalog`` (``--catalog DIR`` honoured); refused with its first
    problem when a reference does not resolve."""
    data = catalog.section(RESILIENCE)
    problems = reference_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserInputError(
            f"resilience catalog: {problems[0]}{more}",
            Location(data.root) if data.root else None,
            hint="run 'imagewarden catalog validate'",
        )
    return data
