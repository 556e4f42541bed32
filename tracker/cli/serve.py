"""``tracker serve``: the REST API, feeds, dashboard and Hub webhook endpoint (``tracker.api``) on uvicorn.

A Hub webhook call makes the API poll the lab now. The console script (``workers.cli``) installs
an enqueue factory with ``set_enqueue_factory`` so that, with a broker configured, the poll is a
Celery task; ``tracker`` itself never imports Celery, and without a factory the API polls in a
background thread of its own process (``tracker.api.webhooks``).
"""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.app import app, err_console, handle_errors, load_context
from tracker.errors import ConfigError

if TYPE_CHECKING:
    from tracker.api.webhooks import EnqueueFactory

_enqueue_factory: EnqueueFactory | None = None


def set_enqueue_factory(factory: EnqueueFactory | None) -> None:
    """Install the factory ``tracker serve`` hands to ``create_app`` for Hub webhook polls.

    Args:
        factory (callable, optional): ``factory(settings) -> enqueue_poll(source, lab_slug) | None``;
            None (or a factory returning None) means the API polls in its own process.
    """
    global _enqueue_factory
    _enqueue_factory = factory


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
) -> None:
    """Serve the REST API, feeds, dashboard and the Hugging Face webhook endpoint (uvicorn)."""
    # uvicorn, FastAPI and every router (~0.7 s): only this command pays for them.
    import uvicorn

    from tracker.api import create_app

    ctx = load_context()
    sock = listening_socket(host, port)  # before the app starts: a taken port is one line, not a log
    api = create_app(ctx.settings, enqueue_factory=_enqueue_factory)
    config = uvicorn.Config(api, host=host, port=port, log_level=ctx.settings.log_level.lower())
    shown = f"[{host}]" if ":" in host else host
    err_console.print(f"serving http://{shown}:{port}/ (dashboard; API docs at /docs); Ctrl-C stops", highlight=False)
    uvicorn.Server(config).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` and listening (IPv4 or IPv6, as ``host`` resolves).

    Raises:
        ConfigError: the host does not resolve, the port is taken, or binding is not allowed
            (a port below 1024 without privileges), naming the address and what to change.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host!r} is not an address of this machine: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart binds at once, as uvicorn does
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        hint = "another process listens there: stop it or pick another --port"
        if exc.errno != errno.EADDRINUSE:
            hint = "pick another --host or --port (ports below 1024 need privileges)"
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; {hint}") from None
    return sock
