"""SQLAlchemy table definitions. Migrations in ``migrations/versions`` create exactly these."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from imagewarden.store.types import UtcDateTime


class Base(DeclarativeBase):
    """Declarative base of every table, the capabilities' included."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class SiteRow(Base):
    """A site (hospital, imaging centre) of the enterprise."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="hospital")
    region: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class AssetRow(Base):
    """An imaging asset as the inventory (or discovery) describes it."""

    __tablename__ = "assets"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    vendor: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    model_family: Mapped[str] = mapped_column(String(200), default="")
    software_version: Mapped[str] = mapped_column(String(100), default="")
    os: Mapped[str] = mapped_column(String(100), default="")
    os_version: Mapped[str] = mapped_column(String(100), default="")
    end_of_support: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    ip_addresses: Mapped[list[Any]] = mapped_column(default=list)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    segment: Mapped[str] = mapped_column(String(100), default="")
    network_zone: Mapped[str] = mapped_column(String(40), default="unknown")
    criticality: Mapped[str] = mapped_column(String(20), default="medium")
    department: Mapped[str] = mapped_column(String(100), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    managed: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ServiceRow(Base):
    """A service an asset exposes."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("asset_id", "protocol", "port"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(20))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[bool | None] = mapped_column(nullable=True)
    ae_title: Mapped[str] = mapped_column(String(16), default="")
    internet_exposed: Mapped[bool | None] = mapped_column(nullable=True)
    auth_required: Mapped[bool | None] = mapped_column(nullable=True)
    admin_interface: Mapped[bool | None] = mapped_column(nullable=True)


class ObservationRow(Base):
    """Latest value of each fact per subject and source; the time says when it was seen."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "name", "source"),
        Index("ix_observations_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100))
    value_type: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    collector: Mapped[str] = mapped_column(String(300), default="")
    observed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class AssessmentRow(Base):
    """One assessment run."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    catalog_version: Mapped[str] = mapped_column(String(40))
    assets: Mapped[int] = mapped_column(Integer)
    findings_open: Mapped[int] = mapped_column(Integer)
    findings_new: Mapped[int] = mapped_column(Integer)
    findings_mitigated: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    """JSON: the risk formula and producers this run used, so reports explain it as it was."""


class FindingRow(Base):
    """A finding with its lifecycle; updated in place by each assessment."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_site_status", "site_id", "status"),
        Index("ix_findings_check", "check_id"),
        Index("ix_findings_risk", "risk_score", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(200))
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(String(64))
    asset_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    risk_score: Mapped[int] = mapped_column(Integer)
    risk_key: Mapped[str] = mapped_column(String(32))
    """The ``RiskFactorSetRow`` of the score's factors."""
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    safeguards_key: Mapped[str] = mapped_column(String(32))
    """The ``SafeguardListRow`` of the safeguards recommended for the finding."""
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    accepted_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    mitigated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Lifecycle row version: compare-and-set guard for status changes (see Store)."""


class RiskFactorSetRow(Base):
    """The factors of a risk score as JSON, stored once for every finding scored with them.

    One check on one kind of subject is scored with the same factors on every asset, so a
    large assessment has hundreds of distinct sets for hundreds of thousands of findings;
    kept in each finding row they were most of its bytes. The key is derived from the text
    (``codec.shared_key``), so a writer needs no round trip to find or add a set. Sets are
    never deleted or changed: a key always means the same factors.
    """

    __tablename__ = "risk_factor_sets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    factors: Mapped[str] = mapped_column(Text)


class SafeguardListRow(Base):
    """The safeguards recommended for findings, as a JSON list of URNs, stored once for every
    finding that has them (a check's findings share its list; see ``RiskFactorSetRow``)."""

    __tablename__ = "safeguard_lists"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    safeguards: Mapped[str] = mapped_column(Text)


class DerivedFactsRow(Base):
    """Facts the latest assessment derived per subject (e.g. OS end of support), as JSON.

    Reports read these instead of deriving them again, so they explain what was assessed.
    """

    __tablename__ = "derived_facts"

    subject_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    facts: Mapped[str] = mapped_column(Text)
    assessment_id: Mapped[int] = mapped_column(Integer)
