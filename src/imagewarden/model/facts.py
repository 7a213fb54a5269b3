"""The vocabulary of facts: every observation key and every fact a check may test.

A fact is a named value about a subject (a site, an asset or a service). Collectors (inventory
importers, probes, pcap analysis, questionnaires) record facts as observations; the engine adds
derived facts; checks in the catalog test facts by name. Registering every name here lets the
catalog validator reject a check that tests a fact nobody can produce, and lets importers parse
values with the right type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from imagewarden.model.enums import SubjectKind

FactValue = bool | int | float | str | dt.date


class FactType(StrEnum):
    """The type of a fact's value."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """What a fact means, which subject carries it and what values it takes."""

    name: str
    type: FactType
    subject: SubjectKind
    description: str
    choices: tuple[str, ...] = ()
    derived: bool = False
    """Computed by the engine from other facts; never imported or observed directly."""


def _f(
    name: str,
    type_: FactType,
    subject: SubjectKind,
    description: str,
    choices: tuple[str, ...] = (),
    *,
    derived: bool = False,
) -> FactSpec:
    return FactSpec(name, type_, subject, description, choices, derived)


_A = SubjectKind.ASSET
_S = SubjectKind.SERVICE
_SITE = SubjectKind.SITE
B, INT, STR, D, C = FactType.BOOL, FactType.INT, FactType.STR, FactType.DATE, FactType.CHOICE

REMOTE_ACCESS_MODES = ("none", "on_demand", "always_on")
REMOVABLE_MEDIA_MODES = ("blocked", "controlled", "unchecked")
AI_DEPLOYMENTS = ("on_premises", "cloud", "hybrid")

