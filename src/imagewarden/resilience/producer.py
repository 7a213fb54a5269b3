"""The "resilience" finding producer: after-action items past their due date, per site.

Due dates age, so lateness is decided at assessment time (the view's today) from the drill
records, not stored as a fact when the drill report is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView, FindingProducer
from imagewarden.engine import score
from imagewarden.model import Check, FactValue, Finding, SubjectKind, finding_fingerprint
from imagewarden.resilience.drills import DrillItem, open_improvements_by_site
from imagewarden.resilience.store.repository import ResilienceRepository
from imagewarden.store import Store

ITEMS_OVERDUE = "urn:imagewarden:check:site-drill-improvements-overdue"


class ResilienceProducer:
    """Raises the overdue-items check for each site whose improvement items are late."""

    name = "resilience"

    def __init__(self, check: Check, open_items: dict[str, list[DrillItem]]) -> None:
        self.check = check
        self.open_items = open_items

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """One finding per site with at least one late improvement item."""
        for site_id, site_items in sorted(self.open_items.items()):
            late = sorted(
                (i for i in site_items if i.overdue(view.today)),
                key=lambda i: (i.due or view.today, i.id),
            )
            if site_id not in view.sites or not late:
                continue
            oldest = late[0]
            assert oldest.due is not None  # overdue() implies a due date
            facts = view.site_facts.get(site_id, {})
            evidence: dict[str, FactValue] = {
                "drill.items_overdue": len(late),
                "drill.oldest_item_due": oldest.due,
            }
            last = facts.get("site.last_downtime_drill")
            if last is not None:
                evidence["site.last_downtime_drill"] = last
            yield Finding(
                id=finding_fingerprint(self.check.id, SubjectKind.SITE, site_id),
                check_id=self.check.id,
                subject_kind=SubjectKind.SITE,
                subject_id=site_id,
                site_id=site_id,
                asset_id=None,
                title=self.check.title,
                severity=self.check.severity,
                risk=score(self.check, facts, SubjectKind.SITE),
                evidence=evidence,
                safeguards=self.check.safeguards,
                extra={"oldest_item": oldest.text, "oldest_item_owner": oldest.owner},
            )


def resilience_producer(store: Store, catalog: Catalog) -> FindingProducer | None:
    """The producer, or None when the catalog lacks the check or no item is open."""
    check = catalog.checks.get(ITEMS_OVERDUE)
    if check is None:
        return None
    records = ResilienceRepository(store)
    open_items = open_improvements_by_site(records.drills(), records.drill_items())
    return ResilienceProducer(check, open_items) if open_items else None
