"""Running the workspace under uvicorn (``imagewarden serve``, ``demo --serve``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imagewarden.app.workspace import Workspace
from imagewarden.web.app import WebSettings, create_app


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """Where to listen, and which reverse proxies to believe."""

    host: str = "127.0.0.1"
    port: int = 8400
    trusted_proxies: tuple[str, ...] = ()
    """Addresses whose X-Forwarded-Proto and X-Forwarded-For are believed; none by default,
    so a client cannot claim HTTPS or another address by sending the headers itself."""
    log_level: str = "warning"


def server(
    open_workspace: Callable[[], Workspace],
    options: ServerOptions,
    settings: WebSettings | None = None,
) -> object:
    """A uvicorn ``Server`` for the workspace (not started)."""
    import uvicorn

    config = uvicorn.Config(
        create_app(open_workspace, settings),
        host=options.host,
        port=options.port,
        proxy_headers=bool(options.trusted_proxies),
        forwarded_allow_ips=list(options.trusted_proxies) or None,
        server_header=False,
        date_header=False,
        log_level=options.log_level,
        access_log=False,
    )
    return uvicorn.Server(config)


def run(
    open_workspace: Callable[[], Workspace],
    options: ServerOptions,
    settings: WebSettings | None = None,
) -> None:
    """Serve until interrupted."""
    import uvicorn

    instance = server(open_workspace, options, settings)
    assert isinstance(instance, uvicorn.Server)
    instance.run()
