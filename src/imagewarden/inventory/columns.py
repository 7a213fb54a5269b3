"""The columns of an inventory (CSV headers and JSON keys), their aliases and how they match.

A header matches a column when its *key* equals the key of the column's name or of one of its
aliases. The key ignores case, surrounding whitespace and a UTF-8 byte-order mark, and treats
spaces, dashes and dots as underscores: "IP Address", "ip-address" and "ip.address" all match.

Posture columns are generated from the fact vocabulary (``imagewarden.model.FACTS``): every
non-derived asset fact except the ``asset.*`` record fields is a column named after the fact
with "." replaced by "_", so a fact added to the vocabulary is importable at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from imagewarden.inventory.values import closest
from imagewarden.model import FACTS, FactSpec, SubjectKind
from imagewarden.readers.tabular import Aliases, header_key

__all__ = [
    "ASSET_COLUMNS",
    "ASSET_FACT_COLUMNS",
    "FACT_ALIASES",
    "REQUIRED_COLUMNS",
    "SITE_FACT_COLUMNS",
    "Column",
    "ColumnKind",
    "ColumnSet",
    "fact_column_name",
    "header_key",
    "is_ignored",
]


class ColumnKind(Enum):
    CORE = "core"
    """An ``Asset`` field."""
    FACT = "fact"
    """A posture fact recorded as an observation."""
    SERVICES = "services"
    AE_TITLE = "ae_title"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    """Canonical name: the header written by exports and used in documentation."""
    kind: ColumnKind
    aliases: tuple[str, ...] = ()
    description: str = ""
    fact: FactSpec | None = None
    required: bool = False


_CORE: tuple[Column, ...] = (
    Column(
        "id",
        ColumnKind.CORE,
        ("asset id", "asset_tag", "asset tag", "tag", "device id"),
        "Unique asset identifier within the file (asset tag, CMMS number).",
        required=True,
    ),
    Column(
        "site",
        ColumnKind.CORE,
        ("location", "facility", "site name", "hospital"),
        "Hospital or imaging centre the asset belongs to.",
        required=True,
    ),
    Column(
        "name",
        ColumnKind.CORE,
        ("device name", "asset name"),
        "Human name of the asset.",
        required=True,
    ),
    Column(
        "type",
        ColumnKind.CORE,
        ("asset type", "modality", "device type"),
        "Asset type (modality code or system kind, see the asset type table).",
        required=True,
    ),
    Column("vendor", ColumnKind.CORE, ("manufacturer", "make"), "Manufacturer or vendor."),
    Column("model", ColumnKind.CORE, ("product", "model name"), "Model or product name."),
    Column(
        "software_version",
        ColumnKind.CORE,
        ("software version", "sw version", "version", "firmware", "firmware version"),
        "Application or firmware version, kept as written.",
    ),
    Column("os", ColumnKind.CORE, ("operating system", "os name"), "Operating system name."),
    Column(
        "os_version",
        ColumnKind.CORE,
        ("os version", "operating system version", "service pack"),
        "Operating system release, build or service pack, kept as written.",
    ),
    Column(
        "end_of_support",
        ColumnKind.CORE,
        ("end of support", "eos", "end of life", "eol", "support end"),
        "Vendor's end-of-support date of the device or product (YYYY-MM-DD).",
    ),
    Column(
        "ip_addresses",
        ColumnKind.CORE,
        ("ip", "ip address", "ips", "ip addrs"),
        "One or more IPv4/IPv6 addresses separated by ';', ',' or spaces.",
    ),
    Column("hostname", ColumnKind.CORE, ("host name", "host", "fqdn", "dns name"), "DNS name."),
    Column(
        "segment",
        ColumnKind.CORE,
        ("vlan", "network segment", "subnet name"),
        "Name of the network segment or VLAN.",
    ),
    Column(
        "network_zone",
        ColumnKind.CORE,
        ("zone", "network zone"),
        "Kind of network segment (imaging, medical_device, clinical, corporate, ...).",
    ),
    Column(
        "criticality",
        ColumnKind.CORE,
        ("clinical criticality",),
        "Clinical criticality: low, medium, high, critical (or 1-4).",
    ),
    Column("department", ColumnKind.CORE, ("dept",), "Department or service line."),
    Column(
        "owner",
        ColumnKind.CORE,
        ("asset owner", "responsible"),
        "Person or team accountable for the asset.",
    ),
    Column(
        "managed",
        ColumnKind.CORE,
        (),
        "Whether the asset is in the managed inventory (yes/no, default yes).",
    ),
    Column(
        "services",
        ColumnKind.SERVICES,
        ("service", "open services"),
        "Network services: 'protocol:port[/flag...]' entries separated by ';'.",
    ),
    Column(
        "ae_title",
        ColumnKind.AE_TITLE,
        ("aet", "ae title", "ae_titles", "ae titles", "aetitle"),
        "DICOM AE title of the asset's DICOM services.",
    ),
)

FACT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "phi.stored": ("stores phi", "phi", "contains phi"),
    "phi.encrypted_at_rest": ("encrypted at rest", "encryption at rest", "phi encrypted"),
    "backup.covered": ("backup", "backed up"),
    "backup.immutable": ("immutable backup", "offline backup"),
    "backup.last_tested": ("backup tested", "last restore test", "restore tested"),
    "remote_access.mode": ("remote access", "vendor remote access", "remote access mode"),
    "remote_access.shared_account": ("shared remote account",),
    "remote_access.mfa": ("mfa", "remote access mfa", "vendor mfa"),
    "remote_access.session_logging": ("session logging", "remote session logging"),
    "contract.baa_on_file": ("baa", "baa on file"),
    "docs.mds2_on_file": ("mds2", "mds2 on file"),
    "docs.sbom_on_file": ("sbom", "sbom on file"),
    "patch.missing_vendor_patches": ("missing patches", "missing vendor patches"),
    "patch.last_applied": ("last patched", "last patch"),
    "credentials.default_reported": ("default credentials", "default password"),
    "auth.shared_accounts": ("shared accounts", "generic accounts"),
    "auth.auto_logoff": ("auto logoff", "auto logout", "automatic logoff"),
    "endpoint.antimalware": ("antimalware", "anti malware", "antivirus"),
    "endpoint.application_allowlisting": ("application allowlisting", "allowlisting"),
    "smb.v1_enabled": ("smbv1", "smb1", "smb v1"),
    "media.removable_import": ("removable media", "media import"),
    "network.internet_exposed": ("internet exposed", "internet facing"),
    "logging.central": ("central logging", "siem"),
    "ai.deployment": ("ai deployment",),
    "ai.sends_identifiable_images": ("sends identifiable images", "identifiable images"),
    "ai.downtime_fallback": ("ai fallback", "ai downtime fallback"),
    "cloud.exit_plan": ("exit plan", "cloud exit plan"),
    # site facts (JSON "sites" entries)
    "site.downtime_plan": ("downtime plan",),
    "site.imaging_ir_playbook": ("imaging ir playbook", "ir playbook"),
    "site.last_downtime_drill": ("last downtime drill", "downtime drill"),
}
"""Friendly spellings of fact columns, by fact name (the canonical name always works)."""


def fact_column_name(fact_name: str) -> str:
    return fact_name.replace(".", "_")


def _fact_columns(subject: SubjectKind) -> tuple[Column, ...]:
    columns = []
    for spec in FACTS.values():
        if spec.subject is not subject or spec.derived or spec.name.startswith("asset."):
            continue
        columns.append(
            Column(
                fact_column_name(spec.name),
                ColumnKind.FACT,
                (spec.name, *FACT_ALIASES.get(spec.name, ())),
                spec.description,
                fact=spec,
            )
        )
    return tuple(columns)


def is_ignored(header: str) -> bool:
    """Columns for people, not for the import: names starting with 'x_' or 'note'."""
    key = header_key(header)
    return key.startswith(("x_", "note"))


class ColumnSet(Aliases[Column]):
    """A set of columns and the keys that name them (the shared tabular aliases)."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        super().__init__(columns, header_key)

    def suggestion(self, header: str) -> str | None:
        """The known spelling closest to ``header`` (a column name or alias, as a key)."""
        matches = closest(header_key(header), self.by_key)
        return matches[0] if matches else None

    @property
    def required(self) -> tuple[Column, ...]:
        """The columns every file must have."""
        return tuple(c for c in self.columns if c.required)


ASSET_COLUMNS = ColumnSet(_CORE + _fact_columns(SubjectKind.ASSET))
"""Every column of an asset row (CSV header or JSON asset key)."""

SITE_FACT_COLUMNS = ColumnSet(_fact_columns(SubjectKind.SITE))
"""Site facts (JSON site entries and their "facts" object)."""

ASSET_FACT_COLUMNS = ColumnSet(tuple(c for c in ASSET_COLUMNS.columns if c.fact is not None))
"""Asset facts alone (keys of a JSON asset's "facts" object)."""

REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in ASSET_COLUMNS.required)
