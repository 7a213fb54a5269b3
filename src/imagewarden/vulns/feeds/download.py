"""``feeds update``: fetch the public feeds when the network allows.

Hospitals are often offline: every failure to connect ends with one clear message that says
how to import the same files by hand. Downloads go to a temporary file first, so a broken
transfer never leaves a partial feed behind.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from imagewarden.model import UserInputError

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
NVD_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
_MAX_BYTES = 2_000_000_000


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str
    file: str


def default_sources(today: dt.date, nvd_days: int = 7) -> list[Source]:
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


def _offline(source: Source, reason: str) -> UserInputError:
    host = urlsplit(source.url).netloc
    return UserInputError(
        f"cannot download {source.name} from {host}: {reason}",
        hint="offline? download the feed files on a connected machine and run "
        "'imagewarden feeds import PATH...'",
    )


def download(source: Source, folder: Path, timeout: float = 10.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.file
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".download-")
    temp = Path(temp_name)
    try:
        with (
            os.fdopen(handle, "wb") as out,
            httpx.stream("GET", source.url, timeout=timeout, follow_redirects=True) as response,
        ):
            if response.status_code != 200:
                raise _offline(source, f"HTTP {response.status_code}")
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > _MAX_BYTES:
                    raise _offline(source, "response larger than 2 GB")
                out.write(chunk)
        temp.replace(target)
        return target
    except httpx.TimeoutException:
        raise _offline(source, f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise _offline(source, str(exc) or type(exc).__name__) from None
    finally:
        temp.unlink(missing_ok=True)
