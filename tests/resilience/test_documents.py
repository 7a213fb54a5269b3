"""The resilience documents as people read them: after-action items numbered from 1, the IR
plan, tabletop and after-action report styled by the readiness report's stylesheet, and each
shared procedure stated once in the IR plan with every playbook pointing to it."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from imagewarden.app import open_store
from imagewarden.resilience.store.repository import ResilienceRepository
from tests.cli_runner import expect
from tests.resilience.department import department


def _db(tmp_path: Path) -> str:
    path = str(tmp_path / "iw.db")
    with open_store(path, create=True) as store:
        store.save_inventory(department())
    return path


def _finished_drill(db: str, out: Path, *improvements: str) -> None:
    drill_id = expect(0, "drill", "schedule", "--site", "north", "--title", "PACS down",
                      "--on", "2026-10-01", db=db).stdout.strip()  # fmt: skip
    expect(0, "drill", "log", drill_id, "PACS unreachable", "--at", "2026-10-01T09:00:00", db=db)
    improve = [arg for text in improvements for arg in ("--improve", text)]
    expect(0, "drill", "report", drill_id, *improve, "--out", out, db=db)


def _numbers(html: str, table_heading: str) -> list[str]:
    table = html[html.index(table_heading) :]
    table = table[: table.index("</table>")]
    return re.findall(r'<tr><td class="num">([^<]*)</td>', table)


def test_after_action_improvements_are_numbered_from_one(tmp_path: Path) -> None:
    db = _db(tmp_path)
    # an earlier drill's items take the first ids: the second report still starts at 1
    _finished_drill(db, tmp_path / "first.html", "Print forms | Manager | 2099-01-31")
    second = tmp_path / "second.html"
    _finished_drill(db, second, "Buy a standalone viewer | PACS admin | 2099-02-28",
                    "Label the downtime kit | Radiology manager | 2099-03-31")  # fmt: skip
    html = second.read_text(encoding="utf-8")
    assert _numbers(html, "Improvement plan") == ["1", "2"]
    # the id 'drill done' takes is still shown, beside the number
    with open_store(db) as store:
        ids = [i.id for i in ResilienceRepository(store).drill_items() if i.text.startswith("Buy")]
    assert f"<code>{ids[0]}</code>" in html and ids[0] != 1


class _Blocks(HTMLParser):
    """The text of every paragraph, list item and table cell of a document."""

    BLOCKS = frozenset({"p", "li", "td", "th"})

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and str(found.get("href", "")).startswith("#"):
            self.links.append(str(found["href"])[1:])
        if tag in self.BLOCKS:
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self._open:
            self.blocks.append(" ".join("".join(self._open.pop()).split()))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)


def _blocks(html: str) -> _Blocks:
    parser = _Blocks()
    parser.feed(html)
    return parser


def test_ir_plan_states_each_shared_procedure_once(tmp_path: Path) -> None:
    db = _db(tmp_path)
    plan = tmp_path / "plan.html"
    expect(0, "ir", "plan", "--site", "north", "--out", plan, db=db)
    parsed = _blocks(plan.read_text(encoding="utf-8"))
    paragraphs = [b for b in parsed.blocks if len(b) >= 60]
    repeated = {b for b in paragraphs if paragraphs.count(b) > 1}
    assert repeated == set()
    # every playbook points to the procedures it uses, and every pointer resolves
    assert {"procedure-clinical-downtime", "procedure-isolate-system"} <= parsed.ids
    assert parsed.links.count("procedure-breach-assessment") >= 3  # exfiltration, insider...
    assert set(parsed.links) <= parsed.ids
    # the downtime steps are in the plan, once
    standalone = [b for b in parsed.blocks if "Put modalities in standalone mode" in b]
    assert len(standalone) == 1 and "ED CT" in standalone[0]


def test_tabletop_states_the_procedures_its_playbook_uses(tmp_path: Path) -> None:
    db = _db(tmp_path)
    out = tmp_path / "pkg"
    expect(0, "tabletop", "generate", "--site", "north", "--out", out, "--no-pdf", db=db)
    parsed = _blocks((out / "tabletop.html").read_text(encoding="utf-8"))
    assert "procedure-clinical-downtime" in parsed.ids
    assert parsed.links and set(parsed.links) <= parsed.ids


def test_catalog_validate_names_an_unknown_procedure(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(Path(str(resources.files("imagewarden.catalog") / "data")), catalog)
    playbook = catalog / "resilience" / "playbooks" / "insider-misuse.yaml"
    playbook.write_text(
        playbook.read_text(encoding="utf-8").replace(
            "procedure: breach-assessment", "procedure: breach-assesment"
        ),
        encoding="utf-8",
    )
    validated = expect(2, "--catalog", catalog, "catalog", "validate")
    assert "playbook insider-misuse: unknown procedure 'breach-assesment'" in validated.stderr
    refused = expect(2, "--catalog", catalog, "ir", "plan", "--out", tmp_path / "p.html",
                     db=_db(tmp_path))  # fmt: skip
    assert "unknown procedure" in refused.stderr and not (tmp_path / "p.html").exists()
