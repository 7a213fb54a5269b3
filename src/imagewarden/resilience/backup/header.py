"""A lean DICOM Part-10 header reader for the backup hot path.

It walks the file meta group and the data set up to Pixel Data (7FE0,0010) without reading
pixel values, and decodes only four UIDs (SOP Class, SOP Instance, Study, Series) and the
transfer syntax. Patient attributes are skipped by length and never decoded, so they cannot
end up in a manifest or a log. pydicom is ~10x slower for this job because it builds a full
Dataset; here one pass with precompiled structs is enough.

The walk reads a window on the file: its first bytes, then (``read_file_header``) only the
element headers past them, where they are. A value it does not decode, however large (an
encapsulated PDF, spectroscopy or waveform data before the end), is skipped by its declared
length and never read, so a valid header never needs a buffer that holds it.

The walk is written twice: here in Python, the reference and the fallback, and in C
(``_header_walk.c``, an optional compiled extension, ~10x faster again), which gives exactly
the same results, errors, ``NeedMore`` sizes and reads. ``read_header`` and
``read_file_header`` are the C walk when the extension was built at install time, this
module's ``read_header_python`` and ``read_file_header_python`` otherwise.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

PREAMBLE = 128
ReadAt = Callable[[int, int], bytes]
"""``read_at(offset, length)``: the file's bytes from ``offset``, at least ``length`` of them."""
MAGIC = b"DICM"

