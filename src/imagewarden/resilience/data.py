"""Load the resilience catalog data with errors naming file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from imagewarden.catalog.loader import default_catalog_dir
from imagewarden.model import Location, UserInputError
from imagewarden.resilience.schema import Playbook, Role, Scenario, ServiceNode, Step

T = TypeVar("T", bound=BaseModel)


def _load_list(path: Path, model: type[T]) -> list[T]:
    if not path.exists():
        return []  # a partial catalog folder (e.g. only services) is allowed
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"cannot read: {exc}", Location(str(path))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise UserInputError(f"invalid YAML: {exc}", Location(str(path), line)) from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise UserInputError("expected a list of entries", Location(str(path), 1))
    entries = []
    for item, item_node in zip(data, node.value, strict=True):
        try:
            entries.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UserInputError(
                f"{where}: {first['msg']}",
                Location(str(path), item_node.start_mark.line + 1, field=model.__name__),
            ) from None
    return entries


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
