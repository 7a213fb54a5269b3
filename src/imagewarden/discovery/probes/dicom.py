"""DICOM service probe: association variants, negotiation facts, and the opt-in DIMSE steps.

Per service, one association at a time, each released before the next is requested:

(a) configured titles, proposing every context discovery asks about (implementation UID and
    version, maximum PDU, accepted contexts; C-ECHO in the standard profile);
(b) the configured calling AE and a random called AE  -> dicom.accepts_any_called_ae;
(c) a random calling AE and the configured called AE -> dicom.accepts_unknown_calling_ae;
    with --allow-query, a count-only STUDY C-FIND on this association (anonymous query).

The ping profile sends (a) with Verification only. Storage acceptance is read from the
negotiation; nothing is ever stored, moved or retrieved.
"""

from __future__ import annotations

import secrets

from imagewarden.discovery import fingerprint, pdu
from imagewarden.discovery.association import Association, AssociationResult, Outcome, associate
from imagewarden.discovery.interface import (
    ProbeContext,
    Product,
    Profile,
    ServiceResult,
    Target,
    TargetKind,
)
from imagewarden.discovery.probes.tls import handshake_facts, probe_tls
from imagewarden.discovery.sop_classes import (
    ALL_PROPOSED,
    CAPABILITIES,
    STORAGE,
    STUDY_ROOT_FIND,
)
from imagewarden.model import FactValue, ServiceProtocol


def random_ae(prefix: str) -> str:
    """A title no real peer is configured with: 'IW' + role letter + 10 random hex digits."""
    return f"IW{prefix}{secrets.token_hex(5).upper()}"


def _negotiation_facts(result: AssociationResult, full: bool) -> dict[str, FactValue]:
    accept = result.accept
    if accept is None:
        return {}
    facts: dict[str, FactValue] = {}
    if accept.implementation_class_uid:
        facts["dicom.implementation_class_uid"] = accept.implementation_class_uid
    if accept.implementation_version:
        facts["dicom.implementation_version"] = accept.implementation_version
    if accept.max_pdu_length is not None:
        facts["dicom.max_pdu_length"] = accept.max_pdu_length
    if full:
        accepted = set(result.accepted_syntaxes)
        for name, uids in CAPABILITIES.items():
            facts[name] = any(uid in accepted for uid in uids)
        facts["dicom.storage_classes"] = ",".join(
            label for label, uid in STORAGE.items() if uid in accepted
        )
    return facts


