"""The demo's discovery step: start the lab, discover it for real, apply the batch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.discovery import api
from imagewarden.discovery.interface import Profile
from imagewarden.discovery.lab.scope import write_lab_scope
from imagewarden.discovery.lab.server import Lab
from imagewarden.discovery.scope import load_scope

if TYPE_CHECKING:
    from imagewarden.app import Workspace


def discover_lab(workspace: Workspace, folder: Path) -> int | None:
    """Run the standard profile (count-only queries on) against the lab; services found.

    None when the lab cannot start (its 127.0.0.x ports are taken, e.g. by another demo).
    The connection log is written beside the demo's database, like any discovery's.
    """
    scope = load_scope(write_lab_scope(folder / "lab-scope.yaml", profile="standard"))
    options = api.probe_options(scope, Profile.STANDARD, allow_query=True)
    data = api.catalog_data(workspace.catalog)
    lab = Lab()
    try:
        lab.start()
    except OSError:
        lab.stop()
        return None
    path = api.connection_log_path(workspace.store.url)
    try:
        with api.open_connection_log(path) as connection_log:
            batch = api.collect(scope, options, data, on_connection=connection_log.append)
    finally:
        lab.stop()
    return api.apply(workspace, batch).services_found
