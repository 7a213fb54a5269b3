"""Hostile backup trees and faults: links out of the tree, FIFOs swapped in, a full disk.

Each test runs the real scan on a real file system; anything that could hang runs in a
subprocess with a time cap, so a regression fails the test instead of blocking the suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from imagewarden.resilience.backup.manifest import read_records
from imagewarden.resilience.backup.scan import scan_file
from imagewarden.resilience.backup.walk import walk
from tests.cli_runner import expect
from tests.resilience.conftest import files_of

CANARY = b"IW-CANARY-root:x:0:0:do-not-read-me\n"
CANARY_SHA = hashlib.sha256(CANARY).hexdigest()
HANG_CAP = 120
"""Seconds after which a scan is taken to hang (a correct one takes a second or two)."""


def _run_capped(argv: list[str]) -> tuple[int, str, str]:
    """Run ``argv`` in its own process group; on a hang, kill the whole group (the scan's
    pool processes too) and fail."""
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=HANG_CAP)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"hung for {HANG_CAP} s: {' '.join(argv[:3])}")
    return process.returncode, stdout, stderr


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the archive holding a canary file and a FIFO."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "passwd").write_bytes(CANARY)
    return folder


def _hostile_links(archive: Path, outside: Path) -> None:
    (archive / "passwd").symlink_to(outside / "passwd")  # absolute link out
    (archive / "study00000" / "shadow.dcm").symlink_to("../../outside/passwd")  # relative
    (archive / "mnt").symlink_to(outside)  # a folder out
    # a link inside the tree: still followed
    (archive / "alias.dcm").symlink_to(files_of(archive)[0].relative_to(archive))


def test_links_leaving_the_tree_are_reported_and_never_read(
    archive: Path, outside: Path, tmp_path: Path
) -> None:
    _hostile_links(archive, outside)
    manifest = tmp_path / "m.jsonl"
    ran = expect(1, "backup", "verify", archive, "--manifest-out", manifest, "--format", "json")
    listed = json.loads(ran.stdout)["problem_files_listed"]
    outside_links = {p["path"] for p in listed if p["problems"] == ["link_outside_tree"]}
    assert outside_links == {"mnt", "passwd", "study00000/shadow.dcm"}
    records = {r["path"]: r for r in read_records(manifest)}
    # a link inside the tree is followed (and is a second copy of the instance it names)
    inside = files_of(archive)[0].relative_to(archive).as_posix()
    assert records["alias.dcm"]["sha256"] == records[inside]["sha256"] != ""
    assert records["passwd"]["sha256"] == ""
    for text in (manifest.read_text(), ran.stdout, ran.stderr):
        assert CANARY_SHA not in text and "IW-CANARY" not in text

    restored = expect(0, "backup", "restore-test", archive, "--sample", "1000", "--format",
                      "json", "--scratch", tmp_path)  # fmt: skip
    test = json.loads(restored.stdout)
    # 24 files and the in-tree alias: the links out are neither counted nor copied
    assert (test["archive_files"], test["sample_files"]) == (25, 25)
    assert test["archive_bytes"] == sum(r["size"] for r in records.values() if r["size"] > 0)
    assert {p["path"]: p["problems"] for p in test["not_sampled"]} == {
        path: ["link_outside_tree"] for path in outside_links
    }
    assert "IW-CANARY" not in restored.stdout


def test_follow_links_opts_in(archive: Path, outside: Path, tmp_path: Path) -> None:
    _hostile_links(archive, outside)
    manifest = tmp_path / "m.jsonl"
    expect(1, "backup", "verify", archive, "--follow-links", "--manifest-out", manifest)
    records = {r["path"]: r for r in read_records(manifest)}
    assert records["passwd"]["sha256"] == CANARY_SHA
    assert records["mnt/passwd"]["sha256"] == CANARY_SHA
    assert "link_outside_tree" not in manifest.read_text()


def test_a_path_swapped_for_a_link_out_after_listing_is_not_read(
    archive: Path, outside: Path
) -> None:
    listed = [e.rel for e in walk(archive)]
    victim = archive / listed[0]
    victim.unlink()
    victim.symlink_to(outside / "passwd")
    folder = archive / "study00003"
    shutil.rmtree(folder)
    shutil.copytree(outside, outside.with_name("twin"))
    folder.symlink_to(outside.with_name("twin"))  # a folder component swapped, too
    (outside.with_name("twin") / "IM.dcm").write_bytes(CANARY)
    for rel in (listed[0], "study00003/IM.dcm"):
        record = scan_file(str(archive), rel)
        assert record["problems"] == ["link_outside_tree"] and record["sha256"] == ""


_SCAN_LISTED = """
import json, os, sys
from imagewarden.resilience.backup.processes import CheckingProcesses
from imagewarden.resilience.backup.scan import open_for_reading, FileRefused
root, rels = sys.argv[1], json.loads(sys.argv[2])
with CheckingProcesses(root, False, 2) as checkers:  # three times over: several batches
    records = list(checkers.scan_in_order(rels * 3))
try:
    open_for_reading(root, rels[1])  # the restore test's copy opens files this way
    refused = ""
