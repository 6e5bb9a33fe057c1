"""The web chat page and its assets (explicit files of `api/web/` only, no directory access), and
the offline API documentation: Swagger UI from the `fastapi-offline` package's files when it is
installed, else a self-contained reference page rendered from the OpenAPI document."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..errors import ApiError, one_line
from ..web import apidocs

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
WEB_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
             "admin.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
DOCS_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer"}


def web_file(name: str) -> Response:
    media = WEB_FILES.get(name)
    path = WEB_DIR / name
    if media is None or not path.is_file():
        raise ApiError(404, "not_found", f"未找到 / not found: {one_line(name, 80)}")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if name.endswith(".html"):
        headers.update({"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY",
                        "Referrer-Policy": "no-referrer"})
    return FileResponse(path, media_type=media, headers=headers)


@router.api_route("/", methods=["GET", "HEAD"])
def index_page() -> Response:
    return web_file("index.html")


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
def static_file(name: str) -> Response:
    return web_file(name)


@router.api_route("/docs", methods=["GET", "HEAD"])
def docs_page(request: Request) -> Response:
    app = request.app
    if request.app.state.docs_assets is None:
        return HTMLResponse(apidocs.reference_html(app.openapi()),
                            headers={**DOCS_HEADERS, "Content-Security-Policy": apidocs.REFERENCE_CSP})
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} — API",
                               swagger_js_url=apidocs.ASSET_PREFIX + "swagger-ui-bundle.js",
                               swagger_css_url=apidocs.ASSET_PREFIX + "swagger-ui.css",
                               swagger_favicon_url=apidocs.ASSET_PREFIX + "favicon.png",
                               swagger_ui_parameters=apidocs.SWAGGER_PARAMETERS)
    page.headers.update({**DOCS_HEADERS, "Content-Security-Policy": apidocs.DOCS_CSP})
    return page


@router.api_route(apidocs.ASSET_PREFIX + "{name}", methods=["GET", "HEAD"])
def docs_asset(request: Request, name: str) -> Response:
    assets = request.app.state.docs_assets
    media = apidocs.ASSETS.get(name)
    if assets is None or media is None or not (assets / name).is_file():
        raise ApiError(404, "not_found", f"未找到 / not found: {one_line(name, 80)}")
    return FileResponse(assets / name, media_type=media,
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})
