"""Load the resilience catalog data with errors naming file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from imagewarden.catalog.loader import default_catalog_dir, read_entries
from imagewarden.model import Location, UserInputError
from imagewarden.resilience.schema import Playbook, Role, Scenario, ServiceNode, Step

T = TypeVar("T", bound=BaseModel)


def _load_list(path: Path, model: type[T]) -> list[T]:
    # A partial catalog folder (e.g. only services) is allowed.
    return read_entries(path, model, missing_ok=True)


@dataclass(frozen=True)
class ResilienceData:
    services: dict[str, ServiceNode]
    roles: dict[str, Role]
    playbooks: dict[str, Playbook]
    scenarios: dict[str, Scenario]
    downtime: tuple[Step, ...]
    """Clinical downtime steps every playbook starts its downtime procedure with."""


def _check_references(data: ResilienceData, root: Path) -> None:
    where = Location(str(root))
    for service in data.services.values():
        for dep in service.depends_on:
            if dep not in data.services:
                raise UserInputError(f"service {service.id} depends on unknown {dep!r}", where)
    for playbook in data.playbooks.values():
        steps = [
            *(s for p in playbook.phases for s in p.steps),
            *playbook.downtime,
            *data.downtime,
        ]
        for step in steps:
            for role in (step.owner, *step.consulted, *step.informed):
                if role not in data.roles:
                    raise UserInputError(f"playbook {playbook.id}: unknown role {role!r}", where)
    for scenario in data.scenarios.values():
        if scenario.playbook not in data.playbooks:
            raise UserInputError(
                f"scenario {scenario.id}: unknown playbook {scenario.playbook!r}", where
            )
        for role in scenario.questions:
            if role not in data.roles:
                raise UserInputError(f"scenario {scenario.id}: unknown role {role!r}", where)


def load_resilience_data(root: Path | None = None) -> ResilienceData:
    root = root or default_catalog_dir() / "resilience"
    data = ResilienceData(
        services={s.id: s for s in _load_list(root / "services.yaml", ServiceNode)},
        roles={r.id: r for r in _load_list(root / "roles.yaml", Role)},
        playbooks={
            p.id: p
            for f in sorted((root / "playbooks").glob("*.yaml"))
            for p in _load_list(f, Playbook)
        },
        scenarios={
            s.id: s
            for f in sorted((root / "scenarios").glob("*.yaml"))
            for s in _load_list(f, Scenario)
        },
        downtime=tuple(_load_list(root / "downtime.yaml", Step)),
    )
    _check_references(data, root)
    return data


@cache
def shipped() -> ResilienceData:
    return load_resilience_data()
