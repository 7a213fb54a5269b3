"""Site workers and the centre as real processes on a private RabbitMQ node.

Each test gets its own virtual host with the deployment's users: the centre's, and one per
site limited to its own queue (``workers.config``). Nothing here runs in Celery's eager
mode: the jobs travel through the broker to ``imagewarden worker`` processes, and the
signed reports back to an ``imagewarden centre`` process that writes the database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from amqp.exceptions import AccessRefused
from kombu import Connection

from imagewarden.discovery.lab.scope import lab_scope
from imagewarden.model.jobs import JobState
from imagewarden.resilience.backup.sample import write_study_files
from imagewarden.workers.config import centre_queue, site_queue
from tests.cli_runner import expect
from tests.factories import asset, inventory
from tests.workers.cluster import Cluster, in_window

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="session")
def _archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archives") / "pacs"
    list(write_study_files(root, studies=4, series_per_study=2, instances_per_series=3, seed=7))
    return root


def site_scope(folder: Path, site: str) -> Path:
    """A scope file for ``site`` (the demo lab's addresses, open now)."""
    data = lab_scope()
    data.update(site=site, window=in_window())
    path = folder / f"{site}-scope.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def submit_backup(cluster: Cluster, site: str, root: Path, asset_id: str) -> str:
    ran = expect(
        0, "jobs", "submit", "verify_backup", "--site", site, "--root", root, "--asset", asset_id,
        "--broker", cluster.broker.centre_url, db=cluster.db,
    )  # fmt: skip
    return ran.stdout.strip()


def test_backup_job_runs_at_its_site_and_is_applied_at_the_centre(
    cluster: Cluster, _archive: Path
) -> None:
    cluster.import_inventory(inventory(asset("PACS-N", "north")))
    archives = cluster.folder / "archives"
    shutil.copytree(_archive, archives / "pacs")
    key = cluster.site_key("north")
    cluster.start_centre()
    cluster.start_worker("north-1", "north", site_scope(cluster.folder, "north"), key,
                         "--archive", archives)  # fmt: skip
    job_id = submit_backup(cluster, "north", archives / "pacs", "PACS-N")
    [job] = cluster.wait_all()
    assert job.id == job_id and job.attempts == 1 and job.batch_id == f"{job_id}.1"
    assert job.summary["files"] == 24 and job.summary["problem_files"] == 0
    with cluster.workspace() as workspace:
        [entry] = workspace.store.audit_entries(action="job.submitted")
        applied = [e for e in workspace.store.audit_entries() if e.actor == "site:north"]
        facts = workspace.store.observations(names=["backup.integrity_problems"])
    assert entry.target == f"job {job_id}"
    assert len(applied) == 1, "the result is applied once, as the site"
    assert [(f.subject_id, f.value) for f in facts] == [("PACS-N", 0)]
    listed = expect(0, "jobs", "list", "--format", "json", db=cluster.db)
    assert '"state": "done"' in listed.stdout


def test_worker_signing_with_another_sites_key_is_refused(cluster: Cluster, _archive: Path) -> None:
    cluster.import_inventory(inventory(asset("PACS-N", "north"), asset("PACS-S", "south")))
    archives = cluster.folder / "archives"
    shutil.copytree(_archive, archives / "pacs")
    cluster.site_key("north")
    south_key = cluster.site_key("south")
    cluster.start_centre()
    # A rogue worker on north's queue (with north's broker user) holding south's key.
    cluster.start_worker("rogue", "north", site_scope(cluster.folder, "north"), south_key,
                         "--archive", archives)  # fmt: skip
    job_id = submit_backup(cluster, "north", archives / "pacs", "PACS-N")

    def refused_twice(_jobs: object) -> bool:
        with cluster.workspace() as workspace:
            return len(workspace.store.audit_entries(action="job.report_refused")) >= 2

    cluster.wait_for(refused_twice, what="the refusals")
    with cluster.workspace() as workspace:
        refusals = workspace.store.audit_entries(action="job.report_refused")
        facts = workspace.store.observations(names=["backup.integrity_problems"])
    assert all(e.target == f"job {job_id}" for e in refusals)
    assert all("does not match the key registered" in str(e.after) for e in refusals)
    assert facts == []
    [job] = cluster.jobs()
    assert job.state is JobState.QUEUED and job.batch_id is None
    assert "report refused" in (cluster.folder / "centre.log").read_text()


def test_site_broker_user_reaches_its_own_queue_only(cluster: Cluster) -> None:
    with Connection(cluster.broker.centre_url) as centre:
        for queue in (site_queue("north"), site_queue("south"), centre_queue()):
            queue.bind(centre.default_channel).declare()
    with Connection(cluster.broker.site_url("south")) as south:
        channel = south.channel()
        site_queue("south").bind(channel).declare()  # its own: allowed
        with pytest.raises(AccessRefused):
            channel.basic_consume(queue="site.north", callback=lambda *_: None)
    confirmed = {"confirm_publish": True}
    with Connection(cluster.broker.site_url("south"), transport_options=confirmed) as south:
        producer = south.Producer()
        with pytest.raises(AccessRefused):
            producer.publish({"job": "forged"}, exchange="site.north", routing_key="site.north")
    with Connection(cluster.broker.site_url("south")) as south, pytest.raises(AccessRefused):
        south.default_channel.basic_consume(queue="centre", callback=lambda *_: None)


def _demo_capture(folder: Path) -> Path:
    from importlib.resources import as_file, files

    from imagewarden.demo.run import DEMO_CAPTURE

    folder.mkdir(parents=True, exist_ok=True)
    with as_file(files("imagewarden.demo") / "captures" / DEMO_CAPTURE) as source:
        return Path(shutil.copy(source, folder / "lab.pcapng"))


def submit_capture(cluster: Cluster, site: str, capture: Path) -> str:
    ran = expect(
        0, "jobs", "submit", "analyze_capture", "--site", site, "--capture", capture,
        "--broker", cluster.broker.centre_url, db=cluster.db,
    )  # fmt: skip
    return ran.stdout.strip()


def test_capture_job_is_analysed_at_its_site_and_applied_once_at_the_centre(
    cluster: Cluster,
) -> None:
    from imagewarden.traffic import api as traffic

    cluster.import_inventory(inventory(asset("PACS-N", "north")))
    captures = cluster.folder / "captures"
    capture = _demo_capture(captures / "ward")
    elsewhere = _demo_capture(cluster.folder / "private")
    key = cluster.site_key("north")
    cluster.start_centre()
    cluster.start_worker("north-1", "north", site_scope(cluster.folder, "north"), key,
                         "--captures", captures)  # fmt: skip
    first = submit_capture(cluster, "north", capture)
    [job] = cluster.wait_all()
    assert job.id == first and job.batch_id == f"{first}.1"
    assert job.summary["flows"] == 9 and job.summary["replaced"] is False
    assert job.summary["new_assets"] > 0  # the capture's hosts are not in north's inventory
    # The same capture again (a folder of rotated files this time): replaced, not added.
    second = submit_capture(cluster, "north", captures / "ward")
    refused = submit_capture(cluster, "north", elsewhere)
    jobs = cluster.wait_for(
        lambda jobs: len(jobs) == 3 and all(j.state.finished for j in jobs), what="the jobs"
    )
    by_id = {j.id: j for j in jobs}
    assert by_id[second].state is JobState.DONE and by_id[second].summary["replaced"] is True
    assert by_id[refused].state is JobState.FAILED
    assert "not inside this worker's --captures folders" in (by_id[refused].error or "")
    with cluster.workspace() as workspace:
        flows = traffic.flows(workspace, "north")
        applied = [
            e for e in workspace.store.audit_entries(action="traffic.apply")
            if e.actor == "site:north"
        ]  # fmt: skip
    assert len(flows) == 9, "applying the same capture twice never duplicates its flows"
    assert {(f.flow.calling_ae, f.flow.called_ae) for f in flows} >= {
        ("RMC_CT1", "RMC_PACS1"), ("ANYSCU", "RMC_PACS1")
    }  # fmt: skip
    assert len(applied) == 2, "each job's batch is applied once, as the site"
