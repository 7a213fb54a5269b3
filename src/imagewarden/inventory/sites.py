"""Sites of an import: declared up front (JSON "sites") or created from the rows' site values."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from imagewarden.inventory.values import ValueProblem, closest
from imagewarden.model import Site

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def site_slug(name: str) -> str:
    """A site id from its name: lowercase ASCII letters, digits and '-'.

    Accents are folded ('Hôpital' -> 'hopital'); a name with no ASCII letters or digits at
    all gets a short stable digest, so it still has an id.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if slug:
        return slug
    return "site-" + hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:8]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class SiteBook:
    """Resolves the site value of each asset to a site id, creating sites when not declared."""

    def __init__(self, declared: tuple[Site, ...] | None = None) -> None:
        self.declared = declared is not None
        self._sites: dict[str, Site] = {}
        self._by_value: dict[str, str] = {}
        self._by_folded: dict[str, str] = {}
        for site in declared or ():
            self._sites[site.id] = site
            for spelling in (site.id, site.name):
                self._by_value.setdefault(spelling, site.id)
                self._by_folded.setdefault(_fold(spelling), site.id)

    @property
    def sites(self) -> tuple[Site, ...]:
        """Every site named so far."""
        return tuple(self._sites.values())

    def resolve(self, value: str) -> str:
        """The id of the site named ``value`` (already trimmed and not empty)."""
        site_id = self._by_value.get(value)
        if site_id is not None:
            return site_id
        if self.declared:
            return self._declared(value)
        slug = site_slug(value)
        existing = self._sites.get(slug)
        if existing is None:
            self._sites[slug] = Site(id=slug, name=value)
        elif _fold(existing.name) != _fold(value):
            raise ValueProblem(
                f"site {value!r} gets the same id {slug!r} as site {existing.name!r}",
                "spell each site the same way on every row",
            )
        self._by_value[value] = slug
        return slug

    def _declared(self, value: str) -> str:
        site_id = self._by_folded.get(_fold(value))
        if site_id is not None:
            self._by_value[value] = site_id
            return site_id
        names = [s.id for s in self._sites.values()]
        matches = closest(value, [*names, *(s.name for s in self._sites.values())])
        suggestion = f"; did you mean {matches[0]!r}?" if matches else ""
        listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise ValueProblem(
            f"unknown site {value!r}{suggestion}",
            f"an asset's site must be the id or name of an entry in 'sites': {listed}",
        )
