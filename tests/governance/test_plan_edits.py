"""A person's plan edits survive every sync, including one that runs while they edit.

The race is made deterministic as in tests/engine/test_concurrent_decisions.py: the edit is
recorded through a second, independent store connection after the sync has read the plan and
its sources and before it writes, which is exactly when an edit from another terminal (or
the web workspace) can land. The hook is a capability whose improvement actions the sync
asks for between its read and its write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import pytest
from tests.assessing import run_assessment
from tests.factories import NOW, asset, inventory

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.catalog import Catalog
from imagewarden.contracts import Capability, ImprovementAction
from imagewarden.governance import api
from imagewarden.governance.interface import PlanField, PlanItem, PlanSource, PlanStatus
from imagewarden.model import FindingStatus, UserInputError
from imagewarden.store import FindingFilter, Store

TODAY = NOW.date()
LATER = TODAY + dt.timedelta(days=1)
EOL_CHECK = "urn:imagewarden:check:os-end-of-life"


def _workspace(store: Store, catalog: Catalog, *extra: Capability, actor: str = "t") -> Workspace:
    return Workspace(store, catalog, (*installed_capabilities(), *extra), actor=actor)


def _meddler(action: Callable[[], None]) -> Capability:
    """A capability that does ``action`` when the sync asks for improvement actions."""

    def plan_items(_store: Store) -> Iterable[ImprovementAction]:
        action()
        return ()

    return Capability(name="meddler", title="Meddler", plan_items=plan_items)


def _eol_item(items: Iterable[PlanItem], store: Store) -> PlanItem:
    (finding,) = store.findings(FindingFilter(check_id=EOL_CHECK, asset_id="CT-1"))
    return next(i for i in items if i.source_id == finding.id)


@pytest.fixture
def planned(db_url: str, catalog: Catalog) -> Iterator[str]:
    """A database with an assessment and a first sync of the plan."""
    with open_store(db_url, create=True) as store:
        store.save_inventory(inventory(asset("CT-1"), asset("MR-1")))
        run_assessment(store, catalog, now=NOW)
        api.sync_plan(_workspace(store, catalog), today=TODAY)
    yield db_url


def test_an_edit_made_while_a_sync_runs_is_kept(planned: str, catalog: Catalog) -> None:
    with open_store(planned) as store, open_store(planned) as other:
        target = _eol_item(api.plan_items(_workspace(store, catalog)), store)
        person = _workspace(other, catalog, actor="radiology-chair")

        def edit() -> None:
            api.edit_plan_item(
                person,
                target.id,
                owner="Radiology IT",
                due=dt.date(2027, 3, 31),
                milestone="Replace the workstation in the Q1 refresh",
            )

        synced = api.sync_plan(_workspace(store, catalog, _meddler(edit)), today=LATER)
        stored = _eol_item(api.plan_items(_workspace(store, catalog)), store)
        actions = [(e.actor, e.action) for e in store.audit_entries(limit=2)]
    assert stored.owner == "Radiology IT"
    assert stored.due_on == dt.date(2027, 3, 31)
    assert stored.milestone == "Replace the workstation in the Q1 refresh"
    assert stored.edited == {PlanField.OWNER, PlanField.DUE, PlanField.MILESTONE}
    assert synced.conflicts == 1
    assert _eol_item(synced.items, store).owner == "Radiology IT"
    assert actions == [("t", "poam.sync"), ("radiology-chair", "poam.edit")]


def test_a_sync_closing_an_item_keeps_the_edit_made_meanwhile(
    planned: str, catalog: Catalog
) -> None:
    """The finding was resolved, so the sync closes the item; the new owner stays."""
    with open_store(planned) as store, open_store(planned) as other:
        target = _eol_item(api.plan_items(_workspace(store, catalog)), store)
        store.set_finding_status(target.source_id, FindingStatus.FALSE_POSITIVE, "upgraded")

        def edit() -> None:
            api.edit_plan_item(_workspace(other, catalog), target.id, owner="Biomed lead")

        synced = api.sync_plan(_workspace(store, catalog, _meddler(edit)), today=LATER)
    closed = next(i for i in synced.items if i.id == target.id)
    assert (closed.status, closed.closed_on, closed.owner) == (
        PlanStatus.CLOSED,
        LATER,
        "Biomed lead",
    )
    assert closed.revision == target.revision + 2  # the edit, then the sync's close


def test_a_status_set_by_a_person_is_never_overwritten(planned: str, catalog: Catalog) -> None:
    with open_store(planned) as store, open_store(planned) as other:
        workspace = _workspace(store, catalog)
        target = _eol_item(api.plan_items(workspace), store)

        def close() -> None:
            api.edit_plan_item(
                _workspace(other, catalog), target.id, status=PlanStatus.CLOSED, today=LATER
            )

        api.sync_plan(_workspace(store, catalog, _meddler(close)), today=LATER)
        # Later syncs see the finding still open and would reopen the item: they do not.
        again = api.sync_plan(workspace, today=LATER + dt.timedelta(days=400))
    item = next(i for i in again.items if i.id == target.id)
    assert (item.status, item.closed_on) == (PlanStatus.CLOSED, LATER)


def test_a_kept_open_item_turns_overdue_with_its_own_due_date(
    planned: str, catalog: Catalog
) -> None:
    with open_store(planned) as store:
        workspace = _workspace(store, catalog)
        target = _eol_item(api.plan_items(workspace), store)
        edited = api.edit_plan_item(
            workspace, target.id, status=PlanStatus.OPEN, due=dt.date(2027, 1, 31), today=LATER
        )
        assert edited.status is PlanStatus.OPEN
        late = api.sync_plan(workspace, today=dt.date(2027, 2, 1))
    item = next(i for i in late.items if i.id == target.id)
    assert (item.status, item.due_on) == (PlanStatus.OVERDUE, dt.date(2027, 1, 31))


def test_edits_need_a_known_item_a_fresh_revision_and_a_settable_status(
    planned: str, catalog: Catalog
) -> None:
    with open_store(planned) as store:
        workspace = _workspace(store, catalog)
        target = _eol_item(api.plan_items(workspace), store)
        edited = api.edit_plan_item(
            workspace, target.id[:12], owner="PACS team", expected_revision=target.revision
        )
        assert edited.revision == target.revision + 1
        with pytest.raises(UserInputError, match="changed since it was read"):
            api.edit_plan_item(
                workspace, target.id, owner="Someone", expected_revision=target.revision
            )
        with pytest.raises(UserInputError, match="a person sets the status"):
            api.edit_plan_item(workspace, target.id, status=PlanStatus.OVERDUE)
        with pytest.raises(UserInputError, match="no plan item"):
            api.edit_plan_item(workspace, "poam-0000000000000000", owner="x")
        with pytest.raises(UserInputError, match="more than one"):
            api.edit_plan_item(workspace, "poam-", owner="x")
        with pytest.raises(UserInputError, match="nothing to change"):
            api.edit_plan_item(workspace, target.id)
        with pytest.raises(UserInputError, match="owner may not be empty"):
            api.edit_plan_item(workspace, target.id, owner="   ")
        assert _eol_item(api.plan_items(workspace), store).owner == "PACS team"


def test_a_sync_updates_in_place_and_adds_only_what_is_new(planned: str, catalog: Catalog) -> None:
    with open_store(planned) as store:
        workspace = _workspace(store, catalog)
        before = {i.id: i for i in api.plan_items(workspace)}
        again = api.sync_plan(workspace, today=TODAY)
    assert (again.added, again.updated, again.closed, again.conflicts) == (0, 0, 0, 0)
    assert {i.id: i for i in again.items} == before
    assert {i.source_kind for i in again.items} == {PlanSource.FINDING, PlanSource.GAP}
