"""Finding the installed capabilities through their entry points."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from imagewarden.contracts.capability import ENTRY_POINT_GROUP, Capability


class CapabilityError(Exception):
    """An installed package published something that is not a usable capability."""


@cache
def installed_capabilities() -> tuple[Capability, ...]:
    """Every capability published under ``imagewarden.capabilities``, in their order.

    Loading one imports only its small capability module; everything else it declares is
    imported when used.
    """
    found: dict[str, Capability] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        capability = point.load()
        if not isinstance(capability, Capability):
            raise CapabilityError(
                f"entry point {point.name} ({point.value}) is not an imagewarden Capability"
            )
        if capability.name in found:
            raise CapabilityError(f"two capabilities are named {capability.name!r}")
        found[capability.name] = capability
    return tuple(sorted(found.values(), key=lambda c: (c.order, c.name)))
