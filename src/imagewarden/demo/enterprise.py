"""The demo enterprise: a synthetic health system whose assessment reads like a real one.

Two entry points share one set of product templates:

* ``demo_inventory()`` is the curated demo: three sites and about a hundred imaging assets,
  with a realistic mix of well-managed systems, typical gaps and a few deliberately weak
  ones (the planted weaknesses are listed in ``PLANTED_WEAKNESSES``).
* ``generate_enterprise()`` scales the same distributions to any size for benchmarks.

Everything is synthetic. Vendor and product names are real so that the demo reads like an
imaging department, but the posture facts describe the fictional hospitals' configuration and
contracts, never the products. Owners are team names, addresses are RFC 1918 strings that are
never contacted, and every date is computed from a fixed reference date, not from the clock,
so the output is identical on every run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from imagewarden.model.enums import (
    AssetCategory,
    AssetType,
    Criticality,
    NetworkZone,
    ServiceProtocol,
)
from imagewarden.render.atomic import write_text_atomic

INVENTORY_FORMAT = "imagewarden-inventory/1"
REFERENCE_DATE = dt.date(2026, 11, 1)
"""Every date in the demo is an offset from this day, so reports stay meaningful and stable."""

JsonScalar = bool | int | str
Json = dict[str, Any]

# --------------------------------------------------------------------------------------------
# Fixed vocabularies: owners and departments are teams, never people.
# --------------------------------------------------------------------------------------------

REGIONS: tuple[str, ...] = ("Central", "West", "North", "East", "South")


class Team(StrEnum):
    """Who is accountable for an asset; BIOMED resolves to the site's regional biomed team."""

    BIOMED = "biomed"
    PACS = "PACS team"
    INFORMATICS = "Imaging Informatics"
    NETWORK = "Network Engineering"
    INTEGRATION = "Integration Services"
    INFRASTRUCTURE = "IT Infrastructure"
    CARDIOLOGY = "Cardiology Informatics"
    AI_GOVERNANCE = "Imaging AI Governance"
    SECURITY = "Information Security"
    CENTER_OPERATIONS = "Imaging Center Operations"


def biomed_team(region: str) -> str:
    """The clinical engineering team that owns a site's devices."""
    return f"Biomed - {region}"


OWNER_TEAMS: frozenset[str] = frozenset(
    {t.value for t in Team if t is not Team.BIOMED} | {biomed_team(r) for r in REGIONS}
)
"""Every owner the demo and the generator may write (besides "" for an unowned asset)."""

RAD = "Radiology"
ED = "Emergency Radiology"
BREAST = "Breast Imaging"
NUC = "Nuclear Medicine"
CARD = "Cardiology"
IR = "Interventional Radiology"
INFO = "Imaging Informatics"
ITI = "IT Infrastructure"
OUTPT = "Outpatient Imaging"
DEPARTMENTS: frozenset[str] = frozenset({RAD, ED, BREAST, NUC, CARD, IR, INFO, ITI, OUTPT})


class Profile(StrEnum):
    """How well an asset is looked after; drives its posture facts and exposed services."""

    WELL = "well"
    TYPICAL = "typical"
    WEAK = "weak"


class Role(StrEnum):
    """Where an asset belongs on the network when the site is segmented as designed."""

    MODALITY = "modality"
    READING = "reading"
    SERVER = "server"
    DEVICE = "device"
    DMZ = "dmz"
    MGMT = "mgmt"
    CLOUD = "cloud"


# role -> (zone, segment tag, VLAN); the VLAN number is also the third address octet.
_ROLE_SEGMENT: Mapping[Role, tuple[NetworkZone, str, int]] = {
    Role.MODALITY: (NetworkZone.IMAGING, "IMG", 120),
    Role.READING: (NetworkZone.IMAGING, "RDG", 122),
    Role.SERVER: (NetworkZone.IMAGING, "IMGSRV", 125),
    Role.DEVICE: (NetworkZone.MEDICAL_DEVICE, "MED", 130),
    Role.DMZ: (NetworkZone.DMZ, "DMZ", 200),
    Role.MGMT: (NetworkZone.MANAGEMENT, "MGMT", 10),
    Role.CLOUD: (NetworkZone.CLOUD, "CLOUD", 250),
}
# segments shared with general IT, used when an asset sits outside its designed zone
_SHARED_SEGMENT: Mapping[NetworkZone, tuple[str, int]] = {
    NetworkZone.FLAT: ("FLAT", 1),
    NetworkZone.CORPORATE: ("CORP", 20),
    NetworkZone.CLINICAL: ("CLIN", 40),
    NetworkZone.GUEST: ("GUEST", 99),
}

# short tags for ids, host names and AE titles (AE titles stay within DICOM's 16 characters)
TYPE_TAG: Mapping[AssetType, str] = {
    AssetType.CT: "CT",
    AssetType.MR: "MR",
    AssetType.US: "US",
    AssetType.DX: "DX",
    AssetType.CR: "CR",
    AssetType.MG: "MG",
    AssetType.NM: "NM",
    AssetType.PT: "PT",
    AssetType.XA: "XA",
    AssetType.RF: "RF",
    AssetType.DEXA: "DXA",
    AssetType.ACQUISITION_WORKSTATION: "ACQ",
    AssetType.PACS: "PACS",
    AssetType.VNA: "VNA",
    AssetType.RIS: "RIS",
    AssetType.REPORTING: "RPT",
    AssetType.VIEWER: "VWR",
    AssetType.AI_APPLICATION: "AI",
    AssetType.AI_ORCHESTRATOR: "AIO",
    AssetType.CLOUD_SERVICE: "CLD",
    AssetType.REMOTE_ACCESS: "RA",
    AssetType.INTEGRATION_ENGINE: "INT",
    AssetType.NETWORK_DEVICE: "NET",
    AssetType.UNKNOWN: "UNK",
}

# --------------------------------------------------------------------------------------------
# Product templates: the one table both the demo and the generator draw from.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceTemplate:
    """A service a demo product exposes (protocol, port, TLS)."""

    protocol: ServiceProtocol
    port: int
    tls: bool | None = False
    auth_required: bool = False
    admin_interface: bool = False
    ae: bool = False
    """Carries the asset's DICOM AE title."""
    internet_exposed: bool = False
    profiles: frozenset[Profile] = frozenset(Profile)
    """Profiles on which the service is found (a telnet port survives only on neglected gear)."""


_P = ServiceProtocol
_ONLY_WEAK = frozenset({Profile.WEAK})
_NOT_WELL = frozenset({Profile.TYPICAL, Profile.WEAK})

DICOM = ServiceTemplate(_P.DICOM, 104, ae=True)
DICOM_11112 = ServiceTemplate(_P.DICOM, 11112, ae=True)
DICOM_TLS = ServiceTemplate(_P.DICOM, 2762, tls=True, ae=True)
HL7 = ServiceTemplate(_P.HL7, 2575)
HTTPS = ServiceTemplate(_P.HTTPS, 443, tls=True, auth_required=True)
HTTPS_ADMIN = ServiceTemplate(_P.HTTPS, 443, tls=True, auth_required=True, admin_interface=True)
HTTPS_ADMIN_8443 = ServiceTemplate(
    _P.HTTPS, 8443, tls=True, auth_required=True, admin_interface=True
)
HTTP_ADMIN_OLD = ServiceTemplate(
    _P.HTTP, 80, auth_required=True, admin_interface=True, profiles=_NOT_WELL
)
DICOMWEB = ServiceTemplate(_P.DICOMWEB, 443, tls=True, auth_required=True)
SSH = ServiceTemplate(_P.SSH, 22, tls=None, auth_required=True, admin_interface=True)
TELNET_OLD = ServiceTemplate(
    _P.TELNET, 23, auth_required=True, admin_interface=True, profiles=_ONLY_WEAK
)
SNMP = ServiceTemplate(_P.SNMP, 161, admin_interface=True)
SQL = ServiceTemplate(_P.DATABASE, 1433, auth_required=True)
RDP = ServiceTemplate(_P.RDP, 3389, tls=True, auth_required=True, admin_interface=True)
SMB = ServiceTemplate(_P.SMB, 445, auth_required=True)
VNC = ServiceTemplate(_P.VNC, 5900, auth_required=True, admin_interface=True)
VNC_NO_PASSWORD = ServiceTemplate(_P.VNC, 5900, admin_interface=True)
EXPOSED_DICOM = ServiceTemplate(_P.DICOM, 11112, ae=True, internet_exposed=True)
EXPOSED_ORTHANC_DICOM = ServiceTemplate(_P.DICOM, 4242, ae=True, internet_exposed=True)
# Orthanc before 1.5.8 leaves HTTP authentication off when remote access is on (CVE-2025-0896)
ORTHANC_HTTP_NO_AUTH = ServiceTemplate(_P.HTTP, 8042, admin_interface=True)

_MODALITY_SVC = (DICOM,)
_SERVER_SVC = (DICOM, HL7, HTTPS_ADMIN)
_CLOUD_SVC = (HTTPS,)
_NETWORK_SVC = (SSH, HTTPS_ADMIN, SNMP)

LEGACY_OS: frozenset[str] = frozenset(
    {"Windows XP Embedded", "Windows XP", "Windows 7", "Windows Server 2008 R2"}
)
"""Operating systems that cannot turn SMBv1 off or encrypt their disks in the field."""


