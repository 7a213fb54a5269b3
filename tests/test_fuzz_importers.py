"""Fuzzing the importers not covered by their own capability's fuzz suite (bounded examples):
checklist answers, training and GoPhish results (CSV and JSON), nmap XML, the discovery scope
file and backup manifests. Any input is imported or refused as a user error (exit 2 on the
command line), never another exception.

Inputs start from real, valid files and are damaged the ways files really are: cut short,
bytes replaced or inserted, a line doubled, NUL and control characters, a header repeated, a
field dropped. Starting from valid files makes the examples reach deep into each reader.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagewarden.app import Workspace, open_workspace
from imagewarden.discovery.lab.scope import lab_scope
from imagewarden.discovery.scope import load_scope
from imagewarden.governance import api as governance
from imagewarden.inventory import api as inventory_api
from imagewarden.model import UserInputError
from imagewarden.resilience import api as resilience
from imagewarden.resilience.backup.manifest import write_header, write_record
from tests.factories import asset, inventory
from tests.inventory.test_nmap import SCAN

HERE = Path(__file__).parent
FUZZ = settings(
    max_examples=int(os.environ.get("IMAGEWARDEN_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _manifest() -> str:
    """A real manifest of two files, as ``backup verify --manifest-out`` writes it."""
    stream = io.StringIO()
    write_header(stream, Path("/archive"), "2026-05-01T10:00:00+00:00")
    for n, digest in ((1, "a"), (2, "b")):
        write_record(stream, {"path": f"a/{n}.dcm", "size": 10 + n, "mtime_ns": n,
                              "sha256": digest * 64, "status": "ok", "study": "1.2.3",
                              "series": "1.2.3.4", "sop_instance": f"1.2.3.4.{n}"})  # fmt: skip
    return stream.getvalue()


MANIFEST = _manifest()


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` damaged in one to three of the ways real files are."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["cut", "replace", "insert", "double", "control", "drop"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if how == "cut":
            del data[at:]
        elif how == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif how == "double":  # a line (a header, a row) repeated
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
        elif how == "control":
            data[at:at] = draw(st.sampled_from([b"\x00", b"\x1b[2J", b"\r", b"\x7f", b"\xff\xfe"]))
        elif how == "drop":  # a field (between separators) removed
            for separator in (b",", b":", b">"):
                cut = bytes(data).find(separator, at)
                if cut >= 0:
                    del data[cut : cut + 1]
                    break
    return bytes(data)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with open_workspace(str(db), create=True, actor="fuzz") as opened:
        opened.store.save_inventory(inventory(asset("CT-1", "north"), asset("PACS-1", "south")))
        yield opened


def _answers_seed(workspace: Workspace) -> bytes:
    document = governance.template_document(workspace, "executive")
    rows = [",".join(document.header)]
    for row in document.rows[:3]:
        cells = dict(zip(document.header, (str(c) for c in row), strict=False))
        cells.update(site="north", answer="partial", owner="Chief of radiology",
                     due="2027-03-31", answered="2026-11-01")  # fmt: skip
        rows.append(",".join(cells.get(h, "") for h in document.header))
    return ("\n".join(rows) + "\n").encode()


def _must_import_or_refuse(run: Callable[[], object]) -> None:
    with contextlib.suppress(UserInputError):  # refused cleanly: exit 2 on the command line
        run()


IMPORTERS: dict[str, tuple[str, Callable[[Workspace], bytes], Callable[[Workspace, Path], object]]]
IMPORTERS = {
    "answers": (".csv", _answers_seed, governance.import_answers),
    "training": (
        ".csv",
        lambda _w: (HERE / "governance" / "data" / "training.csv").read_bytes(),
        governance.import_training,
    ),
    "gophish-csv": (
        ".csv",
        lambda _w: (HERE / "governance" / "data" / "gophish-results.csv").read_bytes(),
        lambda w, p: governance.import_gophish(w, p, campaign="Spring", site="north"),
    ),
    "gophish-json": (
        ".json",
        lambda _w: (HERE / "governance" / "data" / "gophish-api-results.json").read_bytes(),
        lambda w, p: governance.import_gophish(w, p, site="north"),
    ),
    "nmap": (".xml", lambda _w: SCAN.encode(), inventory_api.import_nmap),
}


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
def test_a_damaged_file_is_imported_or_refused_never_a_crash(
    kind: str, workspace: Workspace, tmp_path: Path
) -> None:
    suffix, seed_of, run = IMPORTERS[kind]
    seed = seed_of(workspace)
    path = tmp_path / f"input{suffix}"
    path.write_bytes(seed)
    run(workspace, path)  # the seed itself imports: the damage is what is tested

    @FUZZ
    @given(data=damaged(seed))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        _must_import_or_refuse(lambda: run(workspace, path))

    check()


def test_a_damaged_scope_file_loads_or_is_refused(tmp_path: Path) -> None:
    seed = yaml.safe_dump(lab_scope(exclude=("127.0.0.9",)), sort_keys=False).encode()
    path = tmp_path / "scope.yaml"
    path.write_bytes(seed)
    load_scope(path)

    @FUZZ
    @given(data=damaged(seed))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        _must_import_or_refuse(lambda: load_scope(path))

    check()


def test_a_damaged_backup_manifest_compares_or_is_refused(tmp_path: Path) -> None:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text(MANIFEST, encoding="utf-8")
    new.write_text(MANIFEST, encoding="utf-8")
    resilience.compare_manifests(old, new)

    @FUZZ
    @given(data=damaged(MANIFEST.encode()))
    def check(data: bytes) -> None:
        new.write_bytes(data)
        _must_import_or_refuse(lambda: resilience.compare_manifests(old, new))

    check()


@pytest.mark.parametrize(
    "line",
    [b"[" * 100_000 + b"]" * 100_000, b"\x80\xff not text", b'{"path": "' + b"a" * 2_000_000],
    ids=["nested-100000-deep", "not-utf8", "over-long-line"],
)
def test_a_hostile_manifest_line_is_refused_naming_its_line(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(MANIFEST.encode().split(b"\n")[0] + b"\n" + line + b"\n")
    with pytest.raises(UserInputError) as refused:
        resilience.compare_manifests(path, path)
    assert refused.value.location is not None and refused.value.location.line == 2
