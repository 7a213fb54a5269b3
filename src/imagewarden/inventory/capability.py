"""The inventory capability (CSV and JSON asset inventories), as the composition root sees it."""

from __future__ import annotations

from imagewarden.contracts.capability import Capability, CommandSpec

CAPABILITY = Capability(
    name="inventory",
    title="Asset inventory",
    order=5,
    commands=(
        CommandSpec(
            "inventory",
            "Assets, services and posture facts from CSV or JSON files (all or nothing).",
            "imagewarden.cli.inventory:import_inventory",
            parent="import",
        ),
        CommandSpec(
            "nmap",
            "Open ports, versions and dicom-ping results from an nmap XML scan.",
            "imagewarden.cli.inventory:import_nmap",
            parent="import",
        ),
    ),
)