except FileRefused as exc:
    refused = exc.code
print(json.dumps({"records": records, "refused": refused}))
"""


def test_fifo_swapped_in_after_listing_does_not_block(archive: Path) -> None:
    listed = [e.rel for e in walk(archive)]
    for rel in listed[1:3]:  # listed as regular files, FIFOs by the time they are read
        (archive / rel).unlink()
        os.mkfifo(archive / rel)
    code, stdout, stderr = _run_capped(
        [sys.executable, "-c", _SCAN_LISTED, str(archive), json.dumps(listed)]
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert len(report["records"]) == 3 * len(listed)
    problems = {r["path"]: r.get("problems", []) for r in report["records"]}
    assert problems[listed[1]] == problems[listed[2]] == ["not_regular_file"]
    assert all(not problems[rel] for rel in listed if rel not in listed[1:3])
    assert report["refused"] == "not_regular_file"


_VERIFY_TWICE = """
import json, sys
from pathlib import Path
from imagewarden.resilience.backup.manifest import read_records
from imagewarden.resilience.backup.verify import verify
root, out = Path(sys.argv[1]), Path(sys.argv[2])
verify(root, jobs=1, manifest_out=out / "1.jsonl")
verify(root, jobs=2, manifest_out=out / "2.jsonl")
one, two = list(read_records(out / "1.jsonl")), list(read_records(out / "2.jsonl"))
print(json.dumps({"same": one == two, "records": len(two)}))
"""


def test_batches_of_long_paths_larger_than_a_pipe_do_not_hang(tmp_path: Path) -> None:
    # each batch of paths (~150 KB) and each batch of records is larger than a pipe holds
    # (64 KiB): the command must keep reading answers while a batch is still being taken
    deep = tmp_path / "archive"
    for level in range(12):
        deep = deep / (f"{level:02d}" + "d" * 240)
    deep.mkdir(parents=True)
    for n in range(150):
        (deep / (f"{n:03d}" + "f" * 200 + ".txt")).write_text(f"note {n}\n")
    code, stdout, stderr = _run_capped(
        [sys.executable, "-c", _VERIFY_TWICE, str(tmp_path / "archive"), str(tmp_path)]
    )
    assert code == 0, stderr
    assert json.loads(stdout) == {"same": True, "records": 150}


def _unshare_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
        capture_output=True, check=False, timeout=30,
    )  # fmt: skip
    return probe.returncode == 0


# The command runs inside a private mount namespace on a 16 KiB tmpfs; the listing of the
# tmpfs is printed from inside too, since the mount vanishes with the namespace.
_FULL_DISK = """
mount -t tmpfs -o size=16k tmpfs "$1" || exit 99
"$2" -m imagewarden backup verify "$3" --jobs 2 --manifest-out "$1/m.jsonl" >/dev/null
echo "exit=$?"
ls -A "$1"
"""


def test_full_disk_for_the_manifest_exits_3_and_leaves_nothing(
    archive: Path, tmp_path: Path
) -> None:
    if not _unshare_allowed():
        pytest.skip("unshare -m with a tmpfs mount is not permitted here (needs CAP_SYS_ADMIN)")
    # more batches than the pool keeps in flight, so the listing is still running when the
    # disk fills (~400 KB of manifest records for a 16 KiB disk)
    for i in range(3000):
        (archive / f"note{i:04d}.txt").write_text("archive note\n")
    target = tmp_path / "full"
    target.mkdir()
    _code, stdout, stderr = _run_capped(
        ["unshare", "-m", "sh", "-c", _FULL_DISK, "sh", str(target), sys.executable,
         str(archive)]
    )  # fmt: skip
    lines = stdout.split()
    assert lines[0] == "exit=3", stderr
    assert lines[1:] == []  # neither the manifest nor its partial is left
    message = [line for line in stderr.splitlines() if line.strip()]
    assert any("no space left" in line and "m.jsonl" in line for line in message), stderr
    assert "Traceback" not in stderr


_CHILDREN = """
def children():
    import os
    mine = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(") ", 1)[1].split()[1] == mine:
                    found.append(pid)
        except (OSError, IndexError):
            pass
    return found
"""

_FATAL_IN_RUN = (
    _CHILDREN
    + """
import sys
from pathlib import Path
from imagewarden.resilience.backup.verify import verify

def fail(files, _size):
    raise RuntimeError("fatal: stop here")

try:
    verify(Path(sys.argv[1]), jobs=2, progress=fail)
except RuntimeError as exc:
    print(exc, len(children()))
