"""Discovery's catalog section: DICOM implementation fingerprints and vendor default logins.

Both are catalog data under ``<catalog root>/discovery/`` (``implementations.yaml``,
``default_credentials.yaml``), read through ``catalog.section(DISCOVERY_SECTION)``, so
``--catalog DIR`` replaces them with the rest of the catalog. The loaded data travels to the
probes through their context; nothing is cached at module level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from imagewarden.catalog.loader import default_catalog_dir, read_entries
from imagewarden.catalog.sections import CatalogSection

if TYPE_CHECKING:
    from imagewarden.catalog.interface import Catalog
    from imagewarden.catalog.validate import Problem

SECTION_NAME = "discovery"
IMPLEMENTATIONS_FILE = "implementations.yaml"
CREDENTIALS_FILE = "default_credentials.yaml"


class Implementation(BaseModel):
    """A DICOM stack or product: how it names itself, and its supported baseline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    vendor: str
    product: str
    uid_prefix: str | None = None
    """Implementation class UID root the stack announces in its A-ASSOCIATE-AC."""
    version_name: str | None = None
    """Regular expression on the implementation version name; named groups give the version."""
    supported_from: str | None = None
    """Releases older than this are reported as outdated."""
    why: str = ""
    source: str

    @field_validator("version_name")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("supported_from")
    @classmethod
    def _numeric(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+(\.\d+)*", value):
            raise ValueError("supported_from is a dotted number such as 3.6.8")
        return value


class DefaultCredential(BaseModel):
    """A vendor's documented default login (public, still never printed or stored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product: str
    """Id of the product's entry in the implementations file."""
    realm: str
    """The WWW-Authenticate realm the product answers with: only its own defaults are tried."""
    path: str
    """A read-only endpoint that needs authentication."""
    username: str
    password: str = Field(repr=False)  # public default, still kept out of reprs and logs
    source: str


@dataclass(frozen=True)
class DiscoveryData:
    """Everything discovery reads from the catalog."""

    implementations: tuple[Implementation, ...] = ()
    credentials: tuple[DefaultCredential, ...] = ()

    def implementation(self, product_id: str) -> Implementation | None:
        """The entry with id ``product_id``, if the catalog has one."""
        return next((e for e in self.implementations if e.id == product_id), None)


def load_discovery_data(folder: Path) -> DiscoveryData:
    """Read ``folder`` (``<catalog root>/discovery``); a missing file means no entries."""
    return DiscoveryData(
        implementations=tuple(
            read_entries(folder / IMPLEMENTATIONS_FILE, Implementation, missing_ok=True)
        ),
        credentials=tuple(
            read_entries(folder / CREDENTIALS_FILE, DefaultCredential, missing_ok=True)
        ),
    )


def _problems(data: DiscoveryData, _catalog: Catalog) -> list[Problem]:
    from imagewarden.catalog.validate import Problem

    problems: list[Problem] = []
    where = f"{SECTION_NAME}/{IMPLEMENTATIONS_FILE}"
    ids = [e.id for e in data.implementations]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(where, f"implementation id {duplicate!r} listed twice"))
    for entry in data.credentials:
        if data.implementation(entry.product) is None:
            problems.append(
                Problem(
                    f"{SECTION_NAME}/{CREDENTIALS_FILE}",
                    f"default credential for unknown product {entry.product!r}",
                )
            )
    return problems


DISCOVERY_SECTION: CatalogSection[DiscoveryData] = CatalogSection(
    SECTION_NAME, load_discovery_data, _problems
)
"""Declared by the discovery capability; read with ``catalog.section(DISCOVERY_SECTION)``."""


def shipped_data() -> DiscoveryData:
    """The data of the catalog shipped with the package (for library callers and tests)."""
    return load_discovery_data(default_catalog_dir() / SECTION_NAME)
