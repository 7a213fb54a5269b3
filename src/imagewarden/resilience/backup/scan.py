"""Check one file: hash the whole of it and read its DICOM header, in one pass.

``FileScan`` does it in steps, so that files can be opened (and their reading started) a
little ahead of their turn; ``scan_in_order`` checks a list of files that way. Nothing here
raises for a bad file: every failure becomes a problem code in the returned record, so one
unreadable file never stops a run.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import os
import stat
import threading
from collections import deque
from collections.abc import Generator, Iterable
from typing import Any

from imagewarden.resilience.backup.classify import (
    ENTROPY_SAMPLE,
    HIGH_ENTROPY,
    entropy,
    extension_changed,
    is_ransom_note,
)
from imagewarden.resilience.backup.header import (
    HeaderError,
    NeedMore,
    ReadAt,
    has_magic,
    read_file_header,
)

FIRST_READ = 64 << 10
"""The first read covers the header of nearly every file and all of a typical small file;
it is a fresh bytes object (the header parser needs one), so it is kept small."""
CHUNK = 1 << 20
"""The rest of a file is read in chunks into one reused buffer, without allocating."""
OPEN_AHEAD = 32
"""Files opened, and their reading started, ahead of the one being checked."""
MAX_HEADER = 64 << 20
"""Bytes the header walk may read past the first read, in all. It reads element headers and
the UIDs only, and skips every other value by its length, so a valid header needs the bytes
of its small elements and a few KiB for each large value, however large; a header that
needs more than this (millions of small elements) is reported as ``bad_header:too_long``
instead of being read on."""
_HEADER_READS = 1024
"""Reads of a header past the first at most: a valid one needs about one for each large
value it skips, and one per MiB of small elements (``_HeaderReads``); a hostile chain of
elements that each ask for one more read ends here (``bad_header:too_long``)."""
_WINDOW_MAX = 1 << 20
"""The most a single header read asks for beyond what the walk needs."""
_SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_DICOM_NAMES = (".dcm", ".dicom", ".dic", ".ima")
_ITEM_TAG = b"\xfe\xff\x00\xe0"

Record = dict[str, Any]

# O_NONBLOCK: a FIFO (or a device) swapped in after listing must not block the open; it is
# refused by fstat on the opened descriptor, which is what is read, whatever the name is now
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


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


class _HeaderReads:
    """The ``read_at`` of one file's header walk: the first bytes when they hold what is
    asked (a walk that starts over), else one ``pread`` from the offset asked. While the walk
    goes on through small elements each read is twice the last (up to ``_WINDOW_MAX``); after
    it skipped a large value it is ``FIRST_READ`` again. At most ``_HEADER_READS`` reads and
    ``MAX_HEADER`` bytes in all, then HeaderError ``too_long``."""

    __slots__ = ("fd", "first", "reads", "total", "window", "window_end")

    def __init__(self, fd: int, first: bytes) -> None:
        self.fd = fd
        self.first = first
        self.reads = 0
        self.total = 0
        self.window = FIRST_READ
        self.window_end = len(first)

    def __call__(self, offset: int, length: int) -> bytes:
        """At least ``length`` bytes of the file from ``offset`` (fewer only past its end)."""
        if offset + length <= len(self.first):
            return self.first[offset:]
        self.reads += 1
        if self.reads > _HEADER_READS or self.total + length > MAX_HEADER:
            raise HeaderError("too_long", "the header needs more reads than it may have")
        near = offset < self.window_end + self.window
        self.window = min(2 * self.window, _WINDOW_MAX) if near else FIRST_READ
        data = os.pread(self.fd, max(length, min(self.window, MAX_HEADER - self.total)), offset)
        self.total += len(data)
        self.window_end = offset + len(data)
        return data

    def exact(self, offset: int, length: int) -> bytes:
        """The file's bytes [offset, offset + length), fewer past its end (no window)."""
        if offset + length <= len(self.first):
            return self.first[offset : offset + length]
        return os.pread(self.fd, length, offset)


