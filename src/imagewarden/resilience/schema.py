"""Schemas of the resilience catalog data (catalog/data/resilience/): imaging service
dependencies, incident response roles, shared procedures, playbooks and tabletop scenarios."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from imagewarden.model import AssetType

Phase = Literal["detect", "contain", "eradicate", "recover", "review"]
PHASES: tuple[Phase, ...] = ("detect", "contain", "eradicate", "recover", "review")


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceNode(_Entry):
    """One imaging service in the recovery dependency graph."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    depends_on: tuple[str, ...] = ()
    clinical_priority: int = Field(ge=1, le=5)
    """1 restores first among services whose dependencies are met (emergency imaging)."""
    restore_hours: float = Field(gt=0)
    """Default time to restore when no restore test measured it."""
    asset_types: tuple[AssetType, ...] = ()
    """Inventory asset types that provide this service."""
    enterprise: bool = False
    """Shared by every site (identity, DNS, core network) even without an inventory asset."""
    critical: bool = True
    """Counts toward the 72-hour target for critical systems."""
    restores_images: bool = False
    """Its restore time is the image archive's: a restore test's estimate replaces the default."""
    downtime_fallback: str = ""


class Role(_Entry):
    """An incident response role and where it escalates."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    responsibilities: str
    escalates_to: str = ""
    """Role id next in the contact tree (empty: top)."""


class Step(_Entry):
    """One step of a playbook or a shared procedure, with its RACI roles."""

    text: str = ""
    """What to do; with ``procedure``, what this playbook adds to the shared procedure."""
    procedure: str = ""
    """Id of a shared procedure (procedures.yaml) the step carries out: the plan states the
    procedure once and points to it from every playbook that uses it."""
    owner: str
    """Role id: the one accountable for the step (RACI "A/R")."""
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _says_what_to_do(self) -> Step:
        if not self.text.strip() and not self.procedure:
            raise ValueError("a step needs a text, a procedure, or both")
        return self


class Procedure(_Entry):
    """A procedure several playbooks share (isolating a system, calling a vendor, clinical
    downtime...): written once, referenced by id from playbook steps."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    purpose: str
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_nesting(self) -> Procedure:
        if any(s.procedure for s in self.steps):
            raise ValueError("a procedure's steps cannot refer to another procedure")
        if any(not s.text.strip() for s in self.steps):
            raise ValueError("every step of a procedure needs a text")
        return self


class PlaybookPhase(_Entry):
    """The steps of one incident response phase."""

    phase: Phase
    steps: tuple[Step, ...] = Field(min_length=1)


class Playbook(_Entry):
    """An imaging incident playbook: triggers, five phases and its clinical downtime steps."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    summary: str
    triggers: tuple[str, ...] = Field(min_length=1)
    phases: tuple[PlaybookPhase, ...] = Field(min_length=5, max_length=5)
    downtime: tuple[Step, ...] = ()
    """How clinical work goes on during this incident: usually a reference to the shared
    clinical downtime procedure, with this incident's own steps."""
    sources: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _phases_in_order(self) -> Playbook:
        if tuple(p.phase for p in self.phases) != PHASES:
            raise ValueError(f"phases must be exactly {', '.join(PHASES)} in this order")
        return self


class Inject(_Entry):
    """A timed event the facilitator reads out during a tabletop exercise."""

    minute: int = Field(ge=0)
    text: str
    """May name {archive}, {modality}, {site}, {vendor}, {ai}, {cloud}, {ris}: picked from the
    inventory with the exercise seed."""


class Scenario(_Entry):
    """A tabletop exercise scenario."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    playbook: str
    situation: str
    objectives: tuple[str, ...] = Field(min_length=1)
    injects: tuple[Inject, ...] = Field(min_length=1)
    questions: dict[str, tuple[str, ...]]
    """Role id -> discussion questions."""
    evaluation: tuple[str, ...] = Field(min_length=1)
