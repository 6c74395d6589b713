"""The API's documentation pages and the landing page at ``/``, served by the app itself.

FastAPI's own docs page loads Swagger UI's script and style from a CDN, so offline — a
school's network, a registry office cut off from the internet — it was a blank page. Here
the assets come from a Python package, ``fastapi-offline`` (the built files of Swagger UI and
ReDoc, nothing else; MIT), and are served under ``ASSETS_URL``: the pages name no other host
(DESIGN §13: nothing loaded from another host), and their Content-Security-Policy holds the
browser to that. ReDoc is not offered: its page loads its logo from its maker's CDN.

Every page here is a GET, so ``tabien serve --workers N`` hands it to a read worker like any
read, and the fast path in front of FastAPI (``api.web.fast_reads``) lets it through.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

__all__ = ["ASSETS_URL", "DOCS_URL", "OPENAPI_URL", "install_docs", "landing_page"]

OPENAPI_URL = "/api/v1/openapi.json"
DOCS_URL = "/api/v1/docs"
ASSETS_URL = "/api/v1/docs/assets"
OAUTH2_REDIRECT_URL = "/api/v1/docs/oauth2-redirect"
# The package and its folder holding swagger-ui-bundle.js and swagger-ui.css.
ASSETS_PACKAGE = ("fastapi_offline", "static")
# An empty icon: without one a browser asks every page's host for /favicon.ico (a 404), and
# FastAPI's default names an icon on another host.
NO_ICON = "data:,"
# A page answers HEAD too (a monitor checking that the server is up), as its assets do.
PAGE_METHODS = ["GET", "HEAD"]
# Swagger UI's online validator would send the document to another host; it is off.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
# And the browser is told so: these pages may load and call only this server. ('unsafe-inline':
# FastAPI's page starts Swagger UI with an inline script; the UI sets inline styles.)
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
LANDING_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def install_docs(app: FastAPI) -> None:
    """Serve the landing page, Swagger UI at ``DOCS_URL`` and its assets (the app is made
    with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")
    title = app.title

    @app.api_route("/", methods=PAGE_METHODS, include_in_schema=False)
    def landing(request: Request) -> HTMLResponse:
        return HTMLResponse(landing_page(_root(request)),
                            headers={"Content-Security-Policy": LANDING_POLICY})

    @app.api_route(DOCS_URL, methods=PAGE_METHODS, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_swagger_ui_html(
            openapi_url=root + OPENAPI_URL, title=f"{title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css", swagger_favicon_url=NO_ICON,
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS)
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def _root(request: Request) -> str:
    """The path the server is mounted under behind a proxy (``--root-path``), or ''."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def landing_page(root: str = "") -> str:
    """``/``: where a person arriving finds the API's documentation, Thai first, English
    alongside. (The web pages of the e-services are not written yet; they will be linked
    here.)"""
    base = escape(root, quote=True)
    return f"""<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="{NO_ICON}">
<title>ทะเบียน tabien — ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา</title>
<style>
body {{ font-family: sans-serif; line-height: 1.6; max-width: 44rem; margin: 2rem auto;
       padding: 0 1rem; color: #0b0c0c; }}
a {{ color: #1d70b8; }}
.en {{ color: #505a5f; }}
</style>
</head>
<body>
<main>
<h1>ทะเบียน <span class="en" lang="en">tabien</span></h1>
<p>ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา (ก.ค.ศ.16) ที่บันทึกเป็นรายการลงนาม
ต่อท้ายได้อย่างเดียว<br>
<span class="en" lang="en">The personnel records of Thai teachers and educational personnel
(ก.ค.ศ.16), kept as a signed, append-only ledger of career events.</span></p>

<h2>คู่มือการใช้งาน API <span class="en" lang="en">API documentation</span></h2>
<ul>
<li><a href="{base}{DOCS_URL}">คู่มือ API แบบลองเรียกใช้ได้ (Swagger UI)</a><br>
<span class="en" lang="en">Interactive reference: sign in with “Authorize” and try each
route.</span></li>
<li><a href="{base}{OPENAPI_URL}">เอกสาร OpenAPI (JSON)</a><br>
<span class="en" lang="en">The OpenAPI document, for programs.</span></li>
</ul>

<h2>เว็บแอปพลิเคชัน <span class="en" lang="en">Web application</span></h2>
<p>หน้าเว็บสำหรับนายทะเบียนและครูยังไม่เปิดให้บริการ ใช้ API หรือคำสั่ง <code>tabien</code>
แทน<br>
<span class="en" lang="en">The web pages for registrars and teachers are not available yet:
use the API or the <code>tabien</code> command line.</span></p>
</main>
</body>
</html>
"""