def _header_problems(
    first: bytes, size: int, reads: _HeaderReads, path: str, fields: Record
) -> list[str]:
    """The header's problems; the UIDs it names go into ``fields``."""
    try:
        info = read_file_header(first, size, reads)
    except NeedMore:  # the header runs past the end of the file
        return ["truncated"]
    except HeaderError as exc:
        if exc.code == "no_magic":
            sample = first[:ENTROPY_SAMPLE]
            if entropy(sample) >= HIGH_ENTROPY:
                return ["encrypted_suspect"]
            # a file named like DICOM that is not DICOM is damaged; a readme is just a readme
            if path.lower().endswith(_DICOM_NAMES):
                return ["bad_header:no_magic"]
            return ["not_dicom"]
        return [f"bad_header:{exc.code}"]
    fields["transfer_syntax"] = info.transfer_syntax
    fields["sop_class"] = info.sop_class
    fields["sop_instance"] = info.sop_instance
    fields["study"] = info.study
    fields["series"] = info.series
    problems = []
    if info.walked and not (info.sop_class and info.sop_instance and info.study and info.series):
        problems.append("missing_uid")
    if info.pixel_data_end > size:
        problems.append("truncated")
    elif (
        info.pixel_data_offset >= 0
        and info.pixel_data_end < 0
        and not _fragments_complete(reads.exact, info.pixel_data_offset, size)
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
    return FileScan(root, rel, follow_links).run()


_buffers = threading.local()


def _thread_buffer() -> tuple[bytearray, memoryview]:
    """This thread's read buffer, reused for every file it reads (verifications may run in
    several threads of one process, e.g. a web server's)."""
    buffer: tuple[bytearray, memoryview] | None = getattr(_buffers, "buffer", None)
    if buffer is None:
        data = bytearray(CHUNK)
        buffer = _buffers.buffer = (data, memoryview(data))
    return buffer


def scan_in_order(
    root: str, rels: Iterable[str], follow_links: bool
) -> Generator[Record, None, None]:
    """The record of each of ``rels``, in order. Each file is opened OPEN_AHEAD files before
    its turn and the kernel asked to read it meanwhile, so a cold disk has many requests at
    once; at most OPEN_AHEAD + 1 files are open."""
    opened: deque[FileScan] = deque()
    try:
        for rel in rels:
            opened.append(FileScan(root, rel, follow_links, prefetch=True))
            if len(opened) > OPEN_AHEAD:
                yield opened.popleft().run()
        while opened:
            yield opened.popleft().run()
    finally:
        for scan in opened:  # a run that ends early
            scan.close()


class FileScan:
    """One file's check in two steps: open it (with the safety checks) and ask the kernel to
    start reading it; later, ``run``: read and hash it, check the header from its first
    bytes, and complete the record. No step raises for a bad file: a failure becomes a
    problem code of the record."""

    __slots__ = ("before", "digest", "error", "fd", "fields", "first", "header", "names",
                 "record", "total")  # fmt: skip

    def __init__(self, root: str, rel: str, follow_links: bool, prefetch: bool = False) -> None:
        self.record: Record = {
            "path": rel, "size": -1, "mtime_ns": 0, "sha256": "", "status": "ok"
        }  # fmt: skip
        self.names = _name_problems(rel)
        self.error = ""
        """Why the file could not be read (refused, or an error while reading it)."""
        self.header: list[str] | None = None
        self.fields: Record = {}
        self.first = b""
        self.total = 0
        self.digest: Any = None
        self.fd = -1
        try:
            self.fd, self.before = _open_checked(root, rel, follow_links)
        except FileRefused as refused:
            self.error = refused.code
            return
        except OSError as exc:
            self.error = _os_problem(exc)
            return
        self.record["size"] = self.before.st_size
        self.record["mtime_ns"] = self.before.st_mtime_ns
        if prefetch and self.before.st_size > 0:
            # the kernel reads ahead while earlier files are hashed: a cold disk gets many
            # requests at once instead of one file at a time
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_WILLNEED)

    def run(self) -> Record:
        """Hash the file, check its header and return its record; the file is closed."""
        try:
            if self.read_first():
                self.hash_rest()
            self.check_header()
            return self.finish()
        finally:
            self.close()

    def read_first(self) -> bool:
        """Read and hash the first bytes; True when the file goes on after them."""
        if self.fd < 0 or self.error:
            return False
        try:
            self.first = os.read(self.fd, FIRST_READ)
        except OSError as exc:
            return self._fail(exc)
        self.digest = hashlib.sha256(self.first)
        self.total = len(self.first)
        return self.total == FIRST_READ

    def hash_rest(self) -> None:
        """Read and hash the file to its end."""
        buffer, view = _thread_buffer()
        fd, digest, size = self.fd, self.digest, self.before.st_size
        try:
            # up to the size fstat gave, not to the end: one read fewer per file; a file that
            # grew has another size in ``finish``
            while self.total < size and (n := os.readv(fd, (buffer,))):
                digest.update(view[:n])
                self.total += n
        except OSError as exc:
            self._fail(exc)

    def check_header(self) -> None:
        """Check the header in the first bytes."""
        if self.error or not self.first:
            return
        first = self.first
        # the name was matched once already: ``names`` holds "ransom_note" when it is one
        if "ransom_note" in self.names and not has_magic(first):
            self.header = []
            return
        # the walk reads past the first bytes only the element headers it needs, where they
        # are, within the bounds of _HeaderReads; a file that shrank meanwhile reads short,
        # which the walk reports as truncated (and ``finish`` as changed_during_scan)
        reads = _HeaderReads(self.fd, first)
        try:
            self.header = _header_problems(
                first, self.before.st_size, reads, self.record["path"], self.fields
            )
        except OSError as exc:
            self._fail(exc)

    def finish(self) -> Record:
        """Complete the record and close the file."""
        if self.fd >= 0 and not self.error:
            try:
                self.names += self._content_problems()
            except OSError as exc:
                self.error = _os_problem(exc)
        self.close()
        return _finish(self.record, [*self.names, self.error] if self.error else self.names)

    def _content_problems(self) -> list[str]:
        after = os.fstat(self.fd)
        before, record = self.before, self.record
        record["sha256"] = self.digest.hexdigest()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or (
            self.total != before.st_size
        ):
            return ["changed_during_scan"]
        if before.st_size == 0:
            return ["empty"]
        record.update(self.fields)
        return self.header or []

    def close(self) -> None:
        """Close the file (``finish`` does; a run that stops early calls it); idempotent."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _fail(self, exc: OSError) -> bool:
        self.error = _os_problem(exc)
        return False


def _finish(record: Record, problems: list[str]) -> Record:
    if problems:
        record["status"] = "problem"
        record["problems"] = problems
    return record
