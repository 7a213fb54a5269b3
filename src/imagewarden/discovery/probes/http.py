"""DICOMweb and REST: read-only GETs without credentials; default credentials only by opt-in.

Safe profile: GET /system (Orthanc's identity, no patient data) and nothing else; what the
API advertises about its DICOM server (AE title, port) is recorded, and on HTTPS the TLS
session's facts (version, cipher, certificate subject, expiry, self-signed) like on any TLS port.
Standard profile with --allow-query: QIDO-RS GET .../studies?limit=1, keeping only how many
results came back. With --allow-credential-checks: one GET with each documented default
credential of the product that answered. Never a POST, PUT or DELETE; redirects not followed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from imagewarden.discovery import fingerprint
from imagewarden.discovery.interface import (
    ProbeContext,
    Product,
    Profile,
    ServiceResult,
    Target,
    TargetKind,
)
from imagewarden.discovery.probes.http_transport import GuardedTransport
from imagewarden.discovery.probes.tls import session_facts
from imagewarden.model import FactValue, ServiceProtocol

QIDO_PATHS = ("/dicom-web/studies", "/studies")
_MAX_BODY = 256 * 1024


class _Client:
    def __init__(self, target: Target, ctx: ProbeContext) -> None:
        self.target = target
        self.ctx = ctx
        scheme = "https" if target.kind is TargetKind.HTTPS else "http"
        host = f"[{target.host}]" if ":" in target.host else target.host
        self.base = f"{scheme}://{host}:{target.port}"
        timeout = httpx.Timeout(ctx.options.read_timeout, connect=ctx.options.connect_timeout)
        self.client = httpx.AsyncClient(
            verify=False,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # never through a proxy: the scope is about this host only
            # Every connection dials through the scope's socket guard (canonical address,
            # peer checked before a byte is sent), like ScopedContext.connect.
            transport=GuardedTransport(ctx, target.kind),
        )
        self.tls_facts: dict[str, FactValue] = {}
        """The TLS session's facts (version, certificate), from the first HTTPS exchange."""

    async def get(
        self, path: str, auth: tuple[str, str] | None = None, accept: str = "application/json"
    ) -> _Reply | None:
        """One GET (paced like every connection); None when the exchange failed."""
        await self.ctx.admit(self.target)
        headers = {"Accept": accept}
        try:
            async with self.client.stream("GET", self.base + path, auth=auth, headers=headers) as r:
                if not self.tls_facts:
                    stream = r.extensions.get("network_stream")
                    if stream is not None:
                        self.tls_facts = session_facts(stream.get_extra_info("ssl_object"))
                # Read at most _MAX_BODY + 1 bytes: a peer cannot make the prober hold a large
                # body in memory, and a body over the limit is treated as unreadable.
                content = bytearray()
                async for chunk in r.aiter_bytes():
                    content += chunk[: _MAX_BODY + 1 - len(content)]
                    if len(content) > _MAX_BODY:
                        break
                return _Reply(r.status_code, r.headers, bytes(content))
        except httpx.HTTPError:
            return None


@dataclass(frozen=True, slots=True)
class _Reply:
    status_code: int
    headers: httpx.Headers
    content: bytes


_AE_TITLE = re.compile(r"[\x20-\x5b\x5d-\x7e]{1,16}")


def _advertised_dicom(system: dict[str, Any]) -> dict[str, FactValue]:
    """The DICOM AE title and port the REST API reports for its own DICOM server.

    Configuration, not patient data; kept only when it is a valid AE title and port.
    """
    facts: dict[str, FactValue] = {}
    title, port = system.get("DicomAet"), system.get("DicomPort")
    if isinstance(title, str) and _AE_TITLE.fullmatch(title) and title.strip():
        facts["rest.dicom_ae_title"] = title.strip()
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        facts["rest.dicom_port"] = port
    return facts


def _json(response: _Reply) -> Any:
    if len(response.content) > _MAX_BODY:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


async def probe_http(target: Target, ctx: ProbeContext) -> ServiceResult:
    """Probe one HTTP(S) port: see the module docstring for what is sent."""
    http = _Client(target, ctx)
    try:
        return await _probe(http, target, ctx)
    finally:
        await http.client.aclose()


async def _probe(http: _Client, target: Target, ctx: ProbeContext) -> ServiceResult:
    tls = target.kind is TargetKind.HTTPS
    system = await http.get("/system")
    if system is None:
        return ServiceResult.closed(target)
    facts: dict[str, FactValue] = {**http.tls_facts, "service.tls": tls}
    asset_facts: dict[str, FactValue] = {}
    protocol = ServiceProtocol.HTTPS if tls else ServiceProtocol.HTTP
    product: Product | None = None
    realm = system.headers.get("www-authenticate", "")
    body = _json(system) if system.status_code == 200 else None
    if isinstance(body, dict) and "DicomAet" in body and "Version" in body:
        # Orthanc's /system answered without credentials: its REST API is open.
        product = fingerprint.product(ctx.data, "orthanc", str(body.get("Version", ""))[:20])
        facts["service.auth_required"] = False
        facts["service.admin_interface"] = True
        facts.update(_advertised_dicom(body))
        protocol = ServiceProtocol.DICOMWEB
    elif system.status_code == 401:
        facts["service.auth_required"] = True
        if "orthanc" in realm.lower():
            product = fingerprint.product(ctx.data, "orthanc", "")
            facts["service.admin_interface"] = True
            protocol = ServiceProtocol.DICOMWEB
    if product is not None:
        facts["service.product"] = fingerprint.display_name(product)
        if product.version:
            facts["service.product_version"] = product.version
        if product.outdated is not None:
            facts["service.product_outdated"] = product.outdated
    options = ctx.options
    if options.profile is Profile.STANDARD and options.allow_query:
        await _qido(http, facts)
        if "dicomweb.anonymous_query" in facts:
            protocol = ServiceProtocol.DICOMWEB
    if (
        options.profile is Profile.STANDARD
        and options.allow_credential_checks
        and system.status_code == 401
    ):
        accepted = await _default_credentials(http, realm, ctx)
        facts["service.default_credentials_accepted"] = accepted
        if accepted:
            asset_facts["credentials.default_reported"] = True
    notes = (f"GET /system -> {system.status_code}",)
    outcome = f"HTTP {system.status_code}"
    return ServiceResult(
        target, True, protocol, facts, notes, product, asset_facts, outcome=outcome
    )


async def _qido(http: _Client, facts: dict[str, FactValue]) -> None:
    for path in QIDO_PATHS:
        response = await http.get(f"{path}?limit=1", accept="application/dicom+json")
        if response is None or response.status_code == 404:
            continue
        if response.status_code in (401, 403):
            facts["dicomweb.anonymous_query"] = False
            return
        body = _json(response) if response.status_code in (200, 204) else None
        if response.status_code == 204 or isinstance(body, list):
            # Only the number of results is kept; the body is dropped unread.
            facts["dicomweb.anonymous_query"] = True
            facts["dicomweb.study_count_sample"] = len(body) if isinstance(body, list) else 0
            return


async def _default_credentials(http: _Client, realm: str, ctx: ProbeContext) -> bool:
    for entry in ctx.data.credentials:
        if entry.realm.lower() not in realm.lower():
            continue
        response = await http.get(entry.path, auth=(entry.username, entry.password))
        if response is not None and response.status_code == 200:
            return True
    return False
