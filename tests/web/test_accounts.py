"""Accounts, tokens and sessions (application API and ``imagewarden user``), the tables'
migration, and the dashboard's database-computed readiness against the report's."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from imagewarden.app import accounts, open_store, open_workspace
from imagewarden.app.dashboard import dashboard
from imagewarden.catalog import Catalog
from imagewarden.model import FindingStatus, UserInputError
from imagewarden.report.summary import build_summary
from imagewarden.store import Base
from tests.assessing import gather, run_assessment
from tests.cli_runner import expect
from tests.factories import asset, inventory

PASSWORD = "correct horse battery staple"
OURS = (
    "users",
    "web_sessions",
    "api_tokens",
    "finding_owners",
    "finding_comments",
    "ix_findings_risk",
)


def test_migrations_create_exactly_the_account_and_triage_tables(db_url: str) -> None:
    with open_store(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if any(name in repr(d) for name in OURS)] == []


def test_sessions_expire_when_idle_or_old(db_url: str) -> None:
    now = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
    with open_workspace(db_url, create=True, actor="test") as workspace:
        accounts.add_user(workspace, "alice", "auditor", password=PASSWORD, now=now)
        signed = accounts.sign_in(workspace, "alice", PASSWORD, now=now)
        assert isinstance(signed, accounts.SignedIn)
        assert accounts.find_session(workspace, signed.key, now=now) is not None
        idle = now + accounts.SESSION_IDLE + dt.timedelta(seconds=1)
        assert accounts.find_session(workspace, signed.key, now=idle) is None
        late = now + accounts.SESSION_LIFETIME
        for step in range(0, int(accounts.SESSION_LIFETIME / dt.timedelta(minutes=20))):
            at = now + dt.timedelta(minutes=20 * step)
            assert accounts.find_session(workspace, signed.key, now=at) is not None
        assert accounts.find_session(workspace, signed.key, now=late) is None
        assert accounts.find_session(workspace, "not-a-key", now=now) is None


def test_no_weak_or_default_passwords(db_url: str) -> None:
    with open_workspace(db_url, create=True, actor="test") as workspace:
        with pytest.raises(UserInputError, match="at least 12"):
            accounts.add_user(workspace, "bob", "admin", password="admin")
        accounts.add_user(workspace, "svc", "auditor")  # tokens only
        assert isinstance(accounts.sign_in(workspace, "svc", ""), accounts.Refused)
        with pytest.raises(UserInputError, match="unknown role"):
            accounts.add_user(workspace, "eve", "root", password=PASSWORD)
        with pytest.raises(UserInputError, match="unknown site"):
            accounts.add_user(workspace, "eve", "auditor", sites=["mars"], password=PASSWORD)


def test_tokens_are_stored_hashed_and_work_until_the_account_is_disabled(db_url: str) -> None:
    with open_workspace(db_url, create=True, actor="test") as workspace:
        accounts.add_user(workspace, "siem", "auditor")
        issued = accounts.issue_token(workspace, "siem", label="SIEM pull")
        who = accounts.token_principal(workspace, issued.token)
        assert who is not None and who.name == "siem"
        with workspace.store.connection() as connection:
            stored = [tuple(map(str, row)) for row in connection.exec_driver_sql(
                "SELECT * FROM api_tokens")]  # fmt: skip
        secret = issued.token.split("_", 2)[2]  # iwt_<id>_<secret>; the secret may hold "_"
        assert not any(secret in value for row in stored for value in row)
        accounts.set_disabled(workspace, "siem")
        assert accounts.token_principal(workspace, issued.token) is None
        accounts.set_disabled(workspace, "siem", False)
        accounts.revoke_token(workspace, issued.record.id)
        assert accounts.token_principal(workspace, issued.token) is None


def test_user_commands_are_audited_with_the_operating_system_user(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    expect(0, "init", db=db)
    expect(0, "user", "add", "chair", "--role", "leadership", "--password-stdin", db=db,
           input=PASSWORD + "\n")  # fmt: skip
    expect(2, "user", "add", "chair", "--role", "leadership", db=db)
    expect(
        2, "user", "add", "x", "--role", "leadership", "--password-stdin", db=db, input="short\n"
    )
    listed = expect(0, "user", "list", db=db)
    assert "chair" in listed.stdout and "leadership" in listed.stdout
    token = expect(0, "user", "token", "chair", db=db).stdout.strip()
    assert token.startswith("iwt_")
    expect(0, "user", "disable", "chair", db=db)
    assert "disabled" in expect(0, "user", "list", db=db).stdout
    audit = expect(0, "audit", "list", "--json", db=db).stdout
    assert PASSWORD not in audit and token not in audit
    with open_workspace(str(db)) as workspace:
        entries = workspace.store.audit_entries()
    assert {e.actor for e in entries} == {getpass.getuser()}
    assert [e.action for e in reversed(entries)] == ["user.add", "token.add", "user.change"]


def test_the_dashboard_scores_as_the_report_does(db_url: str, catalog: Catalog) -> None:
    with open_workspace(db_url, create=True, actor="test") as workspace:
        workspace.store.save_inventory(
            inventory(asset("CT-1", "north"), asset("MR-1", "north", os="Windows XP"),
                      asset("CT-9", "south"))
        )  # fmt: skip
        run_assessment(workspace.store, catalog)
        board = dashboard(workspace)
        expected = build_summary(gather(workspace.store, catalog, title="t")).readiness
        north = dashboard(workspace, sites=frozenset({"north"}))
    assert board.readiness == expected
    assert sum(board.by_severity.values()) == sum(r.total for r in board.by_site)
    assert {r.site_id for r in north.by_site} == {"north"}


def test_values_postgresql_cannot_store_are_the_users_error(db_url: str) -> None:
    with open_workspace(db_url, create=True, actor="test") as workspace:
        for call in (
            lambda: workspace.store.audit_entries(actor="a\x00b"),
            lambda: workspace.store.audit_entries(before=6_085_916_023),
            lambda: workspace.store.resolve_finding_id("iwf-00\x00000"),
        ):
            with contextlib.suppress(UserInputError):  # PostgreSQL refuses it; SQLite answers
                call()


def test_the_dashboard_follows_each_change_and_is_built_once_at_a_time(
    db_url: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a decision the next dashboard shows it; while one rebuild runs, others are shown
    the dashboard it replaces instead of running the same queries again."""
    import threading

    from imagewarden.app import dashboard as module
    from imagewarden.app.findings import accept_risk

    with open_workspace(db_url, create=True, actor="test") as workspace:
        workspace.store.save_inventory(inventory(asset("MR-1", "north", os="Windows XP")))
        result = run_assessment(workspace.store, catalog)
        before = dashboard(workspace)
        target = next(f for f in result.findings if f.asset_id)
        accept_risk(workspace, target.id, reason="replacement ordered",
                    until=dt.date(2099, 1, 1), today=dt.date.today())  # fmt: skip
        started, release = threading.Event(), threading.Event()
        real_build = module._build
        builds: list[int] = []

        def slow_build(*args: object, **kwargs: object) -> module.Dashboard:
            builds.append(1)
            started.set()
            release.wait(30)
            return real_build(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(module, "_build", slow_build)
        fresh: list[module.Dashboard] = []
        builder = threading.Thread(target=lambda: fresh.append(dashboard(workspace)))
        builder.start()
        assert started.wait(30)
        meanwhile = dashboard(workspace)  # a second person, during the rebuild
        release.set()
        builder.join(30)
        after = dashboard(workspace)
    assert meanwhile is before and builds == [1]
    assert fresh == [after] and after is not before
    assert after.by_status[FindingStatus.ACCEPTED] == before.by_status[FindingStatus.ACCEPTED] + 1
