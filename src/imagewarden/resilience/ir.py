"""Incident response plan: team, contact tree, RACI and the imaging playbooks, rendered for
one site's real archives, modalities and vendors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imagewarden.resilience.data import ResilienceData
from imagewarden.resilience.inventory_view import SiteView, fill
from imagewarden.resilience.records import TeamMember
from imagewarden.resilience.schema import PHASES, Playbook, Role, Step


@dataclass(frozen=True)
class RenderedStep:
    """A playbook step with its placeholders filled and its roles named."""

    text: str
    owner: str
    consulted: tuple[str, ...]
    informed: tuple[str, ...]


@dataclass(frozen=True)
class RenderedPlaybook:
    """A playbook as the plan prints it for one site."""

    id: str
    title: str
    summary: str
    triggers: tuple[str, ...]
    phases: tuple[tuple[str, tuple[RenderedStep, ...]], ...]
    downtime: tuple[RenderedStep, ...]
    raci: tuple[tuple[str, tuple[str, ...]], ...]
    """(role title, one cell per phase: "A/R", "C", "I" or "")."""
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ContactLevel:
    """A role of the contact tree, its people in call order, and its depth in the tree."""

    role: Role
    people: tuple[TeamMember, ...]
    depth: int


def _step(step: Step, values: Mapping[str, str], roles: Mapping[str, Role]) -> RenderedStep:
    return RenderedStep(
        fill(step.text, values),
        roles[step.owner].title,
        tuple(roles[r].title for r in step.consulted),
        tuple(roles[r].title for r in step.informed),
    )


def _raci(playbook: Playbook, data: ResilienceData) -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = []
    for role in data.roles.values():
        cells = []
        for phase in playbook.phases:
            marks = set()
            for step in phase.steps:
                if step.owner == role.id:
                    marks.add("A/R")
                elif role.id in step.consulted:
                    marks.add("C")
                elif role.id in step.informed:
                    marks.add("I")
            best = next((m for m in ("A/R", "C", "I") if m in marks), "")
            cells.append(best)
        rows.append((role.title, tuple(cells)))
    return tuple(rows)


def render_playbook(playbook: Playbook, view: SiteView, data: ResilienceData) -> RenderedPlaybook:
    """``playbook`` with the site's systems filled in and its RACI derived from the steps."""
    values = view.placeholders()
    roles = data.roles
    return RenderedPlaybook(
        id=playbook.id,
        title=playbook.title,
        summary=fill(playbook.summary, values),
        triggers=tuple(fill(t, values) for t in playbook.triggers),
        phases=tuple(
            (p.phase, tuple(_step(s, values, roles) for s in p.steps)) for p in playbook.phases
        ),
        downtime=tuple(_step(s, values, roles) for s in (*data.downtime, *playbook.downtime)),
        raci=_raci(playbook, data),
        sources=playbook.sources,
    )


def contact_tree(data: ResilienceData, members: Sequence[TeamMember]) -> list[ContactLevel]:
    """Roles from the incident commander down, each with its people in call order."""
    children: dict[str, list[Role]] = {}
    for role in data.roles.values():
        children.setdefault(role.escalates_to, []).append(role)
    levels: list[ContactLevel] = []

    def visit(parent: str, depth: int) -> None:
        for role in children.get(parent, []):
            people = tuple(m for m in members if m.role == role.id)
            levels.append(ContactLevel(role, people, depth))
            if depth < len(data.roles):
                visit(role.id, depth + 1)

    visit("", 0)
    return levels


@dataclass(frozen=True)
class IrPlan:
    """Everything the incident response plan document shows."""

    view: SiteView
    playbooks: tuple[RenderedPlaybook, ...]
    tree: tuple[ContactLevel, ...]
    unstaffed: tuple[str, ...]
    phases: tuple[str, ...] = PHASES


def build_plan(
    view: SiteView,
    data: ResilienceData,
    members: Sequence[TeamMember],
    playbook_ids: Sequence[str] = (),
) -> IrPlan:
    """The plan for ``view``'s site: its members (and those serving every site), the
    contact tree, and the chosen playbooks (all when none is named)."""
    chosen = [data.playbooks[p] for p in playbook_ids] if playbook_ids else data.playbooks.values()
    site_members = [m for m in members if m.site_id in ("", view.site.id)]
    tree = contact_tree(data, site_members)
    unstaffed = tuple(level.role.title for level in tree if not level.people)
    return IrPlan(
        view,
        tuple(render_playbook(p, view, data) for p in chosen),
        tuple(tree),
        unstaffed,
    )