@dataclass(frozen=True, slots=True)
class ProductTemplate:
    """A demo product: vendor, model, OS and the services it exposes."""

    key: str
    type: AssetType
    vendor: str
    model: str
    label: str
    """Generic display name, e.g. 'CT Scanner'."""
    versions: tuple[str, ...]
    """Software versions, oldest first; neglected assets run the oldest."""
    os: str
    os_version: str
    support_days: int | None
    """Vendor end of support, in days after the reference date (negative: already past)."""
    role: Role
    criticality: Criticality
    department: str
    owner: Team
    services: tuple[ServiceTemplate, ...]
    phi: bool = True
    vendor_remote: bool = True
    """The vendor supports the product remotely (MDS2 RMOT)."""
    medical_device: bool = False
    """Regulated device with an MDS2 form."""
    sbom: bool = False
    """The vendor publishes an SBOM for this generation."""
    dicom_tls: bool = False
    """Can speak DICOM over TLS; well-managed sites turn it on."""
    media_import: bool = False
    ai_deployment: str = ""
    discovered: bool = False
    """Found only by discovery: unmanaged, unowned, unidentified."""
    weight: float = 1.0
    """Relative frequency among templates of the same type in the generator."""

    @property
    def is_windows(self) -> bool:
        """Whether the product runs Windows."""
        return self.os.startswith("Windows")

    @property
    def is_windows_server(self) -> bool:
        """Whether the product runs a Windows Server release."""
        return self.os.startswith("Windows Server")


_C = Criticality
_T = AssetType
W7 = ("Windows 7", "SP1")
WXPE = ("Windows XP Embedded", "SP3")
WXP = ("Windows XP", "SP3")
W10_2019 = ("Windows 10 IoT Enterprise LTSC 2019", "1809")
W10_2021 = ("Windows 10 IoT Enterprise LTSC 2021", "21H2")
W10_22H2 = ("Windows 10 Enterprise", "22H2")
W11 = ("Windows 11 Enterprise", "23H2")
WS2008 = ("Windows Server 2008 R2", "SP1")
WS2012 = ("Windows Server 2012 R2", "")
WS2016 = ("Windows Server 2016", "1607")
WS2019 = ("Windows Server 2019", "1809")
WS2022 = ("Windows Server 2022", "21H2")
RHEL7 = ("Red Hat Enterprise Linux 7", "7.9")
RHEL8 = ("Red Hat Enterprise Linux 8", "8.8")
RHEL9 = ("Red Hat Enterprise Linux 9", "9.4")
UBUNTU18 = ("Ubuntu", "18.04 LTS")
UBUNTU20 = ("Ubuntu", "20.04 LTS")
UBUNTU22 = ("Ubuntu", "22.04 LTS")
LINUX = ("Linux", "")
SAAS = ("", "")


def _modality(
    key: str,
    type_: AssetType,
    vendor: str,
    model: str,
    label: str,
    versions: tuple[str, ...],
    os_: tuple[str, str],
    support_days: int,
    criticality: Criticality = _C.HIGH,
    department: str = RAD,
    role: Role = Role.MODALITY,
    **flags: Any,
) -> ProductTemplate:
    return ProductTemplate(
        key, type_, vendor, model, label, versions, os_[0], os_[1], support_days, role,
        criticality, department, flags.pop("owner", Team.BIOMED),
        flags.pop("services", _MODALITY_SVC), medical_device=True, **flags,
    )  # fmt: skip


def _system(
    key: str,
    type_: AssetType,
    vendor: str,
    model: str,
    label: str,
    versions: tuple[str, ...],
    os_: tuple[str, str],
    support_days: int | None,
    role: Role,
    criticality: Criticality,
    department: str,
    owner: Team,
    services: tuple[ServiceTemplate, ...],
    **flags: Any,
) -> ProductTemplate:
    return ProductTemplate(
        key, type_, vendor, model, label, versions, os_[0], os_[1], support_days, role,
        criticality, department, owner, services, **flags,
    )  # fmt: skip


GE, SIEMENS, PHILIPS, CANON = "GE HealthCare", "Siemens Healthineers", "Philips", "Canon Medical"
FUJI, CARESTREAM, HOLOGIC = "Fujifilm", "Carestream Health", "Hologic"

