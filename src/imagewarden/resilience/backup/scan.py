"""Check one file: hash the whole of it and read its DICOM header, in one pass.

This runs in worker threads (hashlib and file reads release the GIL, so threads hash on
every core). It never raises for a bad file: every failure becomes a problem code in the
returned record, so one unreadable file never stops a run.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import io
import os
import stat
import threading
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

FIRST_READ = 64 << 10
"""The first read covers the header of nearly every file and all of a typical small file;
it is a fresh bytes object (the header parser needs one), so it is kept small."""
CHUNK = 1 << 20
"""The rest of a file is read in chunks into one reused buffer, without allocating."""
MAX_HEADER = 64 << 20
"""A header that needs more than this is treated as corrupt rather than read on."""
_SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_DICOM_NAMES = (".dcm", ".dicom", ".dic", ".ima")
_ITEM_TAG = b"\xfe\xff\x00\xe0"
ReadAt = Callable[[int, int], bytes]

Record = dict[str, Any]

# O_NONBLOCK: a FIFO (or a device) swapped in after listing must not block the open; it is
# refused by fstat on the opened descriptor, which is what is read, whatever the name is now
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


class Stopped(Exception):
    """The run stopped (a fatal error elsewhere) while this file was being read."""


class FileRefused(Exception):
    """A path that is not read: not a regular file, or a link out of the archive's tree."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


@functools.lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    real = os.path.realpath(root)
    return real if real.endswith(os.sep) else real + os.sep


def inside_tree(root: str, real_path: str) -> bool:
    """``real_path`` (symlinks resolved) is ``root`` (resolved) or below it."""
    base = _real_root(root)
    return real_path == base.rstrip(os.sep) or real_path.startswith(base)


def _opened_path(fd: int, fallback: str) -> str:
    # the descriptor's own path: a name re-pointed after the open cannot fool this check
    try:
        return os.readlink(f"/proc/self/fd/{fd}")  # noqa: PTH115 (hot loop: str, not Path)
    except OSError:
        return os.path.realpath(fallback)


def open_for_reading(root: str, rel: str, *, follow_links: bool = False) -> io.FileIO:
    """Open ``root/rel`` without blocking; refuse what is not a regular file and, unless
    ``follow_links``, a file whose real path leaves ``root`` (``FileRefused``)."""
    fd, _st = _open_checked(root, rel, follow_links)
    return io.FileIO(fd, "rb", closefd=True)


def _open_checked(root: str, rel: str, follow_links: bool) -> tuple[int, os.stat_result]:
    """``open_for_reading`` as a descriptor and its stat (the caller closes it)."""
    # str paths, not pathlib: this line runs once per file in the hot loop
    path = os.path.join(root, rel)  # noqa: PTH118
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused("not_regular_file")
        if not follow_links and not inside_tree(root, _opened_path(fd, path)):
            raise FileRefused("link_outside_tree")
        os.set_blocking(fd, True)
        return fd, st
    except BaseException:
        os.close(fd)
        raise


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


def scan_file(root: str, rel: str, *, follow_links: bool = False) -> Record:
    """Hash ``root/rel`` and check its header; return its manifest record."""
    return Scanner(root, follow_links).scan(rel)


class Scanner:
    """Scans the files of one root one after another, reusing one read buffer; ``stop``
    (when set) ends a long read early with ``Stopped``."""

    def __init__(
        self, root: str, follow_links: bool = False, stop: threading.Event | None = None
    ) -> None:
        self.root = root
        self.follow_links = follow_links
        self.stop = stop
        self._buffer = bytearray(CHUNK)
        self._view = memoryview(self._buffer)

    def scan(self, rel: str) -> Record:
        """Hash ``rel`` and check its header; return its manifest record."""
        record: Record = {"path": rel, "size": -1, "mtime_ns": 0, "sha256": "", "status": "ok"}
        problems = _name_problems(rel)
        try:
            fd, before = _open_checked(self.root, rel, self.follow_links)
        except FileRefused as refused:
            return _finish(record, [*problems, refused.code])
        except OSError as exc:
            return _finish(record, [*problems, _os_problem(exc)])
        try:
            problems += self._scan_open(fd, before, record)
        except OSError as exc:
            problems.append(_os_problem(exc))
        finally:
            os.close(fd)
        return _finish(record, problems)

    def _scan_open(self, fd: int, before: os.stat_result, record: Record) -> list[str]:
        size = before.st_size
        record["size"], record["mtime_ns"] = size, before.st_mtime_ns
        digest = hashlib.sha256()
        first = os.read(fd, FIRST_READ)
        digest.update(first)
        total = len(first)
        if total == FIRST_READ:
            total += self._hash_rest(fd, digest)
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

    def _hash_rest(self, fd: int, digest: Any) -> int:
        """Hash the file from the current position to its end; return the bytes read."""
        buffer, view, stop = self._buffer, self._view, self.stop
        total = 0
        while n := os.readv(fd, (buffer,)):
            digest.update(view[:n])
            total += n
            if stop is not None and stop.is_set():
                raise Stopped
        return total


def _finish(record: Record, problems: list[str]) -> Record:
    if problems:
        record["status"] = "problem"
        record["problems"] = problems
    return record


Task = tuple[str, list[str], bool]
"""A worker's task: the archive root, a batch of relative paths, whether to follow links."""


def scan_batch(task: Task, stop: threading.Event | None = None) -> list[Record]:
    """Worker entry point: one task is a batch of files (one buffer and one hand-over each)."""
    root, rels, follow_links = task
    scanner = Scanner(root, follow_links, stop)
    records = []
    for rel in rels:
        if stop is not None and stop.is_set():
            raise Stopped
        records.append(scanner.scan(rel))
    return records
