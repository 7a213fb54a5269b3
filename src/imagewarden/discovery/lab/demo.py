"""The demo's discovery step: start the lab, discover it for real, merge into the store."""

from __future__ import annotations

from pathlib import Path

from imagewarden.discovery.interface import Profile
from imagewarden.discovery.lab.scope import write_lab_scope
from imagewarden.discovery.lab.server import Lab
from imagewarden.discovery.scope import load_scope
from imagewarden.discovery.service import discover_into
from imagewarden.store import Store


def discover_lab(store: Store, folder: Path) -> int | None:
    """Run the standard profile (count-only queries on) against the lab; services found.

    None when the lab cannot start (its 127.0.0.x ports are taken, e.g. by another demo).
    """
    scope = load_scope(write_lab_scope(folder / "lab-scope.yaml", profile="standard"))
    options = scope.options(Profile.STANDARD, allow_query=True)
    lab = Lab()
    try:
        lab.start()
    except OSError:
        lab.stop()
        return None
    try:
        run = discover_into(store, scope, scope.targets(), options)
    finally:
        lab.stop()
    return sum(1 for r in run.results if r.open and r.protocol is not None)
