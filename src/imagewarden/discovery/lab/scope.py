"""The scope file the demo (and the tests) use to discover the lab."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from imagewarden.discovery.lab.personas import DEFAULT_PERSONAS, HARDENED, Persona


def lab_scope(
    personas: tuple[Persona, ...] = DEFAULT_PERSONAS,
    *,
    profile: str = "safe",
    exclude: tuple[str, ...] = (),
    extra_hosts: tuple[str, ...] = (),
) -> dict[str, object]:
    """The scope (as data) that covers ``personas`` with their known titles."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    plain = sorted({p.port for p in personas if not p.tls})
    tls = sorted({p.port for p in personas if p.tls})
    known = [
        {
            "host": p.address,
            "port": p.port,
            "called_ae": p.ae_title,
            "calling_ae": p.allowed_calling[0],
        }
        for p in personas
        if p is HARDENED or p.allowed_calling
    ]
    return {
        "authorised_by": "ImageWarden demo lab (loopback only)",
        "site": "lab",
        "profile": profile,
        "window": {
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=2)).isoformat(),
        },
        "hosts": sorted({p.address for p in personas} | set(extra_hosts)),
        "exclude": list(exclude),
        "ports": {"dicom": plain, "dicom_tls": tls, "http": [], "https": [], "hl7": []},
        "dicom": {"services": known},
        "rate": {
            "global_per_second": 200,
            "per_host_per_second": 50,
            "hosts_in_parallel": 8,
            "connect_timeout": 1.0,
            "read_timeout": 1.0,
        },
    }


def write_lab_scope(path: Path, **kwargs: object) -> Path:
    """Write the lab's scope file to ``path``."""
    data = lab_scope(**kwargs)  # type: ignore[arg-type]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
