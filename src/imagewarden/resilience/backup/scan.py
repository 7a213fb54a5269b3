"""Check one file: hash the whole of it and read its DICOM header, in one pass.

This runs in worker processes. It never raises for a bad file: every failure becomes a
problem code in the returned record, so one unreadable file never stops a run.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
from collections.abc import Callable
from typing import Any

from imagewarden.resilience.backup.classify import (
    ENTROPY_SAMPLE,
    HIGH_ENTROPY,
    entropy,
    extension_changed,
    is_ransom_note,
)
from imagewarden.resilience.backup.header import HeaderError, NeedMore, has_magic, read_header

FIRST_READ = 1 << 20
"""The first read covers the header of nearly every file and all of a typical small file."""
CHUNK = 1 << 20
MAX_HEADER = 64 << 20
"""A header that needs more than this is treated as corrupt rather than read on."""
_SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_DICOM_NAMES = (".dcm", ".dicom", ".dic", ".ima")
_ITEM_TAG = b"\xfe\xff\x00\xe0"
ReadAt = Callable[[int, int], bytes]

Record = dict[str, Any]


def _os_problem(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission_denied"
    if exc.errno == errno.ELOOP:
        return "symlink_loop"
    if exc.errno == errno.ENOENT:
        return "vanished"
    return "unreadable"


def _name_problems(rel: str) -> list[str]:
    name = rel.rsplit("/", 1)[-1]
    problems = []
    if is_ransom_note(name):
        problems.append("ransom_note")
    if extension_changed(name):
        problems.append("extension_changed")
    return problems


def _header_problems(first: bytes, size: int, read_at: ReadAt, record: Record) -> list[str]:
    whole = len(first) >= size
    try:
        info = read_header(first, whole=whole)
    except NeedMore as more:
        if whole or more.size > MAX_HEADER:
            return ["truncated"]
        raise
    except HeaderError as exc:
        if exc.code == "no_magic":
            sample = first[:ENTROPY_SAMPLE]
            if entropy(sample) >= HIGH_ENTROPY:
                return ["encrypted_suspect"]
            # a file named like DICOM that is not DICOM is damaged; a readme is just a readme
            if record["path"].lower().endswith(_DICOM_NAMES):
                return ["bad_header:no_magic"]
            return ["not_dicom"]
        return [f"bad_header:{exc.code}"]
    record["transfer_syntax"] = info.transfer_syntax
    record["sop_class"] = info.sop_class
    record["sop_instance"] = info.sop_instance
    record["study"] = info.study
    record["series"] = info.series
    problems = []
    if info.walked and not (info.sop_class and info.sop_instance and info.study and info.series):
        problems.append("missing_uid")
    if info.pixel_data_end > size:
        problems.append("truncated")
    elif (
        info.pixel_data_offset >= 0
        and info.pixel_data_end < 0
        and not _fragments_complete(read_at, info.pixel_data_offset, size)
    ):
        # encapsulated pixel data: its fragments must end with a sequence delimiter inside the
        # file; a cut file has lost it
        problems.append("truncated")
    return problems


def _fragments_complete(read_at: ReadAt, offset: int, size: int) -> bool:
    # skip the element header: tag, "OB", 2 reserved, undefined length (explicit VR), or
    # tag + length (implicit VR); both are followed by the first item tag (FFFE,E000)
    head = read_at(offset, 16)
    pos = offset + (12 if head[4:6] == b"OB" else 8)
    for _ in range(1_000_000):
        item = read_at(pos, 8)
        if len(item) < 8:
            return False
        tag = item[:4]
        if tag == _SEQ_DELIMITER[:4]:
            return True
        if tag != _ITEM_TAG:
            return False
        pos += 8 + int.from_bytes(item[4:8], "little")
        if pos > size:
            return False
    return False


def scan_file(root: str, rel: str) -> Record:
    """Hash ``root/rel`` and check its header; return its manifest record."""
    record: Record = {"path": rel, "size": -1, "mtime_ns": 0, "sha256": "", "status": "ok"}
    problems = _name_problems(rel)
    try:
        # str paths, not pathlib: this line runs once per file in the hot loop
        stream = open(os.path.join(root, rel), "rb", buffering=0)  # noqa: SIM115, PTH118, PTH123
    except OSError as exc:
        return _finish(record, [*problems, _os_problem(exc)])
    with stream:
        try:
            problems += _scan_open(stream, record)
        except OSError as exc:
            problems.append(_os_problem(exc))
    return _finish(record, problems)


def _scan_open(stream: io.FileIO, record: Record) -> list[str]:
    fd = stream.fileno()
    before = os.fstat(fd)
    size = before.st_size
    record["size"], record["mtime_ns"] = size, before.st_mtime_ns
    digest = hashlib.sha256()
    first = stream.read(FIRST_READ)
    digest.update(first)
    total = len(first)
    if total == FIRST_READ:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := stream.readinto(buffer):
            digest.update(view[:n])
            total += n
    after = os.fstat(fd)
    record["sha256"] = digest.hexdigest()
    if (after.st_size, after.st_mtime_ns) != (size, before.st_mtime_ns) or total != size:
        return ["changed_during_scan"]
    if size == 0:
        return ["empty"]
    if is_ransom_note(record["path"].rsplit("/", 1)[-1]) and not has_magic(first):
        return []

    def read_at(offset: int, length: int) -> bytes:
        if offset + length <= len(first):
            return first[offset : offset + length]
        return os.pread(fd, length, offset)

    try:
        return _header_problems(first, size, read_at, record)
    except NeedMore as more:
        return _header_problems(os.pread(fd, more.size, 0), size, read_at, record)


def _finish(record: Record, problems: list[str]) -> Record:
    if problems:
        record["status"] = "problem"
        record["problems"] = problems
    return record


def scan_batch(task: tuple[str, list[str]]) -> list[Record]:
    """Worker entry point: one task is a batch of files, to keep IPC per file small."""
    root, rels = task
    return [scan_file(root, rel) for rel in rels]
