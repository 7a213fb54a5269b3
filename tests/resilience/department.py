"""A small imaging department for plan, drill and exercise tests."""

from __future__ import annotations

from imagewarden.model import AssetType, Inventory
from tests import factories


def department() -> Inventory:
    a = factories.asset
    return factories.inventory(
        a("PACS-1", name="Main PACS", type=AssetType.PACS, vendor="Sectra"),
        a("VNA-1", name="Enterprise VNA", type=AssetType.VNA, vendor="Hyland"),
        a("RIS-1", name="Radiology RIS", type=AssetType.RIS, vendor="Epic Systems"),
        a("CT-1", name="ED CT", type=AssetType.CT, vendor="GE HealthCare"),
        a("MR-1", name="Main MR", type=AssetType.MR, vendor="Siemens Healthineers"),
        a("AI-1", name="Stroke AI", type=AssetType.AI_APPLICATION, vendor="Aidoc"),
        a("TELE-1", name="Night reads", type=AssetType.CLOUD_SERVICE, vendor="vRad"),
        a("IE-1", name="HL7 engine", type=AssetType.INTEGRATION_ENGINE, vendor="InterSystems"),
        a("OTHER-CT", site="south", name="South CT", type=AssetType.CT, vendor="Canon"),
    )
