"""Assets: the list, one asset, and uploading an inventory file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from imagewarden.app import assets as api
from imagewarden.app.dashboard import sites as visible_sites
from imagewarden.app.permissions import Action
from imagewarden.inventory.api import MAX_UPLOAD, import_upload
from imagewarden.model import AssetType, UserInputError
from imagewarden.web.auth import Caller, requires
from imagewarden.web.forms import choice
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/assets")
def assets_list(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.ASSETS_VIEW))],
    site: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    """Assets by site, filtered and paginated on the server; HTMX gets the table only."""
    site_id = (site or "").strip() or None
    asset_type = choice(AssetType, type, "type")
    if site_id is not None:
        caller.require_site(site_id)
    page = api.browse_assets(
        caller.workspace,
        api.AssetBrowse(site_id=site_id, asset_type=asset_type, text=q, offset=offset, limit=limit),
        sites=caller.sites,
    )
    params = {
        "site": site_id or "",
        "type": asset_type.value if asset_type else "",
        "q": q,
        "limit": limit,
    }
    context = {
        "page": page,
        "params": params,
        "sites": visible_sites(caller.workspace, visible=caller.sites),
        "types": list(AssetType),
    }
    template = "assets_table.html" if request.headers.get("hx-request") else "assets.html"
    return render(request, template, context, caller=caller)


@router.get("/assets/import")
def import_form(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.INVENTORY_IMPORT))]
) -> HTMLResponse:
    """The inventory upload form."""
    return render(request, "import.html", {"error": "", "done": None}, caller=caller)


@router.post("/assets/import")
async def import_inventory(
    request: Request,
    caller: Annotated[Caller, Depends(requires(Action.INVENTORY_IMPORT))],
    file: UploadFile,
) -> HTMLResponse:
    """Import one CSV or JSON inventory file, all or nothing, with line-numbered errors."""
    content = await file.read(MAX_UPLOAD + 1)
    try:
        done = await run_in_threadpool(
            import_upload, caller.workspace, file.filename or "upload", content
        )
    except UserInputError as error:
        return render(
            request, "import.html", {"error": str(error), "done": None}, caller=caller,
            status_code=400,
        )  # fmt: skip
    return render(request, "import.html", {"error": "", "done": done}, caller=caller)


@router.get("/assets/{asset_id}")
def asset_page(
    request: Request,
    asset_id: str,
    caller: Annotated[Caller, Depends(requires(Action.ASSETS_VIEW))],
) -> HTMLResponse:
    """One asset: services, observations, findings and CVEs."""
    detail = api.asset_detail(caller.workspace, asset_id)
    caller.require_site(detail.asset.site_id)
    return render(request, "asset.html", {"detail": detail, "a": detail.asset}, caller=caller)
