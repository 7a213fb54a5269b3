"""Incident response plan: team, contact tree, RACI, the shared procedures and the imaging
playbooks, rendered for one site's real archives, modalities and vendors.

A procedure several playbooks use is rendered once (``RenderedProcedure``); a playbook step
that carries it out keeps only the procedure's id and title, so the documents point to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imagewarden.resilience.data import ResilienceData
from imagewarden.resilience.inventory_view import SiteView, fill
from imagewarden.resilience.records import TeamMember
from imagewarden.resilience.schema import PHASES, Playbook, Procedure, Role, Step


@dataclass(frozen=True)
class RenderedStep:
    """A playbook step with its placeholders filled and its roles named."""

    text: str
    owner: str
    consulted: tuple[str, ...]
    informed: tuple[str, ...]
    procedure: str = ""
    """Id of the shared procedure the step carries out ("" when none)."""
    procedure_title: str = ""


@dataclass(frozen=True)
class RenderedProcedure:
    """A shared procedure as the documents state it, once, with the playbooks using it."""

    id: str
    title: str
    purpose: str
    steps: tuple[RenderedStep, ...]
    used_by: tuple[str, ...]
    """Titles of the playbooks (of this document) that refer to it."""


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


def _step(step: Step, values: Mapping[str, str], data: ResilienceData) -> RenderedStep:
    roles = data.roles
    procedure = data.procedures.get(step.procedure)
    return RenderedStep(
        fill(step.text, values),
        roles[step.owner].title,
        tuple(roles[r].title for r in step.consulted),
        tuple(roles[r].title for r in step.informed),
        step.procedure,
        procedure.title if procedure else "",
    )


def _uses(playbook: Playbook) -> set[str]:
    steps = (*(s for p in playbook.phases for s in p.steps), *playbook.downtime)
    return {s.procedure for s in steps if s.procedure}


def shared_procedures(
    playbooks: Sequence[Playbook], view: SiteView, data: ResilienceData
) -> tuple[RenderedProcedure, ...]:
    """The procedures ``playbooks`` refer to, in catalog order, each rendered once."""
    values = view.placeholders()

    def rendered(procedure: Procedure) -> RenderedProcedure:
        return RenderedProcedure(
            procedure.id,
            procedure.title,
            fill(procedure.purpose, values),
            tuple(_step(s, values, data) for s in procedure.steps),
            tuple(p.title for p in playbooks if procedure.id in _uses(p)),
        )

    used = set().union(*(_uses(p) for p in playbooks))
    return tuple(rendered(p) for p in data.procedures.values() if p.id in used)


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
    return RenderedPlaybook(
        id=playbook.id,
        title=playbook.title,
        summary=fill(playbook.summary, values),
        triggers=tuple(fill(t, values) for t in playbook.triggers),
        phases=tuple(
            (p.phase, tuple(_step(s, values, data) for s in p.steps)) for p in playbook.phases
        ),
        downtime=tuple(_step(s, values, data) for s in playbook.downtime),
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
    procedures: tuple[RenderedProcedure, ...]
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
    chosen = (
        [data.playbooks[p] for p in playbook_ids] if playbook_ids else [*data.playbooks.values()]
    )
    site_members = [m for m in members if m.site_id in ("", view.site.id)]
    tree = contact_tree(data, site_members)
    unstaffed = tuple(level.role.title for level in tree if not level.people)
    return IrPlan(
        view,
        tuple(render_playbook(p, view, data) for p in chosen),
        shared_procedures(chosen, view, data),
        tuple(tree),
        unstaffed,
    )
