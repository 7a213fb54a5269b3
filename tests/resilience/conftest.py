"""Real DICOM archives for backup tests: pydicom's bundled files with fresh UIDs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from imagewarden.app import Workspace, installed_capabilities
from imagewarden.catalog import Catalog
from imagewarden.resilience.backup.sample import write_study_files
from imagewarden.resilience.data import ResilienceData, resilience_data
from imagewarden.store import Store


def aes_encrypt(data: bytes) -> bytes:
    """What ransomware does to a file: AES with a random key nobody here keeps."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key, nonce = os.urandom(32), os.urandom(16)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


@pytest.fixture(scope="session")
def _pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "archive"
    list(write_study_files(root, studies=4, series_per_study=2, instances_per_series=3, seed=5))
    return root


@pytest.fixture
def archive(_pristine: Path, tmp_path: Path) -> Path:
    """24 intact files: 4 studies x 2 series x 3 instances (CT, MR, RT dose, JPEG 2000, ...)."""
    root = tmp_path / "archive"
    shutil.copytree(_pristine, root)
    return root


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.dcm") if p.is_file())


@pytest.fixture(scope="session")
def data(catalog: Catalog) -> ResilienceData:
    """The shipped resilience catalog section, read through the catalog like every command."""
    return resilience_data(catalog)


def workspace_on(store: Store, catalog: Catalog, actor: str = "tester") -> Workspace:
    """A workspace over ``store`` with every installed capability (as the CLI builds it)."""
    return Workspace(store, catalog, installed_capabilities(), actor=actor)


def write_large_document(path: Path, value_length: int) -> tuple[int, int]:
    """Write CT_small as pydicom does, with its Pixel Data replaced by an Encapsulated
    Document (0042,0011) of ``value_length`` bytes followed by its MIME Type (0042,0012):
    a large value before the last element. The value's bytes are a hole in the file (zeros,
    never written), so a 70 MiB file costs no time to write. Return where it starts and ends."""
    import io
    import struct

    import pydicom

    from imagewarden.resilience.backup.sample import source_file

    ds = pydicom.dcmread(source_file("CT_small.dcm"))
    del ds.PixelData
    ds.EncapsulatedDocument = b""
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    written = io.BytesIO()
    ds.save_as(written, enforce_file_format=True)
    data = written.getvalue()
    element = struct.pack("<HH2sHI", 0x0042, 0x0011, b"OB", 0, 0)
    start = data.index(element) + len(element)
    with path.open("wb") as out:
        out.write(data[: start - 4] + struct.pack("<I", value_length))
        out.seek(value_length, os.SEEK_CUR)
        out.write(data[start:])
    return start, start + value_length