TEMPLATES: tuple[ProductTemplate, ...] = (
    # --- CT ---
    _modality("ge-revolution-ct", _T.CT, GE, "Revolution CT", "CT Scanner",
              ("2.0.2", "3.0.1", "3.3.0"), LINUX, 1400, _C.CRITICAL, sbom=True, weight=2),
    _modality("siemens-somatom-force", _T.CT, SIEMENS, "SOMATOM Force", "CT Scanner",
              ("syngo CT VA50A", "syngo CT VB10A", "syngo CT VB20A"), W10_2019, 1800,
              _C.CRITICAL, sbom=True, dicom_tls=True, weight=2),
    _modality("siemens-somatom-definition-as", _T.CT, SIEMENS, "SOMATOM Definition AS",
              "CT Scanner", ("syngo CT VA44A", "syngo CT VA48A"), W7, -700, _C.CRITICAL),
    _modality("canon-aquilion-prime-sp", _T.CT, CANON, "Aquilion PRIME SP", "CT Scanner",
              ("V8.9", "V10.4", "V10.10"), W10_2019, 900, _C.CRITICAL),
    _modality("philips-incisive-ct", _T.CT, PHILIPS, "Incisive CT", "CT Scanner",
              ("4.0", "4.1", "5.0"), W10_2019, 1600, _C.CRITICAL, sbom=True, dicom_tls=True),
    _modality("ge-optima-ct660", _T.CT, GE, "Optima CT660", "CT Scanner",
              ("13.1", "13.2"), LINUX, -400, _C.CRITICAL),
    # --- MR ---
    _modality("siemens-magnetom-vida", _T.MR, SIEMENS, "MAGNETOM Vida", "MRI Scanner",
              ("syngo MR XA31", "syngo MR XA50", "syngo MR XA60"), W10_2019, 1800,
              sbom=True, dicom_tls=True, weight=2),
    _modality("siemens-magnetom-aera", _T.MR, SIEMENS, "MAGNETOM Aera", "MRI Scanner",
              ("syngo MR E11C", "syngo MR E11E"), W7, -500),
    _modality("ge-signa-artist", _T.MR, GE, "SIGNA Artist", "MRI Scanner",
              ("MR29.1", "MR30.0", "MR30.1"), LINUX, 1200, weight=1.5),
    _modality("philips-ingenia", _T.MR, PHILIPS, "Ingenia 1.5T", "MRI Scanner",
              ("R5.7", "R5.9", "R11.1"), W10_2019, 1100),
    # --- US ---
    _modality("ge-logiq-e10", _T.US, GE, "LOGIQ E10", "Ultrasound",
              ("R2", "R3", "R4"), W10_2019, 1300, _C.MEDIUM, weight=3),
    _modality("philips-epiq-elite", _T.US, PHILIPS, "EPIQ Elite", "Ultrasound",
              ("7.0.5", "9.0.3", "10.0.2"), W10_2019, 1500, _C.MEDIUM, weight=3),
    _modality("philips-iu22", _T.US, PHILIPS, "iU22", "Ultrasound",
              ("6.3.2", "6.3.7"), WXPE, -2000, _C.MEDIUM, weight=0.5),
    _modality("ge-vivid-e95", _T.US, GE, "Vivid E95", "Echo Ultrasound",
              ("v203", "v204", "v206"), W10_2019, 1300, _C.MEDIUM, CARD, Role.DEVICE,
              owner=Team.CARDIOLOGY),
    _modality("siemens-acuson-sequoia", _T.US, SIEMENS, "ACUSON Sequoia", "Ultrasound",
              ("VA10", "VA20", "VA30"), W10_2021, 2000, _C.MEDIUM, sbom=True, dicom_tls=True),
    # --- DX ---
    _modality("carestream-drx-evolution", _T.DX, CARESTREAM, "DRX-Evolution Plus",
              "X-ray Room", ("5.7", "6.1", "6.4"), W10_2019, 1000, weight=2),
    _modality("siemens-ysio-xpree", _T.DX, SIEMENS, "YSIO X.pree", "X-ray Room",
              ("VF10", "VF12"), W10_2019, 1700, sbom=True, dicom_tls=True),
    _modality("ge-definium-656", _T.DX, GE, "Definium 656 HD", "X-ray Room",
              ("DM_11.0", "DM_11.2"), W7, -300),
    _modality("fujifilm-fdr-go-plus", _T.DX, FUJI, "FDR Go PLUS", "Portable X-ray",
              ("10.2", "11.0", "12.1"), W10_2019, 1200, department=ED, role=Role.DEVICE,
              weight=2),
    _modality("philips-digitaldiagnost-c90", _T.DX, PHILIPS, "DigitalDiagnost C90",
              "X-ray Room", ("1.1", "1.2"), W10_2019, 1800),
    # --- CR ---
    _modality("fujifilm-fcr-capsula", _T.CR, FUJI, "FCR Capsula XLII", "CR Reader",
              ("V7.0", "V8.0"), WXPE, -2500, _C.MEDIUM),
    _modality("carestream-directview-cr975", _T.CR, CARESTREAM, "DirectView CR 975",
              "CR Reader", ("5.5", "5.7"), W7, -1200, _C.MEDIUM),
    _modality("agfa-cr-30x", _T.CR, "Agfa HealthCare", "CR 30-X", "CR Reader",
              ("NX 3.0", "NX 23"), W10_2019, 300, _C.MEDIUM),
    # --- MG ---
    _modality("hologic-selenia-dimensions", _T.MG, HOLOGIC, "Selenia Dimensions",
              "Mammography Unit", ("1.10", "1.11.2"), W10_2019, 900, department=BREAST,
              weight=2),
    _modality("hologic-3dimensions", _T.MG, HOLOGIC, "3Dimensions", "Mammography Unit",
              ("2.1", "2.3"), W10_2021, 2000, department=BREAST, sbom=True, dicom_tls=True),
    _modality("ge-senographe-pristina", _T.MG, GE, "Senographe Pristina", "Mammography Unit",
              ("1.6", "1.8"), W10_2019, 1500, department=BREAST),
    _modality("ge-senographe-essential", _T.MG, GE, "Senographe Essential", "Mammography Unit",
              ("ADS 54.11", "ADS 54.20"), W7, -900, department=BREAST, weight=0.5),
    # --- NM ---
    _modality("siemens-symbia-intevo", _T.NM, SIEMENS, "Symbia Intevo", "SPECT/CT",
              ("syngo MI VB20", "syngo MI VB22"), W7, -200, department=NUC),
    _modality("ge-discovery-nm-ct-670", _T.NM, GE, "Discovery NM/CT 670", "SPECT/CT",
              ("4.0", "4.1"), LINUX, 400, department=NUC),
    _modality("siemens-symbia-t", _T.NM, SIEMENS, "Symbia T", "SPECT/CT",
              ("syngo MI VA60A",), WXPE, -1800, department=NUC, weight=0.5),
    # --- PT ---
    _modality("siemens-biograph-vision", _T.PT, SIEMENS, "Biograph Vision 600", "PET/CT",
              ("syngo MI VG70", "syngo MI VG80"), W10_2019, 1700, department=NUC, sbom=True,
              dicom_tls=True),
    _modality("ge-discovery-mi", _T.PT, GE, "Discovery MI", "PET/CT",
              ("MI4.0", "MI4.2"), LINUX, 1100, department=NUC),
    _modality("philips-gemini-tf", _T.PT, PHILIPS, "GEMINI TF", "PET/CT",
              ("3.4", "4.0"), W7, -1500, department=NUC, weight=0.5),
    # --- XA ---
    _modality("philips-azurion-7", _T.XA, PHILIPS, "Azurion 7 M20", "Angiography Suite",
              ("R2.1", "R2.2", "R3.0"), W10_2019, 1600, _C.CRITICAL, IR, sbom=True),
    _modality("siemens-artis-icono", _T.XA, SIEMENS, "ARTIS icono", "Angiography Suite",
              ("VE10", "VE20"), W10_2021, 2000, _C.CRITICAL, IR, sbom=True, dicom_tls=True),
    _modality("philips-allura-xper-fd20", _T.XA, PHILIPS, "Allura Xper FD20", "Cath Lab",
              ("R8.2", "R8.3"), W7, -1000, _C.CRITICAL, CARD, owner=Team.CARDIOLOGY),
    _modality("ge-innova-igs-530", _T.XA, GE, "Innova IGS 530", "Angiography Suite",
              ("IGS 5.1", "IGS 5.3"), LINUX, 300, _C.CRITICAL, IR),
    # --- RF ---
    _modality("siemens-luminos-drf-max", _T.RF, SIEMENS, "Luminos dRF Max", "Fluoroscopy Room",
              ("VF11", "VF12"), W10_2019, 800, _C.MEDIUM),
    _modality("philips-combidiagnost-r90", _T.RF, PHILIPS, "CombiDiagnost R90",
              "Fluoroscopy Room", ("1.0", "1.1"), W10_2019, 1500, _C.MEDIUM),
    _modality("ge-precision-500d", _T.RF, GE, "Precision 500D", "Fluoroscopy Room",
              ("4.1", "4.2"), WXPE, -2800, _C.MEDIUM, weight=0.5),
    # --- DEXA ---
    _modality("hologic-horizon-a", _T.DEXA, HOLOGIC, "Horizon A", "Bone Densitometer",
              ("APEX 5.6", "APEX 13.6"), W10_2019, 900, _C.LOW),
    _modality("ge-lunar-idxa", _T.DEXA, GE, "Lunar iDXA", "Bone Densitometer",
              ("enCORE 16", "enCORE 18"), W7, -600, _C.LOW),
    _modality("ge-lunar-prodigy", _T.DEXA, GE, "Lunar Prodigy", "Bone Densitometer",
              ("enCORE 13.6", "enCORE 15"), WXP, -3000, _C.LOW, weight=0.5),
    # --- acquisition and post-processing workstations ---
    _modality("siemens-syngo-via", _T.ACQUISITION_WORKSTATION, SIEMENS, "syngo.via",
              "Post-processing Server", ("VB60", "VB70", "VB80"), WS2019, 900, _C.MEDIUM,
              role=Role.SERVER, owner=Team.INFORMATICS, services=(DICOM, HTTPS_ADMIN)),
    _modality("ge-aw-server", _T.ACQUISITION_WORKSTATION, GE, "AW Server 3.2",
              "Advanced Visualization Server", ("3.2 Ext 4.9", "3.2 Ext 5.0"), RHEL7, 200,
              _C.MEDIUM, role=Role.SERVER, owner=Team.INFORMATICS,
              services=(DICOM, HTTPS_ADMIN, SSH)),
    _modality("philips-intellispace-portal", _T.ACQUISITION_WORKSTATION, PHILIPS,
              "IntelliSpace Portal 12", "Advanced Visualization Server", ("11.1", "12.1"),
              WS2016, 600, _C.MEDIUM, role=Role.SERVER, owner=Team.INFORMATICS,
              services=(DICOM, HTTPS_ADMIN)),
    _system("hyland-pacsgear-mdr", _T.ACQUISITION_WORKSTATION, "Hyland", "PACSgear MDR",
            "CD Import Station", ("4.6", "5.2"), W10_22H2, 500, Role.READING, _C.MEDIUM, RAD,
            Team.PACS, (DICOM,), media_import=True, weight=0.7),
    # --- archives ---
    _system("sectra-pacs", _T.PACS, "Sectra", "Sectra PACS", "PACS", ("24.2", "25.1", "26.1"),
            WS2019, 1800, Role.SERVER, _C.CRITICAL, INFO, Team.PACS, (*_SERVER_SVC, SQL),
            dicom_tls=True, sbom=True),
    _system("philips-vue-pacs", _T.PACS, PHILIPS, "Vue PACS", "PACS", ("12.2.1", "12.2.8"),
            WS2012, 200, Role.SERVER, _C.CRITICAL, INFO, Team.PACS, (*_SERVER_SVC, SQL)),
    _system("ge-centricity-pacs", _T.PACS, GE, "Centricity PACS", "PACS", ("4.0", "7.0"),
            WS2008, -1500, Role.SERVER, _C.CRITICAL, INFO, Team.PACS, (*_SERVER_SVC, SQL),
            weight=0.5),
    _system("fujifilm-synapse-7", _T.PACS, FUJI, "Synapse 7", "PACS", ("7.1", "7.3", "7.4"),
            WS2016, 900, Role.SERVER, _C.CRITICAL, INFO, Team.PACS, (*_SERVER_SVC, SQL)),
    _system("intelerad-intelepacs", _T.PACS, "Intelerad", "IntelePACS", "PACS",
            ("4-20", "5-2"), RHEL8, 1200, Role.SERVER, _C.CRITICAL, INFO, Team.PACS,
            (*_SERVER_SVC, SSH)),
    _system("orthanc-server", _T.PACS, "Orthanc", "Orthanc Server", "Mini-PACS",
            ("1.5.6", "1.12.4"), UBUNTU18, -1800, Role.SERVER, _C.HIGH, OUTPT,
            Team.CENTER_OPERATIONS,
            (ServiceTemplate(_P.DICOM, 4242, ae=True),
             ServiceTemplate(_P.HTTP, 8042, auth_required=True, admin_interface=True)),
            vendor_remote=False, weight=0.3),
    _system("mach7-vna", _T.VNA, "Mach7 Technologies", "Mach7 Enterprise Imaging Platform",
            "Vendor Neutral Archive", ("12.2", "13.1"), RHEL7, 600, Role.SERVER, _C.CRITICAL,
            INFO, Team.PACS, (DICOM_11112, HL7, HTTPS_ADMIN, DICOMWEB, SSH)),
    _system("hyland-acuo-vna", _T.VNA, "Hyland", "Acuo VNA", "Vendor Neutral Archive",
            ("6.0.4", "6.1"), WS2019, 1200, Role.SERVER, _C.CRITICAL, INFO, Team.PACS,
            (DICOM, HL7, HTTPS_ADMIN, SQL)),
    _system("merative-iconnect-archive", _T.VNA, "Merative", "Merge iConnect Enterprise Archive",
            "Vendor Neutral Archive", ("11.4", "12.0"), RHEL8, 900, Role.SERVER, _C.CRITICAL,
            INFO, Team.PACS, (DICOM_11112, HL7, HTTPS_ADMIN, SSH)),
    # --- RIS and reporting ---
    _system("epic-radiant", _T.RIS, "Epic Systems", "Radiant", "Radiology Information System",
            ("May 2025", "November 2025", "May 2026"), WS2019, 2500, Role.SERVER, _C.CRITICAL,
            RAD, Team.INFORMATICS, (HL7, HTTPS_ADMIN)),
    _system("fujifilm-synapse-ris", _T.RIS, FUJI, "Synapse RIS", "Radiology Information System",
            ("6.5", "7.0"), WS2016, 700, Role.SERVER, _C.CRITICAL, RAD, Team.INFORMATICS,
            (HL7, HTTPS_ADMIN, SQL)),
    _system("philips-vue-ris", _T.RIS, PHILIPS, "Vue RIS", "Radiology Information System",
            ("11.2", "11.3"), WS2012, -100, Role.SERVER, _C.CRITICAL, RAD, Team.INFORMATICS,
            (HL7, HTTPS_ADMIN, HTTP_ADMIN_OLD, SQL)),
    _system("nuance-powerscribe-one", _T.REPORTING, "Nuance", "PowerScribe One",
            "Speech Reporting", ("2023.2", "2024.1", "2025.1"), WS2019, 1500, Role.SERVER,
            _C.HIGH, RAD, Team.INFORMATICS, (HL7, HTTPS_ADMIN)),
    _system("nuance-powerscribe-360", _T.REPORTING, "Nuance", "PowerScribe 360",
            "Speech Reporting", ("4.0 SP1", "4.0 SP2"), WS2012, -400, Role.SERVER, _C.HIGH,
            RAD, Team.INFORMATICS, (HL7, HTTPS_ADMIN, HTTP_ADMIN_OLD)),
    _system("solventum-fluency", _T.REPORTING, "Solventum", "Fluency for Imaging",
            "Speech Reporting", ("10.5", "11.0"), WS2016, 900, Role.SERVER, _C.HIGH, RAD,
            Team.INFORMATICS, (HL7, HTTPS_ADMIN)),
    # --- viewers ---
    _system("sectra-ids7-workstation", _T.VIEWER, "Sectra", "IDS7", "Diagnostic Workstation",
            ("24.2", "25.1"), W11, 1500, Role.READING, _C.HIGH, RAD, Team.PACS, (),
            weight=3),
    _system("visage-7", _T.VIEWER, "Visage Imaging", "Visage 7", "Enterprise Viewer",
            ("7.1.18", "7.1.20"), RHEL8, 1400, Role.SERVER, _C.HIGH, INFO, Team.PACS,
            (DICOM, DICOMWEB, HTTPS_ADMIN_8443, SSH)),
    _system("hologic-securview", _T.VIEWER, HOLOGIC, "SecurView DX",
            "Breast Imaging Workstation", ("10.3", "12.0"), W10_2019, 800, Role.READING,
            _C.HIGH, BREAST, Team.BIOMED, (DICOM,), medical_device=True),
    _system("ge-universal-viewer", _T.VIEWER, GE, "Centricity Universal Viewer",
            "Enterprise Viewer", ("6.0 SP10", "7.0 SP3"), WS2016, 400, Role.SERVER, _C.HIGH,
            INFO, Team.PACS, (HTTPS_ADMIN, HTTP_ADMIN_OLD)),
    _system("philips-vue-motion", _T.VIEWER, PHILIPS, "Vue Motion", "Web Viewer",
            ("12.2.1", "12.2.8"), WS2012, 200, Role.SERVER, _C.MEDIUM, INFO, Team.PACS,
            (HTTPS_ADMIN, HTTP_ADMIN_OLD)),
    _system("osimis-web-viewer", _T.VIEWER, "Osimis", "Osimis Web Viewer", "Web Viewer",
            ("1.2.0", "1.4.2"), UBUNTU18, -1200, Role.SERVER, _C.MEDIUM, OUTPT,
            Team.CENTER_OPERATIONS,
            (ServiceTemplate(_P.HTTP, 8042, auth_required=True, admin_interface=True),),
            vendor_remote=False, weight=0.3),
    _system("microdicom-viewer", _T.VIEWER, "MicroDicom", "MicroDicom DICOM Viewer",
            "Viewing PC", ("2024.2", "2025.1", "2025.2"), W10_22H2, 365, Role.READING,
            _C.LOW, RAD, Team.PACS, (), vendor_remote=False, media_import=True),
    _system("radiant-viewer", _T.VIEWER, "Medixant", "RadiAnt DICOM Viewer", "Viewing PC",
            ("2023.1", "2024.2", "2025.1"), W11, 400, Role.READING, _C.LOW, RAD, Team.PACS,
            (), vendor_remote=False, media_import=True),
    # --- AI ---
    _system("icad-profound-ai", _T.AI_APPLICATION, "iCAD", "ProFound AI for DBT",
            "Breast AI", ("3.0", "4.0"), WS2019, 1200, Role.SERVER, _C.MEDIUM, BREAST,
            Team.AI_GOVERNANCE, (DICOM, HTTPS_ADMIN), ai_deployment="on_premises"),
    _system("riverain-clearread-ct", _T.AI_APPLICATION, "Riverain Technologies",
            "ClearRead CT", "Lung Nodule AI", ("4.0", "5.0"), WS2016, 900, Role.SERVER,
            _C.MEDIUM, RAD, Team.AI_GOVERNANCE, (DICOM, HTTPS_ADMIN),
            ai_deployment="on_premises"),
    _system("subtle-medical-subtlemr", _T.AI_APPLICATION, "Subtle Medical", "SubtleMR",
            "MR Image Enhancement AI", ("2.3", "3.0"), UBUNTU20, 900, Role.SERVER, _C.MEDIUM,
            RAD, Team.AI_GOVERNANCE, (DICOM, HTTPS_ADMIN, SSH), ai_deployment="on_premises"),
    _system("aidoc-briefcase", _T.AI_APPLICATION, "Aidoc", "BriefCase-Triage",
            "Triage AI (ICH, PE)", ("2.4", "2.6"), SAAS, None, Role.CLOUD, _C.HIGH, ED,
            Team.AI_GOVERNANCE, _CLOUD_SVC, ai_deployment="cloud"),
    _system("qure-qxr", _T.AI_APPLICATION, "Qure.ai", "qXR", "Chest X-ray AI",
            ("4.0", "4.2"), SAAS, None, Role.CLOUD, _C.MEDIUM, RAD, Team.AI_GOVERNANCE,
            _CLOUD_SVC, ai_deployment="cloud"),
    _system("lunit-insight-mmg", _T.AI_APPLICATION, "Lunit", "Lunit INSIGHT MMG",
            "Mammography AI", ("1.1.7", "1.1.9"), SAAS, None, Role.CLOUD, _C.MEDIUM, BREAST,
            Team.AI_GOVERNANCE, _CLOUD_SVC, ai_deployment="cloud"),
    _system("annalise-enterprise-cxr", _T.AI_APPLICATION, "Annalise.ai", "Annalise Enterprise CXR",
            "Chest X-ray AI", ("3.1", "4.0"), UBUNTU22, 1200, Role.SERVER, _C.MEDIUM, RAD,
            Team.AI_GOVERNANCE, (DICOM, HTTPS_ADMIN), ai_deployment="hybrid"),
    _system("aidoc-aios-gateway", _T.AI_ORCHESTRATOR, "Aidoc", "aiOS Gateway",
            "AI Orchestrator", ("5.2", "6.1"), UBUNTU20, 1000, Role.SERVER, _C.HIGH, INFO,
            Team.AI_GOVERNANCE, (DICOM_11112, HL7, HTTPS_ADMIN), ai_deployment="hybrid"),
    _system("blackford-platform", _T.AI_ORCHESTRATOR, "Blackford Analysis",
            "Blackford Platform", "AI Orchestrator", ("3.6", "4.0"), WS2019, 900, Role.SERVER,
            _C.HIGH, INFO, Team.AI_GOVERNANCE, (DICOM, HL7, HTTPS_ADMIN),
            ai_deployment="hybrid"),
    _system("nuance-pin-gateway", _T.AI_ORCHESTRATOR, "Nuance",
            "Precision Imaging Network Gateway", "AI Orchestrator", ("2.1", "3.0"), WS2019,
            900, Role.SERVER, _C.HIGH, INFO, Team.AI_GOVERNANCE, (DICOM, HTTPS_ADMIN),
            ai_deployment="hybrid"),
    # --- cloud services ---
    _system("ambra-cloud-pacs", _T.CLOUD_SERVICE, "Intelerad", "Ambra Cloud PACS",
            "Cloud PACS Archive", ("2025.2", "2026.1"), SAAS, None, Role.CLOUD, _C.CRITICAL,
            OUTPT, Team.PACS, (HTTPS, DICOMWEB)),
    _system("ambra-image-sharing", _T.CLOUD_SERVICE, "Intelerad", "Ambra Image Sharing",
            "Image Sharing", ("2025.2", "2026.1"), SAAS, None, Role.CLOUD, _C.CRITICAL, OUTPT,
            Team.PACS, _CLOUD_SVC),
    _system("vrad-teleradiology", _T.CLOUD_SERVICE, "vRad", "vRad Teleradiology Platform",
            "Teleradiology", ("8.4", "9.0"), SAAS, None, Role.CLOUD, _C.HIGH, RAD,
            Team.INFORMATICS, (HTTPS, ServiceTemplate(_P.DICOM, 2762, tls=True, ae=True))),
    _system("nuance-powershare", _T.CLOUD_SERVICE, "Nuance", "PowerShare Image Exchange",
            "Image Sharing", ("2025.1", "2026.1"), SAAS, None, Role.CLOUD, _C.MEDIUM, INFO,
            Team.PACS, _CLOUD_SVC),
    # --- vendor remote access ---
    _system("siemens-srs-router", _T.REMOTE_ACCESS, SIEMENS, "Smart Remote Services router",
            "Vendor Remote Service Gateway", ("2.9", "3.1"), ("Cisco IOS", "15.9"), 800,
            Role.DMZ, _C.MEDIUM, ITI, Team.SECURITY, (SSH, HTTPS_ADMIN), phi=False),
    _system("ge-insite-gateway", _T.REMOTE_ACCESS, GE, "InSite RSvP Gateway",
            "Vendor Remote Service Gateway", ("4.1", "5.0"), LINUX, 600, Role.DMZ, _C.MEDIUM,
            ITI, Team.SECURITY, (HTTPS_ADMIN,), phi=False),
    _system("philips-prs-gateway", _T.REMOTE_ACCESS, PHILIPS, "Philips Remote Services Gateway",
            "Vendor Remote Service Gateway", ("3.2", "4.0"), LINUX, 700, Role.DMZ, _C.MEDIUM,
            ITI, Team.SECURITY, (HTTPS_ADMIN,), phi=False),
    _system("beyondtrust-pra", _T.REMOTE_ACCESS, "BeyondTrust", "Privileged Remote Access",
            "Vendor Access Gateway", ("23.2", "24.3"), LINUX, 1200, Role.DMZ, _C.HIGH, ITI,
            Team.SECURITY, (HTTPS_ADMIN,), phi=False),
    _system("cisco-asa-vendor-vpn", _T.REMOTE_ACCESS, "Cisco", "ASA 5516-X", "Vendor VPN",
            ("9.8(4)", "9.16(4)"), ("Cisco ASA Software", "9.8"), -400, Role.DMZ, _C.HIGH, ITI,
            Team.NETWORK,
            (ServiceTemplate(_P.HTTPS, 443, tls=True, auth_required=True, internet_exposed=True),
             SSH),
            phi=False, weight=0.5),
    _system("teamviewer-host", _T.REMOTE_ACCESS, "TeamViewer", "TeamViewer Host",
            "Vendor Support PC", ("15.40", "15.58"), W10_22H2, 400, Role.READING, _C.MEDIUM,
            OUTPT, Team.CENTER_OPERATIONS, (RDP,), phi=False, weight=0.5),
    # --- integration ---
    _system("intersystems-health-connect", _T.INTEGRATION_ENGINE, "InterSystems",
            "HealthShare Health Connect", "Interface Engine", ("2023.1", "2024.1"), RHEL8, 1500,
            Role.SERVER, _C.CRITICAL, ITI, Team.INTEGRATION, (HL7, HTTPS_ADMIN, SSH)),
    _system("nextgen-mirth-connect", _T.INTEGRATION_ENGINE, "NextGen Healthcare",
            "Mirth Connect", "Interface Engine", ("3.12.0", "4.4.1"), WS2012, 100, Role.SERVER,
            _C.HIGH, ITI, Team.INTEGRATION, (HL7, HTTPS_ADMIN_8443, HTTP_ADMIN_OLD)),
    _system("laurel-bridge-compass", _T.INTEGRATION_ENGINE, "Laurel Bridge Software",
            "Compass", "DICOM Router", ("4.3", "5.1"), WS2019, 1200, Role.SERVER, _C.HIGH, INFO,
            Team.PACS, (DICOM, DICOM_11112, HTTPS_ADMIN)),
    _system("infor-cloverleaf", _T.INTEGRATION_ENGINE, "Infor", "Cloverleaf Integration Suite",
            "Interface Engine", ("19.1", "2022.09"), RHEL8, 900, Role.SERVER, _C.HIGH, ITI,
            Team.INTEGRATION, (HL7, SSH)),
    # --- network ---
    _system("cisco-catalyst-9500", _T.NETWORK_DEVICE, "Cisco", "Catalyst 9500",
            "Core Switch", ("17.6.5", "17.9.4a", "17.12.3"), ("Cisco IOS XE", "17.9"), 2200,
            Role.MGMT, _C.CRITICAL, ITI, Team.NETWORK, _NETWORK_SVC, phi=False,
            vendor_remote=False),
    _system("cisco-catalyst-9300", _T.NETWORK_DEVICE, "Cisco", "Catalyst 9300",
            "Access Switch", ("17.6.5", "17.9.4a", "17.12.3"), ("Cisco IOS XE", "17.9"), 2000,
            Role.MGMT, _C.HIGH, ITI, Team.NETWORK, _NETWORK_SVC, phi=False,
            vendor_remote=False, weight=2),
    _system("cisco-catalyst-2960", _T.NETWORK_DEVICE, "Cisco", "Catalyst 2960-S",
            "Access Switch", ("15.0(2)SE11", "15.2(2)E10"), ("Cisco IOS", "15.0"), -2000,
            Role.MGMT, _C.HIGH, ITI, Team.NETWORK, (*_NETWORK_SVC, TELNET_OLD), phi=False,
            vendor_remote=False, weight=0.5),
    _system("paloalto-pa-3220", _T.NETWORK_DEVICE, "Palo Alto Networks", "PA-3220",
            "Imaging Firewall", ("10.1.11", "10.2.9", "11.1.4"), ("PAN-OS", "10.2"), 900,
            Role.MGMT, _C.CRITICAL, ITI, Team.NETWORK, _NETWORK_SVC, phi=False,
            vendor_remote=False),
    _system("fortinet-fortigate-100f", _T.NETWORK_DEVICE, "Fortinet", "FortiGate 100F",
            "Firewall", ("7.0.15", "7.2.9", "7.4.4"), ("FortiOS", "7.2"), 1500, Role.MGMT,
            _C.CRITICAL, ITI, Team.NETWORK, _NETWORK_SVC, phi=False, vendor_remote=False),
    # --- what discovery finds and nobody claims ---
    _system("unidentified-dicom-host", _T.UNKNOWN, "", "", "Unidentified DICOM Host", ("",),
            SAAS, None, Role.MODALITY, _C.MEDIUM, RAD, Team.BIOMED, (DICOM, SMB),
            vendor_remote=False, discovered=True, weight=0.2),
)  # fmt: skip

