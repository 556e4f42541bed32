"""``/docs``: Swagger UI from assets installed with tracker (the ``swagger-ui-py`` package, whose
Swagger UI 5 renders FastAPI's OpenAPI 3.1; ``swagger-ui-bundle``'s 4.x cannot).

FastAPI's default page loads Swagger UI from a CDN, so ``/docs`` is blank offline or behind a
strict firewall. The same page is served here with its JavaScript and CSS under
``/docs-assets/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def mount(app: FastAPI) -> None:
    """Add ``GET /docs`` and the static Swagger UI assets to ``app``.

    Raises:
        ImportError: ``swagger-ui-py`` is not installed (it is a dependency of tracker).
    """
    import swagger_ui

    static = Path(swagger_ui.__file__).parent / "static"
    app.mount(ASSETS, StaticFiles(directory=static), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
