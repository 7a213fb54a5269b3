"""Synthetic DICOM archives from pydicom's bundled test files, with fresh UIDs.

Used by the demo, the tests and the benchmark. The bundled files carry made-up patient
names; every copy gets new Study/Series/SOP Instance UIDs and neutral patient attributes so
no two copies collide and nothing looks like a real person.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCES = ("CT_small.dcm", "MR_small.dcm", "rtdose.dcm", "JPEG2000.dcm", "rtplan.dcm")
_UID_ROOT = "2.25."


def _uid(rng: random.Random) -> str:
    # 2.25.<128-bit integer> is the UUID-derived UID form (PS3.5 B.2): no registered root needed
    return _UID_ROOT + str(rng.getrandbits(127) | 1 << 120)


@dataclass(frozen=True, slots=True)
class Template:
    """A source file's bytes."""

    name: str
    data: bytes


def source_file(name: str) -> Path:
    """A file bundled with pydicom (never downloaded)."""
    from pydicom.data import get_testdata_file

    # download=False: the bundled files only; a download attempt hangs offline
    found = get_testdata_file(name, download=False)
    if not isinstance(found, str):
        raise FileNotFoundError(f"pydicom test file {name} is not bundled")
    return Path(found)


def write_study_files(
    out: Path,
    *,
    studies: int,
    series_per_study: int = 2,
    instances_per_series: int = 3,
    seed: int = 0,
    sources: tuple[str, ...] = SOURCES,
    pad_to: int = 0,
) -> Iterator[Path]:
    """Write ``studies`` synthetic studies under ``out`` (one folder per study and series).

    ``pad_to`` > 0 grows each file to about that many bytes with a trailing padding element
    (DataSetTrailingPadding), to imitate full-size images cheaply.
    """
    import pydicom
    from pydicom.uid import UID

    rng = random.Random(seed)
    templates = [pydicom.dcmread(source_file(name)) for name in sources]
    counter = 0
    for s in range(studies):
        study_uid = _uid(rng)
        for r in range(series_per_study):
            series_uid = _uid(rng)
            folder = out / f"study{s:05d}" / f"series{r:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(instances_per_series):
                ds = templates[counter % len(templates)]
                counter += 1
                ds.PatientName = "Synthetic^Demo"
                ds.PatientID = f"SYN{s:05d}"
                sop_uid = _uid(rng)
                ds.StudyInstanceUID = study_uid
                ds.SeriesInstanceUID = series_uid
                ds.SOPInstanceUID = sop_uid
                ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
                path = folder / f"IM{i:04d}.dcm"
                ds.save_as(path, enforce_file_format=True)
                if pad_to:
                    _pad(path, pad_to, implicit=ds.file_meta.TransferSyntaxUID.is_implicit_VR)
                yield path


def _pad(path: Path, size: int, *, implicit: bool) -> None:
    """Append (FFFC,FFFC) Data Set Trailing Padding so the file reaches ``size`` bytes."""
    current = path.stat().st_size
    length = size - current - 12
    if length <= 0:
        return
    length -= length % 2
    with path.open("ab") as stream:
        # padding goes last, after any pixel data; readers ignore its content
        vr = b"" if implicit else b"OB\x00\x00"
        stream.write(b"\xfc\xff\xfc\xff" + vr + length.to_bytes(4, "little"))
        stream.write(bytes(length))


_PLACEHOLDER_LEN = 60


def _placeholder(tag: str) -> str:
    """A fixed-length UID made of a recognisable tag, so bytes can be swapped in place."""
    stem = f"2.25.{int.from_bytes(tag.encode(), 'big')}"
    return (stem + "0" * _PLACEHOLDER_LEN)[:_PLACEHOLDER_LEN]


def _fixed_uid(rng: random.Random) -> bytes:
    # "1" first, then zero-filled digits: exactly the placeholder's length, no leading zero
    width = _PLACEHOLDER_LEN - len("2.25.1")
    return ("2.25.1" + str(rng.randrange(10**width)).zfill(width)).encode()


def write_bulk_archive(
    out: Path, *, files: int, big_every: int = 5, big_size: int = 512 * 1024, seed: int = 0
) -> int:
    """Write ``files`` DICOM files quickly: templates with placeholder UIDs, patched per file.

    Every ``big_every``-th file is padded to ``big_size`` bytes (a 0.5 MB image); the rest
    keep their template size (10-40 KB). Returns the total bytes written. Used by the
    benchmark, where saving 20,000 files through pydicom would dominate the run.
    """
    import pydicom
    from pydicom.uid import UID

    rng = random.Random(seed)
    study_ph, series_ph, sop_ph = (_placeholder(t).encode() for t in ("stu", "ser", "sop"))
    scratch = out / ".templates"
    scratch.mkdir(parents=True, exist_ok=True)
    small: list[bytes] = []
    big: list[bytes] = []
    for name in ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "rtdose.dcm"):
        ds = pydicom.dcmread(source_file(name))
        ds.PatientName = "Synthetic^Bench"
        ds.PatientID = "SYNBENCH"
        ds.StudyInstanceUID = UID(study_ph.decode())
        ds.SeriesInstanceUID = UID(series_ph.decode())
        ds.SOPInstanceUID = UID(sop_ph.decode())
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_ph.decode())
        path = scratch / name
        ds.save_as(path, enforce_file_format=True)
        small.append(path.read_bytes())
        _pad(path, big_size, implicit=ds.file_meta.TransferSyntaxUID.is_implicit_VR)
        big.append(path.read_bytes())
    for path in scratch.iterdir():
        path.unlink()
    scratch.rmdir()
    total = 0
    study = series = b""
    for i in range(files):
        if i % 50 == 0:
            study = _fixed_uid(rng)
        if i % 10 == 0:
            series = _fixed_uid(rng)
        template = (big if i % big_every == 0 else small)[i % len(small)]
        data = (
            template.replace(study_ph, study)
            .replace(series_ph, series)
            .replace(sop_ph, _fixed_uid(rng))
        )
        folder = out / f"s{i // 1000:03d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"IM{i:06d}.dcm").write_bytes(data)
        total += len(data)
    return total
