"""``/docs``: Swagger UI from assets installed with tracker (the ``swagger-ui-bundle`` package).

FastAPI's default page loads Swagger UI from a CDN, so ``/docs`` is blank offline or behind a
strict firewall. The same page is served here with its JavaScript and CSS under
``/docs-assets/``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def mount(app: FastAPI) -> None:
    """Add ``GET /docs`` and the static Swagger UI assets to ``app``.

    Raises:
        ImportError: ``swagger-ui-bundle`` is not installed (it is a dependency of tracker).
    """
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
