"""``feeds update``: fetch the public feeds (or a hospital's mirror of them) when the network
allows.

Hospitals are often offline: every failure to connect ends with one clear message that says
how to import the same files by hand. Downloads go to a temporary file first, so a broken
transfer never leaves a partial feed behind. A mirror address may carry a user and password
(``https://user:secret@mirror.example/feeds/``); they are sent as HTTP basic authentication
and never shown in a message or a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from imagewarden.model import InfrastructureError, Location, UserInputError
from imagewarden.store import mask_credentials

log = logging.getLogger(__name__)

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
NVD_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_DOWNLOAD_BYTES = 2_000_000_000
"""A response larger than this is refused (the full EPSS file is about 10 MB gzipped)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One feed to download: a name for people, its address and the file name to save."""

    name: str
    url: str
    file: str


def default_sources(today: dt.date, nvd_days: int = 7) -> list[Source]:
    """KEV, EPSS and the NVD changes of the last ``nvd_days`` days, from their publishers."""
    start = (today - dt.timedelta(days=nvd_days)).isoformat()
    end = today.isoformat()
    nvd = (
        f"{NVD_URL}?lastModStartDate={start}T00:00:00.000Z"
        f"&lastModEndDate={end}T23:59:59.999Z&resultsPerPage=2000"
    )
    return [
        Source("CISA KEV", KEV_URL, "known_exploited_vulnerabilities.json"),
        Source("FIRST EPSS", EPSS_URL, "epss_scores-current.csv.gz"),
        Source("NVD (changes of the last week)", nvd, "nvd-recent.json"),
    ]


def mirrored(sources: Sequence[Source], mirror: str) -> list[Source]:
    """The same feeds from a mirror: each file by its name under the mirror's address."""
    try:
        parts = urlsplit(mirror)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise UserInputError(
            f"the mirror address {mask_credentials(mirror)[:80]!r} is not an http(s) URL",
            hint="--mirror https://host/path/",
        )
    base = mirror if mirror.endswith("/") else mirror + "/"
    return [Source(s.name, base + s.file, s.file) for s in sources]


def shown(url: str) -> str:
    """The address as it may be shown or logged: user and password hidden."""
    return mask_credentials(url)


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an invalid address"
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def _without_credentials(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """The address without its user and password, and those as basic authentication, so
    the HTTP client (its errors, logs and redirects) never holds them in an address."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return bare, httpx.BasicAuth(unquote(user), unquote(password))


def _offline(source: Source, reason: str) -> UserInputError:
    return UserInputError(
        f"cannot download {source.name} from {_host(source.url)}: {mask_credentials(reason)}",
        hint="offline? download the feed files on a connected machine and run "
        "'imagewarden feeds import PATH...'",
    )


def download(source: Source, folder: Path, timeout: float = 10.0) -> Path:
    """Fetch one feed into ``folder`` (replacing an earlier copy only when complete)."""
    try:
        url, auth = _without_credentials(source.url)
    except ValueError:
        raise _offline(source, "not a valid address") from None
    target = folder / source.file
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".download-")
    except OSError as exc:
        raise UserInputError(
            f"cannot write downloads here: {exc.strerror}", Location(str(folder)), hint="--dest"
        ) from None
    temp = Path(temp_name)
    log.info("downloading %s from %s", source.name, shown(source.url))
    try:
        with (
            os.fdopen(handle, "wb") as out,
            httpx.stream("GET", url, auth=auth, timeout=timeout, follow_redirects=True) as response,
        ):
            if response.status_code != 200:
                raise _offline(source, f"HTTP {response.status_code}")
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise _offline(source, "response larger than 2 GB")
                out.write(chunk)
        temp.replace(target)
        log.info("downloaded %s: %d bytes into %s", source.name, size, target)
        return target
    except httpx.TimeoutException:
        raise _offline(source, f"no answer within {timeout:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _offline(source, str(exc) or type(exc).__name__) from None
    except OSError as exc:  # writing the download: a full or read-only disk
        raise InfrastructureError(f"cannot write {temp}: {exc.strerror}") from None
    finally:
        temp.unlink(missing_ok=True)
