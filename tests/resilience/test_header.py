"""The lean header reader against pydicom on real files, and on damaged copies: both walks,
the C one (when built) and the Python one it falls back to."""

from __future__ import annotations

import struct
from pathlib import Path

import pydicom
import pytest

from imagewarden.resilience.backup import header
from imagewarden.resilience.backup.header import (
    FileHeaderReader,
    HeaderError,
    HeaderReader,
    NeedMore,
)
from imagewarden.resilience.backup.sample import source_file
from tests.resilience.test_header_native import EXPLICIT_LE, UNDEFINED, SparseFile, part10

# explicit VR LE, implicit VR LE (rtplan), big endian, JPEG 2000 encapsulated, RT dose,
# sequences of undefined length, UN sequences, private sequences
NAMES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "rtplan.dcm",
    "rtdose.dcm",
    "JPEG2000.dcm",
    "ExplVR_BigEnd.dcm",
    "UN_sequence.dcm",
    "nested_priv_SQ.dcm",
    "SC_rgb_jpeg.dcm",
]


@pytest.fixture(params=["c", "python"])
def read_header(request: pytest.FixtureRequest) -> HeaderReader:
    """Each walk in turn; the C one only where it is built (tests/resilience/
    test_header_native.py makes CI fail when it is not)."""
    if request.param == "python":
        return header.read_header_python
    if not header.NATIVE:
        pytest.skip("the C header walk is not built here")
    return header.read_header


@pytest.fixture(params=["c", "python"])
def read_file_header(request: pytest.FixtureRequest) -> FileHeaderReader:
    """``read_header`` for reading a file: each walk in turn, as there."""
    if request.param == "python":
        return header.read_file_header_python
    if not header.NATIVE:
        pytest.skip("the C header walk is not built here")
    return header.read_file_header


@pytest.mark.filterwarnings("ignore:Expected explicit VR:UserWarning")  # SC_rgb_jpeg, on purpose
@pytest.mark.parametrize("name", NAMES)
def test_uids_match_pydicom(name: str, read_header: HeaderReader) -> None:
    path = source_file(name)
    info = read_header(path.read_bytes(), whole=True)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert info.transfer_syntax == ds.file_meta.TransferSyntaxUID
    assert info.sop_instance == str(ds.get("SOPInstanceUID", ""))
    assert info.sop_class == str(ds.get("SOPClassUID", ""))
    assert info.study == str(ds.get("StudyInstanceUID", ""))
    assert info.series == str(ds.get("SeriesInstanceUID", ""))


def test_pixel_data_is_located_not_read(read_header: HeaderReader) -> None:
    data = source_file("CT_small.dcm").read_bytes()
    info = read_header(data, whole=True)
    assert data[info.pixel_data_offset : info.pixel_data_offset + 4] == b"\xe0\x7f\x10\x00"
    assert info.pixel_data_offset < info.pixel_data_end <= len(data)
    # a buffer that stops at the pixel data element is enough: nothing past it is needed
    assert read_header(data[: info.pixel_data_offset + 12], whole=False).sop_instance


def test_partial_buffer_asks_for_more(read_header: HeaderReader) -> None:
    data = source_file("rtplan.dcm").read_bytes()
    with pytest.raises(NeedMore):
        read_header(data[:600], whole=False)


@pytest.mark.parametrize(
    ("name", "code"),
    [("no_meta.dcm", "no_magic"), ("meta_missing_tsyntax.dcm", "no_transfer_syntax")],
)
def test_malformed_headers_have_codes(name: str, code: str, read_header: HeaderReader) -> None:
    with pytest.raises(HeaderError) as raised:
        read_header(source_file(name).read_bytes(), whole=True)
    assert raised.value.code == code


def test_pydicom_truncated_file_is_cut_short(read_header: HeaderReader) -> None:
    data = source_file("rtplan_truncated.dcm").read_bytes()
    with pytest.raises(NeedMore):
        read_header(data, whole=True)


def test_no_patient_attribute_is_decoded(tmp_path: Path, read_header: HeaderReader) -> None:
    info = read_header(source_file("CT_small.dcm").read_bytes(), whole=True)
    text = repr(info)
    assert "CompressedSamples" not in text and "1CT1" not in text


def _explicit(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


UIDS = (
    _explicit(0x0008, 0x0016, b"UI", b"1.2.3\x00")
    + _explicit(0x0008, 0x0018, b"UI", b"1.2.3.4\x00")
    + _explicit(0x0020, 0x000D, b"UI", b"1.2.5\x00")
    + _explicit(0x0020, 0x000E, b"UI", b"1.2.6\x00")
)
LARGE = 70 << 20


def _large_value_in(place: str) -> tuple[SparseFile, int]:
    """A file with a value of 70 MiB (zeros, not stored) in ``place``, then the UIDs; and
    where the value starts."""

    def big(group: int) -> bytes:
        return struct.pack("<HH2sHI", group, 0x0102 if group == 2 else 0x1010, b"OB", 0, LARGE)

    def item(length: int) -> bytes:  # a private sequence, its first item: a large value
        sequence = struct.pack("<HH2sHI", 0x0009, 0x1020, b"SQ", 0, UNDEFINED)
        return sequence + struct.pack("<HHI", 0xFFFE, 0xE000, length) + big(9)

    item_end = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
    sequence_end = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    pieces: list[bytes | int] = {
        "meta_group": [part10(EXPLICIT_LE.encode(), big(2)), LARGE, UIDS],
        "data_set": [part10(EXPLICIT_LE.encode(), UIDS[:30] + big(9)), LARGE, UIDS[30:]],
        "defined_item": [
            part10(EXPLICIT_LE.encode(), item(12 + LARGE)),
            LARGE, sequence_end + UIDS,
        ],
        "undefined_item": [
            part10(EXPLICIT_LE.encode(), item(UNDEFINED)),
            LARGE, item_end + sequence_end + UIDS,
        ],
    }[place]  # fmt: skip
    first = pieces[0]
    assert isinstance(first, bytes)
    return SparseFile(pieces), len(first)


@pytest.mark.parametrize("place", ["meta_group", "data_set", "defined_item", "undefined_item"])
def test_a_large_value_is_skipped_and_never_read(
    place: str, read_file_header: FileHeaderReader
) -> None:
    file, value = _large_value_in(place)
    asked: list[tuple[int, int]] = []

    def read_at(offset: int, length: int) -> bytes:
        asked.append((offset, length))
        return file.read(offset, length)

    info = read_file_header(file.read(0, 1 << 16), file.size, read_at)
    assert (info.sop_class, info.sop_instance, info.study, info.series) == (
        "1.2.3", "1.2.3.4", "1.2.5", "1.2.6",
    )  # fmt: skip
    # only what follows the value is read, where it is: not one byte of the value
    assert asked and all(offset >= value + LARGE for offset, _length in asked)
    assert sum(length for _offset, length in asked) < 1024
    # cut inside the value, or after it inside the next element's header: truncated
    for cut in (value + LARGE // 2, value + LARGE + 4):
        file.size = cut
        with pytest.raises(NeedMore):
            read_file_header(file.read(0, 1 << 16), file.size, read_at)