class _Run:
    """State of one DICOM target's probe: what each association showed."""

    def __init__(self, target: Target, ctx: ProbeContext) -> None:
        self.target = target
        self.ctx = ctx
        self.titles = ctx.titles(target)
        self.options = ctx.options
        self.tls = target.kind is TargetKind.DICOM_TLS
        self.facts: dict[str, FactValue] = {}
        self.notes: list[str] = []

    async def associate(
        self, calling: str, called: str, syntaxes: tuple[str, ...]
    ) -> tuple[AssociationResult, Association | None]:
        return await associate(self.ctx, self.target, calling, called, syntaxes, tls=self.tls)

    async def first(self) -> AssociationResult:
        ping = self.options.profile is Profile.PING
        syntaxes = (pdu.VERIFICATION,) if ping else ALL_PROPOSED
        result, assoc = await self.associate(self.titles.calling, self.titles.called, syntaxes)
        dropped = result.outcome is Outcome.CLOSED or result.speaks_tls
        if dropped and not self.tls and not ping:
            # A port that drops a plain A-ASSOCIATE-RQ, or answers it with a TLS alert, may be
            # TLS-only: find out by handshake.
            tls = await probe_tls(self.target, self.ctx)
            if tls:
                self.tls = True
                self.facts.update(tls)
                self.notes.append(
                    "plain association answered with a TLS alert; port speaks TLS"
                    if result.speaks_tls
                    else "plain association dropped; port speaks TLS"
                )
                result, assoc = await self.associate(
                    self.titles.calling, self.titles.called, syntaxes
                )
        if assoc is not None:
            if self.tls and "tls.version" not in self.facts:
                self.facts.update(handshake_facts(assoc.writer))
            self.facts.update(_negotiation_facts(result, full=not ping))
            if self.options.profile is Profile.STANDARD:
                await self._echo(assoc)
            await assoc.release()
        return result

    async def _echo(self, assoc: Association) -> None:
        try:
            status = await assoc.echo()
        except (OSError, TimeoutError, ConnectionError, pdu.PduError, EOFError):
            status = None
            assoc.open = False
        self.facts["dicom.echo_ok"] = status == pdu.STATUS_SUCCESS

    async def any_called(self, first: AssociationResult) -> None:
        result, assoc = await self.associate(
            self.titles.calling, random_ae("D"), (pdu.VERIFICATION,)
        )
        if assoc is not None:
            await assoc.release()
        if result.outcome is Outcome.ACCEPTED:
            self.facts["dicom.accepts_any_called_ae"] = True
        elif result.outcome is Outcome.REJECTED:
            # Our guess was refused: the service checks the called AE title (as far as we can
            # tell; a peer that rejected (a) too may be refusing our calling AE instead).
            self.facts["dicom.accepts_any_called_ae"] = False

    async def unknown_calling(self, first: AssociationResult) -> None:
        called_ok = first.outcome is Outcome.ACCEPTED or (
            self.facts.get("dicom.accepts_any_called_ae") is True
        )
        called = self.titles.called if called_ok or self.titles.called_known else random_ae("D")
        query = self.options.profile is Profile.STANDARD and self.options.allow_query
        syntaxes = (pdu.VERIFICATION, STUDY_ROOT_FIND) if query else (pdu.VERIFICATION,)
        result, assoc = await self.associate(random_ae("C"), called, syntaxes)
        if result.outcome is Outcome.ACCEPTED:
            self.facts["dicom.accepts_unknown_calling_ae"] = True
        elif result.outcome is Outcome.REJECTED and (
            (called_ok and self.titles.calling_known)
            or (first.outcome is Outcome.ACCEPTED and self.titles.called_known)
        ):
            # The same called AE was accepted for a known calling AE, so the random calling AE
            # is what the service refused.
            self.facts["dicom.accepts_unknown_calling_ae"] = False
        if assoc is None:
            return
        if query:
            await self._count(assoc, STUDY_ROOT_FIND in result.accepted_syntaxes)
        await assoc.release()

    async def _count(self, assoc: Association, negotiated: bool) -> None:
        if not negotiated:
            self.facts["dicom.anonymous_query"] = False
            return
        try:
            matches, capped, status = await assoc.count_studies(
                STUDY_ROOT_FIND, self.options.max_query_matches, 4 * self.options.read_timeout
            )
        except (OSError, TimeoutError, ConnectionError, pdu.PduError, EOFError):
            # Refused by abort (Orthanc does this for an unknown AE) or by silence.
            assoc.open = False
            self.facts["dicom.anonymous_query"] = False
            return
        answered = status in (pdu.STATUS_SUCCESS, pdu.CANCEL_STATUS) or matches > 0
        self.facts["dicom.anonymous_query"] = answered
        if answered:
            self.facts["dicom.study_count"] = matches
            self.facts["dicom.study_count_capped"] = capped


async def probe_dicom(target: Target, ctx: ProbeContext) -> ServiceResult:
    """Probe one DICOM (or DICOM TLS) port: see the module docstring for what is sent."""
    run = _Run(target, ctx)
    first = await run.first()
    if first.outcome is Outcome.REFUSED:
        return ServiceResult.closed(target)
    outcome = first.outcome.value
    run.facts["dicom.association_outcome"] = outcome
    if first.reason:
        run.facts["dicom.association_reason"] = first.reason[:200]
    if first.outcome not in (Outcome.ACCEPTED, Outcome.REJECTED):
        # Open, but no DICOM answer: record what happened and stop talking to it.
        protocol = ServiceProtocol.OTHER
        if first.speaks_http:  # a web server on a DICOM port (over TLS: an HTTPS one)
            protocol = ServiceProtocol.HTTPS if run.tls else ServiceProtocol.HTTP
        elif run.tls or first.outcome is Outcome.MALFORMED:
            protocol = ServiceProtocol.DICOM  # it speaks DICOM (or TLS), if badly
        if run.tls:
            run.facts.setdefault("service.tls", True)
        notes = tuple(run.notes)
        return ServiceResult(target, True, protocol, run.facts, notes, outcome=outcome)
    run.facts["service.tls"] = run.tls
    if first.outcome is Outcome.ACCEPTED and not run.titles.called_known:
        # The called AE title was a guess (like dicom-ping's ANY-SCP) and it was accepted.
        run.facts["dicom.accepts_any_called_ae"] = True
    if ctx.options.profile is not Profile.PING:
        await run.any_called(first)
        await run.unknown_calling(first)
    product: Product | None = None
    uid = run.facts.get("dicom.implementation_class_uid")
    version = run.facts.get("dicom.implementation_version", "")
    if isinstance(uid, str) and isinstance(version, str):
        product = fingerprint.identify(ctx.data.implementations, uid, version)
    if product is not None:
        run.facts["service.product"] = fingerprint.display_name(product)
        if product.version:
            run.facts["service.product_version"] = product.version
        if product.outdated is not None:
            run.facts["service.product_outdated"] = product.outdated
    notes = tuple(run.notes)
    return ServiceResult(
        target, True, ServiceProtocol.DICOM, run.facts, notes, product, outcome=outcome
    )