# Explicit VRs whose length field is 4 bytes after 2 reserved bytes (PS3.5 7.1.2).
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
)
# Every other VR of PS3.5 Table 6.2-1 has a 2-byte length.
_SHORT_VRS = frozenset(
    {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
     b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
)  # fmt: skip
# What an explicit VR says about its element: how its length is encoded, and whether its
# content (when of undefined length) is walked as explicit VR items.
_SHORT, _IMPLICIT, _LONG, _LONG_SQ, _LONG_UN = 0, 1, 2, 3, 4
_VR_KINDS: dict[bytes, int] = {
    **dict.fromkeys(_SHORT_VRS, _SHORT),
    **dict.fromkeys(_LONG_VRS, _LONG),
    b"SQ": _LONG_SQ,
    b"UN": _LONG_UN,
}
_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQ_END = 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
_WANTED = {
    0x00080016: "sop_class",
    0x00080018: "sop_instance",
    0x0020000D: "study",
    0x0020000E: "series",
}
_TS_ELEMENT = 0x0010  # (0002,0010) Transfer Syntax UID
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED = "1.2.840.10008.1.2.1.99"
_MAX_DEPTH = 16  # nested sequences deeper than this are treated as corruption

_LE_HH = struct.Struct("<HH")
_BE_HH = struct.Struct(">HH")
_LE_H = struct.Struct("<H")
_BE_H = struct.Struct(">H")
_LE_I = struct.Struct("<I")
_BE_I = struct.Struct(">I")
# an element's tag, VR and 2-byte length (explicit VR); its tag and 4-byte length (implicit)
_LE_EXPLICIT = struct.Struct("<HH2sH")
_BE_EXPLICIT = struct.Struct(">HH2sH")
_LE_IMPLICIT = struct.Struct("<HHI")
_BE_IMPLICIT = struct.Struct(">HHI")


class HeaderError(Exception):
    """The header is malformed; ``code`` is a stable problem name for the manifest."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


class NeedMore(Exception):
    """The header continues past the bytes given; retry with at least ``size`` bytes."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class HeaderInfo:
    """The UIDs and pixel data position read from a header. A plain class, not a dataclass:
    this module is imported by every checking process as it starts, and ``dataclasses``
    (with ``inspect``) would be most of that start-up."""

    __slots__ = ("pixel_data_end", "pixel_data_offset", "series", "sop_class", "sop_instance",
                 "study", "transfer_syntax", "walked")  # fmt: skip

    def __init__(
        self,
        transfer_syntax: str = "",
        sop_class: str = "",
        sop_instance: str = "",
        study: str = "",
        series: str = "",
        pixel_data_offset: int = -1,
        pixel_data_end: int = -1,
        walked: bool = True,
    ) -> None:
        self.transfer_syntax = transfer_syntax
        self.sop_class = sop_class
        self.sop_instance = sop_instance
        self.study = study
        self.series = series
        self.pixel_data_offset = pixel_data_offset
        """Byte offset of the Pixel Data element, -1 when the data set has none."""
        self.pixel_data_end = pixel_data_end
        """Offset where defined-length pixel data ends; -1 if undefined length or absent."""
        self.walked = walked
        """False when the data set could not be walked (deflated transfer syntax)."""


def has_magic(buf: bytes) -> bool:
    """The 128-byte preamble is followed by "DICM"."""
    return len(buf) >= PREAMBLE + 4 and buf[PREAMBLE : PREAMBLE + 4] == MAGIC


def _uid(raw: bytes) -> str:
    return raw.rstrip(b"\x00 ").decode("ascii", "replace")


_NO_END = 1 << 62
"""The size given for a buffer that may not be the whole file: no position reaches it."""


class _Walker:
    """Walks data elements through a window on the file's bytes; positions are file offsets.

    The window is the first buffer, or the bytes of the last ``read_at`` call. A value the
    walk does not decode is skipped by its declared length, and only the next element header
    (or a UID it keeps) is read, where it is: no large value is ever held, whatever its size.
    Without ``read_at`` (a bare buffer) the walk raises NeedMore where it would read.
    """

    __slots__ = ("base", "buf", "explicit_head", "first", "found", "hh", "i32", "implicit_head",
                 "limit", "read_at", "size", "u16")  # fmt: skip

    def __init__(self, first: bytes, size: int, read_at: ReadAt | None) -> None:
        self.first = first
        self.buf, self.base, self.limit = first, 0, len(first)
        self.size = size
        """Where the file ends, so the data set too; _NO_END when unknown."""
        self.read_at = read_at
        self.found: dict[str, str] = {}
        self.encoding(big_endian=False)

    def encoding(self, big_endian: bool) -> None:
        """Read elements in this byte order (the file meta group is little endian)."""
        self.hh = _BE_HH if big_endian else _LE_HH
        self.u16 = _BE_H if big_endian else _LE_H
        self.i32 = _BE_I if big_endian else _LE_I
        self.explicit_head = _BE_EXPLICIT if big_endian else _LE_EXPLICIT
        self.implicit_head = _BE_IMPLICIT if big_endian else _LE_IMPLICIT

    def fetch(self, pos: int, stop: int) -> None:
        """Make the file's bytes [pos, stop) the window. NeedMore(stop) when they are past the
        file's end, when there is no ``read_at``, or when the file shrank since its size was
        taken (the read comes back short)."""
        if stop > self.size or self.read_at is None:
            raise NeedMore(stop)
        data = self.read_at(pos, stop - pos)
        if len(data) < stop - pos:
            raise NeedMore(stop)
        self.buf, self.base, self.limit = data, pos, pos + len(data)

    def use_first(self) -> None:
        """Make the first buffer the window again (for a walk that starts over)."""
        self.buf, self.base, self.limit = self.first, 0, len(self.first)

    def meta(self) -> tuple[int, str]:
        """Walk the file meta group (always explicit VR little endian); return (end, syntax)."""
        pos = PREAMBLE + 4
        syntax = ""
        head = _LE_EXPLICIT.unpack_from
        for _ in range(1000):
            if pos + 8 > self.limit or pos < self.base:
                self.fetch(pos, pos + 8)
            group, elem, vr, length = head(self.buf, pos - self.base)
            if group != 0x0002:
                return pos, syntax
            kind = _VR_KINDS.get(vr)
            if kind is None:
                raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
            if kind >= _LONG:
                if pos + 12 > self.limit:
                    self.fetch(pos, pos + 12)
                length = _LE_I.unpack_from(self.buf, pos + 8 - self.base)[0]
                value = pos + 12
            else:
                value = pos + 8
            if length == _UNDEFINED:
                raise HeaderError("bad_meta", "undefined length in file meta group")
            end = value + length
            if elem == _TS_ELEMENT:
                if end > self.limit:
                    self.fetch(value, end)
                syntax = _uid(self.buf[value - self.base : end - self.base])
            pos = end
        raise HeaderError("bad_meta", "file meta group too long")

    def element(self, pos: int, explicit: bool) -> tuple[int, int, int]:
        """Return (tag, value offset, length) of the element at ``pos``."""
        if pos + 8 > self.limit or pos < self.base:
            self.fetch(pos, pos + 8)
        at = pos - self.base
        group, elem = self.hh.unpack_from(self.buf, at)
        tag = (group << 16) | elem
        if group == 0xFFFE:  # item and delimiters are always implicit-style
            return tag, pos + 8, self.i32.unpack_from(self.buf, at + 4)[0]
        if explicit:
            vr = self.buf[at + 4 : at + 6]
            if vr in _LONG_VRS:
                if pos + 12 > self.limit:
                    self.fetch(pos, pos + 12)
                return tag, pos + 12, self.i32.unpack_from(self.buf, pos + 8 - self.base)[0]
            if vr not in _SHORT_VRS:
                raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
            return tag, pos + 8, self.u16.unpack_from(self.buf, at + 6)[0]
        return tag, pos + 8, self.i32.unpack_from(self.buf, at + 4)[0]

    def walk(self, pos: int, depth: int, *, top: bool, explicit: bool) -> tuple[int, int]:
        """Walk elements from ``pos``; return (position, pixel tag offset or -1).

        At the top level the walk ends at Pixel Data or the end of the file; inside an
        undefined-length item it ends at the item delimiter.
        """
        if depth > _MAX_DEPTH:
            raise HeaderError("nesting_too_deep")
        # This loop runs ~150 times per file and is the whole cost of the header check (and
        # holds the GIL while the hashing threads wait for it), so each element is decoded
        # with one struct call and one dict lookup, and nothing that is not needed is built.
        # Each turn moves ``pos`` forward by 8 bytes or more, or returns.
        buf, base, limit = self.buf, self.base, self.limit
        i32 = self.i32.unpack_from
        head = (self.explicit_head if explicit else self.implicit_head).unpack_from
        kinds = _VR_KINDS
        while True:
            if pos + 8 > limit or pos < base:
                if pos == self.size and top:
                    return pos, -1
                self.fetch(pos, pos + 8)
                buf, base, limit = self.buf, self.base, self.limit
            if explicit:
                group, elem, vr, length = head(buf, pos - base)
                kind = _SHORT if group == 0xFFFE else kinds.get(vr)
            else:
                group, elem, length = head(buf, pos - base)
                kind = _IMPLICIT
            if group == 0xFFFE:
                if elem == 0xE00D and not top:
                    return pos + 8, -1
                raise HeaderError("bad_sequence", f"unexpected delimiter at offset {pos}")
            if group == 0x7FE0 and elem == 0x0010 and top:
                return pos, pos
            if kind is None:
                raise HeaderError("bad_vr", f"invalid VR at offset {pos}")
            if kind >= _LONG:
                if pos + 12 > limit:
                    self.fetch(pos, pos + 12)
                    buf, base, limit = self.buf, self.base, self.limit
                length = i32(buf, pos + 8 - base)[0]
                value = pos + 12
            else:
                value = pos + 8
            if length == _UNDEFINED:
                # sequences, and OB/UN elements encapsulated like pixel data, end with a
                # sequence delimiter after their items; UN content is implicit VR
                pos = self._sequence(value, depth + 1, explicit and kind != _LONG_UN)
                buf, base, limit = self.buf, self.base, self.limit
                continue
            end = value + length
            if (group == 0x0008 or group == 0x0020) and top and kind != _LONG_SQ:
                field = _WANTED.get((group << 16) | elem)
                if field is not None:
                    if end > limit:
                        self.fetch(value, end)
                        buf, base, limit = self.buf, self.base, self.limit
                    self.found[field] = _uid(buf[value - base : end - base])
            pos = end

    def _sequence(self, pos: int, depth: int, explicit: bool) -> int:
        """Skip an undefined-length sequence starting at its first item; return end."""
        for _ in range(10_000_000):
            tag, value, length = self.element(pos, False)
            if tag == _SEQ_END:
                return value
            if tag != _ITEM:
                raise HeaderError("bad_sequence", f"expected item at offset {pos}")
            if length == _UNDEFINED:
                pos, _ = self.walk(value, depth, top=False, explicit=explicit)
            else:
                pos = value + length
        raise HeaderError("bad_sequence", "too many items")


def _read(first: bytes, size: int, read_at: ReadAt | None) -> HeaderInfo:
    """``read_header_python`` and ``read_file_header_python``: ``size`` is where the file
    ends (``_NO_END`` for a buffer that may not be all of it)."""
    if not has_magic(first):
        raise HeaderError("no_magic")
    walker = _Walker(first, size, read_at)
    pos, syntax = walker.meta()
    if not syntax:
        raise HeaderError("no_transfer_syntax")
    if syntax == _DEFLATED:
        return HeaderInfo(transfer_syntax=syntax, walked=False)
    explicit = syntax != _IMPLICIT_LE
    walker.encoding(big_endian=syntax == _EXPLICIT_BE)
    try:
        _end, pixel = walker.walk(pos, 0, top=True, explicit=explicit)
    except HeaderError as exc:
        # Some writers declare explicit VR but write implicit; readers (pydicom, DCMTK)
        # accept that, so a backup of such a file is not corrupt.
        known = len(first) if read_at is None else size
        if exc.code != "bad_vr" or not explicit or pos >= known - 8:
            raise
        walker.use_first()
        if pos + 8 > walker.limit:
            walker.fetch(pos, pos + 8)
        at = pos - walker.base
        if 65 <= walker.buf[at + 4] <= 90 and 65 <= walker.buf[at + 5] <= 90:
            raise
        walker.found.clear()
        explicit = False
        _end, pixel = walker.walk(pos, 0, top=True, explicit=False)
    pixel_end = -1
    if pixel >= 0:
        _tag, value, length = walker.element(pixel, explicit)
        pixel_end = -1 if length == _UNDEFINED else value + length
    found = walker.found
    return HeaderInfo(
        transfer_syntax=syntax,
        sop_class=found.get("sop_class", ""),
        sop_instance=found.get("sop_instance", ""),
        study=found.get("study", ""),
        series=found.get("series", ""),
        pixel_data_offset=pixel,
        pixel_data_end=pixel_end,
    )


def read_header_python(buf: bytes, *, whole: bool) -> HeaderInfo:
    """Parse a Part-10 header from the first bytes of a file, and nothing else.

    Raises HeaderError for malformed headers (``no_magic`` when the preamble and "DICM" are
    missing) and NeedMore(size) when the walk needs the buffer to reach ``size`` bytes;
    ``whole`` says the buffer is the entire file, so its end is the end of the data set and
    NeedMore from a whole file means the file is truncated.
    """
    return _read(buf, len(buf) if whole else _NO_END, None)


def read_file_header_python(first: bytes, size: int, read_at: ReadAt) -> HeaderInfo:
    """Parse the Part-10 header of a file of ``size`` bytes.

    ``first`` is the start of the file (all of it, or at least 132 bytes); the walk calls
    ``read_at(offset, length)`` for bytes it needs beyond ``first`` and keeps only the last
    bytes read: a value it does not decode is skipped by its declared length, however large.
    ``read_at`` returns at least ``length`` bytes from ``offset`` (more is fine) unless the
    file shrank; the walk never asks past ``size``. NeedMore(size) means the header runs
    past the end of the file (it is truncated); HeaderError as ``read_header_python``; what
    ``read_at`` raises passes through.
    """
    return _read(first, size, read_at)


class HeaderReader(Protocol):
    """The signature of ``read_header``, whichever walk it is."""

    def __call__(self, buf: bytes, /, *, whole: bool) -> HeaderInfo: ...


class FileHeaderReader(Protocol):
    """The signature of ``read_file_header``, whichever walk it is."""

    def __call__(self, first: bytes, size: int, read_at: ReadAt, /) -> HeaderInfo: ...


def _pick_readers() -> tuple[HeaderReader, FileHeaderReader]:
    try:
        from imagewarden.resilience.backup import _header_walk
    except ImportError:  # not built (no compiler at install time): the Python walk
        return read_header_python, read_file_header_python
    _header_walk.bind(HeaderInfo, HeaderError, NeedMore)
    return _header_walk.read_header, _header_walk.read_file_header


read_header, read_file_header = _pick_readers()
"""Parse a Part-10 header (``read_header_python``, ``read_file_header_python`` say how), in C
when it is built."""
NATIVE = read_header is not read_header_python
"""The C walk is in use."""
