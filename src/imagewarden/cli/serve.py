"""``imagewarden serve``: the shared web workspace on this database."""

from __future__ import annotations

from typing import Annotated

import typer

from imagewarden.cli.state import err, state


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on (behind a reverse proxy: 127.0.0.1).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8400,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of a reverse proxy whose X-Forwarded-Proto/-For headers are "
            "believed (repeat for several). Without it, those headers are ignored.",
        ),
    ] = None,
) -> None:
    """Serve the web workspace and its JSON API (/api/v1) until interrupted."""
    from imagewarden.web.app import WebSettings
    from imagewarden.web.oidc import OidcSettings
    from imagewarden.web.server import ServerOptions, run

    cli = state(ctx)
    options = ServerOptions(host=host, port=port, trusted_proxies=tuple(trusted_proxy or ()))
    sso = OidcSettings.from_environment()  # a wrong setting is exit 2 before listening
    err.print(f"ImageWarden workspace on http://{host}:{port}/ (Ctrl-C to stop)")
    if sso is not None:
        err.print(f"single sign-on through {sso.issuer}")
    run(lambda: cli.workspace(), options, WebSettings(oidc=sso))
