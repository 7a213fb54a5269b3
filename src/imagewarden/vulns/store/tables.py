"""Tables of the vulnerability capability (Alembic branch "vulns", migration v0001)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imagewarden.store.schema import Base
from imagewarden.store.types import UtcDateTime


class VulnCveRow(Base):
    """One NVD CVE record."""

    __tablename__ = "vuln_cves"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    published: Mapped[str] = mapped_column(String(32), default="")
    last_modified: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    cvss_version: Mapped[str] = mapped_column(String(8), default="")
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    cvss_severity: Mapped[str] = mapped_column(String(16), default="")
    cvss_vector: Mapped[str] = mapped_column(String(200), default="")
    has_config: Mapped[bool] = mapped_column(Boolean, default=False)


class VulnCpeMatchRow(Base):
    """One cpeMatch entry of a CVE's configurations."""

    __tablename__ = "vuln_cpe_matches"
    __table_args__ = (Index("ix_vuln_cpe_vendor_product", "vendor", "product"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cve_id: Mapped[str] = mapped_column(String(32), index=True)
    config: Mapped[int] = mapped_column(Integer)
    node: Mapped[int] = mapped_column(Integer)
    operator: Mapped[str] = mapped_column(String(4))
    vulnerable: Mapped[bool] = mapped_column(Boolean)
    part: Mapped[str] = mapped_column(String(2))
    vendor: Mapped[str] = mapped_column(String(120))
    product: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    update: Mapped[str] = mapped_column(String(100))
    start_including: Mapped[str] = mapped_column(String(100), default="")
    start_excluding: Mapped[str] = mapped_column(String(100), default="")
    end_including: Mapped[str] = mapped_column(String(100), default="")
    end_excluding: Mapped[str] = mapped_column(String(100), default="")


class VulnMentionRow(Base):
    """Products named for a CVE by a CSAF advisory or by the CVE description."""

    __tablename__ = "vuln_mentions"
    __table_args__ = (Index("ix_vuln_mentions_vendor_product", "vendor_key", "product_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cve_id: Mapped[str] = mapped_column(String(32), index=True)
    vendor_key: Mapped[str] = mapped_column(String(200))
    product_key: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))
    version_op: Mapped[str] = mapped_column(String(8), default="")
    version: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(80), index=True)


class VulnKevRow(Base):
    """One CISA KEV entry."""

    __tablename__ = "vuln_kev"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(300), default="")
    date_added: Mapped[str] = mapped_column(String(10), default="")
    due_date: Mapped[str] = mapped_column(String(10), default="")
    ransomware: Mapped[bool] = mapped_column(Boolean, default=False)
    catalog_version: Mapped[str] = mapped_column(String(40), default="")


class VulnEpssRow(Base):
    """The latest EPSS score of one CVE."""

    __tablename__ = "vuln_epss"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    epss: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    score_date: Mapped[str] = mapped_column(String(10), default="")


class VulnComponentRow(Base):
    """Software components of an asset, from an SBOM."""

    __tablename__ = "vuln_components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(100), default="")
    vendor: Mapped[str] = mapped_column(String(200), default="")
    purl: Mapped[str] = mapped_column(String(500), default="")
    cpe: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(300), default="")


class VulnFeedImportRow(Base):
    """One feed file import, with its counts."""

    __tablename__ = "vuln_feed_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    file: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    records: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