TEMPLATE_BY_KEY: Mapping[str, ProductTemplate] = {t.key: t for t in TEMPLATES}

# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------


class Archetype(StrEnum):
    """A kind of demo asset and how many of it a site gets."""

    FLAGSHIP = "flagship"
    COMMUNITY = "community"
    IMAGING_CENTER = "imaging_center"


_ARCHETYPE_KIND: Mapping[Archetype, tuple[str, str, str]] = {
    # archetype -> (site kind, name suffix, code suffix)
    Archetype.FLAGSHIP: ("hospital", "Medical Center", "MC"),
    Archetype.COMMUNITY: ("hospital", "Community Hospital", "CH"),
    Archetype.IMAGING_CENTER: ("imaging_center", "Imaging Center", "IC"),
}


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A generated site: its id, name, size and mix of assets."""

    id: str
    name: str
    archetype: Archetype
    region: str
    code: str
    """Short code used in asset ids, segments and AE titles, e.g. 'RMC'."""
    octet: int
    """Second octet of the site's 10.x.0.0/16 address block."""
    flat: bool
    """The site runs one flat network for everything on premises."""
    downtime_plan: bool
    ir_playbook: bool
    drill_days_ago: int | None

    @property
    def kind(self) -> str:
        """Hospital or imaging centre."""
        return _ARCHETYPE_KIND[self.archetype][0]

    def json(self, reference_date: dt.date) -> Json:
        """The site as inventory JSON."""
        facts: Json = {
            "site.downtime_plan": self.downtime_plan,
            "site.imaging_ir_playbook": self.ir_playbook,
        }
        if self.drill_days_ago is not None:
            drill = reference_date - dt.timedelta(days=self.drill_days_ago)
            facts["site.last_downtime_drill"] = drill.isoformat()
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "facts": facts,
        }


