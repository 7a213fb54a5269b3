"""Culture imports are idempotent by content: the same export under another file name, or
imported twice, changes nothing; a later export of the same campaign or course updates it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli_runner import expect
from tests.factories import asset, inventory
from tests.governance.conftest import DATA

from imagewarden.app import open_store
from imagewarden.governance.culture import read_gophish_csv, read_gophish_json, read_training
from imagewarden.governance.metrics import culture_metrics
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.store import Store


@pytest.fixture
def gov(db_url: str) -> Iterator[GovernanceStore]:
    with open_store(db_url, create=True) as store:
        yield GovernanceStore(store)


def _copy(tmp_path: Path, source: str, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(DATA / source, path)
    return path


def _metrics(gov: GovernanceStore) -> list[tuple[str, str, str, float | None, int]]:
    values = culture_metrics(gov.training(), gov.campaigns())
    return [(v.metric, v.department, v.quarter, v.value, v.sample) for v in values]


def test_training_export_under_another_name_changes_nothing(
    gov: GovernanceStore, tmp_path: Path
) -> None:
    first = gov.add_training(read_training(DATA / "training.csv"), "training.csv", actor="t")
    assert first.added == 5
    before = (gov.training(), _metrics(gov))
    again = read_training(_copy(tmp_path, "training.csv", "lms-export (1).csv"))
    merged = gov.add_training(again, "lms-export (1).csv", actor="t")
    assert (merged.added, merged.updated) == (0, 0)
    assert (gov.training(), _metrics(gov)) == before


def test_later_training_export_updates_the_same_rows(gov: GovernanceStore, tmp_path: Path) -> None:
    records = read_training(DATA / "training.csv")
    pending = [dataclasses.replace(r, completed_on=None) for r in records]
    gov.add_training(pending, "april.csv", actor="t")
    merged = gov.add_training(records, "may.csv", actor="t")
    completed = sum(r.completed_on is not None for r in records)
    assert (merged.added, merged.updated) == (0, completed)
    assert sorted(map(str, gov.training())) == sorted(map(str, records))


def test_gophish_csv_under_another_name_is_the_same_campaign(
    gov: GovernanceStore, tmp_path: Path
) -> None:
    first = gov.save_campaign(read_gophish_csv(DATA / "gophish-results.csv"), actor="t")
    assert first.added == 6
    before = (gov.campaigns(), _metrics(gov))
    copy = _copy(tmp_path, "gophish-results.csv", "Spring phish - Results.csv")
    merged = gov.save_campaign(read_gophish_csv(copy), actor="t", rename=False)
    assert (merged.added, merged.updated, merged.campaign_id) == (0, 0, first.campaign_id)
    assert (gov.campaigns(), _metrics(gov)) == before
    assert [c.name for c in gov.campaigns()] == ["gophish-results"]


def test_gophish_json_imported_twice_counts_once(gov: GovernanceStore, tmp_path: Path) -> None:
    gov.save_campaign(read_gophish_json(DATA / "gophish-api-results.json"), actor="t")
    copy = _copy(tmp_path, "gophish-api-results.json", "campaign-7.json")
    merged = gov.save_campaign(read_gophish_json(copy), actor="t")
    assert merged.added == 0
    assert [len(c.results) for c in gov.campaigns()] == [2]


def test_a_later_export_with_more_events_updates_the_campaign(
    gov: GovernanceStore, tmp_path: Path
) -> None:
    path = _copy(tmp_path, "gophish-results.csv", "early.csv")
    text = path.read_text(encoding="utf-8")
    early = text.replace("Clicked Link", "Email Opened", 1)
    assert early != text
    path.write_text(early, encoding="utf-8")
    gov.save_campaign(read_gophish_csv(path), actor="t")
    merged = gov.save_campaign(read_gophish_csv(DATA / "gophish-results.csv"), actor="t")
    assert (merged.added, merged.updated) == (0, 1)
    (campaign,) = gov.campaigns()
    assert sum(r.clicked for r in campaign.results) == 2


def test_a_campaign_stored_twice_by_an_older_version_is_merged(store: Store) -> None:
    """Older versions named a CSV campaign after its file: one campaign, two ids."""
    gov = GovernanceStore(store)
    campaign = read_gophish_csv(DATA / "gophish-results.csv")
    for old_id in ("gophish:old-name-1", "gophish:old-name-2"):
        gov.save_campaign(dataclasses.replace(campaign, id=old_id), actor="t")
    # the second save above already matched the first by content
    assert [c.id for c in gov.campaigns()] == ["gophish:old-name-1"]
    merged = gov.save_campaign(campaign, actor="t")
    assert merged.added == 0 and [len(c.results) for c in gov.campaigns()] == [6]


def test_cli_reimport_under_another_name_says_nothing_new(tmp_path: Path) -> None:
    db = tmp_path / "iw.db"
    with open_store(str(db), create=True) as store:
        store.save_inventory(inventory(asset("CT-1", "north")))
    copy = _copy(tmp_path, "gophish-results.csv", "copy of results.csv")
    expect(0, "culture", "import", "gophish", DATA / "gophish-results.csv", db=db)
    ran = expect(0, "culture", "import", "gophish", copy, db=db)
    assert "0 new, 0 changed, 6 already stored" in ran.stderr
    assert "'gophish-results'" in ran.stderr  # the stored name, not the copy's
    expect(0, "culture", "import", "training", DATA / "training.csv", db=db)
    ran = expect(
        0, "culture", "import", "training", _copy(tmp_path, "training.csv", "b.csv"), db=db
    )
    assert "0 new, 0 changed, 5 already stored" in ran.stderr
    with open_store(str(db)) as store:
        gov = GovernanceStore(store)
        assert len(gov.training()) == 5 and len(gov.campaigns()) == 1
        assert gov.campaigns()[0].launched_on == dt.date(2026, 4, 7)
