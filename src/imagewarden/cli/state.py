"""State shared by command groups: the database option and the loaded catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import typer
from rich.console import Console

from imagewarden.catalog import Catalog, load_catalog
from imagewarden.store import Store

# Human messages go to stderr; data (tables, JSON, paths) to stdout, so pipes stay clean.
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@dataclass
class CliState:
    db: str | None = None
    catalog_dir: Path | None = None
    _stores: list[Store] = field(default_factory=list)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.catalog_dir)

    def store(self, *, create: bool = False) -> Store:
        store = Store.open(self.db, create=create)
        self._stores.append(store)
        return store

    def close(self) -> None:
        for store in self._stores:
            store.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # pragma: no cover - set by the root callback
        raise RuntimeError("CLI state missing")
    return obj
