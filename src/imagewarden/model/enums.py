"""Enumerations shared by every capability: the words of the domain, as values."""

from __future__ import annotations

from enum import StrEnum


class AssetCategory(StrEnum):
    """Broad family of an asset, used for check applicability and report grouping."""

    MODALITY = "modality"
    WORKSTATION = "workstation"
    ARCHIVE = "archive"
    INFORMATION_SYSTEM = "information_system"
    VIEWER = "viewer"
    AI = "ai"
    CLOUD = "cloud"
    REMOTE_ACCESS = "remote_access"
    INTEGRATION = "integration"
    NETWORK = "network"
    UNKNOWN = "unknown"


class AssetType(StrEnum):
    """Every kind of imaging asset the product knows. Values are stable identifiers."""

    CT = "ct"
    MR = "mr"
    US = "us"
    DX = "dx"
    CR = "cr"
    MG = "mg"
    NM = "nm"
    PT = "pt"
    XA = "xa"
    RF = "rf"
    DEXA = "dexa"
    ACQUISITION_WORKSTATION = "acquisition_workstation"
    PACS = "pacs"
    VNA = "vna"
    RIS = "ris"
    REPORTING = "reporting"
    VIEWER = "viewer"
    AI_APPLICATION = "ai_application"
    AI_ORCHESTRATOR = "ai_orchestrator"
    CLOUD_SERVICE = "cloud_service"
    REMOTE_ACCESS = "remote_access"
    INTEGRATION_ENGINE = "integration_engine"
    NETWORK_DEVICE = "network_device"
    UNKNOWN = "unknown"

    @property
    def category(self) -> AssetCategory:
        """The category the asset type belongs to (modality, archive, viewer...)."""
        return _CATEGORY_OF_TYPE[self]

    @property
    def is_modality(self) -> bool:
        """Whether the asset type acquires images."""
        return self.category is AssetCategory.MODALITY


_MODALITIES = frozenset(
    {
        AssetType.CT,
        AssetType.MR,
        AssetType.US,
        AssetType.DX,
        AssetType.CR,
        AssetType.MG,
        AssetType.NM,
        AssetType.PT,
        AssetType.XA,
        AssetType.RF,
        AssetType.DEXA,
    }
)

_CATEGORY_OF_TYPE: dict[AssetType, AssetCategory] = {
    **dict.fromkeys(_MODALITIES, AssetCategory.MODALITY),
    AssetType.ACQUISITION_WORKSTATION: AssetCategory.WORKSTATION,
    AssetType.PACS: AssetCategory.ARCHIVE,
    AssetType.VNA: AssetCategory.ARCHIVE,
    AssetType.RIS: AssetCategory.INFORMATION_SYSTEM,
    AssetType.REPORTING: AssetCategory.INFORMATION_SYSTEM,
    AssetType.VIEWER: AssetCategory.VIEWER,
    AssetType.AI_APPLICATION: AssetCategory.AI,
    AssetType.AI_ORCHESTRATOR: AssetCategory.AI,
    AssetType.CLOUD_SERVICE: AssetCategory.CLOUD,
    AssetType.REMOTE_ACCESS: AssetCategory.REMOTE_ACCESS,
    AssetType.INTEGRATION_ENGINE: AssetCategory.INTEGRATION,
    AssetType.NETWORK_DEVICE: AssetCategory.NETWORK,
    AssetType.UNKNOWN: AssetCategory.UNKNOWN,
}


class Criticality(StrEnum):
    """Clinical criticality: how much patient care depends on the asset."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class NetworkZone(StrEnum):
    """The kind of network segment an asset sits on.

    ``imaging`` and ``medical_device`` are dedicated zones; ``clinical``, ``corporate``,
    ``flat`` and ``guest`` are shared with general-purpose IT.
    """

    IMAGING = "imaging"
    MEDICAL_DEVICE = "medical_device"
    CLINICAL = "clinical"
    CORPORATE = "corporate"
    FLAT = "flat"
    GUEST = "guest"
    DMZ = "dmz"
    MANAGEMENT = "management"
    CLOUD = "cloud"
    UNKNOWN = "unknown"

    @property
    def is_shared(self) -> bool:
        """Whether the zone is shared with non-imaging systems."""
        return self in _SHARED_ZONES


_SHARED_ZONES = frozenset(
    {NetworkZone.CLINICAL, NetworkZone.CORPORATE, NetworkZone.FLAT, NetworkZone.GUEST}
)


class Severity(StrEnum):
    """How bad a finding is, from info to critical."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Numeric order of the severity (info 0 .. critical 4)."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Exploitability(StrEnum):
    """How easily a weakness is used by an attacker (a check's property)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    KNOWN_EXPLOITED = "known_exploited"


class FindingStatus(StrEnum):
    """Where a finding stands in its lifecycle."""

    OPEN = "open"
    ACCEPTED = "accepted"
    MITIGATED = "mitigated"
    FALSE_POSITIVE = "false_positive"


class SafeguardType(StrEnum):
    """Technical, administrative or physical."""

    TECHNICAL = "technical"
    ADMINISTRATIVE = "administrative"
    PHYSICAL = "physical"


class DefenseLayer(StrEnum):
    """Defense-in-depth layers, outermost (governance) to innermost (recovery)."""

    GOVERNANCE = "governance"
    PEOPLE = "people"
    PHYSICAL = "physical"
    NETWORK = "network"
    DEVICE = "device"
    APPLICATION = "application"
    DATA = "data"
    RECOVERY = "recovery"


class ServiceProtocol(StrEnum):
    """What a service speaks (DICOM, DICOMweb, HL7, HTTP(S), RDP, SMB...)."""

    DICOM = "dicom"
    DICOMWEB = "dicomweb"
    HL7 = "hl7"
    HTTP = "http"
    HTTPS = "https"
    RDP = "rdp"
    SMB = "smb"
    VNC = "vnc"
    SSH = "ssh"
    TELNET = "telnet"
    FTP = "ftp"
    SNMP = "snmp"
    DATABASE = "database"
    OTHER = "other"


class SubjectKind(StrEnum):
    """What a check or an observation is about."""

    SITE = "site"
    ASSET = "asset"
    SERVICE = "service"


class ObservationSource(StrEnum):
    """How a fact was collected."""

    IMPORTED = "imported"
    PROBED = "probed"
    SNIFFED = "sniffed"
    ANSWERED = "answered"
    DERIVED = "derived"
