"""State shared by command modules: the global options, the workspace, the consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from imagewarden.app import Workspace
    from imagewarden.catalog import Catalog
    from imagewarden.store import Store


class SafeConsole(Console):
    """A console that shows control characters in text escaped and never reads markup:
    the text it shows comes from users' files (cells, names, file names)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print ``objects``, strings with control characters escaped."""
        from imagewarden.cli.text import printable

        safe = tuple(printable(o) if isinstance(o, str) else o for o in objects)
        super().print(*safe, **kwargs)


# Human messages go to stderr; data (tables, JSON, paths) to stdout, so pipes stay clean.
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)
out = SafeConsole(highlight=False, soft_wrap=True, markup=False)


@dataclass
class CliState:
    """The root options of one command line, and what was opened with them."""

    db: str | None = None
    catalog_dir: Path | None = None
    debug: bool = False
    _workspaces: list[Workspace] = field(default_factory=list)
    _stores: list[Store] = field(default_factory=list)

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog (``--catalog`` or the shipped one) with every capability's sections."""
        from imagewarden.app import load_catalog

        return load_catalog(self.catalog_dir)

    def workspace(self) -> Workspace:
        """The workspace on ``--db`` (which must be at the current schema)."""
        from imagewarden.app import Workspace, installed_capabilities, open_store

        store = open_store(self.db)
        workspace = Workspace(store, self.catalog, installed_capabilities())
        self._workspaces.append(workspace)
        return workspace

    def store(self, *, create: bool = False) -> Store:
        """The store on ``--db``; ``create`` only for ``init``."""
        from imagewarden.app import open_store

        store = open_store(self.db, create=create)
        self._stores.append(store)
        return store

    def close(self) -> None:
        """Release every database connection this command opened."""
        for workspace in self._workspaces:
            workspace.close()
        for store in self._stores:
            store.close()


def state(ctx: typer.Context) -> CliState:
    """The root options of the running command."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # pragma: no cover - set by the root callback
        raise RuntimeError("CLI state missing")
    return obj
