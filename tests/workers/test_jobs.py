"""The centre's jobs (app.jobs) on SQLite and PostgreSQL: submit, reports, exactly-once.

The broker is replaced by ``Outbox`` (what ``submit`` hands it); the appliers here write
observations through the store's one way of writing them, so a duplicate application would
show as a second audit entry or changed rows. Real brokers and workers: test_broker.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pytest

from imagewarden.app import Workspace
from imagewarden.app.jobs import (
    JobQuery,
    JobRequest,
    ReceiptStatus,
    expire,
    get_job,
    list_jobs,
    receive,
    submit,
)
from imagewarden.app.signing import Envelope, Event
from imagewarden.model import (
    InfrastructureError,
    Observation,
    ObservationSource,
    SubjectKind,
    UserInputError,
)
from imagewarden.model.jobs import Job, JobKind, JobState
from imagewarden.store import ObservationBatch
from tests.workers.conftest import NOW, Outbox, Sites

APPLY_ACTION = "test.apply"


def apply_facts(workspace: Workspace, job: Job, envelope: Envelope) -> Mapping[str, Any]:
    """A stand-in capability: the payload names facts of the job site's assets."""
    data = envelope.payload_data()
    if data.get("site") != job.site_id:
        raise UserInputError(f"the result speaks for site {data.get('site')!r}")
    observations = tuple(
        Observation(SubjectKind.ASSET, a, "dicom.tls", bool(v), ObservationSource.PROBED, NOW)
        for a, v in data["facts"].items()
    )
    with workspace.store.changing(workspace.actor, APPLY_ACTION, envelope.batch_id):
        pass
    written = workspace.store.apply_observations(
        ObservationBatch(ObservationSource.PROBED, observations)
    )
    return {"observations": written}


APPLIERS = {JobKind.DISCOVER: apply_facts}


def _submit(sites: Sites, outbox: Outbox, site: str = "north", **params: Any) -> Job:
    job = submit(sites.workspace, JobRequest(JobKind.DISCOVER, site, params), outbox, now=NOW)
    assert job is not None
    return job


def _result(site: str, facts: dict[str, bool]) -> str:
    return json.dumps({"site": site, "facts": facts})


def _audit(sites: Sites, action: str) -> int:
    return len(sites.workspace.store.audit_entries(action=action))


def test_submit_records_a_queued_job_and_sends_it_to_its_site(sites: Sites, outbox: Outbox) -> None:
    job = _submit(sites, outbox, profile="ping", targets=["10.0.0.5"])
    assert job.state is JobState.QUEUED
    [message] = outbox.sent
    assert (message.job_id, message.site_id, message.kind) == (job.id, "north", JobKind.DISCOVER)
    assert message.params["targets"] == ["10.0.0.5"]
    assert message.expires_at == NOW + dt.timedelta(hours=24)
    assert list_jobs(sites.workspace)[0].id == job.id
    assert _audit(sites, "job.submitted") == 1


def test_submit_refuses_a_site_without_a_registered_key(sites: Sites, outbox: Outbox) -> None:
    with pytest.raises(UserInputError, match="no signing key is registered for site east"):
        _submit(sites, outbox, site="east")
    assert outbox.sent == [] and list_jobs(sites.workspace) == []


def test_submit_refuses_parameters_the_kind_does_not_take(sites: Sites, outbox: Outbox) -> None:
    with pytest.raises(UserInputError, match="profile"):
        _submit(sites, outbox, profile="aggressive")
    with pytest.raises(UserInputError, match="root"):
        _submit(sites, outbox, root="/archive")
    assert outbox.sent == []


def test_backup_job_must_name_an_asset_of_its_own_site(sites: Sites, outbox: Outbox) -> None:
    request = JobRequest(JobKind.VERIFY_BACKUP, "north", {"root": "/a", "asset_id": "PACS-S"})
    with pytest.raises(UserInputError, match="no asset 'PACS-S' at site north"):
        submit(sites.workspace, request, outbox, now=NOW)
    relative = JobRequest(JobKind.VERIFY_BACKUP, "north", {"root": "a/../b", "asset_id": "PACS-N"})
    with pytest.raises(UserInputError, match="absolute"):
        submit(sites.workspace, relative, outbox, now=NOW)
    good = JobRequest(JobKind.VERIFY_BACKUP, "north", {"root": "/a", "asset_id": "PACS-N"})
    assert submit(sites.workspace, good, outbox, now=NOW) is not None


