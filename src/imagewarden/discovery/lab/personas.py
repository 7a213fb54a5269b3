"""Who lives in the lab: four DICOM personas with the weaknesses found in real departments."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Persona:
    """One lab DICOM service: where it listens and how it behaves."""

    name: str
    address: str
    port: int
    ae_title: str
    check_called_ae: bool
    allowed_calling: tuple[str, ...] = ()
    """Empty: any calling AE title is accepted."""
    tls: bool = False
    archive: bool = True
    """Archives accept storage and query; a modality accepts verification and storage only."""
    implementation_class_uid: str = ""
    implementation_version: str = ""
    """Empty: pynetdicom's own identity."""
    find_matches: int = 3
    """Synthetic studies a C-FIND reports (identifiers carry only a generated UID)."""


PROMISCUOUS = Persona("promiscuous-archive", "127.0.0.11", 11112, "OPENPACS", False)
HARDENED = Persona(
    "hardened-archive", "127.0.0.12", 11112, "HARDPACS", True, allowed_calling=("PACSPEER",)
)
TLS_ONLY = Persona("tls-only-archive", "127.0.0.13", 2762, "TLSPACS", False, tls=True)
OLD_MODALITY = Persona(
    "old-modality",
    "127.0.0.14",
    4242,
    "OLDCT",
    False,
    archive=False,
    # An old DCMTK-based console: the identity a 2013-era stack announces.
    implementation_class_uid="1.2.276.0.7230010.3.0.3.6.0",
    implementation_version="OFFIS_DCMTK_360",
)

DEFAULT_PERSONAS = (PROMISCUOUS, HARDENED, TLS_ONLY, OLD_MODALITY)


def relocated(personas: tuple[Persona, ...], prefix: str) -> tuple[Persona, ...]:
    """The same personas on another /24 (e.g. '127.0.3'), so several labs can run at once."""
    return tuple(replace(p, address=f"{prefix}.{p.address.rsplit('.', 1)[1]}") for p in personas)
