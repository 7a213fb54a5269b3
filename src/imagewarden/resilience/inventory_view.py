"""What playbooks and exercises say about the real department: names from the inventory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imagewarden.model import Asset, AssetCategory, AssetType, FactValue, Site

NONE = "none recorded in the inventory"
_LISTED = 10

SITE_PLACEHOLDERS = (
    "site", "archives", "modalities", "modality_vendors", "vendors", "ris", "ai_apps",
    "cloud_services", "remote_access", "modalities_storage",
)  # fmt: skip
"""Placeholders playbooks and downtime steps may use: filled from the site's inventory."""
CAST_PLACEHOLDERS = ("archive", "modality", "vendor", "ai", "cloud", "ris")
"""Placeholders a tabletop scenario may use besides the site's: one system each, picked by
the exercise seed."""


def _names(assets: Sequence[Asset], *, vendor: bool = True) -> str:
    if not assets:
        return NONE
    shown = [f"{a.name} ({a.vendor})" if vendor and a.vendor else a.name for a in assets[:_LISTED]]
    more = len(assets) - _LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _vendors(assets: Sequence[Asset]) -> str:
    vendors = sorted({a.vendor for a in assets if a.vendor})
    return ", ".join(vendors) if vendors else NONE


@dataclass(frozen=True)
class SiteView:
    """The assets of one site grouped the way incident response talks about them."""

    site: Site
    archives: tuple[Asset, ...]
    modalities: tuple[Asset, ...]
    ris: tuple[Asset, ...]
    ai: tuple[Asset, ...]
    cloud: tuple[Asset, ...]
    remote_access: tuple[Asset, ...]
    storage_hours: Mapping[str, int]

    @classmethod
    def build(
        cls,
        site: Site,
        assets: Sequence[Asset],
        facts: Mapping[str, Mapping[str, FactValue]] | None = None,
    ) -> SiteView:
        """Group ``assets`` of ``site``; ``facts`` (asset id -> facts) gives local storage."""
        mine = [a for a in assets if a.site_id == site.id]

        def of(*categories: AssetCategory) -> tuple[Asset, ...]:
            return tuple(a for a in mine if a.type.category in categories)

        hours: dict[str, int] = {}
        for asset in mine:
            value = (facts or {}).get(asset.id, {}).get("modality.local_storage_hours")
            if isinstance(value, int):
                hours[asset.id] = value
        return cls(
            site=site,
            archives=of(AssetCategory.ARCHIVE),
            modalities=tuple(a for a in mine if a.type.is_modality),
            ris=tuple(a for a in mine if a.type is AssetType.RIS),
            ai=of(AssetCategory.AI),
            cloud=of(AssetCategory.CLOUD),
            remote_access=of(AssetCategory.REMOTE_ACCESS),
            storage_hours=hours,
        )

    def placeholders(self) -> dict[str, str]:
        """The values of ``SITE_PLACEHOLDERS`` for this site, in people's words."""
        storage = [
            f"{a.name}: {self.storage_hours[a.id]} h" if a.id in self.storage_hours
            else f"{a.name}: unknown (measure it)"
            for a in self.modalities[:_LISTED]
        ]  # fmt: skip
        return {
            "site": self.site.name,
            "archives": _names(self.archives),
            "modalities": _names(self.modalities),
            "modality_vendors": _vendors(self.modalities),
            "vendors": _vendors((*self.archives, *self.modalities, *self.ris)),
            "ris": _names(self.ris),
            "ai_apps": _names(self.ai),
            "cloud_services": _names(self.cloud),
            "remote_access": _names(self.remote_access),
            "modalities_storage": "; ".join(storage) if storage else NONE,
        }


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace {name} placeholders; an unknown name stays visible rather than failing."""

    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return " ".join(text.format_map(_Keep(values)).split())
