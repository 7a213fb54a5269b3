"""One probe per target kind, and the plain-language list of what each sends (dry run)."""

from __future__ import annotations

from imagewarden.discovery.interface import (
    DicomTitles,
    Probe,
    ProbeOptions,
    Profile,
    TargetKind,
)
from imagewarden.discovery.probes.dicom import probe_dicom
from imagewarden.discovery.probes.hl7 import probe_hl7
from imagewarden.discovery.probes.http import QIDO_PATHS, probe_http

PROBES: dict[TargetKind, Probe] = {
    TargetKind.DICOM: probe_dicom,
    TargetKind.DICOM_TLS: probe_dicom,
    TargetKind.HTTP: probe_http,
    TargetKind.HTTPS: probe_http,
    TargetKind.HL7: probe_hl7,
}


def runs(kind: TargetKind, profile: Profile) -> bool:
    """The ping profile only associates with DICOM services."""
    return profile is not Profile.PING or kind in (TargetKind.DICOM, TargetKind.DICOM_TLS)


def describe(kind: TargetKind, titles: DicomTitles, options: ProbeOptions) -> list[str]:
    """What the probe of one target would send, in order (``--dry-run``)."""
    profile = options.profile
    if kind in (TargetKind.DICOM, TargetKind.DICOM_TLS):
        tls = "TLS handshake (no client certificate), then " if kind is TargetKind.DICOM_TLS else ""
        pair = f"{titles.calling}->{titles.called}"
        if profile is Profile.PING:
            return [f"{tls}A-ASSOCIATE-RQ {pair} [Verification]; A-RELEASE-RQ"]
        steps = [
            f"{tls}A-ASSOCIATE-RQ {pair} [Verification, Storage CT/MR/US/DX/MG/SC, "
            "Q/R FIND/MOVE/GET, Worklist] (negotiation only)"
            + ("; C-ECHO-RQ" if profile is Profile.STANDARD else "")
            + "; A-RELEASE-RQ",
            f"{tls}A-ASSOCIATE-RQ {titles.calling}->IWD<random> [Verification]; A-RELEASE-RQ",
        ]
        query = profile is Profile.STANDARD and options.allow_query
        steps.append(
            f"{tls}A-ASSOCIATE-RQ IWC<random>->{titles.called} [Verification"
            + (
                ", Study Root FIND]; C-FIND-RQ STUDY level, returns only StudyInstanceUID, "
                f"counted, C-CANCEL-RQ after {options.max_query_matches}"
                if query
                else "]"
            )
            + "; A-RELEASE-RQ"
        )
        if kind is TargetKind.DICOM:
            steps.append("only if the plain association is dropped: TLS handshake, then retry")
        return steps
    if kind in (TargetKind.HTTP, TargetKind.HTTPS):
        steps = ["GET /system (no credentials)"]
        if profile is Profile.STANDARD and options.allow_query:
            steps.append(
                "GET " + " or ".join(f"{p}?limit=1" for p in QIDO_PATHS) + " (count kept only)"
            )
        if profile is Profile.STANDARD and options.allow_credential_checks:
            steps.append(
                "if 401 from a known product: GET /system with its documented default "
                "credentials (once each)"
            )
        return steps
    return ["TCP connect, wait 0.3 s without sending, close", "TLS handshake, close"]