DEMO_SITES: tuple[SiteSpec, ...] = (
    # a segmented flagship with a plan and a drill 75 days ago
    SiteSpec("riverside", "Riverside Medical Center", Archetype.FLAGSHIP, "Central", "RMC", 20,
             flat=False, downtime_plan=True, ir_playbook=True, drill_days_ago=75),
    # a community hospital with no written downtime procedure and no drill on record
    SiteSpec("lakeshore", "Lakeshore Community Hospital", Archetype.COMMUNITY, "West", "LCH",
             40, flat=False, downtime_plan=False, ir_playbook=False, drill_days_ago=None),
    # an outpatient center on one flat network whose only drill was 430 days ago
    SiteSpec("northgate", "Northgate Imaging Center", Archetype.IMAGING_CENTER, "North", "NIC",
             60, flat=True, downtime_plan=True, ir_playbook=False, drill_days_ago=430),
)  # fmt: skip

PLACE_NAMES: tuple[str, ...] = (
    "Riverside", "Lakeshore", "Northgate", "Ashford", "Brookfield", "Cedar Hills",
    "Dover Park", "Eastwood", "Fairview", "Glenwood", "Harbor View", "Ironwood", "Juniper",
    "Kingsbridge", "Maplewood", "Oakridge", "Pinecrest", "Quarry Hill", "Silver Lake",
    "Timberline", "Upland", "Valley Green", "Westfield", "Yarrow Bay",
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Building assets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DaysAgo:
    """A date fact override, written relative to the reference date."""

    days: int


FactOverride = JsonScalar | DaysAgo | None
"""None removes the fact (unknown), which is not the same as false."""


class _Addressing:
    """Hands out segments and 10.x addresses for one site; a full /24 rolls over to a new VLAN."""

    FIRST_HOST, LAST_HOST = 11, 250

    def __init__(self, site: SiteSpec) -> None:
        self.site = site
        self.used_vlans: set[int] = set()
        self.current: dict[tuple[str, int], list[int]] = {}  # (tag, base vlan) -> [vlan, host]

    def assign(self, tag: str, base_vlan: int) -> tuple[str, str]:
        slot = self.current.get((tag, base_vlan))
        if slot is None or slot[1] > self.LAST_HOST:
            slot = [self._free_vlan(base_vlan), self.FIRST_HOST]
            self.current[(tag, base_vlan)] = slot
        vlan, host = slot
        slot[1] += 1
        segment = f"{self.site.code}-{tag}-VLAN{vlan}"
        return segment, f"10.{self.site.octet}.{vlan}.{host}"

    def _free_vlan(self, base: int) -> int:
        for vlan in itertools.chain(range(base, 255), range(2, base)):
            if vlan not in self.used_vlans:
                self.used_vlans.add(vlan)
                return vlan
        raise ValueError(f"site {self.site.id} has more assets than its 10.x/16 block holds")


def _segment(
    template: ProductTemplate, site: SiteSpec, zone: NetworkZone | None
) -> tuple[NetworkZone, str, int]:
    """Zone, segment tag and VLAN for an asset."""
    role_zone, tag, vlan = _ROLE_SEGMENT[template.role]
    if zone is None:
        zone = NetworkZone.FLAT if site.flat and template.role is not Role.CLOUD else role_zone
    if zone in _SHARED_SEGMENT:
        tag, vlan = _SHARED_SEGMENT[zone]
        return zone, tag, vlan
    if zone is not role_zone:
        for other_zone, other_tag, other_vlan in _ROLE_SEGMENT.values():
            if other_zone is zone:
                return zone, other_tag, other_vlan
    return zone, tag, vlan


def _is_console(template: ProductTemplate) -> bool:
    """Used at a console by technologists or radiologists (not a back-end server)."""
    return template.role in (Role.MODALITY, Role.READING, Role.DEVICE)


def _services(
    template: ProductTemplate,
    profile: Profile,
    extra: Iterable[ServiceTemplate],
    rng: random.Random,
) -> list[ServiceTemplate]:
    """Services of the template under this profile; an extra service replaces the same port."""
    services = [s for s in template.services if profile in s.profiles]
    if template.dicom_tls and profile is Profile.WELL:
        services.append(DICOM_TLS)
    if template.is_windows_server:
        services.append(RDP)
    elif template.is_windows and template.type is not AssetType.REMOTE_ACCESS:
        legacy = template.os in LEGACY_OS
        if profile is not Profile.WELL or legacy:
            services.append(SMB)
        if profile is Profile.WEAK:
            services += [RDP, VNC_NO_PASSWORD if legacy else VNC]
        elif profile is Profile.TYPICAL and rng.random() < 0.3:
            services.append(VNC)
    by_port = {(s.protocol, s.port): s for s in services}
    by_port.update({(s.protocol, s.port): s for s in extra})
    return list(by_port.values())


def _service_json(service: ServiceTemplate, ae_title: str) -> Json:
    out: Json = {"protocol": service.protocol.value, "port": service.port, "tls": service.tls}
    if service.ae:  # only DICOM services carry the key; the importer rejects it elsewhere
        out["ae_title"] = ae_title
    out["internet_exposed"] = service.internet_exposed
    out["auth_required"] = service.auth_required
    out["admin_interface"] = service.admin_interface
    return out


def _posture(t: ProductTemplate, profile: Profile, rng: random.Random) -> dict[str, FactOverride]:
    """Posture facts of a typical asset of this template under this profile."""
    if t.discovered:
        return {}  # nobody has answered anything about a host nobody knows
    well, weak = profile is Profile.WELL, profile is Profile.WEAK
    category = t.type.category
    cloud = t.role is Role.CLOUD
    # appliances run a vendor image: no endpoint agent, no interactive user accounts
    appliance = category is AssetCategory.NETWORK or (
        category is AssetCategory.REMOTE_ACCESS and not t.is_windows
    )
    archive = category is AssetCategory.ARCHIVE
    legacy = t.os in LEGACY_OS
    console = _is_console(t)

    def chance(p_typical: float, *, when_well: bool = True, when_weak: bool = False) -> bool:
        return when_well if well else when_weak if weak else rng.random() < p_typical

    facts: dict[str, FactOverride] = {}
    if t.phi:
        facts["phi.stored"] = True
        facts["phi.encrypted_at_rest"] = (
            not legacy if well else False if weak else (t.role in (Role.SERVER, Role.CLOUD))
        )
    # backup
    if cloud:
        facts["backup.covered"] = not weak
    else:
        covered = chance(0.9 if not console else 0.5, when_weak=archive)
        facts["backup.covered"] = covered
        if covered:
            facts["backup.immutable"] = chance(0.4 if archive else 0.2)
            if well:
                facts["backup.last_tested"] = DaysAgo(rng.randint(20, 150))
            elif not weak and rng.random() < 0.7:
                facts["backup.last_tested"] = DaysAgo(rng.randint(180, 540))
    # vendor remote access
    if t.type is AssetType.REMOTE_ACCESS or (t.vendor_remote and not cloud):
        if well:
            facts["remote_access.mode"] = "on_demand"
        elif weak:
            facts["remote_access.mode"] = "always_on"
        else:
            facts["remote_access.mode"] = rng.choice(("on_demand", "on_demand", "always_on"))
        facts["remote_access.shared_account"] = chance(0.5, when_well=False, when_weak=True)
        facts["remote_access.mfa"] = chance(0.4)
        facts["remote_access.session_logging"] = chance(0.6)
    elif not cloud:
        facts["remote_access.mode"] = "none"
    if t.vendor_remote or cloud or t.ai_deployment:
        # cloud and AI contracts go through procurement; device service contracts slip more
        p_baa = 1.0 if cloud or t.ai_deployment else 0.9
        facts["contract.baa_on_file"] = chance(p_baa, when_weak=rng.random() < 0.5)
    if t.medical_device:
        facts["docs.mds2_on_file"] = chance(0.5)
        facts["docs.sbom_on_file"] = t.sbom and chance(0.5)
    # patching and hardening of anything with an operating system we look after
    if t.os:
        if well:
            facts["patch.missing_vendor_patches"] = rng.randint(0, 1)
            facts["patch.last_applied"] = DaysAgo(rng.randint(10, 60))
        elif weak:
            facts["patch.missing_vendor_patches"] = rng.randint(9, 40)
            facts["patch.last_applied"] = DaysAgo(rng.randint(420, 1600))
        else:
            facts["patch.missing_vendor_patches"] = rng.randint(2, 8) + (4 if legacy else 0)
            facts["patch.last_applied"] = DaysAgo(rng.randint(90, 330))
        facts["logging.central"] = chance(0.5)
        facts["credentials.default_reported"] = weak and rng.random() < 0.15
        if not appliance:
            facts["auth.shared_accounts"] = chance(
                0.6 if console else 0.2, when_well=False, when_weak=console or rng.random() < 0.5
            )
            facts["endpoint.antimalware"] = chance(0.5 if console else 0.8)
            facts["endpoint.application_allowlisting"] = chance(
                0.3, when_well=console or rng.random() < 0.5
            )
        if console and not appliance:
            facts["auth.auto_logoff"] = chance(0.5)
        if t.is_windows:
            if t.os in ("Windows XP Embedded", "Windows XP"):
                facts["smb.v1_enabled"] = True  # XP speaks nothing newer
            elif legacy:
                facts["smb.v1_enabled"] = chance(0.6, when_well=False, when_weak=True)
            else:
                facts["smb.v1_enabled"] = chance(0.05, when_well=False, when_weak=True)
    if t.media_import:
        facts["media.removable_import"] = (
            rng.choice(("blocked", "controlled")) if well else "unchecked" if weak else "controlled"
        )
    if t.ai_deployment:
        facts["ai.deployment"] = t.ai_deployment
        facts["ai.sends_identifiable_images"] = t.ai_deployment != "on_premises" and chance(
            0.2, when_well=False, when_weak=True
        )
    if t.ai_deployment or cloud:
        # the registry's only fallback fact; site.single_vendor_critical_cloud reads it for
        # cloud services as well as AI
        facts["ai.downtime_fallback"] = chance(0.7)
    if cloud:
        facts["cloud.exit_plan"] = chance(0.4)
    return facts


def _json_fact(value: JsonScalar | DaysAgo, ref: dt.date) -> JsonScalar:
    if isinstance(value, DaysAgo):
        return (ref - dt.timedelta(days=value.days)).isoformat()
    return value


@dataclass(slots=True)
class _Numbering:
    """Per-site, per-type counters for ids, host names and AE titles."""

    counts: Counter[tuple[str, AssetType]]

    def next(self, site: SiteSpec, type_: AssetType) -> tuple[str, str, str, int]:
        key = (site.id, type_)
        n: int = self.counts[key] + 1
        self.counts[key] = n
        tag = TYPE_TAG[type_]
        return (
            f"{site.code}-{tag}-{n:02d}",
            f"{site.code.lower()}-{tag.lower()}{n:02d}",
            f"{site.code}_{tag}{n}",
            n,
        )


def _build_asset(
    *,
    site: SiteSpec,
    template: ProductTemplate,
    profile: Profile,
    numbering: _Numbering,
    addressing: _Addressing,
    ref: dt.date,
    rng: random.Random | None = None,
    name: str | None = None,
    department: str | None = None,
    criticality: Criticality | None = None,
    zone: NetworkZone | None = None,
    owner: str | None = None,
    version: str | None = None,
    extra_services: Iterable[ServiceTemplate] = (),
    fact_overrides: Mapping[str, FactOverride] | None = None,
) -> Json:
    asset_id, hostname, ae_title, n = numbering.next(site, template.type)
    if rng is None:  # curated assets: variation keyed by id, stable when the list is edited
        rng = random.Random(zlib.crc32(asset_id.encode()))
    t = template
    zone, tag, vlan = _segment(t, site, zone)
    segment, ip = addressing.assign(tag, vlan)
    services = _services(t, profile, extra_services, rng)
    facts = _posture(t, profile, rng)
    if t.os and not t.discovered:
        facts["network.internet_exposed"] = any(s.internet_exposed for s in services)
    facts.update(fact_overrides or {})
    if version is None:
        version = (
            t.versions[-1] if profile is Profile.WELL
            else t.versions[0] if profile is Profile.WEAK
            else t.versions[len(t.versions) // 2]
        )  # fmt: skip
    eos: str | None = None
    if t.support_days is not None:
        jitter = 0 if profile is Profile.WELL else rng.randint(-60, 60)
        eos = (ref + dt.timedelta(days=t.support_days + jitter)).isoformat()
    if owner is None:
        owner = (
            ""
            if t.discovered
            else (biomed_team(site.region) if t.owner is Team.BIOMED else t.owner.value)
        )
    return {
        "id": asset_id,
        "site": site.id,
        "name": name or f"{t.label} {n}",
        "type": t.type.value,
        "vendor": t.vendor,
        "model": t.model,
        "software_version": version,
        "os": t.os,
        "os_version": t.os_version,
        "end_of_support": eos,
        "ip_addresses": [ip],
        "hostname": hostname,
        "segment": segment,
        "network_zone": zone.value,
        "criticality": (criticality or t.criticality).value,
        "department": department or t.department,
        "owner": owner,
        "managed": not t.discovered,
        "services": [_service_json(s, ae_title) for s in services],
        "facts": {k: _json_fact(v, ref) for k, v in facts.items() if v is not None},
    }


# --------------------------------------------------------------------------------------------
# The curated demo
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    """One curated demo asset: a template at a site, with what makes this one particular."""

    site: str
    template: str
    name: str
    profile: Profile
    department: str | None = None
    criticality: Criticality | None = None
    zone: NetworkZone | None = None
    owner: str | None = None
    version: str | None = None
    services: tuple[ServiceTemplate, ...] = ()
    facts: tuple[tuple[str, FactOverride], ...] = ()
    weakness: str = ""
    """What was planted here on purpose (listed in PLANTED_WEAKNESSES)."""


WELL, TYPICAL, WEAK = Profile.WELL, Profile.TYPICAL, Profile.WEAK
_Z = NetworkZone


def _at(site: str, *rows: tuple[Any, ...], **common: Any) -> list[Placement]:
    """Placements for one site: (template, name, profile, {overrides}) rows."""
    out = []
    for template, name, profile, *rest in rows:
        extra = {**common, **(rest[0] if rest else {})}
        if "facts" in extra:
            extra["facts"] = tuple(extra["facts"].items())
        out.append(Placement(site, template, name, profile, **extra))
    return out


DEMO_PLACEMENTS: tuple[Placement, ...] = (
    *_at(
        "riverside",
        ("ge-revolution-ct", "CT Scanner 1 (ED)", WELL, {"department": ED}),
        ("siemens-somatom-force", "CT Scanner 2 (Main)", WELL),
        ("siemens-somatom-definition-as", "CT Scanner 3 (Main)", TYPICAL),
        ("canon-aquilion-prime-sp", "CT Scanner 4 (Outpatient Pavilion)", TYPICAL,
         {"department": OUTPT}),
        ("siemens-magnetom-vida", "MRI 1 (3T)", WELL),
        ("siemens-magnetom-aera", "MRI 2 (1.5T)", TYPICAL),
        ("ge-signa-artist", "MRI 3 (Outpatient Pavilion)", WELL, {"department": OUTPT}),
        ("ge-logiq-e10", "Ultrasound 1 (Main)", WELL),
        ("philips-epiq-elite", "Ultrasound 2 (Main)", WELL),
        ("philips-epiq-elite", "Ultrasound 3 (Vascular)", WELL),
        ("ge-vivid-e95", "Echo Lab 1", TYPICAL),
        ("siemens-acuson-sequoia", "Ultrasound 4 (Women's Imaging)", WELL,
         {"department": BREAST}),
        ("siemens-ysio-xpree", "X-ray Room 1 (ED)", WELL, {"department": ED}),
        ("carestream-drx-evolution", "X-ray Room 2 (Main)", TYPICAL),
        ("fujifilm-fdr-go-plus", "Portable X-ray 1 (ED)", TYPICAL),
        ("ge-definium-656", "X-ray Room 3 (Orthopedics)", WEAK),
        ("carestream-directview-cr975", "CR Reader (OR)", WEAK),
        ("hologic-3dimensions", "Mammography 1 (Breast Center)", WELL),
        ("hologic-selenia-dimensions", "Mammography 2 (Breast Center)", TYPICAL),
        ("siemens-symbia-intevo", "SPECT/CT 1", TYPICAL),
        ("ge-discovery-nm-ct-670", "SPECT/CT 2", WELL),
        ("siemens-biograph-vision", "PET/CT 1", WELL),
        ("philips-azurion-7", "IR Suite 1", WELL),
        ("siemens-artis-icono", "IR Suite 2", WELL),
        ("philips-allura-xper-fd20", "Cath Lab 2", TYPICAL),
        ("siemens-luminos-drf-max", "Fluoroscopy Room 1", TYPICAL),
        ("hologic-horizon-a", "DEXA (Outpatient Pavilion)", WELL, {"department": OUTPT}),
        ("siemens-syngo-via", "syngo.via Server", WELL),
        ("ge-aw-server", "AW Server (3D Lab)", TYPICAL),
        ("hyland-pacsgear-mdr", "CD Import Station (Film Library)", WELL),
        ("sectra-pacs", "Enterprise PACS", WELL),
        ("mach7-vna", "Enterprise VNA (primary)", TYPICAL,
         {"facts": {"backup.covered": True, "backup.immutable": False,
                    "backup.last_tested": DaysAgo(400)},
          "weakness": "Enterprise VNA backed up only to mutable disk; restore last tested "
                      "400 days ago"}),
        ("epic-radiant", "Radiant RIS", WELL),
        ("nuance-powerscribe-one", "PowerScribe One", WELL),
        ("sectra-ids7-workstation", "Reading Room A Workstation 1", WELL),
        ("sectra-ids7-workstation", "Reading Room A Workstation 2", TYPICAL),
        ("visage-7", "Enterprise Viewer (DICOMweb)", WELL),
        ("hologic-securview", "Breast Imaging Workstation", TYPICAL),
        ("icad-profound-ai", "Breast AI (on-premises)", WELL),
        ("riverain-clearread-ct", "Lung Nodule AI (on-premises)", TYPICAL),
        ("aidoc-briefcase", "Stroke and ICH Triage AI (cloud)", WELL),
        ("aidoc-aios-gateway", "AI Orchestrator", WELL),
        ("vrad-teleradiology", "Overnight Teleradiology", WELL),
        ("nuance-powershare", "Image Exchange", TYPICAL),
        ("beyondtrust-pra", "Vendor Access Gateway", WELL),
        ("siemens-srs-router", "Siemens Remote Service Router", WELL),
        ("ge-insite-gateway", "GE InSite Gateway", TYPICAL),
        ("intersystems-health-connect", "Enterprise Interface Engine", WELL),
        ("laurel-bridge-compass", "DICOM Router", WELL),
        ("cisco-catalyst-9500", "Core Switch (Data Center)", WELL),
        ("paloalto-pa-3220", "Imaging Firewall", WELL),
        ("cisco-catalyst-9300", "Imaging Access Switch (Radiology)", WELL),
    ),
    *_at(
        "lakeshore",
        ("ge-optima-ct660", "CT Scanner 1 (ED)", WEAK, {"department": ED}),
        ("philips-incisive-ct", "CT Scanner 2", WELL),
        ("philips-ingenia", "MRI 1", TYPICAL),
        ("philips-iu22", "Ultrasound 1 (L&D)", WEAK,
         {"zone": _Z.CLINICAL,
          "weakness": "Windows XP Embedded ultrasound on the shared clinical VLAN with SMBv1"}),
        ("ge-logiq-e10", "Ultrasound 2", TYPICAL),
        ("philips-epiq-elite", "Ultrasound 3", TYPICAL),
        ("philips-digitaldiagnost-c90", "X-ray Room 1", TYPICAL),
        ("carestream-drx-evolution", "X-ray Room 2 (ED)", TYPICAL, {"department": ED}),
        ("fujifilm-fcr-capsula", "CR Reader (ED)", WEAK,
         {"zone": _Z.CLINICAL, "department": ED,
          "weakness": "Windows XP Embedded CR reader on the shared clinical VLAN with SMBv1 "
                      "and VNC without a password"}),
        ("ge-senographe-essential", "Mammography 1", TYPICAL),
        ("siemens-symbia-t", "SPECT/CT 1", WEAK,
         {"zone": _Z.CLINICAL,
          "weakness": "Windows XP Embedded SPECT/CT past end of support on the clinical VLAN"}),
        ("philips-gemini-tf", "PET/CT 1", WEAK),
        ("philips-allura-xper-fd20", "Cath Lab 1", TYPICAL),
        ("ge-precision-500d", "Fluoroscopy Room 1", WEAK),
        ("ge-lunar-prodigy", "DEXA 1", TYPICAL,
         {"owner": "", "weakness": "No accountable owner recorded"}),
        ("philips-intellispace-portal", "IntelliSpace Portal", TYPICAL),
        ("hyland-pacsgear-mdr", "Outside CD Import Station (ED)", WEAK,
         {"department": ED,
          "facts": {"media.removable_import": "unchecked", "endpoint.antimalware": False},
          "weakness": "Outside CDs imported without malware scanning (DICOM preamble "
                      "polyglots, CVE-2019-11687)"}),
        ("philips-vue-pacs", "PACS", TYPICAL),
        ("ge-centricity-pacs", "Legacy PACS (read-only priors)", WEAK,
         {"criticality": Criticality.MEDIUM,
          "weakness": "Legacy PACS kept for prior studies on Windows Server 2008 R2, past "
                      "end of support"}),
        ("mach7-vna", "VNA (disaster-recovery replica)", WELL),
        ("philips-vue-ris", "RIS", TYPICAL),
        ("nuance-powerscribe-360", "PowerScribe 360", TYPICAL),
        ("philips-vue-motion", "Web Viewer", TYPICAL),
        ("microdicom-viewer", "ED Physician Viewing PC", TYPICAL, {"department": ED}),
        ("qure-qxr", "Chest X-ray AI (pilot)", WEAK,
         {"facts": {"ai.sends_identifiable_images": True, "contract.baa_on_file": False,
                    "ai.downtime_fallback": False},
          "weakness": "Cloud AI pilot receives identifiable images with no BAA and no "
                      "downtime fallback"}),
        ("vrad-teleradiology", "Overnight Teleradiology", TYPICAL),
        ("cisco-asa-vendor-vpn", "PACS Vendor VPN", WEAK,
         {"facts": {"remote_access.mode": "always_on", "remote_access.shared_account": True,
                    "remote_access.mfa": False, "remote_access.session_logging": False},
          "weakness": "Always-on vendor VPN with a shared account and no MFA"}),
        ("philips-prs-gateway", "Philips Remote Services Gateway", TYPICAL),
        ("nextgen-mirth-connect", "Interface Engine", TYPICAL),
        ("cisco-catalyst-2960", "Radiology Closet Switch", WEAK,
         {"weakness": "End-of-life access switch still answering telnet"}),
        ("fortinet-fortigate-100f", "Hospital Firewall", TYPICAL),
    ),
    *_at(
        "northgate",
        ("canon-aquilion-prime-sp", "CT Scanner 1", TYPICAL),
        ("ge-signa-artist", "MRI 1", TYPICAL),
        ("siemens-acuson-sequoia", "Ultrasound 1", WELL),
        ("ge-logiq-e10", "Ultrasound 2", TYPICAL),
        ("carestream-drx-evolution", "X-ray Room 1", TYPICAL),
        ("agfa-cr-30x", "CR Reader", TYPICAL),
        ("hologic-selenia-dimensions", "Mammography 1", TYPICAL),
        ("ge-lunar-idxa", "DEXA 1", WEAK),
        ("orthanc-server", "Mini-PACS", WEAK,
         {"services": (EXPOSED_ORTHANC_DICOM, ORTHANC_HTTP_NO_AUTH),
          "facts": {"phi.encrypted_at_rest": False},
          "weakness": "Mini-PACS (Orthanc 1.5.6) with clear-text DICOM forwarded to the "
                      "internet for referring clinics; PHI unencrypted at rest"}),
        ("osimis-web-viewer", "Referring Physician Web Viewer", WEAK,
         {"facts": {"credentials.default_reported": True},
          "weakness": "Web viewer still uses the documented default credentials"}),
        ("microdicom-viewer", "Front Desk Viewing PC", TYPICAL),
        ("lunit-insight-mmg", "Mammography AI (cloud)", TYPICAL,
         {"facts": {"ai.sends_identifiable_images": False}}),
        ("ambra-cloud-pacs", "Cloud PACS Archive", TYPICAL,
         {"facts": {"ai.downtime_fallback": False, "cloud.exit_plan": False},
          "weakness": "Cloud PACS archive with no downtime fallback or exit plan"}),
        ("ambra-image-sharing", "Cloud Image Sharing", TYPICAL,
         {"facts": {"ai.downtime_fallback": True},
          "weakness": "Second critical cloud service from the same vendor as the archive"}),
        ("teamviewer-host", "Vendor Support PC", WEAK,
         {"weakness": "Unattended TeamViewer on an always-on vendor support PC with a shared "
                      "account"}),
        ("fortinet-fortigate-100f", "Imaging Center Firewall", TYPICAL),
        ("unidentified-dicom-host", "Unidentified DICOM host (discovered)", TYPICAL,
         {"weakness": "Unmanaged, unowned host of unknown vendor answering DICOM"}),
    ),
)  # fmt: skip

PLANTED_WEAKNESSES: tuple[tuple[str, str], ...] = tuple(
    (f"{p.site}/{p.name}", p.weakness) for p in DEMO_PLACEMENTS if p.weakness
)
"""(site/asset name, what was planted) for the demo's deliberate weaknesses."""


def _inventory(sites: Sequence[SiteSpec], assets: list[Json], ref: dt.date) -> Json:
    return {
        "format": INVENTORY_FORMAT,
        "sites": [s.json(ref) for s in sites],
        "assets": assets,
    }


def demo_inventory(reference_date: dt.date = REFERENCE_DATE) -> Json:
    """The curated demo enterprise as a JSON-ready inventory dict (deterministic)."""
    sites = {s.id: s for s in DEMO_SITES}
    numbering = _Numbering(Counter())
    addressing = {s.id: _Addressing(s) for s in DEMO_SITES}
    assets = []
    for p in DEMO_PLACEMENTS:
        assets.append(
            _build_asset(
                site=sites[p.site],
                template=TEMPLATE_BY_KEY[p.template],
                profile=p.profile,
                numbering=numbering,
                addressing=addressing[p.site],
                ref=reference_date,
                name=p.name,
                department=p.department,
                criticality=p.criticality,
                zone=p.zone,
                owner=p.owner,
                version=p.version,
                extra_services=p.services,
                fact_overrides=dict(p.facts),
            )
        )
    return _inventory(DEMO_SITES, assets, reference_date)


def write_demo_inventory(
    path: str | os.PathLike[str], *, reference_date: dt.date = REFERENCE_DATE
) -> Path:
    """Write ``demo_inventory()`` as indented JSON and return the path written."""
    out = Path(path)
    write_text_atomic(out, json.dumps(demo_inventory(reference_date), indent=2) + "\n")
    return out


# --------------------------------------------------------------------------------------------
# The scalable generator: the demo's distributions, at any size
# --------------------------------------------------------------------------------------------

MAX_GENERATED_SITES = 230
"""Each site gets its own 10.x.0.0/16 block, second octets 20 to 249."""


def _weighted(counter: Mapping[Any, int | float]) -> tuple[list[Any], list[float]]:
    keys = sorted(counter, key=str)
    return keys, [float(counter[k]) for k in keys]


_PLAN_LIKELIHOOD: Mapping[Archetype, float] = {
    Archetype.FLAGSHIP: 0.9,
    Archetype.COMMUNITY: 0.5,
    Archetype.IMAGING_CENTER: 0.4,
}


def _generated_sites(n_sites: int, rng: random.Random) -> list[SiteSpec]:
    sites: list[SiteSpec] = []
    codes: set[str] = set()
    for i in range(n_sites):
        if i < len(DEMO_SITES):
            archetype = DEMO_SITES[i].archetype  # the first sites mirror the demo's
        else:
            archetype = rng.choices(
                (Archetype.FLAGSHIP, Archetype.COMMUNITY, Archetype.IMAGING_CENTER),
                weights=(1, 4, 5),
            )[0]
        place = PLACE_NAMES[i % len(PLACE_NAMES)]
        round_ = i // len(PLACE_NAMES)
        _, name_suffix, code_suffix = _ARCHETYPE_KIND[archetype]
        code = place[0] + code_suffix + (str(round_ + 1) if round_ else "")
        while code in codes:
            code += "X"
        codes.add(code)
        slug = place.lower().replace(" ", "-")
        plan = rng.random() < _PLAN_LIKELIHOOD[archetype]
        sites.append(
            SiteSpec(
                id=slug + (f"-{round_ + 1}" if round_ else ""),
                name=f"{place} {name_suffix}" + (f" {round_ + 1}" if round_ else ""),
                archetype=archetype,
                region=DEMO_SITES[i].region if i < len(DEMO_SITES) else REGIONS[i % len(REGIONS)],
                code=code,
                octet=20 + i,
                flat=archetype is Archetype.IMAGING_CENTER and rng.random() < 0.5,
                downtime_plan=plan,
                ir_playbook=plan and rng.random() < 0.6,
                drill_days_ago=rng.randint(20, 700) if plan and rng.random() < 0.8 else None,
            )
        )
    return sites


def generate_enterprise(
    n_assets: int,
    n_sites: int,
    seed: int = 0,
    reference_date: dt.date = REFERENCE_DATE,
) -> Json:
    """A synthetic enterprise of ``n_assets`` assets over ``n_sites`` sites (deterministic).

    Each site follows one of the demo's archetypes (flagship, community hospital, imaging
    center); its assets are drawn from that demo site's placements, so types, products,
    departments and the share of well-kept, typical and weak assets match the curated demo.
    A third of the time another product of the same type replaces the demo's choice.
    """
    if n_assets < 0:
        raise ValueError("n_assets must not be negative")
    if not 1 <= n_sites <= MAX_GENERATED_SITES:
        raise ValueError(f"n_sites must be between 1 and {MAX_GENERATED_SITES}")
    rng = random.Random(seed)
    sites = _generated_sites(n_sites, rng)
    by_archetype: dict[Archetype, list[Placement]] = {}
    for demo_site in DEMO_SITES:
        by_archetype[demo_site.archetype] = [p for p in DEMO_PLACEMENTS if p.site == demo_site.id]
    profile_mix = {
        a: _weighted(Counter(p.profile for p in placements))
        for a, placements in by_archetype.items()
    }
    templates_of_type: dict[AssetType, tuple[list[ProductTemplate], list[float]]] = {}
    for t in TEMPLATES:
        keys, weights = templates_of_type.setdefault(t.type, ([], []))
        keys.append(t)
        weights.append(t.weight)

    site_weights = [float(len(by_archetype[s.archetype])) for s in sites]
    site_of_asset = rng.choices(range(len(sites)), weights=site_weights, k=n_assets)
    numbering = _Numbering(Counter())
    addressing = [_Addressing(s) for s in sites]
    assets: list[Json] = []
    # every type appears once the enterprise is big enough to hold them all
    must_have = list(AssetType) if n_assets >= len(AssetType) else []
    for index, site_index in enumerate(site_of_asset):
        site = sites[site_index]
        department: str | None = None
        if index < len(must_have):
            type_templates, weights = templates_of_type[must_have[index]]
            template = rng.choices(type_templates, weights=weights)[0]
        else:
            slot = rng.choice(by_archetype[site.archetype])
            template = TEMPLATE_BY_KEY[slot.template]
            if rng.random() < 1 / 3:
                type_templates, weights = templates_of_type[template.type]
                template = rng.choices(type_templates, weights=weights)[0]
            department = slot.department
        profiles, weights = profile_mix[site.archetype]
        profile: Profile = rng.choices(profiles, weights=weights)[0]
        zone = None
        if profile is Profile.WEAK and _is_console(template) and rng.random() < 0.4:
            zone = NetworkZone.FLAT if site.flat else NetworkZone.CLINICAL
        owner = "" if rng.random() < 0.02 else None
        extra: list[ServiceTemplate] = []
        # small sites forward DICOM to referring clinics more often than they should
        if (
            profile is Profile.WEAK
            and site.archetype is Archetype.IMAGING_CENTER
            and template.type.category is AssetCategory.ARCHIVE
            and rng.random() < 0.2
        ):
            extra.append(EXPOSED_DICOM)
        assets.append(
            _build_asset(
                site=site,
                template=template,
                profile=profile,
                numbering=numbering,
                addressing=addressing[site_index],
                ref=reference_date,
                rng=rng,
                department=department,
                zone=zone,
                owner=owner,
                extra_services=extra,
            )
        )
    return _inventory(sites, assets, reference_date)


__all__ = [
    "DEPARTMENTS",
    "INVENTORY_FORMAT",
    "OWNER_TEAMS",
    "PLANTED_WEAKNESSES",
    "REFERENCE_DATE",
    "TEMPLATES",
    "demo_inventory",
    "generate_enterprise",
    "write_demo_inventory",
]
