"""Real flows in Debian's chromium (Playwright), as people use the workspace."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from imagewarden.app import open_workspace
from tests.web.conftest import PASSWORD, Deployment, chromium_path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path()), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[object]:
    contexts = []

    def make(deployment: Deployment, name: str) -> Page:
        context = browser.new_context(base_url=deployment.url, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto("/login")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{deployment.url}/")
        page.console_errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def test_sign_in_shows_the_dashboard_without_console_errors(
    deployment: Deployment, open_page: object
) -> None:
    page: Page = open_page(deployment, "leadership")  # type: ignore[operator]
    expect(page.get_by_test_id("readiness-score")).to_have_text(re.compile(r"^\d+$"))
    page.get_by_role("link", name="Findings").first.click()
    expect(page.get_by_test_id("findings-total")).to_contain_text("findings")
    page.get_by_label("Severity ≥").select_option("critical")
    expect(page).to_have_url(re.compile(r"severity=critical"))
    assert page.console_errors == []  # type: ignore[attr-defined]  # CSP violations show here


def test_accepting_a_finding_shows_in_the_report_and_the_audit_log(
    deployment: Deployment, open_page: object, tmp_path: Path
) -> None:
    finding = deployment.finding_ids["south"]
    page: Page = open_page(deployment, "security-analyst")  # type: ignore[operator]
    page.goto(f"/findings/{finding}")
    accept = page.locator(f"form[action='/findings/{finding}/accept']")
    accept.get_by_label("Reason").fill("Replacement CT ordered, isolated VLAN meanwhile")
    accept.get_by_label("Until").fill("2099-03-31")
    accept.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("finding-status")).to_contain_text("accepted until 2099-03-31")

    page.goto("/reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Findings (JSON)").click()
    saved = tmp_path / "findings.json"
    download.value.save_as(saved)
    text = saved.read_text()
    assert "Replacement CT ordered, isolated VLAN meanwhile" in text
    assert finding in text and "accepted" in json.dumps(json.loads(text))
    with page.expect_download() as download:
        page.get_by_role("link", name="OSCAL assessment results (JSON)").click()
    oscal = json.loads(Path(download.value.path()).read_text())
    assert "assessment-results" in oscal

    page.goto(f"/audit?target={finding}")
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("finding.accepted")
    expect(row).to_contain_text("security-analyst")


def test_a_malformed_csv_shows_its_line_and_imports_nothing(
    deployment: Deployment, open_page: object, tmp_path: Path
) -> None:
    bad = tmp_path / "wards.csv"
    bad.write_text(
        "id,site,name,type,criticality\n"
        "DX-50,north,Ward X-ray,DX,high\n"
        "DX-51,north,Ward X-ray 2,DX,extreme\n"
    )
    page: Page = open_page(deployment, "imaging-lead")  # type: ignore[operator]
    page.goto("/assets/import")
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    error = page.get_by_test_id("import-error")
    expect(error).to_contain_text("wards.csv:3")
    expect(error).to_contain_text("criticality")
    with open_workspace(deployment.db) as workspace:
        assert not {"DX-50", "DX-51"} & {a.id for a in workspace.store.assets()}


def test_leadership_cannot_accept_a_finding(deployment: Deployment, open_page: object) -> None:
    finding = deployment.finding_ids["north"]
    page: Page = open_page(deployment, "leadership")  # type: ignore[operator]
    page.goto(f"/findings/{finding}")
    expect(page.locator(f"form[action='/findings/{finding}/accept']")).to_have_count(0)
    reply = page.request.post(
        f"/findings/{finding}/accept",
        form={"reason": "leadership tries", "until": "2099-01-01"},
    )
    assert reply.status == 403


def test_an_auditor_reads_everything_and_changes_nothing(
    deployment: Deployment, open_page: object
) -> None:
    finding = deployment.finding_ids["north"]
    page: Page = open_page(deployment, "auditor")  # type: ignore[operator]
    for path in ("/", "/findings", f"/findings/{finding}", "/assets", "/audit", "/reports"):
        assert page.goto(path).status == 200  # type: ignore[union-attr]
    assert page.locator("form[method='post']:not([action='/logout'])").count() == 0
    csrf = page.locator("input[name='csrf_token']").first.get_attribute("value") or ""
    for action, form in (
        (f"/findings/{finding}/accept", {"reason": "x", "until": "2099-01-01"}),
        (f"/findings/{finding}/comment", {"text": "x"}),
        ("/users", {"name": "sneaky", "role": "admin", "password": PASSWORD}),
    ):
        reply = page.request.post(action, form={**form, "csrf_token": csrf})
        assert reply.status == 403, action
    assert page.goto("/assets/import").status == 403  # type: ignore[union-attr]


def test_answering_a_checklist_item_changes_the_crosswalk(
    deployment: Deployment, open_page: object
) -> None:
    page: Page = open_page(deployment, "leadership")  # type: ignore[operator]
    page.get_by_role("link", name="Checklists").click()
    page.get_by_label("Checklist").select_option("executive")
    page.get_by_label("Site").select_option("south")
    page.get_by_role("button", name="Show").click()
    crosswalk = page.get_by_test_id("crosswalk")
    before = crosswalk.inner_text()
    row = page.locator("table.checklist tbody tr").first
    question = row.get_attribute("id")
    row.get_by_label("answer").select_option("no")
    row.get_by_label("owner").fill("Chief medical officer")
    row.get_by_label("due date").fill("2099-06-30")  # a gap needs a date for closing it
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id(f"answer-{question}")).to_contain_text("no")
    assert page.get_by_test_id("crosswalk").inner_text() != before  # a requirement became a gap
    with open_workspace(deployment.db) as workspace:
        [entry] = workspace.store.audit_entries(action="checklist.answer")
    assert (entry.actor, entry.target) == ("leadership", f"south:{question}")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_clinical_engineer_reads_but_cannot_answer_the_executive_checklist(
    deployment: Deployment, open_page: object
) -> None:
    page: Page = open_page(deployment, "clinical-engineering")  # type: ignore[operator]
    page.goto("/checklists?checklist=executive&site=north")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    assert page.locator("table.checklist form").count() == 0
    page.goto("/checklists?checklist=clinical_engineering&site=north")
    assert page.locator("table.checklist form").count() > 0


def test_a_plan_item_is_edited_and_a_stale_form_is_refused(
    deployment: Deployment, open_page: object
) -> None:
    page: Page = open_page(deployment, "security-analyst")  # type: ignore[operator]
    page.get_by_role("link", name="Plan of action").click()
    expect(page.get_by_test_id("review")).to_contain_text("Quarterly review")
    earlier = page.context.new_page()  # a second tab, read before the save
    earlier.goto("/plan")
    form = page.locator("form.plan-edit").first
    form.get_by_label("owner").fill("Imaging informatics")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("form.plan-edit").first.get_by_label("owner")).to_have_value(
        "Imaging informatics"
    )
    stale = earlier.locator("form.plan-edit").first
    stale.get_by_label("owner").fill("Someone else")
    stale.get_by_role("button", name="Save").click()
    expect(earlier.locator("body")).to_contain_text("changed since it was read")
    page.reload()
    expect(page.locator("form.plan-edit").first.get_by_label("owner")).to_have_value(
        "Imaging informatics"
    )


def test_an_imaging_lead_logs_a_drill_which_then_runs(
    deployment: Deployment, open_page: object
) -> None:
    page: Page = open_page(deployment, "imaging-lead")  # type: ignore[operator]
    page.get_by_role("link", name="Drills").click()
    page.get_by_role("link", name="PACS downtime drill").click()
    expect(page.get_by_test_id("drill-state")).to_have_text("scheduled")
    page.get_by_label("Entry").fill("Downtime procedures started; film printing ready")
    page.get_by_role("button", name="Log").click()
    expect(page.get_by_test_id("drill-state")).to_have_text("running")
    expect(page.locator("table.drill-log")).to_contain_text("film printing ready")
    for path in ("/vulnerabilities?kev=true&epss=10%25", "/backups"):
        assert page.goto(path).status == 200, path  # type: ignore[union-attr]
    assert page.goto("/vulnerabilities?epss=lots").status == 400  # type: ignore[union-attr]
    expect(page.get_by_role("alert")).to_contain_text("epss")
