"""Discovery as one call: scope -> probes -> inventory merge. Used by the CLI and the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imagewarden.discovery.interface import ProbeOptions, ServiceResult, Target
from imagewarden.discovery.observations import COLLECTOR, to_inventory
from imagewarden.discovery.scheduler import run_discovery
from imagewarden.discovery.scope import Scope
from imagewarden.model import Site, UserInputError
from imagewarden.store import ImportSummary, Store


@dataclass(frozen=True)
class DiscoveryRun:
    results: list[ServiceResult]
    summary: ImportSummary | None
    started_at: dt.datetime
    finished_at: dt.datetime


def check_window(scope: Scope, now: dt.datetime | None = None) -> None:
    reason = scope.window_refusal(now or dt.datetime.now(dt.UTC))
    if reason is not None:
        raise UserInputError(f"scan refused: {reason}", hint=scope.source)


def discover_into(
    store: Store,
    scope: Scope,
    targets: Sequence[Target],
    options: ProbeOptions,
    on_result: Callable[[ServiceResult], None] | None = None,
) -> DiscoveryRun:
    check_window(scope)
    started = dt.datetime.now(dt.UTC)
    results = run_discovery(scope, targets, options, on_result)
    finished = dt.datetime.now(dt.UTC)
    site_id = scope.spec.site
    site = next((s for s in store.sites() if s.id == site_id), None)
    site = site or Site(id=site_id, name=f"Discovered ({site_id})", kind="discovered")
    # The audit trail: which profile ran and who authorised it, kept with every observation.
    collector = (
        f"{COLLECTOR} ({options.profile.value}; authorised by {scope.spec.authorised_by})"
    )[:300]
    inventory = to_inventory(results, store.assets(), site, finished, collector)
    summary = store.save_inventory(inventory, finished) if inventory.observations else None
    return DiscoveryRun(results, summary, started, finished)
