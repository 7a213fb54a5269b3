"""DICOM upper-layer PDUs for crafted captures (PS3.8 9.3); command sets encoded by pydicom."""

from __future__ import annotations

import io
import struct

from pydicom.dataset import Dataset
from pydicom.filewriter import write_dataset

VERIFICATION = "1.2.840.10008.1.1"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
IMPLICIT = "1.2.840.10008.1.2"
APP_CONTEXT = "1.2.840.10008.3.1.1.1"


def _item(kind: int, value: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(value)) + value


def _pdu(kind: int, body: bytes) -> bytes:
    return struct.pack(">BBI", kind, 0, len(body)) + body


def _ae(title: str) -> bytes:
    return title.encode().ljust(16)[:16]


def associate_rq(
    calling: str,
    called: str,
    contexts: list[tuple[int, str]],
    *,
    impl_uid: str = "1.2.3.4.5",
    impl_version: str = "TESTSCU_1",
    max_pdu: int = 16384,
    user_identity: tuple[int, bytes, bytes] | None = None,
) -> bytes:
    """An A-ASSOCIATE-RQ proposing ``contexts`` (id, abstract syntax), implicit VR LE."""
    body = struct.pack(">HH", 1, 0) + _ae(called) + _ae(calling) + b"\0" * 32
    body += _item(0x10, APP_CONTEXT.encode())
    for ctx, uid in contexts:
        sub = _item(0x30, uid.encode()) + _item(0x40, IMPLICIT.encode())
        body += _item(0x20, bytes([ctx, 0, 0, 0]) + sub)
    user = _item(0x51, struct.pack(">I", max_pdu))
    user += _item(0x52, impl_uid.encode()) + _item(0x55, impl_version.encode())
    if user_identity is not None:
        kind, primary, secondary = user_identity
        value = bytes([kind, 1]) + struct.pack(">H", len(primary)) + primary
        value += struct.pack(">H", len(secondary)) + secondary
        user += _item(0x58, value)
    body += _item(0x50, user)
    return _pdu(1, body)


def associate_ac(calling: str, called: str, results: list[tuple[int, int]]) -> bytes:
    """An A-ASSOCIATE-AC with a result per presentation context."""
    body = struct.pack(">HH", 1, 0) + _ae(called) + _ae(calling) + b"\0" * 32
    body += _item(0x10, APP_CONTEXT.encode())
    for ctx, result in results:
        body += _item(0x21, bytes([ctx, 0, result, 0]) + _item(0x40, IMPLICIT.encode()))
    user = _item(0x51, struct.pack(">I", 16384)) + _item(0x52, b"1.2.3.4.6")
    body += _item(0x50, user + _item(0x55, b"TESTSCP_1"))
    return _pdu(2, body)


def associate_rj(result: int = 1, source: int = 1, reason: int = 3) -> bytes:
    """An A-ASSOCIATE-RJ."""
    return _pdu(3, bytes([0, result, source, reason]))


def release_rq() -> bytes:
    """A-RELEASE-RQ."""
    return _pdu(5, b"\0" * 4)


def release_rp() -> bytes:
    """A-RELEASE-RP."""
    return _pdu(6, b"\0" * 4)


def abort(source: int = 0, reason: int = 0) -> bytes:
    """A-ABORT."""
    return _pdu(7, bytes([0, 0, source, reason]))


def p_data(*pdvs: tuple[int, int, bytes]) -> bytes:
    """A P-DATA-TF PDU of PDVs (context id, message control header, data)."""
    body = b"".join(struct.pack(">IBB", len(data) + 2, ctx, mch) + data for ctx, mch, data in pdvs)
    return _pdu(4, body)


def command(
    field: int,
    sop_class: str,
    message_id: int = 1,
    *,
    status: int | None = None,
    data_set: bool = False,
    move_destination: str | None = None,
) -> bytes:
    """A command set (group 0000, implicit VR little endian) encoded by pydicom."""
    ds = Dataset()
    if field & 0x8000:
        ds.AffectedSOPClassUID = sop_class
        ds.MessageIDBeingRespondedTo = message_id
    else:
        if field in (0x0020, 0x0021, 0x0010):
            ds.AffectedSOPClassUID = sop_class
        else:
            ds.AffectedSOPClassUID = sop_class
        ds.MessageID = message_id
    ds.CommandField = field
    ds.CommandDataSetType = 0x0000 if data_set else 0x0101
    if status is not None:
        ds.Status = status
    if move_destination is not None:
        ds.MoveDestination = move_destination
    buffer = io.BytesIO()
    write_dataset(_filebuffer(buffer), ds)
    body = buffer.getvalue()
    length = struct.pack("<HHI", 0, 0, 4) + struct.pack("<I", len(body))
    return length + body


def _filebuffer(buffer: io.BytesIO) -> object:
    from pydicom.filebase import DicomFileLike

    fp = DicomFileLike(buffer)
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    return fp


def store_exchange(
    ctx: int, data: bytes, message_id: int = 1, max_pdv: int = 16372, sop_class: str = CT_STORAGE
) -> tuple[list[bytes], list[bytes]]:
    """(client PDUs, server PDUs) of one C-STORE: command, data set in PDVs, response."""
    client = [p_data((ctx, 0x03, command(0x0001, sop_class, message_id, data_set=True)))]
    for start in range(0, len(data), max_pdv):
        last = start + max_pdv >= len(data)
        client.append(p_data((ctx, 0x02 if last else 0x00, data[start : start + max_pdv])))
    server = [p_data((ctx, 0x03, command(0x8001, sop_class, message_id, status=0)))]
    return client, server
