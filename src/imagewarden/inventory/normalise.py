"""Names as inventories write them -> the names the catalog and checks use.

Vendor and model go through the catalog's product dictionary ('GEHC' -> 'GE HealthCare'), the
OS name through the OS lifecycle table ('Microsoft Windows 7 Professional' -> 'Windows 7'), and
asset types through the alias table below ('MRI' -> mr). Unknown vendors, models and OS names
are kept as written (trimmed), never guessed; an unknown asset type is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

from imagewarden.catalog import Catalog
from imagewarden.inventory.values import Vocabulary
from imagewarden.model import AssetType

_T = AssetType

ASSET_TYPE_ALIASES: Mapping[str, AssetType] = {
    # modalities (DICOM modality codes are the values themselves)
    "computed tomography": _T.CT,
    "ct scanner": _T.CT,
    "cat scan": _T.CT,
    "mri": _T.MR,
    "magnetic resonance": _T.MR,
    "mr scanner": _T.MR,
    "mri scanner": _T.MR,
    "ultrasound": _T.US,
    "echo": _T.US,
    "echocardiography": _T.US,
    "digital x-ray": _T.DX,
    "x-ray": _T.DX,
    "xray": _T.DX,
    "radiography": _T.DX,
    "digital radiography": _T.DX,
    "dr": _T.DX,
    "computed radiography": _T.CR,
    "mammography": _T.MG,
    "mammo": _T.MG,
    "tomosynthesis": _T.MG,
    "nuclear medicine": _T.NM,
    "spect": _T.NM,
    "spect/ct": _T.NM,
    "gamma camera": _T.NM,
    "pet": _T.PT,
    "pet/ct": _T.PT,
    "pet ct": _T.PT,
    "angiography": _T.XA,
    "cath lab": _T.XA,
    "interventional": _T.XA,
    "interventional radiology": _T.XA,
    "fluoroscopy": _T.RF,
    "fluoro": _T.RF,
    "dxa": _T.DEXA,
    "bmd": _T.DEXA,
    "bone densitometry": _T.DEXA,
    # systems
    "modality workstation": _T.ACQUISITION_WORKSTATION,
    "console": _T.ACQUISITION_WORKSTATION,
    "acquisition console": _T.ACQUISITION_WORKSTATION,
    "pacs server": _T.PACS,
    "picture archiving and communication system": _T.PACS,
    "vendor neutral archive": _T.VNA,
    "radiology information system": _T.RIS,
    "speech recognition": _T.REPORTING,
    "dictation": _T.REPORTING,
    "voice recognition": _T.REPORTING,
    "reporting system": _T.REPORTING,
    "zero-footprint viewer": _T.VIEWER,
    "zfp viewer": _T.VIEWER,
    "web viewer": _T.VIEWER,
    "diagnostic workstation": _T.VIEWER,
    "diagnostic reading workstation": _T.VIEWER,
    "reading workstation": _T.VIEWER,
    "advanced visualization": _T.VIEWER,
    "ai": _T.AI_APPLICATION,
    "ai app": _T.AI_APPLICATION,
    "cad": _T.AI_APPLICATION,
    "ai broker": _T.AI_ORCHESTRATOR,
    "ai platform": _T.AI_ORCHESTRATOR,
    "cloud": _T.CLOUD_SERVICE,
    "saas": _T.CLOUD_SERVICE,
    "vpn": _T.REMOTE_ACCESS,
    "vendor remote access": _T.REMOTE_ACCESS,
    "remote access gateway": _T.REMOTE_ACCESS,
    "interface engine": _T.INTEGRATION_ENGINE,
    "mirth": _T.INTEGRATION_ENGINE,
    "hl7 engine": _T.INTEGRATION_ENGINE,
    "hl7 interface engine": _T.INTEGRATION_ENGINE,
    "dicom router": _T.INTEGRATION_ENGINE,
    "switch": _T.NETWORK_DEVICE,
    "firewall": _T.NETWORK_DEVICE,
    "router": _T.NETWORK_DEVICE,
    "access point": _T.NETWORK_DEVICE,
    "other": _T.UNKNOWN,
}
"""Extra spellings of asset types. The values (ct, mr, acquisition_workstation...) always work;
spaces, '_', '-', '/' and '.' are interchangeable ('pet-ct' = 'pet/ct' = 'PET CT')."""

ASSET_TYPES = Vocabulary("asset type", {t.value: t for t in AssetType}, ASSET_TYPE_ALIASES)


def parse_asset_type(raw: object) -> AssetType | None:
    """The asset type named by ``raw``; None when blank; ValueProblem with a suggestion.

    'unknown', '?', 'n/a' and '-' name ``AssetType.UNKNOWN``: the type is required, but
    saying it is not known is an answer.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    asset_type = ASSET_TYPES.lookup(raw)
    return AssetType.UNKNOWN if asset_type is None else asset_type


class Normaliser:
    """Catalog lookups for one import, cached because inventories repeat the same names."""

    def __init__(self, catalog: Catalog) -> None:
        self._products = catalog.products
        self._os_table = catalog.os_table
        self._product_cache: dict[tuple[str, str], tuple[str, str, str]] = {}
        self._os_cache: dict[str, str] = {}

    def product(self, vendor: str, model: str) -> tuple[str, str, str]:
        """(canonical vendor, model as written, dictionary family or '').

        The model is kept as written: the dictionary maps models to their product family
        ("Brilliance iCT SP" -> "Brilliance CT"), and vulnerability matching needs the model.
        """
        key = (vendor, model)
        cached = self._product_cache.get(key)
        if cached is None:
            if vendor:
                found = self._products.normalise(vendor, model)
                family = found.model if found.model_known else ""
                cached = (found.vendor, model.strip(), family)
            else:
                cached = ("", model.strip(), "")
            self._product_cache[key] = cached
        return cached

    def os_name(self, name: str) -> str:
        """The OS lifecycle table's spelling of ``name``, or ``name`` trimmed."""
        cached = self._os_cache.get(name)
        if cached is None:
            cached = self._os_table.canonical(name) if name else ""
            self._os_cache[name] = cached
        return cached
