"""Helpers for discovery tests: scopes written as dicts, discovery run in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from imagewarden.discovery import api
from imagewarden.discovery.batch import DiscoveryBatch
from imagewarden.discovery.catalog_data import shipped_data
from imagewarden.discovery.interface import Profile, ServiceResult
from imagewarden.discovery.scheduler import run_discovery
from imagewarden.discovery.scope import Scope, parse_scope


def make_scope(**overrides: Any) -> Scope:
    now = dt.datetime.now(dt.UTC)
    data: dict[str, Any] = {
        "authorised_by": "test suite",
        "window": {
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=1)).isoformat(),
        },
        "ports": {"dicom": [11112], "dicom_tls": [], "http": [], "https": [], "hl7": []},
        "rate": {
            "global_per_second": 500,
            "per_host_per_second": 100,
            "connect_timeout": 1,
            "read_timeout": 1,
        },
    }
    data.update(overrides)
    return parse_scope(yaml.safe_dump(data), "test-scope.yaml")


def discover(scope: Scope, profile: Profile = Profile.SAFE, **options: Any) -> list[ServiceResult]:
    return run_discovery(scope, scope.targets(), scope.options(profile, **options))


def collect(scope: Scope, profile: Profile = Profile.SAFE, **options: Any) -> DiscoveryBatch:
    """The application API's collect step, with the shipped catalog's discovery data."""
    return api.collect(scope, api.probe_options(scope, profile, **options), shipped_data())


@pytest.fixture(scope="session")
def net(worker_id: str) -> Callable[[int], str]:
    """A loopback /24 per test module and xdist worker, so parallel runs never share a port.

    ``net(3)`` is '127.20.3' on the first worker, '127.21.3' on the second, ...
    """
    index = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    return lambda module: f"127.{20 + index}.{module}"
