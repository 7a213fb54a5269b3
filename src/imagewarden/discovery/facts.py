"""Which facts discovery records, and which a run is authoritative for.

A run replaces, for each port it probed to the end (answered or closed), exactly the facts
that its profile and opt-ins measure there: a fact that the probe no longer sees becomes
unknown instead of staying stale. Facts the run did not measure (the echo of a standard run
when this one was ping, a default-credential result when credentials were not tried) and
facts from any other collector (backup checks also record measured facts) are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping

from imagewarden.discovery.interface import ProbeOptions, Profile, TargetKind
from imagewarden.model import FactValue

TLS_FACTS = frozenset(
    {
        "service.tls",
        "tls.version",
        "tls.cipher",
        "tls.legacy_version",
        "tls.cert_subject",
        "tls.cert_expires",
        "tls.cert_days_to_expiry",
        "tls.cert_self_signed",
    }
)
PRODUCT_FACTS = frozenset(
    {"service.product", "service.product_version", "service.product_outdated"}
)
_ASSOCIATION = frozenset(
    {
        "dicom.association_outcome",
        "dicom.association_reason",
        "dicom.implementation_class_uid",
        "dicom.implementation_version",
        "dicom.max_pdu_length",
        "dicom.plain_on_same_host",
    }
)
_NEGOTIATION = frozenset(
    {
        "dicom.accepts_verification",
        "dicom.accepts_storage",
        "dicom.storage_classes",
        "dicom.accepts_query_find",
        "dicom.accepts_retrieve_move",
        "dicom.accepts_retrieve_get",
        "dicom.accepts_worklist",
        "dicom.accepts_any_called_ae",
        "dicom.accepts_unknown_calling_ae",
    }
)
_DICOM_QUERY = frozenset({"dicom.anonymous_query", "dicom.study_count", "dicom.study_count_capped"})
_HTTP = frozenset(
    {
        "service.tls",
        "service.auth_required",
        "service.admin_interface",
        "rest.dicom_ae_title",
        "rest.dicom_port",
    }
)
_HTTP_QUERY = frozenset({"dicomweb.anonymous_query", "dicomweb.study_count_sample"})
_HTTP_CREDENTIALS = frozenset({"service.default_credentials_accepted"})

ASSET_FACTS = frozenset({"credentials.default_reported"})
"""Facts about a host that discovery records (from default-credential checks)."""
SERVICE_FACTS = (
    TLS_FACTS
    | PRODUCT_FACTS
    | _ASSOCIATION
    | _NEGOTIATION
    | _DICOM_QUERY
    | {"dicom.echo_ok"}
    | _HTTP
    | _HTTP_QUERY
    | _HTTP_CREDENTIALS
)
"""Every service fact discovery may record; a batch holding any other is refused."""


def measured(kind: TargetKind, options: ProbeOptions) -> frozenset[str]:
    """The service facts a probe of ``kind`` measures under ``options``."""
    standard = options.profile is Profile.STANDARD
    if kind in (TargetKind.DICOM, TargetKind.DICOM_TLS):
        names = _ASSOCIATION | TLS_FACTS | PRODUCT_FACTS
        if options.profile is not Profile.PING:
            names |= _NEGOTIATION
        if standard:
            names |= {"dicom.echo_ok"}
        if standard and options.allow_query:
            names |= _DICOM_QUERY
        return names
    if options.profile is Profile.PING:
        return frozenset()  # the ping profile probes DICOM only
    if kind in (TargetKind.HTTP, TargetKind.HTTPS):
        names = _HTTP | PRODUCT_FACTS
        if kind is TargetKind.HTTPS:
            names |= TLS_FACTS
        if standard and options.allow_query:
            names |= _HTTP_QUERY
        if standard and options.allow_credential_checks:
            names |= _HTTP_CREDENTIALS
        return names
    return TLS_FACTS  # HL7: whether the listener speaks TLS


def measured_on_host(kind: TargetKind, options: ProbeOptions) -> frozenset[str]:
    """The asset facts a probe of ``kind`` measures under ``options``."""
    if (
        kind in (TargetKind.HTTP, TargetKind.HTTPS)
        and options.profile is Profile.STANDARD
        and options.allow_credential_checks
    ):
        return ASSET_FACTS
    return frozenset()


def anonymous_query(facts: Mapping[str, FactValue]) -> bool | None:
    """Whether a study search answered without credentials, over DICOM (C-FIND) or DICOMweb
    (QIDO-RS); None when neither was tried."""
    values = [facts.get(n) for n in ("dicom.anonymous_query", "dicomweb.anonymous_query")]
    known = [v for v in values if isinstance(v, bool)]
    return any(known) if known else None


def association_outcome(facts: Mapping[str, FactValue]) -> str | None:
    """How the first association ended, with its reason ('rejected: calling AE title not
    recognised (...)'); None for a service that is not DICOM."""
    outcome = facts.get("dicom.association_outcome")
    if outcome is None:
        return None
    reason = facts.get("dicom.association_reason")
    return f"{outcome}: {reason}" if reason else str(outcome)
