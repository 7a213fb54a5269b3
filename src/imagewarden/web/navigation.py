"""The menu's links to capability pages, shown to those whose role may open them."""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.app.permissions import Action
from imagewarden.web.auth import Caller


@dataclass(frozen=True, slots=True)
class NavLink:
    """A menu entry and the action its page declares."""

    label: str
    href: str
    action: Action


CAPABILITY_PAGES: tuple[NavLink, ...] = (
    NavLink("Vulnerabilities", "/vulnerabilities", Action.VULNS_VIEW),
    NavLink("Checklists", "/checklists", Action.CHECKLISTS_VIEW),
    NavLink("Plan of action", "/plan", Action.PLAN_VIEW),
    NavLink("Drills", "/drills", Action.DRILLS_VIEW),
    NavLink("Backups", "/backups", Action.BACKUPS_VIEW),
)
"""Pages of capabilities, in menu order (between Assets and Reports)."""


def nav_links(caller: Caller) -> list[NavLink]:
    """The capability pages ``caller`` may open."""
    return [link for link in CAPABILITY_PAGES if caller.principal.may(link.action)]
