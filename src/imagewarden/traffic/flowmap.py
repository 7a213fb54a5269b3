"""The flow map: zones as panels in three columns, hosts as boxes, observed flows as arrows.

Sources of imaging traffic (modalities, reading workstations, vendor access) stand on the
left, the archives and AI in the middle, the enterprise and the internet on the right, so
most arrows run between neighbouring columns. This module only computes the layout (numbers
and short strings, JSON-ready); the template ``traffic/flowmap.svg.j2`` draws it with
autoescaping, so a host name or AE title from a capture is always text. Nothing is told by
colour alone: clear-text flows are also thicker, flows the plan would block are dashed,
every arrow has a tooltip, and the policy table under the map lists every flow. Host names
are wrapped onto more lines (the box grows), never cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagewarden.traffic.segmentation.policy import Endpoint, SegmentationPlan
from imagewarden.traffic.segmentation.zones import Zone

COLUMNS = (
    (Zone.MODALITY, Zone.READING, Zone.VENDOR_ACCESS),
    (Zone.ARCHIVE, Zone.AI),
    (Zone.ENTERPRISE, Zone.INTERNET),
)
MAX_HOSTS_PER_ZONE = 10
MAX_EDGES = 80
BOX_W = 170
BOX_H = 32
"""A box with one line of name and its address; each further line of name adds LINE."""
LINE = 12
LINE_CHARS = 24
"""Characters of an 11 px label that fit in a box, with room to spare."""
MAX_NAME_LINES = 4
GAP = 8
COLUMN_GAP = 170
LEFT = 20
TOP = 16
HEADER = 26
ZONE_GAP = 18
ENCRYPTED = {"dicom-tls", "dicomweb-tls", "https", "tls", "ssh", "ldaps", "winrm-tls"}
CLEAR_TEXT = {"dicom", "dicomweb", "hl7", "http", "telnet", "ftp", "vnc"}


@dataclass(frozen=True, slots=True)
class _Box:
    column: int
    x: int
    y: int
    height: int = BOX_H


def wrap(text: str, width: int = LINE_CHARS, max_lines: int = MAX_NAME_LINES) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a longer word
    is split); nothing is dropped unless it needs more than ``max_lines`` lines."""
    lines: list[str] = []
    for word in text.split():
        while len(word) > width:
            lines.append(word[:width])
            word = word[width:]
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[:max_lines] or [""]


def _kind(service: str) -> str:
    if service in ENCRYPTED:
        return "encrypted"
    if service in CLEAR_TEXT:
        return "clear"
    return "other"


def _host(endpoint: Endpoint, x: int, y: int) -> dict[str, object]:
    stranger = not endpoint.managed and endpoint.zone is not Zone.INTERNET
    name = endpoint.name if endpoint.managed or not endpoint.name else endpoint.address
    lines = wrap((name or endpoint.address) + (" (?)" if stranger else ""))
    return {
        "x": x,
        "y": y,
        "lines": [{"text": line, "y": y + 13 + LINE * i} for i, line in enumerate(lines)],
        "height": BOX_H + LINE * (len(lines) - 1),
        "address": endpoint.address if endpoint.managed else "",
        "address_y": y + 26 + LINE * (len(lines) - 1),
        "title": f"{endpoint.label} ({endpoint.address})"
        + (": not in the managed inventory" if stranger else ""),
        "unmanaged": stranger,
    }


