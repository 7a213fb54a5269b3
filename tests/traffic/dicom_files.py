"""Synthetic DICOM files for capture tests: real image data, made-up patients, fresh UIDs.

The patient name and id are markers: a test asserts they are in the raw capture (so the
capture really carries patient data) and in nothing ImageWarden or tshark printed.
"""

from __future__ import annotations

from pathlib import Path

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

PATIENT_NAME = "Synthetic^Capturetest"
PATIENT_ID = "SYN-7730-PHI"
SOURCES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")


def write_files(folder: Path, count: int = 3, patient: str = PATIENT_NAME) -> list[Path]:
    """``count`` files cycling through the bundled CT, MR and RT plan, one study each."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        source = get_testdata_file(SOURCES[index % len(SOURCES)], download=False)
        assert source is not None, "pydicom's bundled test files are missing"
        dataset = dcmread(source)
        dataset.PatientName = patient
        dataset.PatientID = PATIENT_ID
        dataset.StudyInstanceUID = generate_uid()
        dataset.SeriesInstanceUID = generate_uid()
        dataset.SOPInstanceUID = generate_uid()
        dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        path = folder / f"synthetic-{index:04d}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        written.append(path)
    return written
