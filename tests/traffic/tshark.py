"""tshark's own dissection of a capture, reduced to the facts ImageWarden extracts.

tshark runs only with ``-T fields`` on fields that carry no patient data: addresses and
ports, PDU types, AE titles, reject results, and the Info column, which for DICOM holds only
PDU and command names, message ids and statuses (data set values are never put there with
the default preferences; the tests check that the synthetic patient's name is absent).
Never ``-V``: its tree prints data set elements, names included.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

FIELDS = (
    "tcp.stream",
    "ip.src",
    "tcp.srcport",
    "ip.dst",
    "tcp.dstport",
    "dicom.pdu.type",
    "dicom.assoc.ae.calling",
    "dicom.assoc.ae.called",
    "_ws.col.Info",
    "dicom.pdv.flags",
)
Key = tuple[str, str, int, str, str]
_COMMAND = re.compile(r"\b(C-[A-Z]+|N-[A-Z-]+?)-(RQ|RSP)\b(?!-DATA)")


def available() -> bool:
    """tshark is installed."""
    return shutil.which("tshark") is not None


def fields(capture: Path, dicom_ports: Iterable[int]) -> list[list[str]]:
    """One row of ``FIELDS`` per DICOM packet (``-d tcp.port==P,dicom`` for each port)."""
    argv = ["tshark", "-n", "-r", str(capture)]
    for port in sorted(set(dicom_ports)):
        argv += ["-d", f"tcp.port=={port},dicom"]
    argv += ["-Y", "dicom", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
    for name in FIELDS:
        argv += ["-e", name]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    return [line.split("|") for line in done.stdout.splitlines() if line]


def dicom_facts(rows: Sequence[Sequence[str]]) -> dict[Key, dict[str, object]]:
    """Per (client, server, server port, calling AE, called AE): answers, requests, responses.

    A stream's client is the side that sent the A-ASSOCIATE-RQ. Responses are counted in
    total per operation and as "final success" (tshark prints a status only on the final
    response of a C-FIND or C-MOVE).
    """
    streams: dict[str, dict[str, object]] = {}
    events: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    commands: Counter[tuple[str, str]] = Counter()
    for row in rows:
        stream, src, _sport, dst, dport, pdu, calling, called, info = row[:9]
        # a command PDV that ends its message: one DIMSE message, counted even where the Info
        # column names several responses sharing one packet only once
        commands[(stream, src)] += sum(
            1 for flag in row[9:10] for f in flag.split(",") if f == "0x03"
        )
        if "0x01" in pdu.split(","):
            streams[stream] = {
                "key": (src, dst, int(dport), calling.strip(), called.strip()),
                "client": src,
                "answer": "no-answer",
            }
        events[stream].append((src, pdu, info))
    facts: dict[Key, dict[str, object]] = {}
    for stream, info in streams.items():
        client = info["client"]
        answers: Counter[str] = Counter()
        requests: Counter[str] = Counter()
        responses: Counter[str] = Counter()
        answer = "no-answer"
        server_requests = 0
        for src, pdu, text in events[stream]:
            types = pdu.split(",")
            if "0x02" in types:
                answer = "accepted"
            elif "0x03" in types:
                answer = "rejected"
            for match in _COMMAND.finditer(text):
                op, kind = match.group(1), match.group(2)
                if kind == "RQ" and src == client:
                    requests[op] += 1
                elif kind == "RQ":
                    server_requests += 1  # C-GET's sub-operations, on the same association
                elif kind == "RSP":
                    responses[f"{op} total"] += 1
            responses["final success"] += text.count("(Success)")
        answers[answer] += 1
        server_messages = commands[(stream, str(info["key"][1]))] - server_requests  # type: ignore[index]
        if len(requests) == 1:  # one operation: every other server message is one of its answers
            total = f"{next(iter(requests))} total"
            responses[total] = max(responses[total], server_messages)
        key: Key = info["key"]  # type: ignore[assignment]
        entry = facts.setdefault(
            key, {"associations": Counter(), "requests": Counter(), "responses": Counter()}
        )
        entry["associations"].update(answers)  # type: ignore[attr-defined]
        entry["requests"].update(requests)  # type: ignore[attr-defined]
        entry["responses"].update(responses)  # type: ignore[attr-defined]
    return facts


def tls_hellos(capture: Path) -> list[tuple[str, str, str, str]]:
    """(stream, handshake type, supported versions, cipher suites) of every TLS hello."""
    argv = [
        "tshark", "-n", "-r", str(capture), "-Y", "tls.handshake.type==1 || tls.handshake.type==2",
        "-T", "fields", "-E", "separator=|", "-e", "tcp.stream", "-e", "tls.handshake.type",
        "-e", "tls.handshake.extensions.supported_version", "-e", "tls.handshake.ciphersuite",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    rows = [line.split("|") for line in done.stdout.splitlines() if line]
    return [(r[0], r[1], r[2], r[3]) for r in rows]
