"""The lean header reader against pydicom on real files, and on damaged copies: both walks,
the C one (when built) and the Python one it falls back to."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from imagewarden.resilience.backup import header
from imagewarden.resilience.backup.header import HeaderError, HeaderReader, NeedMore
from imagewarden.resilience.backup.sample import source_file

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
