"""The SOP classes discovery proposes, grouped by what their acceptance says about a service."""

from __future__ import annotations

from imagewarden.discovery.pdu import IMPLICIT_VR_LE, VERIFICATION, PresentationContext

STORAGE = {
    "CT": "1.2.840.10008.5.1.4.1.1.2",
    "MR": "1.2.840.10008.5.1.4.1.1.4",
    "US": "1.2.840.10008.5.1.4.1.1.6.1",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
    "MG": "1.2.840.10008.5.1.4.1.1.1.2",
    "SC": "1.2.840.10008.5.1.4.1.1.7",
}
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
WORKLIST_FIND = "1.2.840.10008.5.1.4.31"

# Fact name -> abstract syntaxes whose acceptance sets it. Order fixes the context ids.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "dicom.accepts_verification": (VERIFICATION,),
    "dicom.accepts_storage": tuple(STORAGE.values()),
    "dicom.accepts_query_find": (STUDY_ROOT_FIND, PATIENT_ROOT_FIND),
    "dicom.accepts_retrieve_move": (STUDY_ROOT_MOVE,),
    "dicom.accepts_retrieve_get": (STUDY_ROOT_GET,),
    "dicom.accepts_worklist": (WORKLIST_FIND,),
}


def contexts(abstract_syntaxes: tuple[str, ...]) -> tuple[PresentationContext, ...]:
    """Presentation contexts with odd ids 1, 3, 5, ... as PS3.8 requires.

    Only Implicit VR Little Endian is proposed: every DICOM service must accept it, and it is
    the encoding our C-FIND identifier uses, so negotiation cannot pick another one.
    """
    return tuple(
        PresentationContext(2 * i + 1, uid, (IMPLICIT_VR_LE,))
        for i, uid in enumerate(abstract_syntaxes)
    )


ALL_PROPOSED: tuple[str, ...] = tuple(uid for uids in CAPABILITIES.values() for uid in uids)
