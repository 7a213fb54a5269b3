"""The workspace's routes, one module per area; each route declares its permission."""

from __future__ import annotations

from fastapi import APIRouter

from imagewarden.web.routes import (
    api,
    assets,
    audit,
    checklists,
    dashboard,
    findings,
    plan,
    reports,
    resilience,
    session,
    users,
    vulns,
)

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    dashboard.router,
    findings.router,
    assets.router,
    vulns.router,
    checklists.router,
    plan.router,
    resilience.router,
    reports.router,
    audit.router,
    users.router,
    api.router,
)
