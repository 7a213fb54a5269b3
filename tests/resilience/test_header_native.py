"""The C header walk gives exactly what the Python walk gives: the same HeaderInfo, the same
HeaderError code and text, the same NeedMore size, and (reading a file) the same reads, on
real files, every cut and bit flip of them, and random element streams (sequences,
delimiters, bad VRs, huge lengths, large values skipped, deep nests). CI builds the C walk
and must use it (IMAGEWARDEN_REQUIRE_NATIVE=1, set by scripts/test)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagewarden.resilience.backup import header
from imagewarden.resilience.backup.header import (
    FileHeaderReader,
    HeaderError,
    HeaderInfo,
    HeaderReader,
    NeedMore,
)
from imagewarden.resilience.backup.processes import _BOOT, _PACKAGE_PARENT
from imagewarden.resilience.backup.sample import source_file
from imagewarden.resilience.backup.scan import scan_in_order

needs_c = pytest.mark.skipif(not header.NATIVE, reason="the C header walk is not built here")

IMPLICIT_LE, EXPLICIT_LE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED, JPEG = "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.50"
UNDEFINED = 0xFFFFFFFF


def outcome(read: HeaderReader, buf: bytes, whole: bool) -> tuple[Any, ...]:
    """What a walk makes of ``buf``, comparable between walks."""
    try:
        info = read(buf, whole=whole)
    except NeedMore as more:
        return ("need_more", more.size)
    except HeaderError as exc:
        return ("header_error", exc.code, str(exc), exc.args)
    return ("info", *(getattr(info, name) for name in HeaderInfo.__slots__))


class ReadTooLong(Exception):
    """What the reads of these tests raise for a request the scan would refuse too."""


class SparseFile:
    """A file of ``size`` bytes: the pieces given, ``fill`` bytes elsewhere (a value of 70 MiB
    costs nothing until it is read, and the walk must not read it)."""

    def __init__(self, pieces: list[bytes | int], fill: int = 0) -> None:
        self.fill = fill
        self.segments: list[tuple[int, bytes]] = []
        at = 0
        for piece in pieces:
            if isinstance(piece, int):
                at += piece
            else:
                self.segments.append((at, piece))
                at += len(piece)
        self.size = at

    def read(self, offset: int, length: int) -> bytes:
        stop = min(offset + length, self.size)
        if len(self.segments) == 1 and self.segments[0][0] == 0:  # a plain file
            return self.segments[0][1][offset:stop]
        out = bytearray([self.fill]) * max(stop - offset, 0)
        for at, piece in self.segments:
            low, high = max(at, offset), min(at + len(piece), stop)
            if low < high:
                out[low - offset : high - offset] = piece[low - at : high - at]
        return bytes(out)


def file_outcome(
    read: FileHeaderReader, file: SparseFile, first_length: int, extra: int
) -> tuple[Any, ...]:
    """What a walk makes of ``file`` read from its first ``first_length`` bytes, and the
    reads it asked for; each read returns ``extra`` bytes more than asked (the file allows)."""
    asked: list[tuple[int, int]] = []

    def read_at(offset: int, length: int) -> bytes:
        asked.append((offset, length))
        # bounded as the scan bounds them: zeros read as implicit VR are endless empty
        # elements, and only a UID reads its value, never one this long
        if len(asked) > 64 or length > 1 << 20:
            raise ReadTooLong(offset, length)
        return file.read(offset, length + extra)

    first = file.read(0, first_length)
    try:
        info = read(first, file.size, read_at)
    except NeedMore as more:
        return ("need_more", more.size, asked)
    except HeaderError as exc:
        return ("header_error", exc.code, str(exc), exc.args, asked)
    except ReadTooLong as exc:
        return ("read_too_long", exc.args, asked)
    return ("info", *(getattr(info, name) for name in HeaderInfo.__slots__), asked)


def assert_same_file(file: SparseFile, first_length: int, extra: int) -> tuple[Any, ...]:
    python = file_outcome(header.read_file_header_python, file, first_length, extra)
    assert file_outcome(header.read_file_header, file, first_length, extra) == python
    return python


def assert_same(buf: bytes) -> None:
    for whole in (True, False):
        python = outcome(header.read_header_python, buf, whole)
        assert outcome(header.read_header, buf, whole) == python, (whole, python)
    # and read as a file from its first bytes, as the scan reads it
    file = SparseFile([buf])
    for first_length, extra in ((256, 4096), (1024, 5)):
        assert_same_file(file, first_length, extra)


def bundled_files() -> list[Path]:
    """Every DICOM file bundled with pydicom (the folder of one of them: no download)."""
    return sorted(source_file("CT_small.dcm").parent.glob("*.dcm"))


def test_the_c_walk_is_in_use_where_ci_requires_it() -> None:
    if os.environ.get("IMAGEWARDEN_REQUIRE_NATIVE") != "1":
        pytest.skip("IMAGEWARDEN_REQUIRE_NATIVE is not set (scripts/test sets it)")
    assert header.NATIVE, "the C header walk was not built: see pip's output for the compiler"


def test_checking_processes_use_the_walk_this_process_uses() -> None:
    # they start as "python -I -S" with only the package's parent folder on their path
    boot = _BOOT.split("from imagewarden")[0] + (
        "from imagewarden.resilience.backup import header; print(header.NATIVE)"
    )
    shown = subprocess.run(
        [sys.executable, "-I", "-S", "-c", boot, _PACKAGE_PARENT],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    assert shown == str(header.NATIVE)


@needs_c
@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: p.name)
def test_every_bundled_file_and_every_cut_of_its_header(path: Path) -> None:
    data = path.read_bytes()
    assert_same(data)
    try:
        info = header.read_header_python(data, whole=True)
        header_end = max(info.pixel_data_offset + 16, 2048)
    except (HeaderError, NeedMore):
        header_end = 2048
    for cut in [*range(min(len(data), header_end)), len(data) - 1]:
        assert_same(data[:cut])


@needs_c
@pytest.mark.parametrize(
    "name",
    ["CT_small.dcm", "rtplan.dcm", "ExplVR_BigEnd.dcm", "SC_rgb_jpeg.dcm", "UN_sequence.dcm",
     "nested_priv_SQ.dcm"],
)  # fmt: skip
def test_every_byte_of_a_header_changed(name: str) -> None:
    data = source_file(name).read_bytes()[:4096]
    for at in range(min(len(data), 2048)):
        for flip in (0xFF, 0x80, 0x01):
            changed = bytearray(data)
            changed[at] ^= flip
            assert_same(bytes(changed))


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["CT_small.dcm", "rtplan.dcm", "ExplVR_BigEnd.dcm", "JPEG2000.dcm",
                          "UN_sequence.dcm", "nested_priv_SQ.dcm", "SC_rgb_jpeg.dcm"]),
    edits=st.lists(st.tuples(st.integers(0, 3000), st.binary(min_size=0, max_size=6),
                             st.integers(0, 6)), max_size=6),
    cut=st.integers(0, 4000),
)  # fmt: skip
def test_randomly_edited_headers(name: str, edits: list[tuple[int, bytes, int]], cut: int) -> None:
    data = bytearray(source_file(name).read_bytes()[:4000])
    for at, new, dropped in edits:  # replace ``dropped`` bytes at ``at`` with ``new``
        data[at : at + dropped] = new
    assert_same(bytes(data[:cut]))
    assert_same(bytes(data))


# Random element streams, written in the encoding the transfer syntax names (or not).
VRS = [b"OB", b"OW", b"SQ", b"UN", b"UT", b"UI", b"UI", b"UI", b"CS", b"US", b"UL", b"PN", b"LO"]
NOT_VRS = [b"XX", b"ob", b"\x00\x00", b"\x01\xff"]
TAGS = [0x00080016, 0x00080018, 0x0020000D, 0x0020000E, 0x00100010, 0x00091010, 0x7FE00010,
        0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0x00020010, 0x00000000]  # fmt: skip
likely = st.integers(0, 4).map(bool)
UIDS = [b"1.2.3\x00", b"2.25.12 ", b"1.2\x80\xff", b"", b"  \x00\x00", b"9" * 64]


# values the walk must skip without reading: past any first read, up to the largest length
BIG_LENGTHS = [70 << 20, 0xFFFFFFFE, (1 << 20) + 1, 65536 + 3]
LONG_VRS = [b"OB", b"OW", b"UN", b"UT"]


@st.composite
def elements(draw: st.DrawFn, depth: int = 0, big: bool = False) -> list[Any]:
    """A list of elements; each is ("el", tag, vr, length-or-None, value),
    ("seq", tag, vr, items, delimited) with items ("item", defined, elements, delimited), or,
    when ``big``, ("big", tag, vr, length): a value of that many zero bytes."""
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 5))):
        # mostly well-formed, so that the walk gets far; sometimes anything
        tag = draw(st.sampled_from(TAGS) if draw(likely) else st.integers(0, 0xFFFFFFFF))
        vr = draw(st.sampled_from(VRS) if draw(likely) else st.sampled_from(NOT_VRS))
        if big and draw(st.integers(0, 2)) == 0:
            out.append(
                ("big", tag, draw(st.sampled_from(LONG_VRS)), draw(st.sampled_from(BIG_LENGTHS)))
            )
        elif depth < 20 and draw(st.integers(0, 3)) == 0:
            items = [
                ("item", draw(st.booleans()), draw(elements(depth + 1, big)), draw(st.booleans()))
                for _ in range(draw(st.integers(0, 2)))
            ]
            out.append(("seq", tag, vr, items, draw(st.booleans())))
        else:
            value = draw(st.sampled_from(UIDS) | st.binary(max_size=12))
            wrong = st.sampled_from([UNDEFINED, 0xFFFF, 0x7FFFFFFF, 3, 0])
            length = None if draw(likely) else draw(wrong)
            out.append(("el", tag, vr, length, value))
    return out


def encode(items: list[Any], explicit: bool, big: bool) -> bytes:
    return b"".join(pieces(items, explicit, big))  # type: ignore[arg-type] # no "big" items


def pieces(items: list[Any], explicit: bool, big: bool) -> list[bytes | int]:
    """The encoded elements: bytes, and for each large value its length (zero bytes)."""
    order = ">" if big else "<"
    out: list[bytes | int] = []
    for item in items:
        if item[0] == "el":
            _, tag, vr, length, value = item
            out += [head(order, tag, vr, len(value) if length is None else length, explicit)]
            out += [value]
        elif item[0] == "big":
            _, tag, vr, length = item
            out += [head(order, tag, vr, length, explicit), length]
        else:
            _, tag, vr, content, delimited = item
            out += [head(order, tag, vr, UNDEFINED, explicit)]
            for _, defined, inner, item_delimited in content:
                body = pieces(inner, explicit and vr != b"UN", big)
                if item_delimited:
                    body += [struct.pack(order + "HHI", 0xFFFE, 0xE00D, 0)]
                size = sum(p if isinstance(p, int) else len(p) for p in body)
                size = size if defined else UNDEFINED
                out += [struct.pack(order + "HHI", 0xFFFE, 0xE000, size & 0xFFFFFFFF), *body]
            if delimited:
                out += [struct.pack(order + "HHI", 0xFFFE, 0xE0DD, 0)]
    return out


def head(order: str, tag: int, vr: bytes, length: int, explicit: bool) -> bytes:
    group, elem = tag >> 16, tag & 0xFFFF
    if not explicit or group == 0xFFFE:
        return struct.pack(order + "HHI", group, elem, length & 0xFFFFFFFF)
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack(order + "HH2sHI", group, elem, vr, 0, length & 0xFFFFFFFF)
    return struct.pack(order + "HH2sH", group, elem, vr, length & 0xFFFF)


def part10(syntax: bytes, body: bytes) -> bytes:
    ts = syntax + b"\x00" * (len(syntax) % 2)
    group_length = struct.pack("<HH2sHI", 2, 0, b"UL", 4, 0)
    syntax_head = struct.pack("<HH2sH", 2, 0x10, b"UI", len(ts))
    return b"\x00" * 128 + b"DICM" + group_length + syntax_head + ts + body


@needs_c
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    syntax=st.sampled_from([IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED, JPEG, " ", "x\x80"]),
    written=st.sampled_from([(True, False), (False, False), (True, True), (False, True)]),
    body=elements(),
    cut=st.none() | st.integers(0, 400),
)  # fmt: skip
def test_random_element_streams(
    syntax: str, written: tuple[bool, bool], body: list[Any], cut: int | None
) -> None:
    data = part10(syntax.encode("latin-1"), encode(body, *written))
    assert_same(data if cut is None else data[: 132 + cut])


@needs_c
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    syntax=st.sampled_from([IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED, " "]),
    written=st.sampled_from([(True, False), (False, False), (True, True), (False, True)]),
    body=elements(big=True),
    cut=st.none() | st.floats(0, 1) | st.integers(-16, 16),
    first_length=st.sampled_from([132, 200, 4096, 1 << 16]),
    extra=st.sampled_from([0, 3, 4096]),
    fill=st.sampled_from([0x00, 0xFF]),
)  # fmt: skip
def test_random_streams_with_large_values_read_as_files(
    syntax: str,
    written: tuple[bool, bool],
    body: list[Any],
    cut: float | int | None,
    first_length: int,
    extra: int,
    fill: int,
) -> None:
    meta = part10(syntax.encode("latin-1"), b"")
    file = SparseFile([meta, *pieces(body, *written)], fill)
    # cut anywhere (in the middle of a large value too), or near the end of one
    ends = [at + len(piece) for at, piece in file.segments]
    if isinstance(cut, float):
        file.size = int(file.size * cut)
    elif isinstance(cut, int):
        file.size = max(0, ends[min(abs(cut), len(ends) - 1)] + cut)
    assert_same_file(file, first_length, extra)


def nested(depth: int, explicit: bool) -> bytes:
    """Sequences of undefined length in undefined-length items, ``depth`` deep."""
    inner = struct.pack("<HH2sH", 0x0008, 0x0018, b"UI", 4) + b"1.2\x00" if explicit else b""
    for _ in range(depth):
        item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + inner + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
        sq = struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, UNDEFINED) if explicit else (
            struct.pack("<HHI", 0x0040, 0xA730, UNDEFINED)
        )  # fmt: skip
        inner = sq + item + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    return inner


@needs_c
@pytest.mark.parametrize("depth", [15, 16, 17, 40])
@pytest.mark.parametrize("syntax", [EXPLICIT_LE, IMPLICIT_LE])
def test_nesting_limit(depth: int, syntax: str) -> None:
    data = part10(syntax.encode(), nested(depth, syntax == EXPLICIT_LE))
    assert_same(data)
    expected = "nesting_too_deep" if depth > 16 else "info"
    assert expected in outcome(header.read_header, data, True)


@needs_c
def test_meta_group_limits() -> None:
    many = b"".join(struct.pack("<HH2sH", 2, 0x0100 + i, b"SH", 0) for i in range(1001))
    assert_same(b"\x00" * 128 + b"DICM" + many)
    undefined = struct.pack("<HH2sHI", 2, 0x0102, b"OB", 0, UNDEFINED)
    assert_same(b"\x00" * 128 + b"DICM" + undefined)
    assert outcome(header.read_header, b"\x00" * 128 + b"DICM" + many, True)[1] == "bad_meta"


@needs_c
def test_explicit_declared_but_implicit_written() -> None:
    body = struct.pack("<HHI", 0x0008, 0x0016, 6) + b"1.2.3\x00"
    body += struct.pack("<HHI", 0x0008, 0x0018, 8) + b"1.2.3.4\x00"
    data = part10(EXPLICIT_LE.encode(), body)
    assert_same(data)
    assert outcome(header.read_header, data, True)[4:6] == ("1.2.3", "1.2.3.4")


@needs_c
def test_records_of_a_damaged_archive_are_the_same_with_either_walk(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imagewarden.resilience.backup import scan

    files = sorted(archive.rglob("*.dcm"))
    for i, path in enumerate(files[:12]):  # cut at many places, flipped, or both
        data = bytearray(path.read_bytes())
        if i % 3:
            data[(i * 97) % 1500] ^= 0xFF
        path.write_bytes(bytes(data[: len(data) * (i + 1) // 14]))
    rels = sorted(p.relative_to(archive).as_posix() for p in archive.rglob("*") if p.is_file())
    records = {}
    for name, reader in [
        ("c", header.read_file_header),
        ("python", header.read_file_header_python),
    ]:
        monkeypatch.setattr(scan, "read_file_header", reader)
        records[name] = list(scan_in_order(str(archive), rels, False))
    assert records["c"] == records["python"]
    assert sum(r["status"] == "problem" for r in records["python"]) >= 10


@needs_c
@pytest.mark.parametrize("first", [64, 65, 90, 91])
@pytest.mark.parametrize("second", [64, 65, 90, 91])
def test_the_fallback_is_taken_unless_the_first_vr_looks_like_one(first: int, second: int) -> None:
    # an implicit element whose length bytes sit where an explicit VR would: letters A-Z in
    # both mean a corrupt explicit header, anything else an implicit one
    length = first | second << 8
    body = struct.pack("<HH", 0x0009, 0x0010) + bytes([first, second, 0, 0]) + b"\x00" * length
    data = part10(EXPLICIT_LE.encode(), body)
    assert_same(data)
    looks_like_vr = 65 <= first <= 90 and 65 <= second <= 90
    assert (outcome(header.read_header, data, True)[0] == "header_error") == looks_like_vr
