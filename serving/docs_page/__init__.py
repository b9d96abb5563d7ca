"""API docs behind a token, from local files: Swagger UI from the swagger-ui-bundle package.

`/openapi.json` answers only a valid bearer token. `/docs` is a static shell (no data): its
own script asks for the token, fetches the schema with it and starts Swagger UI, which
adds the token to the calls it makes. No script comes from elsewhere, so a token pasted
here is seen by no third party, and the docs work on an offline bureau network. With
DROPOUT_RISK_ENV=production there are no docs and no schema at all.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from serving.deps import CurrentUser

HERE = Path(__file__).resolve().parent
_SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dropout-risk API</title>
<link rel="stylesheet" href="/docs/ui/swagger-ui.css"></head>
<body><form id="signin"><label>Bearer token <input id="token" type="password"
 autocomplete="off" size="50"></label> <button>Open the API docs</button></form>
<div id="swagger-ui"></div>
<script src="/docs/ui/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script></body></html>"""


def mount_docs(app: FastAPI) -> None:
    """Add the token-gated schema and the local Swagger UI to `app`."""
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_who: CurrentUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_SHELL)

    @app.get("/docs/docs.js", include_in_schema=False)
    async def docs_js() -> FileResponse:
        return FileResponse(HERE / "docs.js", media_type="text/javascript")

    app.mount("/docs/ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