def test_broker_that_refuses_the_job_leaves_it_failed(sites: Sites) -> None:
    def down(_message: object) -> None:
        raise InfrastructureError("the broker at amqp://x refused or failed: down")

    with pytest.raises(InfrastructureError):
        submit(sites.workspace, JobRequest(JobKind.DISCOVER, "north"), down, now=NOW)
    [job] = list_jobs(sites.workspace)
    assert job.state is JobState.FAILED and "could not be queued" in job.error


def test_result_is_applied_once_whatever_the_deliveries(sites: Sites, outbox: Outbox) -> None:
    job = _submit(sites, outbox)
    started = receive(sites.workspace, sites.report("north", job.id, Event.STARTED), APPLIERS)
    assert started.status is ReceiptStatus.STARTED
    assert get_job(sites.workspace, job.id).state is JobState.RUNNING
    first = sites.report("north", job.id, Event.RESULT, _result("north", {"PACS-N": True}))
    receipt = receive(sites.workspace, first, APPLIERS)
    assert receipt.status is ReceiptStatus.APPLIED
    # The same message delivered again, and the batch of a second attempt (a worker lost
    # after sending): neither is applied.
    again = receive(sites.workspace, first, APPLIERS)
    second = sites.report(
        "north", job.id, Event.RESULT, _result("north", {"PACS-N": False}), attempt=2
    )
    other = receive(sites.workspace, second, APPLIERS)
    assert (again.status, other.status) == (ReceiptStatus.DUPLICATE, ReceiptStatus.DUPLICATE)
    done = get_job(sites.workspace, job.id)
    assert done.state is JobState.DONE and done.batch_id == f"{job.id}.1"
    assert done.summary == {"observations": 1}
    assert _audit(sites, APPLY_ACTION) == 1
    [fact] = sites.workspace.store.observations(names=["dicom.tls"])
    assert fact.value is True


