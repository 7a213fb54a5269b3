"""A person's triage decision survives an assessment that runs at the same moment.

The race is made deterministic: a producer records the decision through a second, independent
store connection after the assessment has read the findings and before it writes them, which
is exactly when a `findings accept` from another terminal (or the web workspace) can land.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.engine import CatalogRules, EnterpriseView
from imagewarden.model import Finding, FindingStatus
from imagewarden.store import FindingFilter, Store
from imagewarden.store.errors import LockTimeout
from imagewarden.store.locks import exclusive
from tests.assessing import run_assessment
from tests.factories import NOW, asset, inventory

EOL_CHECK = "urn:imagewarden:check:os-end-of-life"


class Interleaved:
    """The catalog's rules, with another actor's write slipped in mid-assessment."""

    name = "catalog-rules"

    def __init__(
        self,
        catalog: Catalog,
        meanwhile: Callable[[], None],
        keep: Callable[[Finding], bool] = lambda _f: True,
    ) -> None:
        self.rules = CatalogRules(catalog)
        self.meanwhile = meanwhile
        self.keep = keep

    def produce(self, view: EnterpriseView) -> Iterable[Finding]:
        self.meanwhile()
        return [f for f in self.rules.produce(view) if self.keep(f)]


def _eol_finding(store: Store) -> Finding:
    (finding,) = store.findings(FindingFilter(check_id=EOL_CHECK, asset_id="CT-1"))
    return finding


@pytest.fixture
def assessed(db_url: str, catalog: Catalog) -> str:
    with open_store(db_url, create=True) as store:
        store.save_inventory(inventory(asset("CT-1"), asset("MR-1")))
        run_assessment(store, catalog, now=NOW)
        assert _eol_finding(store).status is FindingStatus.OPEN
    return db_url


def test_acceptance_recorded_during_an_assessment_is_kept(assessed: str, catalog: Catalog) -> None:
    later = NOW + dt.timedelta(days=1)
    with open_store(assessed) as store, open_store(assessed) as other:
        target = _eol_finding(store).id

        def accept() -> None:
            other.set_finding_status(
                target, FindingStatus.ACCEPTED, "replacement ordered", dt.date(2027, 6, 30)
            )

        result = run_assessment(store, catalog, now=later, producers=[Interleaved(catalog, accept)])
        stored = _eol_finding(store)
    assert stored.status is FindingStatus.ACCEPTED
    assert stored.status_reason == "replacement ordered"
    assert stored.accepted_until == dt.date(2027, 6, 30)
    assert stored.last_seen == later  # the assessment still recorded what it observed
    assert {f.id: f.status for f in result.findings}[target] is FindingStatus.ACCEPTED
    assert result.run.findings_open == sum(f.status is FindingStatus.OPEN for f in result.findings)


def test_reacceptance_beats_the_expiry_reopening(assessed: str, catalog: Catalog) -> None:
    """The run wants to reopen an expired acceptance; the person renewed it meanwhile."""
    with open_store(assessed) as store, open_store(assessed) as other:
        target = _eol_finding(store).id
        store.set_finding_status(target, FindingStatus.ACCEPTED, "old", dt.date(2026, 11, 15))
        after_expiry = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

        def renew() -> None:
            other.set_finding_status(target, FindingStatus.ACCEPTED, "renewed", dt.date(2027, 3, 1))

        result = run_assessment(
            store, catalog, now=after_expiry, producers=[Interleaved(catalog, renew)]
        )
        stored = _eol_finding(store)
    assert (stored.status, stored.status_reason) == (FindingStatus.ACCEPTED, "renewed")
    assert result.conflicts == 1
    assert result.reopened == 0


def test_false_positive_is_not_turned_into_mitigated(assessed: str, catalog: Catalog) -> None:
    """The run no longer sees the weakness and would mitigate it; the person's call stands."""
    with open_store(assessed) as store, open_store(assessed) as other:
        target = _eol_finding(store).id

        def dismiss() -> None:
            other.set_finding_status(target, FindingStatus.FALSE_POSITIVE, "OS was upgraded")

        producer = Interleaved(catalog, dismiss, keep=lambda f: f.id != target)
        later = NOW + dt.timedelta(days=1)
        result = run_assessment(store, catalog, now=later, producers=[producer])
        stored = _eol_finding(store)
    assert stored.status is FindingStatus.FALSE_POSITIVE
    assert result.mitigated == 0 and result.conflicts == 1


def test_without_interference_the_lifecycle_still_moves(assessed: str, catalog: Catalog) -> None:
    with open_store(assessed) as store:
        target = _eol_finding(store).id
        producer = Interleaved(catalog, lambda: None, keep=lambda f: f.id != target)
        gone = run_assessment(store, catalog, now=NOW + dt.timedelta(days=1), producers=[producer])
        assert _eol_finding(store).status is FindingStatus.MITIGATED
        back = run_assessment(store, catalog, now=NOW + dt.timedelta(days=2))
        stored = _eol_finding(store)
    assert (gone.mitigated, gone.conflicts) == (1, 0)
    assert (back.reopened, stored.status) == (1, FindingStatus.OPEN)
    assert stored.first_seen == NOW
    assert stored.revision == 2


def test_every_decision_adds_one_to_the_revision(assessed: str) -> None:
    with open_store(assessed) as store:
        target = _eol_finding(store)
        first = store.set_finding_status(target.id, FindingStatus.FALSE_POSITIVE, "a")
        second = store.set_finding_status(target.id, FindingStatus.OPEN, "b")
    assert (first.revision, second.revision) == (target.revision + 1, target.revision + 2)


def test_a_second_assessment_waits_then_gives_up(assessed: str, catalog: Catalog) -> None:
    told: list[str] = []
    with (
        open_store(assessed) as store,
        exclusive(store.engine, "assessment", wait=1),
        pytest.raises(LockTimeout, match="another assessment is running"),
    ):
        run_assessment(store, catalog, lock_wait=0.5, on_wait=lambda: told.append("wait"))
    assert told == ["wait"]
    with open_store(assessed) as store:
        assert store.counts()["assessments"] == 1  # the refused run wrote nothing


def test_the_sqlite_lock_file_is_removed_after_the_run(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(inventory(asset("CT-1")))
        run_assessment(store, catalog, now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir() if "lock" in p.name) == []


def test_result_findings_match_what_is_stored(assessed: str, catalog: Catalog) -> None:
    with open_store(assessed) as store:
        result = run_assessment(store, catalog, now=NOW + dt.timedelta(hours=1))
        stored = {f.id: f for f in store.findings()}
    returned = {f.id: f for f in result.findings}
    assert returned.keys() == stored.keys()
    for key, finding in returned.items():
        assert (finding.status, finding.last_seen) == (stored[key].status, stored[key].last_seen)