def layout(plan: SegmentationPlan, map_id: str) -> dict[str, object]:
    """Panels, boxes and edge paths of ``plan``'s flow map (JSON-ready)."""
    boxes: dict[str, _Box] = {}
    panels = []
    heights = []
    for column, zones in enumerate(COLUMNS):
        x = LEFT + column * (BOX_W + COLUMN_GAP)
        y = TOP
        for zone in zones:
            members = list(plan.zones.get(zone, ()))
            if not members:
                continue
            shown, hidden = members[:MAX_HOSTS_PER_ZONE], members[MAX_HOSTS_PER_ZONE:]
            hosts = []
            row_y = y + HEADER
            for endpoint in shown:
                host = _host(endpoint, x, row_y)
                height = int(str(host["height"]))
                boxes[endpoint.address] = _Box(column, x, row_y, height)
                hosts.append(host)
                row_y += height + GAP
            if hidden:
                for endpoint in hidden:
                    boxes[endpoint.address] = _Box(column, x, row_y)
                hosts.append(
                    {
                        "x": x,
                        "y": row_y,
                        "lines": [{"text": f"+{len(hidden)} more hosts", "y": row_y + 13}],
                        "height": BOX_H,
                        "address": "",
                        "address_y": row_y + 26,
                        "title": ", ".join(e.label for e in hidden[:40]),
                        "unmanaged": False,
                    }
                )
                row_y += BOX_H + GAP
            panels.append(
                {
                    "x": x - 8,
                    "y": y,
                    "width": BOX_W + 16,
                    "height": row_y - y,
                    "label": zone.label,
                    "hosts": hosts,
                }
            )
            y = row_y + ZONE_GAP
        heights.append(y)
    flows = [(r.source, r.destination, r.port, r.service, r.connections, False) for r in plan.allow]
    flows += [
        (b.source, b.destination, b.port, b.service, b.connections, True) for b in plan.blocked
    ]
    flows.sort(key=lambda f: -f[4])
    edges = []
    ports: dict[tuple[str, str], int] = {}

    def spread(box: _Box, address: str, side: str) -> int:
        """A different height on the box's side for each arrow that meets it."""
        index = ports.get((address, side), 0)
        ports[(address, side)] = index + 1
        offsets = (0, -7, 7, -12, 12, -3, 3, -10, 10)
        return box.y + box.height // 2 + offsets[index % len(offsets)]

    for source, destination, port, service, connections, blocked in flows[:MAX_EDGES]:
        a, b = boxes.get(source.address), boxes.get(destination.address)
        if a is None or b is None or a == b:
            continue
        kind = _kind(service)
        wording = "clear text" if kind == "clear" else kind
        a_side, b_side = _sides(a, b)
        ay = spread(a, source.address, a_side)
        by = spread(b, destination.address, b_side)
        edges.append(
            {
                "d": _path(a, b, ay, by),
                "kind": kind,
                "blocked": blocked,
                "width": 3 if kind == "clear" else 2,
                "title": f"{source.label} to {destination.label} port {port} ({service}, "
                f"{wording}; {connections} connections)"
                + ("; would be blocked" if blocked else ""),
            }
        )
    height = max(heights, default=TOP) + 40
    width = LEFT * 2 + len(COLUMNS) * BOX_W + (len(COLUMNS) - 1) * COLUMN_GAP + 40
    return {
        "id": map_id,
        "width": width,
        "height": height,
        "panels": panels,
        "edges": edges,
        "legend_y": height - 26,
        "box_w": BOX_W,
        "box_h": BOX_H,
        "hidden_edges": max(0, len(flows) - MAX_EDGES),
        "description": "; ".join(str(e["title"]) for e in edges[:40]),
    }


def _sides(a: _Box, b: _Box) -> tuple[str, str]:
    """Which side of each box an arrow between them leaves or meets."""
    if a.column == b.column:
        return "right", "right"
    return ("right", "left") if a.column < b.column else ("left", "right")


def _path(a: _Box, b: _Box, ay: int, by: int) -> str:
    """A curve from box ``a`` to box ``b``; a loop outside the column when they share it."""
    if a.column == b.column:
        x = a.x + BOX_W
        bend = x + 34
        return f"M{x},{ay} C{bend},{ay} {bend},{by} {x + 2},{by}"
    if a.column < b.column:
        x1, x2 = a.x + BOX_W, b.x - 2
    else:
        x1, x2 = a.x, b.x + BOX_W + 2
    middle = (x1 + x2) // 2
    return f"M{x1},{ay} C{middle},{ay} {middle},{by} {x2},{by}"
