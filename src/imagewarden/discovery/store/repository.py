"""Writing a discovery batch's inventory changes inside the caller's (audited) transaction.

``Store.save_inventory`` commits on its own and replaces every service of the assets it
names; applying a batch must instead change only the ports it probed, together with the
observations and the audit entry, in one transaction. These functions take that transaction's
session (``Store.changing``) and use the core tables through the store's own row codec.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from imagewarden.model import Asset, Service, Site
from imagewarden.store import codec
from imagewarden.store.bulk import insert_rows
from imagewarden.store.chunks import chunks
from imagewarden.store.schema import AssetRow, ServiceRow, SiteRow


def assets(session: Session) -> list[Asset]:
    """Every asset with its services, as the transaction sees them."""
    services: dict[str, list[Service]] = defaultdict(list)
    service_rows = select(*ServiceRow.__table__.columns).order_by(
        ServiceRow.asset_id, ServiceRow.port
    )
    for row in session.execute(service_rows):
        services[row.asset_id].append(codec.service_from_row(row))
    asset_rows = select(*AssetRow.__table__.columns).order_by(AssetRow.id)
    return [
        codec.asset_from_row(row, tuple(services.get(row.id, ())))
        for row in session.execute(asset_rows)
    ]


def site(session: Session, site_id: str) -> Site | None:
    """The site ``site_id``, if the store has it."""
    row = session.get(SiteRow, site_id)
    return codec.site_from_row(row) if row is not None else None


def add_site(session: Session, new: Site, now: dt.datetime) -> None:
    """Insert a site."""
    session.execute(insert(SiteRow), [codec.site_row(new, now)])


def add_assets(session: Session, new: Sequence[Asset], now: dt.datetime) -> None:
    """Insert assets with their services."""
    if not new:
        return
    insert_rows(session, AssetRow, (codec.asset_row(a, now) for a in new))
    insert_rows(session, ServiceRow, (codec.service_row(a.id, s) for a in new for s in a.services))


def update_assets(
    session: Session,
    changed: Iterable[Asset],
    ports: Mapping[str, frozenset[int]],
    now: dt.datetime,
) -> None:
    """Store each asset's record and replace its services on ``ports[asset.id]``."""
    for asset in changed:
        session.execute(
            update(AssetRow).where(AssetRow.id == asset.id).values(codec.asset_row(asset, now))
        )
        replaced = sorted(ports.get(asset.id, frozenset()))
        for chunk in chunks(replaced):
            session.execute(
                delete(ServiceRow).where(
                    ServiceRow.asset_id == asset.id, ServiceRow.port.in_(chunk)
                )
            )
        rows = [codec.service_row(asset.id, s) for s in asset.services if s.port in replaced]
        if rows:
            session.execute(insert(ServiceRow), rows)
