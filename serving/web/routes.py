"""The case workers' page: one server-rendered shell at `/` and `/students/{id}`.

The shell holds no student data: page.js signs in with the bearer token (kept in
sessionStorage) and calls the JSON API, so the API's scope rules are the page's rules.
The student path only tells the script which card to ask for.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from serving.outcomes import OUTCOMES
from serving.web.i18n import LANGS, pick, table

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "lang"
# Nothing from elsewhere, no inline script: the only scripts are under /static/.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def build_router() -> APIRouter:
    """The page's routes (left out of the OpenAPI schema: they are not the API)."""
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=HERE / "templates")
    i18n_json = json.dumps({lang: table(lang) for lang in LANGS}, ensure_ascii=False)

    def shell(request: Request) -> HTMLResponse:
        lang = pick(request.cookies.get(LANG_COOKIE))
        texts = table(lang)
        return templates.TemplateResponse(
            request,
            "page.html",
            {"lang": lang, "t": texts, "i18n_json": i18n_json, "outcomes": OUTCOMES},
            headers=HEADERS,
        )

    @router.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        """The watchlist (after sign-in)."""
        return shell(request)

    @router.get("/visit-list", response_class=HTMLResponse)
    def visit_list_page(request: Request) -> HTMLResponse:
        """The printable visit list (after sign-in)."""
        return shell(request)

    @router.get("/not-enrolled", response_class=HTMLResponse)
    def not_enrolled_page(request: Request) -> HTMLResponse:
        """School-age children in no school's register: a list to visit (after sign-in)."""
        return shell(request)

    @router.get("/effects", response_class=HTMLResponse)
    def effects_page(request: Request) -> HTMLResponse:
        """Did the visits work? The latest estimate in plain words (after sign-in)."""
        return shell(request)

    @router.get("/students/{student_id}", response_class=HTMLResponse)
    def student_page(request: Request, student_id: str) -> HTMLResponse:
        """A student's card; the same shell for every id, so the path reveals nothing."""
        return shell(request)

    @router.get("/cases", response_class=HTMLResponse)
    @router.get("/cases/{rest:path}", response_class=HTMLResponse)
    def cases_page(request: Request, rest: str = "") -> HTMLResponse:
        """The cases tab: case list, case card, monitoring (one shell; the path picks the view)."""
        return templates.TemplateResponse(request, "cases.html", {}, headers=HEADERS)

    return router


def mount_page(app: FastAPI) -> None:
    """Serve the page and its static files from the app."""
    app.include_router(build_router())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
