"""The JSON answers every replay hub endpoint shares (Hub-style errors, non-ASCII kept as is)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response

__all__ = ["error_response", "json_response"]


def error_response(status: int, message: str) -> JSONResponse:
    """Return ``{"error": message}`` with HTTP ``status``, as the Hub answers errors."""
    return JSONResponse({"error": message}, status_code=status)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return ``data`` as JSON (UTF-8, non-ASCII unescaped, as the Hub sends it)."""
    return Response(
        json.dumps(data, ensure_ascii=False), status_code=status, headers=headers, media_type="application/json"
    )
