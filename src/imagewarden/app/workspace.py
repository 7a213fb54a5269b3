"""The Workspace: store, catalog and capabilities wired together once, for every face."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.catalog import load_catalog as load_catalog_from
from imagewarden.contracts import (
    Capability,
    FindingProducer,
    ImprovementAction,
    ProducerContext,
)
from imagewarden.contracts.registry import installed_capabilities
from imagewarden.engine import with_catalog_rules
from imagewarden.store import Schema, Store
from imagewarden.store.schema_versions import CORE_VERSIONS


def _migrations_folder(package: str) -> Path:
    return Path(str(resources.files(package)))


def schema(capabilities: Sequence[Capability] | None = None) -> Schema:
    """The schema of the core and of every capability's migration branch."""
    capabilities = installed_capabilities() if capabilities is None else capabilities
    folders = [
        _migrations_folder(c.persistence.migrations)
        for c in capabilities
        if c.persistence is not None
    ]
    return Schema((CORE_VERSIONS, *folders))


def open_store(
    db: str | None = None,
    *,
    create: bool = False,
    capabilities: Sequence[Capability] | None = None,
) -> Store:
    """The store at ``db`` with every capability's tables (see ``Store.open``)."""
    return Store.open(db, schema=schema(capabilities), create=create)


def load_catalog(
    root: Path | None = None, capabilities: Sequence[Capability] | None = None
) -> Catalog:
    """The catalog (shipped, or ``root``), with every capability's sections."""
    capabilities = installed_capabilities() if capabilities is None else capabilities
    sections = [s for c in capabilities if c.catalog_sections for s in c.catalog_sections()]
    return load_catalog_from(root, sections)


@dataclass
class Workspace:
    """What every application function works on: one store, one catalog, the capabilities.

    ``actor`` names who acts (the operating-system user for the command line, the signed-in
    person for the web workspace, the site for a worker); audit entries record it.
    """

    store: Store
    catalog: Catalog
    capabilities: tuple[Capability, ...]
    actor: str = field(default_factory=getpass.getuser)

    def capability(self, name: str) -> Capability | None:
        """The installed capability called ``name``, if any."""
        return next((c for c in self.capabilities if c.name == name), None)

    def producers(self, context: ProducerContext) -> list[FindingProducer]:
        """The catalog's rules and every capability's producers for one assessment."""
        made = [p for c in self.capabilities for p in c.producers(context)]
        return with_catalog_rules(self.catalog, made)

    def improvement_actions(self) -> list[ImprovementAction]:
        """Every improvement the capabilities ask the plan of action to track."""
        return [
            action
            for c in self.capabilities
            if c.plan_items is not None
            for action in c.plan_items(self.store)
        ]

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_workspace(
    db: str | None = None,
    catalog_dir: Path | None = None,
    *,
    create: bool = False,
    actor: str | None = None,
) -> Workspace:
    """The composition root: capabilities, catalog and store, wired together."""
    capabilities = installed_capabilities()
    catalog = load_catalog(catalog_dir, capabilities)
    store = open_store(db, create=create, capabilities=capabilities)
    workspace = Workspace(store, catalog, capabilities)
    if actor is not None:
        workspace.actor = actor
    return workspace