_SPECS: tuple[FactSpec, ...] = (
    # --- the asset record itself (from the inventory's core columns) ---
    _f("asset.type", STR, _A, "Asset type identifier (see AssetType)."),
    _f("asset.category", STR, _A, "Asset category (modality, archive, ai, ...)."),
    _f("asset.vendor", STR, _A, "Canonical vendor name after dictionary normalisation."),
    _f("asset.model", STR, _A, "Product or model name as imported."),
    _f("asset.model_family", STR, _A, "The product dictionary's family of the model."),
    _f("asset.software_version", STR, _A, "Application or firmware version."),
    _f("asset.os", STR, _A, "Canonical operating system name, e.g. 'Windows 7'."),
    _f("asset.os_version", STR, _A, "Operating system release or service pack."),
    _f("asset.criticality", STR, _A, "Clinical criticality: low, medium, high, critical."),
    _f("asset.network_zone", STR, _A, "Kind of network segment (see NetworkZone)."),
    _f("asset.segment", STR, _A, "Name of the network segment or VLAN."),
    _f("asset.owner", STR, _A, "Person or team accountable for the asset."),
    _f("asset.end_of_support", D, _A, "Vendor's end-of-support date for the device or product."),
    _f(
        "asset.managed",
        B,
        _A,
        "Asset is in the managed inventory (false: found only by discovery).",
    ),
    # --- posture facts recorded by importers, questionnaires or probes ---
    _f("phi.stored", B, _A, "Asset stores protected health information persistently."),
    _f("phi.encrypted_at_rest", B, _A, "Stored PHI is encrypted at rest."),
    _f("backup.covered", B, _A, "Asset data or configuration is covered by a backup."),
    _f("backup.immutable", B, _A, "A backup copy is offline or immutable (ransomware-resistant)."),
    _f("backup.last_tested", D, _A, "Date a restore from backup was last tested."),
    _f("remote_access.mode", C, _A, "Vendor remote access mode.", REMOTE_ACCESS_MODES),
    _f("remote_access.shared_account", B, _A, "Vendor remote access uses a shared account."),
    _f("remote_access.mfa", B, _A, "Vendor remote access requires multi-factor authentication."),
    _f("remote_access.session_logging", B, _A, "Vendor remote sessions are logged and reviewed."),
    _f("contract.baa_on_file", B, _A, "A business associate agreement with the vendor is on file."),
    _f("docs.mds2_on_file", B, _A, "The vendor's MDS2 form is on file."),
    _f("docs.sbom_on_file", B, _A, "A software bill of materials is on file."),
    _f(
        "patch.missing_vendor_patches", INT, _A, "Number of vendor-validated patches not installed."
    ),
    _f("patch.last_applied", D, _A, "Date a vendor-validated patch was last applied."),
    _f(
        "credentials.default_reported",
        B,
        _A,
        "Default or vendor-documented credentials are in use.",
    ),
    _f("auth.shared_accounts", B, _A, "Users log in with shared (generic) accounts."),
    _f("auth.auto_logoff", B, _A, "Sessions lock or log off after inactivity."),
    _f("endpoint.antimalware", B, _A, "Anti-malware protection runs on the asset."),
    _f("endpoint.application_allowlisting", B, _A, "Application allow-listing is enforced."),
    _f("smb.v1_enabled", B, _A, "SMB version 1 is enabled."),
    _f("media.removable_import", C, _A, "Import of CDs/USB media.", REMOVABLE_MEDIA_MODES),
    _f("network.internet_exposed", B, _A, "Asset is reachable from the internet."),
    _f("logging.central", B, _A, "Security logs are forwarded to a central log service (SIEM)."),
    _f("ai.deployment", C, _A, "Where an AI application runs.", AI_DEPLOYMENTS),
    _f("ai.sends_identifiable_images", B, _A, "Images leave the enterprise with identifiers."),
    _f(
        "ai.downtime_fallback",
        B,
        _A,
        "Clinical workflow has a documented fallback when the AI or cloud service is down.",
    ),
    _f("cloud.exit_plan", B, _A, "A documented exit and data-return plan exists for the service."),
    # --- derived asset facts (engine) ---
    _f(
        "os.end_of_support",
        D,
        _A,
        "End-of-support date of the OS from the lifecycle table.",
        derived=True,
    ),
    _f("os.past_end_of_support", B, _A, "The OS is past its end of support.", derived=True),
    _f(
        "os.days_to_end_of_support",
        INT,
        _A,
        "Days until the OS leaves support (negative when already past).",
        derived=True,
    ),
    _f("os.known", B, _A, "The OS is recorded and found in the lifecycle table.", derived=True),
    _f(
        "device.past_end_of_support",
        B,
        _A,
        "The device is past the vendor's end of support.",
        derived=True,
    ),
    _f(
        "device.days_to_end_of_support",
        INT,
        _A,
        "Days until the vendor's end of support (negative when already past).",
        derived=True,
    ),
    _f(
        "network.shared_segment", B, _A, "The asset's zone is shared with general IT.", derived=True
    ),
    _f(
        "patch.days_since_last_applied",
        INT,
        _A,
        "Days since a patch was last applied.",
        derived=True,
    ),
    _f("backup.days_since_last_test", INT, _A, "Days since the last restore test.", derived=True),
    _f("vendor.known", B, _A, "The vendor is in the catalog's product dictionary.", derived=True),
    _f("remote_access.enabled", B, _A, "Any vendor remote access exists.", derived=True),
    # --- services ---
    _f("service.protocol", STR, _S, "Protocol identifier (see ServiceProtocol)."),
    _f("service.port", INT, _S, "TCP port."),
    _f("service.tls", B, _S, "The service uses TLS."),
    _f("service.internet_exposed", B, _S, "The service is reachable from the internet."),
    _f("service.auth_required", B, _S, "The service requires authentication."),
    _f(
        "service.admin_interface",
        B,
        _S,
        "The service is an administrative interface.",
    ),
    _f("dicom.accepts_any_called_ae", B, _S, "Associations are accepted for any called AE title."),
    _f(
        "dicom.accepts_unknown_calling_ae",
        B,
        _S,
        "Associations are accepted from calling AE titles the service was not configured with.",
    ),
    _f(
        "service.cleartext_admin",
        B,
        _S,
        "An administrative protocol without encryption (telnet, ftp, http admin).",
        derived=True,
    ),
    # --- sites ---
    _f("site.downtime_plan", B, _SITE, "A written imaging downtime procedure exists."),
    _f("site.imaging_ir_playbook", B, _SITE, "An incident response playbook covers imaging."),
    _f("site.last_downtime_drill", D, _SITE, "Date of the last imaging downtime drill."),
    _f(
        "site.days_since_downtime_drill",
        INT,
        _SITE,
        "Days since the last downtime drill.",
        derived=True,
    ),
    _f("site.imaging_asset_count", INT, _SITE, "Imaging assets at the site.", derived=True),
    _f(
        "site.archive_without_immutable_backup",
        B,
        _SITE,
        "An archive (PACS/VNA) at the site has no offline or immutable backup.",
        derived=True,
    ),
    _f(
        "site.single_vendor_critical_cloud",
        B,
        _SITE,
        "Two or more high-criticality cloud or AI services depend on one vendor and at least one "
        "has no downtime fallback.",
        derived=True,
    ),
    # --- resilience (backup verification, restore tests, drills, recovery planning) ---
    _f(
        "backup.integrity_problems",
        INT,
        _A,
        "Files of the asset's backup copy that failed verification (corrupt, truncated, "
        "encrypted-looking, empty, duplicate SOP instances, unreadable).",
    ),
    _f(
        "backup.files_missing_or_changed",
        INT,
        _A,
        "Files missing or changed in the backup copy since the previous manifest.",
    ),
    _f(
        "backup.count_mismatch",
        B,
        _A,
        "The backup copy holds fewer instances than the archive's own counts.",
    ),
    _f(
        "backup.empty_archive",
        B,
        _A,
        "The backup copy holds no file at all (the last verification or restore test found "
        "an empty tree).",
    ),
    _f(
        "backup.restore_failed_files",
        INT,
        _A,
        "Files of the last restore test's sample that failed verification after the copy.",
    ),
    _f(
        "backup.restore_hours_estimate",
        FactType.FLOAT,
        _A,
        "Hours to restore the whole archive, extrapolated from the last restore test.",
    ),
    _f(
        "backup.restore_within_rto",
        B,
        _A,
        "The extrapolated restore time is within the recovery time objective.",
    ),
    _f(
        "modality.local_storage_hours",
        INT,
        _A,
        "Hours of imaging the modality can hold on its local disk when the archive is down.",
    ),
    _f(
        "site.recovery_hours_estimate",
        FactType.FLOAT,
        _SITE,
        "Hours to bring imaging back in the planned restore order.",
    ),
    _f(
        "site.recovery_within_72h",
        B,
        _SITE,
        "The planned restore of critical imaging services finishes within 72 hours.",
    ),
    # --- discovery (active probes: DICOM association, TLS, DICOMweb/REST, HL7) ---
    _f(
        "dicom.association_outcome",
        C,
        _S,
        "How the service answered discovery's first A-ASSOCIATE-RQ.",
        ("accepted", "rejected", "aborted", "closed", "no-answer", "not-dicom", "malformed"),
    ),
    _f(
        "dicom.association_reason",
        STR,
        _S,
        "Why the first association ended so: the A-ASSOCIATE-RJ result, source and reason; "
        "where a malformed answer breaks, at byte level; or what answered instead of DICOM.",
    ),
    _f("dicom.implementation_class_uid", STR, _S, "Implementation class UID the peer announced."),
    _f("dicom.implementation_version", STR, _S, "Implementation version name the peer announced."),
    _f("dicom.max_pdu_length", INT, _S, "Maximum PDU length the peer accepts (0: unlimited)."),
    _f("dicom.accepts_verification", B, _S, "Verification (C-ECHO) context accepted."),
    _f("dicom.accepts_storage", B, _S, "A Storage context (CT, MR, US, DX, MG or SC) accepted."),
    _f("dicom.storage_classes", STR, _S, "Storage classes accepted, e.g. 'CT,MR,SC'."),
    _f("dicom.accepts_query_find", B, _S, "A Query/Retrieve FIND context accepted."),
    _f("dicom.accepts_retrieve_move", B, _S, "The Study Root MOVE context accepted."),
    _f("dicom.accepts_retrieve_get", B, _S, "The Study Root GET context accepted."),
    _f("dicom.accepts_worklist", B, _S, "The Modality Worklist FIND context accepted."),
    _f("dicom.echo_ok", B, _S, "C-ECHO answered with success."),
    _f(
        "dicom.anonymous_query",
        B,
        _S,
        "A count-only STUDY C-FIND from an unknown calling AE title was answered.",
    ),
    _f("dicom.study_count", INT, _S, "Studies an anonymous C-FIND matched (count only)."),
    _f("dicom.study_count_capped", B, _S, "The study count stopped at the scope's limit."),
    _f(
        "dicom.plain_on_same_host",
        B,
        _S,
        "A TLS DICOM service whose host also accepts plain (unencrypted) DICOM associations.",
    ),
    _f("tls.version", STR, _S, "TLS protocol version negotiated, e.g. 'TLSv1.3'."),
    _f("tls.cipher", STR, _S, "TLS cipher suite negotiated."),
    _f("tls.legacy_version", B, _S, "The handshake used SSLv3, TLS 1.0 or TLS 1.1."),
    _f("tls.cert_subject", STR, _S, "Common name (or subject) of the server certificate."),
    _f("tls.cert_expires", D, _S, "Expiry date of the server certificate."),
    _f("tls.cert_days_to_expiry", INT, _S, "Days until the certificate expires (negative: past)."),
    _f("tls.cert_self_signed", B, _S, "The server certificate is self-signed."),
    _f("dicomweb.anonymous_query", B, _S, "QIDO-RS answered a study search without credentials."),
    _f("dicomweb.study_count_sample", INT, _S, "Results of the limit=1 QIDO search (0 or 1)."),
    _f(
        "rest.dicom_ae_title",
        STR,
        _S,
        "The AE title a REST API reports for its own DICOM service (e.g. Orthanc's /system).",
    ),
    _f(
        "rest.dicom_port",
        INT,
        _S,
        "The port a REST API reports for its own DICOM service (e.g. Orthanc's /system).",
    ),
    _f(
        "service.default_credentials_accepted",
        B,
        _S,
        "The service accepted a documented vendor default credential (read-only GET).",
    ),
    _f("service.product", STR, _S, "Product or toolkit identified by discovery."),
    _f("service.product_version", STR, _S, "Version of the identified product."),
    _f(
        "service.product_outdated",
        B,
        _S,
        "The identified product version is older than the catalog's supported baseline.",
    ),
    # --- vulnerabilities capability: MDS2 (2019 form) manufacturer answers ---
    _f("mds2.encrypts_at_rest", B, _A, "MDS2 STCF-1: the device can encrypt data at rest."),
    _f("mds2.encrypts_in_transit", B, _A, "MDS2 TXCF-2: PII is encrypted before transmission."),
    _f("mds2.remote_service", B, _A, "MDS2 RMOT-1: the device permits remote service."),
    _f("mds2.user_authentication", B, _A, "MDS2 AUTH-1: the device supports user logins."),
    _f("mds2.antimalware_supported", B, _A, "MDS2 MLDP-2: anti-malware software is supported."),
    # --- traffic capability: passive capture analysis (imagewarden traffic analyze) ---
    _f("traffic.associations", INT, _S, "DICOM associations to the service seen in captures."),
    _f(
        "traffic.calling_ae_titles",
        STR,
        _S,
        "Calling AE titles seen associating with the service (configuration, not patient data).",
    ),
    _f("traffic.clients", INT, _S, "Hosts seen opening connections to the service."),
    _f(
        "traffic.cleartext_images",
        INT,
        _S,
        "C-STORE requests (images, with their patient identifiers) sent without encryption.",
    ),
    _f("traffic.queries", INT, _S, "C-FIND, C-MOVE and C-GET requests the service received."),
    _f("traffic.cleartext_hl7_messages", INT, _S, "HL7 messages (MLLP) seen without TLS."),
    _f(
        "traffic.cleartext_dicomweb_requests",
        INT,
        _S,
        "DICOMweb requests seen over plain HTTP.",
    ),
    _f("traffic.last_seen", D, _S, "Day the service was last seen in a capture."),
)

FACTS: Mapping[str, FactSpec] = {spec.name: spec for spec in _SPECS}


def fact_spec(name: str) -> FactSpec:
    """Return the registered spec for ``name`` or raise ``KeyError`` with the name."""
    try:
        return FACTS[name]
    except KeyError:
        raise KeyError(name) from None
