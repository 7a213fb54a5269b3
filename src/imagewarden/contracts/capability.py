"""The Capability object a capability package exports, and what it may declare."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.catalog.sections import CatalogSection
    from imagewarden.contracts.plan import ImprovementAction
    from imagewarden.contracts.producers import FindingProducer, ProducerContext
    from imagewarden.contracts.sections import ReportSection, SectionSource
    from imagewarden.store import Store

ENTRY_POINT_GROUP = "imagewarden.capabilities"
"""Python entry point group under which packages publish their Capability objects."""

SHARED_GROUPS = ("import", "findings", "export")
"""Command groups of the core that capabilities may add commands to."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command (or command group) a capability adds to the command line.

    The command line lists it from ``name`` and ``summary`` alone and imports ``target`` only
    when the command runs, so ``imagewarden --help`` stays fast however many capabilities
    are installed.
    """

    name: str
    summary: str
    """One line shown by ``--help``."""
    target: str
    """``module:attribute`` of a ``typer.Typer`` (a group) or a command function."""
    parent: str | None = None
    """None for a top-level command, or one of ``SHARED_GROUPS``."""

    def __post_init__(self) -> None:
        if self.parent is not None and self.parent not in SHARED_GROUPS:
            raise ValueError(f"{self.name}: parent must be one of {SHARED_GROUPS}")
        if ":" not in self.target:
            raise ValueError(f"{self.name}: target must be 'module:attribute'")


@dataclass(frozen=True, slots=True)
class Persistence:
    """A capability's own tables: an Alembic branch of migrations on top of the core schema."""

    migrations: str
    """Importable package whose folder holds the branch's revision files."""
    branch: str
    """The branch label of its first revision (usually the capability's name)."""


def _no_producers(_context: ProducerContext) -> Sequence[FindingProducer]:
    return ()


@dataclass(frozen=True)
class Capability:
    """Everything a capability contributes. Every field but ``name`` and ``title`` is optional.

    Callables are resolved when used, so a capability module imports nothing heavy; the
    callables import the capability's own modules inside their bodies.
    """

    name: str
    """Stable key: the report section anchor prefix, the template prefix, the branch label."""
    title: str
    producers: Callable[[ProducerContext], Sequence[FindingProducer]] = _no_producers
    """Finding producers for one assessment (none when there is nothing to evaluate)."""
    report_section: Callable[[SectionSource], ReportSection | None] | None = None
    """The capability's section of the readiness report (None when it has nothing to show)."""
    board_section: Callable[[SectionSource], ReportSection | None] | None = None
    """The capability's panel on the one-page board summary."""
    templates: str | None = None
    """Package with a ``templates`` folder for its sections, found as ``<name>/<file>``."""
    commands: tuple[CommandSpec, ...] = ()
    catalog_sections: Callable[[], Sequence[CatalogSection[Any]]] | None = None
    """The capability's catalog data, loaded from ``<catalog root>/<section name>``."""
    persistence: Persistence | None = None
    plan_items: Callable[[Store], Iterable[ImprovementAction]] | None = None
    """Improvement actions the plan of action must track (e.g. after-action items)."""
    order: int = 100
    """Position among capabilities: report sections and command listings follow it."""
