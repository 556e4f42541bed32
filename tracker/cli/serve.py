"""``tracker serve``: the REST API, feeds, dashboard and Hub webhook endpoint (``tracker.api``) on uvicorn.

A Hub webhook call makes the API poll the lab now. The console script (``workers.cli``) installs
an enqueue factory with ``set_enqueue_factory`` so that, with a broker configured, the poll is a
Celery task; ``tracker`` itself never imports Celery, and without a factory the API polls in a
background thread of its own process (``tracker.api.webhooks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.app import app, handle_errors, load_context

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
    api = create_app(ctx.settings, enqueue_factory=_enqueue_factory)
    uvicorn.run(api, host=host, port=port, log_level=ctx.settings.log_level.lower())
