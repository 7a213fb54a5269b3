"""Every governance importer refuses the same text the same way on SQLite and PostgreSQL:
control characters in any field, a header naming a column twice, a short row; a message
quotes at most a short excerpt of the value (it may be an e-mail address or a name)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.factories import asset, inventory
from tests.governance.conftest import DATA

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.catalog import Catalog
from imagewarden.governance import api
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import UserInputError
from imagewarden.model.checklist import Answer
from imagewarden.readers.text import EXCERPT_CHARS
from imagewarden.resilience import api as resilience_api
from imagewarden.resilience.records import NewTeamMember

CHECKLIST = (
    "site,question,answer,owner,evidence,answered,due,notes\n"
    "north,exec-01,partial,PACS manager,,2026-05-01,2026-09-01,half done\n"
)
CONTROLS = {"NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "C1 CSI": "\x9b"}
SECRET = "patient.name.canary@example.org"


@pytest.fixture
def workspace(db_url: str, catalog: Catalog) -> Iterator[Workspace]:
    with open_store(db_url, create=True) as store:
        store.save_inventory(inventory(asset("CT-1", "north"), asset("MR-1", "south")))
        yield Workspace(store, catalog, installed_capabilities(), actor="tester")


def _stored(workspace: Workspace) -> tuple[int, int, int]:
    gov = GovernanceStore(workspace.store)
    return len(gov.answer_history()), len(gov.training()), len(gov.campaigns())


def _importers(tmp_path: Path) -> dict[str, tuple[Path, str, Callable[[Workspace, Path], object]]]:
    """Each importer: a valid file, a value in it to spoil, and how to import it."""
    checklist = tmp_path / "answers.csv"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    training = tmp_path / "training.csv"
    training.write_text((DATA / "training.csv").read_text(encoding="utf-8"), encoding="utf-8")
    gophish = tmp_path / "results.csv"
    gophish.write_text((DATA / "gophish-results.csv").read_text(encoding="utf-8"), "utf-8")
    gophish_json = tmp_path / "results.json"
    gophish_json.write_text(
        (DATA / "gophish-api-results.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return {
        "checklist owner": (checklist, "PACS manager", api.import_answers),
        "checklist notes": (checklist, "half done", api.import_answers),
        "training department": (training, ",CT,", api.import_training),
        "training course": (training, "Security basics", api.import_training),
        "gophish department": (gophish, ",CT\n", api.import_gophish),
        "gophish json department": (gophish_json, '"CT"', api.import_gophish),
        "gophish json name": (gophish_json, "Spring imaging phish", api.import_gophish),
    }


IMPORTERS = [
    "checklist owner",
    "checklist notes",
    "training department",
    "training course",
    "gophish department",
    "gophish json department",
    "gophish json name",
]


def _spoil(path: Path, value: str, char: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert value in text
    inside = char if path.suffix != ".json" else json.dumps(char)[1:-1]  # JSON escapes it
    spoiled = value[:-1] + inside + value[-1:] if value.endswith(("\n", ",", '"')) else None
    if spoiled is None:
        spoiled = value[:2] + inside + value[2:]
    path.write_text(text.replace(value, spoiled, 1), encoding="utf-8")


@pytest.mark.parametrize("char", CONTROLS.values(), ids=CONTROLS.keys())
@pytest.mark.parametrize("importer", IMPORTERS)
def test_control_characters_are_refused_alike_on_both_backends(
    workspace: Workspace, tmp_path: Path, importer: str, char: str
) -> None:
    path, value, run = _importers(tmp_path)[importer]
    run(workspace, path)  # the file as it is imports
    before = _stored(workspace)
    _spoil(path, value, char)
    with pytest.raises(UserInputError) as caught:
        run(workspace, path)
    message = caught.value.message
    assert "NUL" in message or "control character" in message
    assert caught.value.location is not None and caught.value.location.file == str(path)
    assert _stored(workspace) == before  # nothing half-written


def test_the_command_line_answer_refuses_control_characters(workspace: Workspace) -> None:
    for field in ("owner", "evidence", "notes"):
        values = {"owner": "PACS manager", "evidence": "", "notes": ""}
        values[field] = "PACS\x00manager"
        with pytest.raises(UserInputError, match="control character"):
            api.answer_question(
                workspace, "exec-01", Answer.NO, site="north", due=dt.date(2026, 9, 1), **values
            )
    assert _stored(workspace)[0] == 0


def test_a_header_naming_a_column_twice_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(
        "site,question,answer,response,owner,due\nnorth,exec-01,no,yes,PACS manager,2026-09-01\n",
        encoding="utf-8",
    )
    with pytest.raises(UserInputError, match="repeats column") as caught:
        api.import_answers(workspace, path)
    assert caught.value.location is not None and caught.value.location.column == 4
    training = tmp_path / "training.csv"
    header, *rows = (DATA / "training.csv").read_text(encoding="utf-8").splitlines()
    training.write_text("\n".join([header + ",email", *(r + ",x@example.org" for r in rows)]))
    with pytest.raises(UserInputError, match="repeats column"):
        api.import_training(workspace, training)
    assert _stored(workspace) == (0, 0, 0)


def test_a_short_gophish_row_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    lines = (DATA / "gophish-results.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # 11 of 12 fields
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="11 fields but the header has 12") as caught:
        api.import_gophish(workspace, path)
    assert caught.value.location is not None and caught.value.location.line == 3
    assert _stored(workspace) == (0, 0, 0)


def _long(prefix: str = "") -> str:
    return prefix + "x" * 150 + SECRET


@pytest.mark.parametrize(
    ("source", "old", "column"),
    [
        ("gophish-results.csv", "Clicked Link", "status"),
        ("gophish-results.csv", "2026-04-07T09:00:05Z", "send_date"),
        ("gophish-results.csv", ",true,2026-04-07T09:30", "reported"),
        ("training.csv", "2026-04-01,2026-05-01,2026-04-10", "assigned"),
        ("training.csv", ",training,Ann", "kind"),
        ("gophish-api-results.json", "Clicked Link", "status"),
        ("gophish-api-results.json", "2026-04-07T09:00:10Z", "send_date"),
    ],
)
def test_messages_quote_only_a_short_excerpt(
    workspace: Workspace, tmp_path: Path, source: str, old: str, column: str
) -> None:
    path = tmp_path / source
    text = (DATA / source).read_text(encoding="utf-8")
    new = _long()
    if old.startswith(","):
        new = "," + new + old[old.index(",", 1) :]
    elif "," in old:
        new = new + old[old.index(",") :]
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    run = api.import_training if source.startswith("training") else api.import_gophish
    with pytest.raises(UserInputError) as caught:
        run(workspace, path)
    message = str(caught.value)
    assert SECRET not in message and "x" * EXCERPT_CHARS not in message
    assert "..." in message


def test_checklist_messages_quote_only_a_short_excerpt(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    for field in ("answer", "question", "site"):
        value = {"answer": "partial", "question": "exec-01", "site": "north"}[field]
        path.write_text(CHECKLIST.replace(value, _long(), 1), encoding="utf-8")
        with pytest.raises(UserInputError) as caught:
            api.import_answers(workspace, path)
        assert SECRET not in str(caught.value), field


def test_team_member_messages_quote_only_a_short_excerpt(workspace: Workspace) -> None:
    for member in (
        NewTeamMember(role=_long(), name="Pat", contact="", rank=1, site_id=""),
        NewTeamMember(role="it-security", name="Pat", contact="", rank=1, site_id=_long()),
        NewTeamMember(role="it-security", name="Pat\x00", contact="", rank=1, site_id=""),
    ):
        with pytest.raises(UserInputError) as caught:
            resilience_api.add_team_member(workspace, member)
        assert SECRET not in str(caught.value)
