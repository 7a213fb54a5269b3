"""The plan as text a network team can review and apply: YAML, nftables, Cisco-style ACL.

AE titles, asset names and server names come from captures and inventories, that is from
outside: in nftables and ACL text they only appear inside comments and remarks, reduced to
a safe set of characters and cut to the length those formats allow, so a crafted AE title can
never end a comment and add a rule. YAML is written by the YAML library, which quotes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import yaml

from imagewarden.traffic.segmentation.policy import Endpoint, Review, Rule, SegmentationPlan

PLAN_FORMAT = "imagewarden-segmentation/1"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/>+(),-]")
NFT_COMMENT_MAX = 120
CISCO_REMARK_MAX = 100


class PlanFormat(StrEnum):
    """The export formats of ``segmentation plan``."""

    YAML = "yaml"
    NFTABLES = "nftables"
    CISCO = "cisco"


def safe_text(text: str, limit: int) -> str:
    """``text`` reduced to letters, digits, spaces and ``._:/>+(),-``, at most ``limit`` long."""
    return _UNSAFE.sub("?", text)[:limit].strip()


def _when(seconds: float) -> str | None:
    if not seconds:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _end(endpoint: Endpoint) -> dict[str, Any]:
    data: dict[str, Any] = {"zone": endpoint.zone.value, "address": endpoint.address}
    if endpoint.asset_id:
        data["asset"] = endpoint.asset_id
        data["name"] = endpoint.name
    return data


def _titles(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"calling": calling, "called": called} for calling, called in pairs]


def _rule(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id,
        "from": _end(rule.source),
        "to": _end(rule.destination),
        "protocol": "tcp",
        "port": rule.port,
        "service": rule.service,
    }
    if rule.ae_titles:
        data["ae_titles"] = _titles(rule.ae_titles)
    observed: dict[str, Any] = {"connections": rule.connections}
    if rule.operations:
        observed["operations"] = dict(rule.operations)
    if rule.last_seen:
        observed["last_seen"] = _when(rule.last_seen)
    data["observed"] = observed
    return data


def _review(review: Review) -> dict[str, Any]:
    data: dict[str, Any] = {
        "from": _end(review.source),
        "to": _end(review.destination),
        "protocol": "tcp",
        "port": review.port,
        "service": review.service,
        "reasons": list(review.reasons),
    }
    if review.ae_titles:
        data["ae_titles"] = _titles(review.ae_titles)
    data["observed"] = {"connections": review.connections, "last_seen": _when(review.last_seen)}
    return data


def plan_data(plan: SegmentationPlan) -> dict[str, Any]:
    """The plan as plain data (the YAML export, and JSON for other tools)."""
    return {
        "format": PLAN_FORMAT,
        "site": plan.site_id,
        "generated_at": plan.generated_at,
        "default": "deny: traffic to or from the protected zones that no rule allows",
        "protected_zones": [z.value for z in plan.zones if z.protected],
        "zones": {
            zone.value: [_end(e) for e in members]
            for zone, members in plan.zones.items()
            if members
        },
        "allow": [_rule(r) for r in plan.allow],
        "would_block": [_review(r) for r in plan.blocked],
    }


def to_yaml(plan: SegmentationPlan) -> str:
    """The plan as YAML (review it, keep it in version control)."""
    header = (
        f"# ImageWarden segmentation plan{_for_site(plan)}, generated {plan.generated_at}.\n"
        "# Rules come from observed traffic: review 'would_block' before enforcing.\n"
    )
    return header + yaml.safe_dump(plan_data(plan), sort_keys=False, allow_unicode=False, width=100)


def _for_site(plan: SegmentationPlan) -> str:
    return f" for site {safe_text(plan.site_id, 64)}" if plan.site_id else ""


def _version(address: str) -> int:
    return ipaddress.ip_address(address).version


def _comment(rule: Rule) -> str:
    titles = " ".join(f"{c}>{d}" for c, d in rule.ae_titles[:3])
    text = f"{rule.id} {rule.service} {rule.source.label} to {rule.destination.label} {titles}"
    return safe_text(text, NFT_COMMENT_MAX)


def _sorted_addresses(endpoints: Iterable[Endpoint], version: int) -> list[str]:
    found = {e.address for e in endpoints if _version(e.address) == version}
    return sorted(found, key=lambda a: int(ipaddress.ip_address(a)))


def to_nftables(plan: SegmentationPlan) -> str:
    """The plan as an nftables ruleset (``nft -f``) in its own table, for a forwarding host."""
    lines = [
        "#!/usr/sbin/nft -f",
        f"# ImageWarden segmentation plan{_for_site(plan)}, generated {plan.generated_at}.",
        "# Rules come from observed traffic. Review the flows listed as 'would be blocked'",
        "# and watch the drop counters in a test window before relying on this ruleset.",
        "# AE titles cannot be matched here: configure them on the archive's peer list.",
        "",
        "table inet imagewarden_imaging",
        "delete table inet imagewarden_imaging",
        "",
        "table inet imagewarden_imaging {",
    ]
    sets = []
    for version, kind in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        members = _sorted_addresses(plan.protected_hosts, version)
        if members:
            name = f"protected_v{version}"
            sets.append((version, name))
            lines += [
                f"    set {name} {{",
                f"        type {kind}",
                "        elements = { " + ", ".join(members) + " }",
                "    }",
                "",
            ]
    lines += [
        "    chain forward {",
        "        type filter hook forward priority 0; policy accept;",
        "        ct state established,related accept",
    ]
    for rule in plan.allow:
        family = "ip" if _version(rule.source.address) == 4 else "ip6"
        lines.append(
            f"        {family} saddr {rule.source.address} {family} daddr "
            f"{rule.destination.address} tcp dport {rule.port} accept "
            f'comment "{_comment(rule)}"'
        )
    for review in plan.blocked:
        text = (
            f"would be blocked: {review.source.label} to {review.destination.label} "
            f"port {review.port} ({review.service}): {', '.join(review.reasons)}"
        )
        lines.append("        # " + safe_text(text, 200))
    for version, name in sets:
        family = "ip" if version == 4 else "ip6"
        lines += [
            f'        {family} daddr @{name} counter drop comment "imaging zones: not allowed"',
            f'        {family} saddr @{name} counter drop comment "imaging zones: not allowed"',
        ]
    lines += ["    }", "}", ""]
    return "\n".join(lines)


def _host(address: str) -> str:
    return f"host {address}"


def to_cisco(plan: SegmentationPlan) -> str:
    """The plan as Cisco IOS-style extended access lists (IPv4, and IPv6 when needed)."""
    out = [
        f"! ImageWarden segmentation plan{_for_site(plan)}, generated {plan.generated_at}.",
        "! Rules come from observed traffic; review the flows that would be blocked first.",
        "! AE titles cannot be matched by an access list: they are noted in remarks.",
    ]
    for version, header in (
        (4, "ip access-list extended IMAGEWARDEN-IMAGING"),
        (6, "ipv6 access-list IMAGEWARDEN-IMAGING-V6"),
    ):
        rules = [r for r in plan.allow if _version(r.source.address) == version]
        protected = _sorted_addresses(plan.protected_hosts, version)
        if not rules and not protected:
            continue
        out.append(header)
        for rule in rules:
            out.append(" remark " + safe_text(_comment(rule), CISCO_REMARK_MAX))
            src, dst = _host(rule.source.address), _host(rule.destination.address)
            out.append(f" permit tcp {src} {dst} eq {rule.port}")
            out.append(f" permit tcp {dst} eq {rule.port} {src} established")
        for review in plan.blocked:
            if _version(review.source.address) != version:
                continue
            text = (
                f"would be blocked: {review.source.label} to {review.destination.label} "
                f"port {review.port}: {review.reasons[0]}"
            )
            out.append(" remark " + safe_text(text, CISCO_REMARK_MAX))
        keyword = "ip" if version == 4 else "ipv6"
        if protected:
            out.append(" remark everything else to or from the imaging zones")
        for address in protected:
            out.append(f" deny {keyword} any {_host(address)} log")
            out.append(f" deny {keyword} {_host(address)} any log")
        out.append(f" permit {keyword} any any")
        out.append("!")
    return "\n".join(out) + "\n"


def render_plan(plan: SegmentationPlan, fmt: PlanFormat) -> str:
    """The plan in ``fmt``."""
    if fmt is PlanFormat.NFTABLES:
        return to_nftables(plan)
    if fmt is PlanFormat.CISCO:
        return to_cisco(plan)
    return to_yaml(plan)
