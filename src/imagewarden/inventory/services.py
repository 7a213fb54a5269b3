"""Services of an asset: the CSV ``services`` mini-syntax, JSON service objects, AE titles.

CSV syntax: entries separated by ';', each ``protocol:port`` followed by optional flags, each
after a '/': ``dicom:104; dicom:2762/tls; https:443/admin; rdp:3389/internet/noauth``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from imagewarden.inventory.values import (
    ValueProblem,
    Vocabulary,
    describe,
    did_you_mean,
    parse_ae_title,
    parse_port,
    value_key,
)
from imagewarden.model import Service, ServiceProtocol

_P = ServiceProtocol

PROTOCOL_ALIASES: Mapping[str, ServiceProtocol] = {
    "dicom-tls": _P.DICOM,
    "dimse": _P.DICOM,
    "dicom-web": _P.DICOMWEB,
    "wado": _P.DICOMWEB,
    "wado-rs": _P.DICOMWEB,
    "wado-uri": _P.DICOMWEB,
    "qido": _P.DICOMWEB,
    "qido-rs": _P.DICOMWEB,
    "stow-rs": _P.DICOMWEB,
    "mllp": _P.HL7,
    "hl7v2": _P.HL7,
    "hl7 mllp": _P.HL7,
    "cifs": _P.SMB,
    "ms-wbt-server": _P.RDP,
    "sftp": _P.SSH,
    "sql": _P.DATABASE,
    "db": _P.DATABASE,
    "mssql": _P.DATABASE,
    "ms-sql": _P.DATABASE,
    "mysql": _P.DATABASE,
    "postgres": _P.DATABASE,
    "postgresql": _P.DATABASE,
    "oracle": _P.DATABASE,
}
"""Extra protocol spellings; the ServiceProtocol values (dicom, hl7, https...) always work."""

TLS_ALIASES = frozenset({value_key("dicom-tls")})
"""Protocol spellings that also say the service uses TLS."""

PROTOCOLS = Vocabulary("protocol", {p.value: p for p in ServiceProtocol}, PROTOCOL_ALIASES)

USUAL_PORTS: Mapping[ServiceProtocol, int] = {
    _P.DICOM: 104,
    _P.DICOMWEB: 443,
    _P.HL7: 2575,
    _P.HTTP: 80,
    _P.HTTPS: 443,
    _P.RDP: 3389,
    _P.SMB: 445,
    _P.VNC: 5900,
    _P.SSH: 22,
    _P.TELNET: 23,
    _P.FTP: 21,
    _P.SNMP: 161,
}

FLAGS: Mapping[str, tuple[str, bool]] = {
    "tls": ("tls", True),
    "notls": ("tls", False),
    "internet": ("internet_exposed", True),
    "nointernet": ("internet_exposed", False),
    "auth": ("auth_required", True),
    "noauth": ("auth_required", False),
    "admin": ("admin_interface", True),
    "noadmin": ("admin_interface", False),
}
"""CSV service flags: the Service field each one sets, and to what."""


def parse_protocol(raw: object) -> tuple[ServiceProtocol, bool]:
    """The protocol, and whether its spelling implies TLS ('dicom-tls')."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueProblem(
            f"expected a protocol name, got {describe(raw)}", "e.g. dicom, dicomweb, hl7, https"
        )
    protocol = PROTOCOLS.lookup(raw)
    if protocol is None:
        raise ValueProblem(f"unknown protocol {raw.strip()!r}", PROTOCOLS.hint())
    return protocol, value_key(raw) in TLS_ALIASES


def parse_service_entry(entry: str) -> Service:
    """One ``protocol:port[/flag...]`` entry."""
    head, *flags = entry.split("/")
    protocol_text, colon, port_text = head.partition(":")
    if not colon:
        protocol, _ = parse_protocol(protocol_text)
        usual = USUAL_PORTS.get(protocol)
        example = f"{protocol.value}:{usual}" if usual else f"{protocol.value}:PORT"
        raise ValueProblem(
            f"service {entry.strip()!r} has no port", f"write protocol:port, e.g. {example!r}"
        )
    protocol, tls_spelling = parse_protocol(protocol_text)
    port = parse_port(port_text)
    settings: dict[str, bool] = {"tls": True} if tls_spelling else {}
    for flag in flags:
        word = flag.strip().casefold()
        if word not in FLAGS:
            raise ValueProblem(
                f"unknown service flag {flag.strip()!r} in {entry.strip()!r}"
                f"{did_you_mean(word, FLAGS)}",
                "flags: " + ", ".join(FLAGS),
            )
        field, value = FLAGS[word]
        if settings.get(field, value) != value:
            raise ValueProblem(f"service {entry.strip()!r} has contradicting flags")
        settings[field] = value
    return Service(
        protocol,
        port,
        tls=settings.get("tls"),
        internet_exposed=settings.get("internet_exposed"),
        auth_required=settings.get("auth_required"),
        admin_interface=settings.get("admin_interface"),
    )


def parse_services_text(text: str) -> list[Service]:
    """The CSV ``services`` cell: entries separated by ';' (blank entries are skipped)."""
    return [parse_service_entry(entry.strip()) for entry in text.split(";") if entry.strip()]


def split_ae_titles(raw: object) -> tuple[str, ...]:
    """The asset-level AE title value: one title, or several separated by ';' (JSON: a list)."""
    if isinstance(raw, list):
        return tuple(parse_ae_title(item) for item in raw)
    if isinstance(raw, str):
        return tuple(parse_ae_title(part) for part in raw.split(";") if part.strip())
    raise ValueProblem(f"expected an AE title, got {describe(raw)}")


def apply_ae_titles(services: Sequence[Service], titles: Sequence[str]) -> list[Service]:
    """Give the asset's AE titles to its DICOM services that have none of their own.

    One title goes to every such service; several are paired with them in order.
    """
    if not titles:
        return list(services)
    dicom = [i for i, s in enumerate(services) if s.protocol is _P.DICOM and not s.ae_title]
    if not dicom:
        has_dicom = any(s.protocol is _P.DICOM for s in services)
        raise ValueProblem(
            "AE title given but the asset has no DICOM service to carry it"
            if not has_dicom
            else "AE title given but every DICOM service already has its own",
            "add the DICOM port to services, e.g. 'dicom:104'",
        )
    if len(titles) != 1 and len(titles) != len(dicom):
        raise ValueProblem(
            f"{len(titles)} AE titles for {len(dicom)} DICOM services",
            "give one AE title for all DICOM services, or one per DICOM service in order",
        )
    result = list(services)
    for n, index in enumerate(dicom):
        s = result[index]
        result[index] = Service(
            s.protocol,
            s.port,
            s.tls,
            titles[0 if len(titles) == 1 else n],
            s.internet_exposed,
            s.auth_required,
            s.admin_interface,
        )
    return result


def duplicate_service(services: Sequence[Service]) -> Service | None:
    """The first service whose protocol and port repeat an earlier one."""
    seen: set[tuple[ServiceProtocol, int]] = set()
    for service in services:
        key = (service.protocol, service.port)
        if key in seen:
            return service
        seen.add(key)
    return None
