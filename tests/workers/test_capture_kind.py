"""The analyze_capture job kind at the centre: a capture batch is applied once, for its own
site only (the broker end-to-end test is in test_broker.py)."""

from __future__ import annotations

import json
from importlib.resources import as_file, files

from imagewarden.app.jobs import JobRequest, ReceiptStatus, get_job, receive, submit
from imagewarden.app.signing import Event
from imagewarden.demo.run import DEMO_CAPTURE
from imagewarden.model.jobs import JobKind, JobState
from imagewarden.traffic import api as traffic
from imagewarden.workers.kinds import APPLIERS
from tests.workers.conftest import NOW, Outbox, Sites


def _payload(site: str, batch_id: str) -> str:
    with as_file(files("imagewarden.demo") / "captures" / DEMO_CAPTURE) as capture:
        batch = traffic.analyze([capture], site_id=site)
    return json.dumps({"batch_id": batch_id, "capture": batch.to_json()})


def _job_id(sites: Sites, outbox: Outbox) -> str:
    request = JobRequest(JobKind.ANALYZE_CAPTURE, "north", {"capture": "/captures/lab.pcapng"})
    job = submit(sites.workspace, request, outbox, now=NOW)
    assert job is not None
    return job.id


def _report(sites: Sites, job_id: str, payload: str, attempt: int = 1) -> str:
    return sites.report(
        "north", job_id, Event.RESULT, payload, attempt=attempt, kind=JobKind.ANALYZE_CAPTURE
    )


def test_a_capture_batch_is_applied_once_whatever_the_deliveries(
    sites: Sites, outbox: Outbox
) -> None:
    job_id = _job_id(sites, outbox)
    first = _report(sites, job_id, _payload("north", f"{job_id}.1"))
    receipt = receive(sites.workspace, first, APPLIERS)
    assert receipt.status is ReceiptStatus.APPLIED
    assert receipt.summary["flows"] == 9 and receipt.summary["replaced"] is False
    again = receive(sites.workspace, first, APPLIERS)
    retried = receive(
        sites.workspace, _report(sites, job_id, _payload("north", f"{job_id}.2"), 2), APPLIERS
    )
    assert (again.status, retried.status) == (ReceiptStatus.DUPLICATE, ReceiptStatus.DUPLICATE)
    assert len(traffic.flows(sites.workspace, "north")) == 9
    assert len(sites.workspace.store.audit_entries(action="traffic.apply")) == 1


def test_a_batch_speaking_for_another_site_or_batch_is_refused(
    sites: Sites, outbox: Outbox
) -> None:
    job_id = _job_id(sites, outbox)
    other_site = _report(sites, job_id, _payload("south", f"{job_id}.1"))
    receipt = receive(sites.workspace, other_site, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED and "site 'south'" in receipt.reason
    assert get_job(sites.workspace, job_id).state is JobState.FAILED
    job_id = _job_id(sites, outbox)
    wrong_batch = _report(sites, job_id, _payload("north", "another-job.1"))
    receipt = receive(sites.workspace, wrong_batch, APPLIERS)
    assert receipt.status is ReceiptStatus.REFUSED and "batch" in receipt.reason
    assert traffic.flows(sites.workspace) == []
    assert sites.workspace.store.audit_entries(action="traffic.apply") == []
