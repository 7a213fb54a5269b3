"""A site worker's rules, without a broker: a job can narrow the site's own scope, never
widen it; a third delivery never runs; every report is signed with the site's key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from imagewarden.app.jobs import DiscoverParams, VerifyBackupParams
from imagewarden.app.signing import Envelope, Event, generate_key_pair, load_private_key, verify
from imagewarden.discovery.lab.scope import lab_scope
from imagewarden.model import UserInputError
from imagewarden.model.jobs import JobKind
from imagewarden.workers.kinds import collect_backup_verification, collect_discovery
from imagewarden.workers.site import SiteConfig, SiteJob, SiteRuntime, check_config
from imagewarden.workers.tasks import delivery_attempt

JOB = "c" * 32


def scope_file(folder: Path, **changes: object) -> Path:
    data = lab_scope()
    data.update(changes)
    path = folder / "scope.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> SiteConfig:
    keys = generate_key_pair("lab", tmp_path)
    return SiteConfig(
        site_id="lab",
        scope_path=scope_file(tmp_path),
        key_path=keys.private_path,
        connection_log=tmp_path / "connections.log",
    )


def runtime(
    config: SiteConfig, collector: Callable[[SiteJob, Any], str]
) -> tuple[SiteRuntime, list[Envelope]]:
    sent: list[Envelope] = []
    key = check_config(config)
    return SiteRuntime(config, key, {JobKind.DISCOVER: collector}, sent.append), sent


def message(**changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "job_id": JOB,
        "kind": "discover",
        "site_id": "lab",
        "params": {},
        "expires_at": None,
    }
    base.update(changes)
    return base


def test_a_delivery_runs_the_job_and_sends_signed_reports(config: SiteConfig) -> None:
    ran: list[str] = []

    def collector(job: SiteJob, params: DiscoverParams) -> str:
        ran.append(job.batch_id)
        return json.dumps({"batch_id": job.batch_id})

    site, sent = runtime(config, collector)
    assert site.handle(JobKind.DISCOVER, message(), attempt=2) == "done"
    assert ran == [f"{JOB}.2"]
    assert [e.event for e in sent] == [Event.STARTED, Event.RESULT]
    public = load_private_key(config.key_path).public_key()
    for envelope in sent:
        verify(envelope, public)
        assert (envelope.site_id, envelope.attempt, envelope.batch_id) == ("lab", 2, f"{JOB}.2")


def test_third_delivery_is_reported_failed_and_never_runs(config: SiteConfig) -> None:
    def collector(job: SiteJob, params: DiscoverParams) -> str:
        raise AssertionError("must not run")

    site, sent = runtime(config, collector)
    site.handle(JobKind.DISCOVER, message(), attempt=3)
    [report] = sent
    assert report.event is Event.FAILED
    assert "lost during each of its 2 runs" in json.loads(report.payload)["error"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"site_id": "other"}, "not this one"),
        ({"kind": "verify_backup"}, "does not match"),
        ({"expires_at": "2020-01-01T00:00:00+00:00"}, "deadline passed"),
        ({"params": {"profile": "loud"}}, "profile"),
    ],
)
def test_refused_deliveries_are_reported_and_never_run(
    config: SiteConfig, changes: dict[str, object], reason: str
) -> None:
    def collector(job: SiteJob, params: DiscoverParams) -> str:
        raise AssertionError("must not run")

    site, sent = runtime(config, collector)
    site.handle(JobKind.DISCOVER, message(**changes), attempt=1)
    [report] = sent
    assert report.event is Event.FAILED and reason in json.loads(report.payload)["error"]


def test_collector_refusal_is_reported_as_the_jobs_failure(config: SiteConfig) -> None:
    def collector(job: SiteJob, params: DiscoverParams) -> str:
        raise UserInputError("scan refused: now is outside the scope's time window")

    site, sent = runtime(config, collector)
    site.handle(JobKind.DISCOVER, message(), attempt=1)
    assert [e.event for e in sent] == [Event.STARTED, Event.FAILED]
    assert "time window" in json.loads(sent[-1].payload)["error"]


def _job(config: SiteConfig) -> SiteJob:
    return SiteJob(config, JOB, JobKind.DISCOVER, 1, lambda: pytest.fail("no catalog needed"))


def test_job_cannot_ask_for_more_than_the_sites_scope(config: SiteConfig) -> None:
    job = _job(config)
    with pytest.raises(UserInputError, match="allows at most safe"):
        collect_discovery(job, DiscoverParams(profile="standard"))
    with pytest.raises(UserInputError, match="count-only queries"):
        collect_discovery(job, DiscoverParams(allow_query=True))
    with pytest.raises(UserInputError, match="default-credential checks"):
        collect_discovery(job, DiscoverParams(allow_credential_checks=True))
    with pytest.raises(UserInputError, match="outside the scope"):
        collect_discovery(job, DiscoverParams(targets=("10.20.30.40",)))


def test_backup_job_reads_only_inside_the_workers_archive_folders(
    config: SiteConfig, tmp_path: Path
) -> None:
    allowed = tmp_path / "archive"
    allowed.mkdir()
    job = _job(SiteConfig(**{**config.__dict__, "archives": (allowed,)}))
    for outside in ("/etc", str(allowed / ".." / "elsewhere"), str(tmp_path / "archive2")):
        with pytest.raises(UserInputError, match="not inside this worker's --archive"):
            collect_backup_verification(job, VerifyBackupParams(root=outside, asset_id="PACS"))


def test_worker_refuses_a_scope_of_another_site(tmp_path: Path, config: SiteConfig) -> None:
    other = SiteConfig(**{**config.__dict__, "scope_path": scope_file(tmp_path, site="south")})
    with pytest.raises(UserInputError, match="the scope file is for site 'south', not 'lab'"):
        check_config(other)


def test_worker_refuses_a_key_others_can_read(config: SiteConfig) -> None:
    config.key_path.chmod(0o644)
    with pytest.raises(UserInputError, match="readable by others"):
        check_config(config)


def test_connection_log_is_created_owner_only(config: SiteConfig) -> None:
    check_config(config)
    assert config.log_path.stat().st_mode & 0o777 == 0o600


def test_attempt_comes_from_the_brokers_delivery_count() -> None:
    class Request:
        def __init__(self, headers: dict[str, object], redelivered: bool) -> None:
            self.headers = headers
            self.delivery_info = {"redelivered": redelivered}

    assert delivery_attempt(Request({}, False)) == 1
    assert delivery_attempt(Request({"x-delivery-count": 1}, True)) == 2
    assert delivery_attempt(Request({"x-delivery-count": 2}, True)) == 3
    assert delivery_attempt(Request({}, True)) == 2  # a broker that does not count