"""
)


def test_first_fatal_error_stops_the_checking_processes(archive: Path) -> None:
    # more batches than the processes keep in flight: the listing is still feeding them
    for i in range(3000):
        (archive / f"note{i:04d}.txt").write_text("archive note\n")
    code, stdout, stderr = _run_capped([sys.executable, "-c", _FATAL_IN_RUN, str(archive)])
    assert code == 0 and stdout.strip() == "fatal: stop here 0", stderr


_FULL_SCRATCH = """
mount -t tmpfs -o size=16k tmpfs "$1" || exit 99
"$2" -m imagewarden backup restore-test "$3" --sample 100 --scratch "$1" >/dev/null
echo "exit=$?"
ls -A "$1"
"""


def test_full_scratch_area_stops_the_restore_test_with_exit_3(
    archive: Path, tmp_path: Path
) -> None:
    if not _unshare_allowed():
        pytest.skip("unshare -m with a tmpfs mount is not permitted here (needs CAP_SYS_ADMIN)")
    target = tmp_path / "scratch"
    target.mkdir()
    _code, stdout, stderr = _run_capped(
        ["unshare", "-m", "sh", "-c", _FULL_SCRATCH, "sh", str(target), sys.executable,
         str(archive)]
    )  # fmt: skip
    lines = stdout.split()
    assert lines[0] == "exit=3", stderr  # not 24 "failed" files blamed on the backup
    assert lines[1:] == []  # the scratch area is cleaned up
    assert "scratch area" in stderr and "is full" in stderr and "Traceback" not in stderr


# The real command, real processes and real files: one checking process is killed (as the
# kernel's out-of-memory killer kills a process) while the other hashes a file far too big
# to finish (a sparse terabyte, hours of hashing).
_KILL_A_CHECKER = (
    _CHILDREN
    + """
import os, signal, subprocess, sys, time
command = [sys.executable, "-m", "imagewarden", "backup", "verify", sys.argv[1], "--jobs", "2",
           "--manifest-out", sys.argv[2]]
run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

def checkers():
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                parent = stat.read().rsplit(") ", 1)[1].split()[1]
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if parent == str(run.pid) and b"backup.scanner" in cmdline.read():
                    found.append(int(pid))
        except (OSError, IndexError):
            pass
    return sorted(found)

for _ in range(600):  # both processes started, and the first one busy with the huge file
    if len(checkers()) == 2:
        break
    time.sleep(0.05)
time.sleep(1)
os.kill(checkers()[1], signal.SIGKILL)
start = time.monotonic()
_out, err = run.communicate(timeout=60)
print(run.returncode, round(time.monotonic() - start), len(checkers()))
sys.stderr.write(err)
"""
)


def test_a_checking_process_killed_mid_run_stops_the_run_with_exit_3(tmp_path: Path) -> None:
    """The run ends at once with a clear error instead of waiting for the busy process,
    leaves no manifest, and leaves no process behind."""
    archive = tmp_path / "archive"
    archive.mkdir()
    with (archive / "huge.dcm").open("wb") as sparse:  # listed first: the first process's
        sparse.truncate(1024**4)
    for n in range(200):
        (archive / f"small{n:03d}.dcm").write_bytes(b"x" * 100)
    manifest = tmp_path / "m.jsonl"
    code, stdout, stderr = _run_capped(
        [sys.executable, "-c", _KILL_A_CHECKER, str(archive), str(manifest)]
    )
    assert code == 0, stderr
    exit_code, seconds, left = (int(word) for word in stdout.split())
    assert exit_code == 3 and seconds < 30 and left == 0, stderr
    assert "checking process ended unexpectedly (killed by signal 9" in stderr
    assert "Traceback" not in stderr
    assert not manifest.exists() and not manifest.with_name("m.jsonl.partial").exists()


def _write_with_holes(
    path: Path, syntax: bytes, elements: int, value_length: int, zeros: int
) -> None:
    """A Part-10 file: the meta group, ``elements`` private OB elements of ``value_length``
    bytes each, then ``zeros`` zero bytes; the values and the zeros are holes (unwritten)."""
    import struct

    syntax += b"\x00" * (len(syntax) % 2)
    meta = struct.pack("<HH2sH", 0x0002, 0x0010, b"UI", len(syntax)) + syntax
    with path.open("wb") as out:
        out.write(b"\x00" * 128 + b"DICM" + meta)
        for _ in range(elements):
            out.write(struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, value_length))
            out.seek(value_length, os.SEEK_CUR)
        out.seek(zeros, os.SEEK_CUR)
        out.truncate()


@pytest.mark.parametrize(
    ("syntax", "elements", "value_length", "zeros"),
    [
        # a chain of elements whose values each end past the last read: one read each
        (b"1.2.840.10008.1.2.1", 1100, 200 << 10, 0),
        # 70 MiB of zeros in implicit VR: millions of empty (0000,0000) elements
        (b"1.2.840.10008.1.2", 0, 0, 70 << 20),
    ],
    ids=["chain_of_large_values", "millions_of_tiny_elements"],
)
def test_a_header_that_keeps_asking_for_reads_ends_as_too_long(
    tmp_path: Path, syntax: bytes, elements: int, value_length: int, zeros: int
) -> None:
    # the walk reads only element headers, but a hostile file can make those endless: the
    # reads stop at their bounds (MAX_HEADER bytes, _HEADER_READS reads) with a named problem
    # (it was "truncated", which such a file is not)
    _write_with_holes(tmp_path / "hostile.dcm", syntax, elements, value_length, zeros)
    assert scan_file(str(tmp_path), "hostile.dcm")["problems"] == ["bad_header:too_long"]
