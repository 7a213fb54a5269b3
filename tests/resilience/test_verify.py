"""backup verify on real DICOM archives: intact, damaged, encrypted, odd file systems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.resilience.backup.compare import compare_files, load_digests
from imagewarden.resilience.backup.manifest import partial_path, read_records
from imagewarden.resilience.backup.scan import scan_file
from imagewarden.resilience.backup.verify import verify
from tests.resilience.conftest import aes_encrypt, files_of


def _problems(result_problems: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    return dict(result_problems)


def test_intact_archive_passes_with_counts(archive: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    result = verify(archive, jobs=2, manifest_out=manifest)
    assert (result.files, result.ok, result.problem_files) == (24, 24, 0)
    assert (result.studies, result.series) == (4, 8)
    assert set(result.study_instances.values()) == {6}
    records = list(read_records(manifest))
    assert [r["path"] for r in records] == sorted(r["path"] for r in records)
    first = records[0]
    assert len(first["sha256"]) == 64 and first["sop_instance"].startswith("2.25.")
    assert not partial_path(manifest).exists()


def test_manifest_holds_no_patient_attributes(archive: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    verify(archive, jobs=1, manifest_out=manifest)
    text = manifest.read_text()
    assert "Synthetic" not in text and "SYN0000" not in text


def test_damaged_copies_are_each_named(archive: Path) -> None:
    files = files_of(archive)
    truncated, flipped_header, encrypted, renamed, emptied = files[:5]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(flipped_header.read_bytes())
    data[130] ^= 0x01  # inside "DICM"
    flipped_header.write_bytes(bytes(data))
    encrypted.write_bytes(aes_encrypt(encrypted.read_bytes()))
    renamed.rename(renamed.with_name(renamed.name + ".locked"))
    emptied.write_bytes(b"")
    (archive / "HOW_TO_DECRYPT_FILES.txt").write_text("send bitcoin")
    (archive / "readme.txt").write_text("archive exported 2026-01-01")
    (files[5].parent / "copy.dcm").write_bytes(files[5].read_bytes())  # duplicate SOP UID

    result = verify(archive, jobs=2)
    problems = _problems(result.problems)
    rel = lambda p: p.relative_to(archive).as_posix()  # noqa: E731
    assert problems[rel(truncated)] == ["truncated"]
    assert problems[rel(flipped_header)] == ["bad_header:no_magic"]
    assert problems[rel(encrypted)] == ["encrypted_suspect"]
    assert problems[rel(renamed) + ".locked"] == ["extension_changed"]
    assert problems[rel(emptied)] == ["empty"]
    assert problems["HOW_TO_DECRYPT_FILES.txt"] == ["ransom_note"]
    assert problems["readme.txt"] == ["not_dicom"]  # reported, not counted as damage
    assert problems[rel(files[5].parent / "copy.dcm")] == ["duplicate_sop_instance"]
    assert result.duplicate_sop_instances == 1
    # every damaged file counts as an integrity problem; so does the ransom note
    assert result.integrity_files == 7
    assert result.ok == 24 - 5 - 0  # the 5 damaged ones; the copy is extra


def test_bit_flip_in_pixel_data_shows_as_changed(archive: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    verify(archive, jobs=1, manifest_out=first)
    victim = files_of(archive)[3]
    data = bytearray(victim.read_bytes())
    data[-100] ^= 0x10  # pixel data still parses: only the hash can tell
    victim.write_bytes(bytes(data))
    victim.with_name("extra.dcm").write_bytes(files_of(archive)[0].read_bytes())
    files_of(archive)[-1].unlink()

    second = tmp_path / "second.jsonl"
    result = verify(archive, jobs=2, manifest_out=second, against=load_digests(first))
    comparison = result.comparison
    assert comparison is not None
    assert comparison.changed_paths == (victim.relative_to(archive).as_posix(),)
    assert (comparison.missing, comparison.added, comparison.changed) == (1, 1, 1)
    # the same answer from the two manifest files
    offline = compare_files(first, second)
    assert offline.as_dict() == comparison.as_dict()


def test_runs_give_identical_records(archive: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    verify(archive, jobs=1, manifest_out=one)
    verify(archive, jobs=2, manifest_out=two)
    assert list(read_records(one)) == list(read_records(two))


def test_checking_processes_give_the_records_of_one_thread_in_order(
    archive: Path, tmp_path: Path
) -> None:
    # many batches over three processes, with listing problems and damaged files among them
    for i in range(700):
        (archive / f"note{i:04d}.txt").write_text(f"archive note {i}\n")
    (archive / "note0100.txt").unlink()
    (archive / "note0100.txt").symlink_to("nowhere.txt")  # a listing problem mid-run
    damaged = files_of(archive)[5]
    damaged.write_bytes(damaged.read_bytes()[:300])
    one, three = tmp_path / "1.jsonl", tmp_path / "3.jsonl"
    verify(archive, jobs=1, manifest_out=one)
    result = verify(archive, jobs=3, manifest_out=three)
    records = list(read_records(three))
    assert records == list(read_records(one)) and len(records) == 724
    assert [r["path"] for r in records] == sorted(r["path"] for r in records)
    problems = {r["path"]: r.get("problems", []) for r in records}
    assert problems["note0100.txt"] == ["broken_symlink"]
    assert problems[damaged.relative_to(archive).as_posix()] == ["truncated"]
    assert result.files == 724 and result.ok == 23


_NOT_PYTHON = """
import sys
from pathlib import Path
from imagewarden.resilience.backup.verify import verify
sys.executable = "/bin/true"  # as in an embedded interpreter: it cannot run itself
result = verify(Path(sys.argv[1]), jobs=2)
print(result.files, result.ok)
"""


def test_an_interpreter_that_cannot_start_processes_checks_in_one_thread(
    archive: Path,
) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", _NOT_PYTHON, str(archive)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert ran.stdout.split() == ["24", "24"]
    assert "cannot start checking processes: checking in one thread" in ran.stderr


def test_resume_continues_an_interrupted_manifest(archive: Path, tmp_path: Path) -> None:
    full = tmp_path / "full.jsonl"
    verify(archive, jobs=1, manifest_out=full)
    lines = full.read_text().splitlines(keepends=True)
    manifest = tmp_path / "resumed.jsonl"
    # an interrupted run: header, ten complete records and a torn eleventh line
    partial_path(manifest).write_text("".join(lines[:11]) + lines[11][:20])
    result = verify(archive, jobs=2, manifest_out=manifest, resume=True)
    assert result.resumed == 10 and result.files == 24
    assert list(read_records(manifest)) == list(read_records(full))


def test_symlink_loops_broken_links_and_special_files(archive: Path) -> None:
    (archive / "study00000" / "up").symlink_to("..")
    (archive / "self").symlink_to("self")
    (archive / "gone.dcm").symlink_to("nowhere.dcm")
    os.mkfifo(archive / "pipe")
    result = verify(archive, jobs=2)
    problems = _problems(result.problems)
    assert problems["study00000/up"] == ["symlink_loop"]
    assert problems["self"] == ["symlink_loop"]
    assert problems["gone.dcm"] == ["broken_symlink"]
    assert problems["pipe"] == ["not_regular_file"]
    assert result.ok == 24


def test_file_changing_while_read_is_reported() -> None:
    # /proc files report size 0 yet return bytes: the size seen before reading is not the
    # size read, exactly like a file rewritten during the scan
    record = scan_file("/proc/self", "status")
    assert record["problems"] == ["changed_during_scan"]


def test_a_file_cut_short_after_it_was_opened_is_reported(tmp_path: Path) -> None:
    # the header asks for bytes the file no longer has, again and again: the re-reads end
    # and the file is reported as changed, instead of the checking process failing
    from imagewarden.resilience.backup.sample import source_file
    from imagewarden.resilience.backup.scan import FIRST_READ, FileScan

    data = source_file("waveform_ecg.dcm").read_bytes()
    (tmp_path / "ecg.dcm").write_bytes(data)
    opened = FileScan(str(tmp_path), "ecg.dcm", follow_links=False)
    os.truncate(tmp_path / "ecg.dcm", FIRST_READ + 1000)
    record = opened.run()
    assert record["problems"] == ["changed_during_scan"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_permission_denied_is_reported_not_fatal(archive: Path, tmp_path: Path) -> None:
    # root reads everything, so the scan runs as "nobody" on a copy nobody may partly read
    shared = Path("/tmp") / f"iw-perm-{os.getpid()}-{tmp_path.name}"
    try:
        subprocess.run(["cp", "-r", str(archive), str(shared)], check=True)
        for path in [shared, *shared.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        locked_file = files_of(shared)[0]
        locked_file.chmod(0o000)
        (shared / "study00003").chmod(0o000)
        code = (
            "import json,sys; from pathlib import Path;"
            "from imagewarden.resilience.backup.verify import verify;"
            "r = verify(Path(sys.argv[1]), jobs=2);"
            "print(json.dumps({'files': r.files, 'ok': r.ok, 'problems': r.problems}))"
        )
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             sys.executable, "-c", code, str(shared)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        report = json.loads(done.stdout)
        problems = dict(report["problems"])
        assert problems[locked_file.relative_to(shared).as_posix()] == ["permission_denied"]
        assert problems["study00003"] == ["permission_denied"]
        assert report["ok"] == 24 - 1 - 6
    finally:
        subprocess.run(["rm", "-rf", str(shared)], check=False)


def test_interrupted_run_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    from imagewarden.resilience.backup.sample import write_study_files

    root = tmp_path / "big"
    list(write_study_files(root, studies=12, series_per_study=2, instances_per_series=6))
    manifest = tmp_path / "m.jsonl"

    def interrupt(files: int, _size: int) -> None:
        if files >= 64:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify(root, jobs=2, manifest_out=manifest, progress=interrupt)
    assert not manifest.exists() and partial_path(manifest).exists()
    result = verify(root, jobs=2, manifest_out=manifest, resume=True)
    assert result.resumed >= 64 and result.files == 144 and result.ok == 144
    assert len(list(read_records(manifest))) == 144


def test_a_long_header_without_pixel_data_is_read_to_its_end(tmp_path: Path) -> None:
    # an ECG: waveform elements instead of pixel data, so the header walk goes on to the end
    # of the file, asking for more than the first read several times
    import pydicom

    from imagewarden.resilience.backup.sample import source_file

    source = source_file("waveform_ecg.dcm")
    archive = tmp_path / "ecg"
    archive.mkdir()
    (archive / "ecg.dcm").write_bytes(source.read_bytes())
    manifest = tmp_path / "m.jsonl"
    result = verify(archive, jobs=1, manifest_out=manifest)
    assert (result.files, result.ok) == (1, 1)
    (record,) = read_records(manifest)
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    assert (record["sop_instance"], record["series"]) == (
        ds.SOPInstanceUID,
        ds.SeriesInstanceUID,
    )


def test_a_value_larger_than_any_read_before_the_last_element_is_skipped(tmp_path: Path) -> None:
    # an encapsulated PDF of 70 MiB, then its MIME type: the header walk skips the value by
    # its length and reads the element after it where it is; it was reported "truncated"
    # when the walk needed one buffer up to the MIME type and that was more than 64 MiB
    import pydicom

    from tests.resilience.conftest import write_large_document

    archive = tmp_path / "documents"
    archive.mkdir()
    path = archive / "report.dcm"
    start, end = write_large_document(path, 70 << 20)
    ds = pydicom.dcmread(path, defer_size=1024)  # valid: pydicom reads it to its last element
    assert ds.MIMETypeOfEncapsulatedDocument == "application/pdf"
    manifest = tmp_path / "m.jsonl"
    result = verify(archive, jobs=1, manifest_out=manifest)
    assert (result.files, result.ok) == (1, 1), result.problems
    (record,) = read_records(manifest)
    assert (record["sop_instance"], record["study"], record["series"], record["sop_class"]) == (
        ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPClassUID,
    )  # fmt: skip
    # cut in the middle of the value, or after it before the next element's header is whole
    for cut in (start + (35 << 20), end + 4):
        os.truncate(path, cut)
        assert scan_file(str(archive), "report.dcm")["problems"] == ["truncated"], cut