def test_report_signed_with_another_sites_key_is_refused_and_logged(
    sites: Sites, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    job = _submit(sites, outbox)
    forged = sites.report(
        "north", job.id, Event.RESULT, _result("north", {"PACS-N": False}), key_of="south"
    )
    receipt = receive(sites.workspace, forged, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED
    assert "does not match the key registered for site north" in receipt.reason
    assert "report refused" in caplog.text
    [entry] = sites.workspace.store.audit_entries(action="job.report_refused")
    assert entry.after is not None and entry.after["claimed_site"] == "north"
    assert get_job(sites.workspace, job.id).state is JobState.QUEUED
    assert sites.workspace.store.observations(names=["dicom.tls"]) == []


def test_worker_of_another_site_cannot_report_for_a_job_not_its_own(
    sites: Sites, outbox: Outbox
) -> None:
    job = _submit(sites, outbox, site="north")
    # South signs correctly with its own key, but the job is north's.
    rogue = sites.report("south", job.id, Event.RESULT, _result("south", {"PACS-S": True}))
    receipt = receive(sites.workspace, rogue, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED
    assert "belongs to site north, not to site south" in receipt.reason
    assert _audit(sites, APPLY_ACTION) == 0


def test_result_for_an_unknown_job_is_refused(sites: Sites) -> None:
    text = sites.report("north", "f" * 32, Event.RESULT, _result("north", {"PACS-N": True}))
    receipt = receive(sites.workspace, text, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED and "unknown job" in receipt.reason
    assert _audit(sites, "job.report_refused") == 1


def test_result_whose_payload_speaks_for_another_site_fails_the_job(
    sites: Sites, outbox: Outbox
) -> None:
    job = _submit(sites, outbox)
    text = sites.report("north", job.id, Event.RESULT, _result("south", {"PACS-S": True}))
    receipt = receive(sites.workspace, text, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED
    failed = get_job(sites.workspace, job.id)
    assert failed.state is JobState.FAILED and "result refused" in failed.error


def test_failure_reported_by_the_site_ends_the_job(sites: Sites, outbox: Outbox) -> None:
    job = _submit(sites, outbox)
    reason = json.dumps({"error": "target refused: 10.9.9.9 is outside the scope's networks"})
    receipt = receive(sites.workspace, sites.report("north", job.id, Event.FAILED, reason), {})
    assert receipt.status is ReceiptStatus.FAILED
    failed = get_job(sites.workspace, job.id)
    assert failed.state is JobState.FAILED and "outside the scope" in failed.error
    late = sites.report("north", job.id, Event.RESULT, _result("north", {"PACS-N": True}))
    assert receive(sites.workspace, late, APPLIERS).status is ReceiptStatus.IGNORED
    assert _audit(sites, APPLY_ACTION) == 0


def test_jobs_past_their_deadline_expire_and_ignore_late_results(
    sites: Sites, outbox: Outbox
) -> None:
    job = _submit(sites, outbox)
    assert expire(sites.workspace, now=NOW + dt.timedelta(hours=1)) == []
    assert expire(sites.workspace, now=NOW + dt.timedelta(hours=25)) == [job.id]
    assert get_job(sites.workspace, job.id).state is JobState.EXPIRED
    late = sites.report("north", job.id, Event.RESULT, _result("north", {"PACS-N": True}))
    assert receive(sites.workspace, late, APPLIERS).status is ReceiptStatus.IGNORED
    assert list_jobs(sites.workspace, JobQuery(states=(JobState.EXPIRED,)))[0].id == job.id


def test_started_report_after_the_job_ended_changes_nothing(sites: Sites, outbox: Outbox) -> None:
    job = _submit(sites, outbox)
    result = sites.report("north", job.id, Event.RESULT, _result("north", {"PACS-N": True}))
    assert receive(sites.workspace, result, APPLIERS).status is ReceiptStatus.APPLIED
    late = sites.report("north", job.id, Event.STARTED, attempt=2)
    assert receive(sites.workspace, late, APPLIERS).status is ReceiptStatus.IGNORED
    assert get_job(sites.workspace, job.id).state is JobState.DONE


def test_list_filters_by_site_state_and_kind(sites: Sites, outbox: Outbox) -> None:
    north = _submit(sites, outbox, site="north")
    south = _submit(sites, outbox, site="south")
    workspace = sites.workspace
    assert [j.id for j in list_jobs(workspace, JobQuery(site_id="south"))] == [south.id]
    assert list_jobs(workspace, JobQuery(states=(JobState.DONE,))) == []
    assert {j.id for j in list_jobs(workspace, JobQuery(kind=JobKind.DISCOVER))} == {
        north.id,
        south.id,
    }
    with pytest.raises(UserInputError, match="no job"):
        get_job(workspace, "0" * 32)


def test_batch_claimed_when_the_centre_failed_is_applied_when_it_comes_back(
    sites: Sites, outbox: Outbox
) -> None:
    job = _submit(sites, outbox)
    calls: list[str] = []

    def flaky(workspace: Workspace, job: Job, envelope: Envelope) -> Mapping[str, Any]:
        calls.append(envelope.batch_id)
        if len(calls) == 1:
            raise InfrastructureError("the database server closed the connection")
        return apply_facts(workspace, job, envelope)

    text = sites.report("north", job.id, Event.RESULT, _result("north", {"PACS-N": True}))
    with pytest.raises(InfrastructureError):
        receive(sites.workspace, text, {JobKind.DISCOVER: flaky})
    # Another attempt's batch cannot take the job over while the first is being applied.
    other = sites.report(
        "north", job.id, Event.RESULT, _result("north", {"PACS-N": False}), attempt=2
    )
    assert receive(sites.workspace, other, {JobKind.DISCOVER: flaky}).status is (
        ReceiptStatus.DUPLICATE
    )
    receipt = receive(sites.workspace, text, {JobKind.DISCOVER: flaky})
    assert receipt.status is ReceiptStatus.APPLIED
    assert calls == [f"{job.id}.1", f"{job.id}.1"]
    [fact] = sites.workspace.store.observations(names=["dicom.tls"])
    assert fact.value is True


def test_jobs_migration_creates_exactly_the_jobs_tables(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from imagewarden.app import open_store
    from imagewarden.store.jobs import JobRow

    with open_store(db_url, create=True) as store, store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), JobRow.metadata)
    ours = [d for d in diff if "'jobs'" in repr(d) or "site_keys" in repr(d)]
    assert ours == []
