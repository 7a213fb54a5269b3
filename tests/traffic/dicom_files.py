"""Synthetic DICOM files for capture tests: real image data, made-up patients, fresh UIDs.

The patient name and id are markers: a test asserts they are in the raw capture (so the
capture really carries patient data) and in nothing ImageWarden or tshark printed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

PATIENT_NAME = "Synthetic^Capturetest"
PATIENT_ID = "SYN-7730-PHI"
SOURCES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")


def synthetic_copy(
    source: str,
    path: Path,
    patient: tuple[str, str],
    edit: Callable[[Dataset], None] | None = None,
) -> Path:
    """``path``: pydicom's bundled test file ``source`` with a made-up patient (name, id),
    fresh study, series and instance UIDs, and whatever ``edit`` changes."""
    found = get_testdata_file(source, download=False)
    assert found is not None, "pydicom's bundled test files are missing"
    dataset = dcmread(found)
    dataset.PatientName, dataset.PatientID = patient
    dataset.StudyInstanceUID = generate_uid()
    dataset.SeriesInstanceUID = generate_uid()
    dataset.SOPInstanceUID = generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    if edit is not None:
        edit(dataset)
    dataset.save_as(path, enforce_file_format=True)
    return path


def write_files(folder: Path, count: int = 3, patient: str = PATIENT_NAME) -> list[Path]:
    """``count`` files cycling through the bundled CT, MR and RT plan, one study each."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        synthetic_copy(
            SOURCES[index % len(SOURCES)],
            folder / f"synthetic-{index:04d}.dcm",
            (patient, PATIENT_ID),
        )
        for index in range(count)
    ]
