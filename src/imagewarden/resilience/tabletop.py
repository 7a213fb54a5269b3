"""Tabletop exercise packages: scenario + inventory + seed -> situation manual, injects that
name real assets, questions per role and evaluation criteria.

The seed picks which archive, modality, vendor, ... each inject names, so facilitators can
make fresh variants and still reproduce a package exactly (same seed, same inventory, same
HTML bytes). Nothing time-dependent goes into the HTML.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from imagewarden.model import Asset
from imagewarden.resilience.data import ResilienceData
from imagewarden.resilience.inventory_view import NONE, SiteView, fill
from imagewarden.resilience.ir import (
    RenderedPlaybook,
    RenderedProcedure,
    render_playbook,
    shared_procedures,
)
from imagewarden.resilience.schema import Scenario


@dataclass(frozen=True)
class TimedInject:
    """An inject with its text filled for the site."""

    minute: int
    text: str

    @property
    def clock(self) -> str:
        """``T+HH:MM`` from the start of the exercise."""
        return f"T+{self.minute // 60:02d}:{self.minute % 60:02d}"


@dataclass(frozen=True)
class Package:
    """Everything an exercise package document shows."""

    scenario: Scenario
    view: SiteView
    seed: int
    situation: str
    objectives: tuple[str, ...]
    injects: tuple[TimedInject, ...]
    questions: tuple[tuple[str, tuple[str, ...]], ...]
    """(role title, questions)."""
    evaluation: tuple[str, ...]
    playbook: RenderedPlaybook
    procedures: tuple[RenderedProcedure, ...]
    """The shared procedures the playbook refers to, stated once after it."""
    cast: tuple[tuple[str, str], ...]
    """(placeholder, what it names in this variant)."""


def _pick(rng: random.Random, assets: Sequence[Asset], *, vendor: bool = False) -> str:
    if not assets:
        return NONE
    chosen = assets[rng.randrange(len(assets))]
    if vendor:
        return chosen.vendor or chosen.name
    return f"{chosen.name} ({chosen.vendor})" if chosen.vendor else chosen.name


_CRITICALITY_ORDER = ("low", "medium", "high", "critical")


def _most_critical(assets: Sequence[Asset]) -> Sequence[Asset]:
    """The assets of the highest clinical criticality: a scenario opens on a device patient
    care depends on at that moment (an emergency CT), not on a bone-density scanner."""
    if not assets:
        return assets
    top = max(_CRITICALITY_ORDER.index(a.criticality.value) for a in assets)
    return [a for a in assets if _CRITICALITY_ORDER.index(a.criticality.value) == top]


def generate(scenario: Scenario, view: SiteView, data: ResilienceData, seed: int) -> Package:
    """The package for ``scenario`` at ``view``'s site; the seed picks the systems named."""
    rng = random.Random(f"{scenario.id}:{view.site.id}:{seed}")
    vendors_from = (*view.archives, *view.modalities) or view.ris
    cast = {
        "site": view.site.name,
        "archive": _pick(rng, view.archives),
        "modality": _pick(rng, _most_critical(view.modalities)),
        "vendor": _pick(rng, vendors_from, vendor=True),
        "ai": _pick(rng, view.ai),
        "cloud": _pick(rng, view.cloud),
        "ris": _pick(rng, view.ris),
    }
    values = {**view.placeholders(), **cast}
    roles = data.roles
    playbook = data.playbooks[scenario.playbook]
    return Package(
        scenario=scenario,
        view=view,
        seed=seed,
        situation=fill(scenario.situation, values),
        objectives=tuple(fill(o, values) for o in scenario.objectives),
        injects=tuple(
            TimedInject(i.minute, fill(i.text, values))
            for i in sorted(scenario.injects, key=lambda i: i.minute)
        ),
        questions=tuple(
            (roles[role].title, tuple(fill(q, values) for q in questions))
            for role, questions in scenario.questions.items()
        ),
        evaluation=tuple(fill(e, values) for e in scenario.evaluation),
        playbook=render_playbook(playbook, view, data),
        procedures=shared_procedures([playbook], view, data),
        cast=tuple(sorted(cast.items())),
    )
