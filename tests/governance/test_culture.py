"""Training and GoPhish imports: real export columns, pseudonymised, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from tests.governance.conftest import DATA

from imagewarden.governance.culture import read_gophish_csv, read_gophish_json, read_training
from imagewarden.governance.interface import CultureTargets
from imagewarden.governance.metrics import culture_metrics, misses
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import UserInputError
from imagewarden.store import Store


def test_gophish_results_csv_in_its_export_columns() -> None:
    campaign = read_gophish_csv(DATA / "gophish-results.csv")
    assert campaign.name == "gophish-results"
    assert campaign.launched_on == dt.date(2026, 4, 7)
    sent = [r for r in campaign.results if r.sent]
    assert len(campaign.results) == 6 and len(sent) == 5  # the "Error" row was never sent
    assert sum(r.clicked for r in sent) == 2  # Clicked Link and Submitted Data
    assert sum(r.reported for r in sent) == 3
    first = campaign.results[0]
    assert first.sent_at == dt.datetime(2026, 4, 7, 9, 0, 0, 123456, tzinfo=dt.UTC)
    assert first.department == "CT"
    values = culture_metrics([], [campaign])
    everyone = {v.metric: v for v in values if v.department == "All"}
    assert everyone["click_rate"].value == 0.4
    assert everyone["report_rate"].value == 0.6
    # reported after 30 min, 10 min and 179.75 min (modified date stands in for the report)
    assert everyone["minutes_to_report"].value == pytest.approx(30, abs=0.1)


def test_gophish_api_json_uses_the_report_event_time() -> None:
    campaign = read_gophish_json(DATA / "gophish-api-results.json")
    assert campaign.name == "Spring imaging phish"
    reported = [r for r in campaign.results if r.reported]
    assert len(reported) == 1
    assert reported[0].reported_at == dt.datetime(2026, 4, 7, 9, 20, tzinfo=dt.UTC)
    assert [r.clicked for r in campaign.results] == [False, True]


def test_no_name_or_address_reaches_the_database(tmp_path: Path, store: Store) -> None:
    gov = GovernanceStore(store)
    gov.save_campaign(read_gophish_csv(DATA / "gophish-results.csv"), actor="test")
    gov.save_campaign(read_gophish_json(DATA / "gophish-api-results.json"), actor="test")
    gov.add_training(read_training(DATA / "training.csv"), "training.csv", actor="test")
    store.close()
    database = Path(str(store.engine.url.database)).read_bytes()
    for secret in (b"example.org", b"Tess", b"Techone", b"Ann", b"192.0.2"):
        assert secret not in database


def test_training_csv_with_aliases() -> None:
    records = read_training(DATA / "training.csv")
    assert len(records) == 5
    assert [r.kind for r in records].count("drill") == 1
    assert records[0].person_hash == records[4].person_hash  # same learner, same hash
    assert "@" not in records[0].person_hash
    values = culture_metrics(records, [])
    ct = {v.metric: v for v in values if v.department == "CT"}
    assert ct["completion_rate"].value == 0.75 and ct["completion_rate"].sample == 4
    missed = misses(values, CultureTargets(min_sample=4))
    assert {(v.metric, v.department) for v in missed} == {
        ("completion_rate", "CT"),
        ("completion_rate", "All"),
    }


def _broken(tmp_path: Path, source: str, old: str, new: str) -> Path:
    path = tmp_path / Path(source).name
    shutil.copy(DATA / source, path)
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "words"),
    [
        ("Clicked Link", "Clicked", 4, 2, "unknown GoPhish status"),
        (",true,2026-04-07T09:30", ",maybe,2026-04-07T09:30", 2, 7, "not true or false"),
        ("2026-04-07T09:00:05Z", "yesterday", 3, 6, "RFC 3339"),
    ],
)
def test_malformed_gophish_csv_names_line_and_column(
    tmp_path: Path, old: str, new: str, line: int, column: int, words: str
) -> None:
    path = _broken(tmp_path, "gophish-results.csv", old, new)
    with pytest.raises(UserInputError) as caught:
        read_gophish_csv(path)
    loc = caught.value.location
    assert loc is not None and (loc.line, loc.column) == (line, column)
    assert words in caught.value.message


def test_malformed_gophish_json_names_the_place(tmp_path: Path) -> None:
    path = _broken(tmp_path, "gophish-api-results.json", '"reported": false', '"reported": "no"')
    with pytest.raises(UserInputError, match=r"results\[1\]\.reported should be bool"):
        read_gophish_json(path)
    path.write_text('{"name": "x", "results": [', encoding="utf-8")
    with pytest.raises(UserInputError) as caught:
        read_gophish_json(path)
    assert caught.value.location is not None and caught.value.location.line == 1


def test_training_completed_before_assigned_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, "training.csv", "2026-04-10", "2026-03-10")
    with pytest.raises(UserInputError) as caught:
        read_training(path)
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.column) == (2, 6)


def test_reimporting_a_campaign_replaces_it(store: Store) -> None:
    gov = GovernanceStore(store)
    campaign = read_gophish_csv(DATA / "gophish-results.csv")
    gov.save_campaign(campaign, actor="test")
    gov.save_campaign(campaign, actor="test")
    assert [len(c.results) for c in gov.campaigns()] == [6]
    assert json.dumps([c.name for c in gov.campaigns()]) == '["gophish-results"]'
