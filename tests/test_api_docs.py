"""The API's docs page and the landing page, as a person opening them in a browser gets them.

Reported (issue 15): offline, the docs page was blank — it loaded Swagger UI from a CDN — and
``/`` was a 404. Now every asset a page names is the server's own, served from a Python
package, and each one loads; ``/`` is a Thai-first page that links to the docs. Checked on
the app in process (through the fast path for record reads in front of FastAPI) and through
``tabien serve --workers 2``, whose front process hands reads to the read workers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from commands.bootstrap import initialise
from ledger.application import Ledger
from ledger.keys import KeyStore
from tests.pg import database_url, fresh_schema
from tests.processes import running
from tests.test_serve_workers import free_port, wait_until_up
from tests.web import Api

DOCS = "/api/v1/docs"
# What a page's own markup may name: a path on this server, a fragment, or inline data.
OWN = re.compile(r"^(/(?!/)|#|data:)")
# Swagger UI is told where the OpenAPI document is in the page's script: url: '…'.
SCRIPT_URL = re.compile(r"""\burl:\s*'([^']*)'""")
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".json": "application/json"}

Get = Callable[[str], Any]  # a path on the server → its response (status_code, headers, …)


class _Links(HTMLParser):
    """Every URL an element's src or href names."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls + SCRIPT_URL.findall(html)


def assert_loads_from_this_server_only(get: Get, path: str) -> list[str]:
    """The page at ``path`` is HTML that names no other host, and every asset it names loads
    from this server; returns what it names."""
    page = get(path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?i)\b(https?:)?//[a-z0-9]", _without_comments(page.text)), page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy or "default-src 'none'" in policy
    assert "http" not in policy
    links = page_links(page.text)
    assert links
    for link in links:
        assert OWN.match(link), f"{path} names {link!r}"
        if link.startswith("/"):
            asset = get(link)
            assert asset.status_code == 200, f"{path} names {link}: {asset.status_code}"
            suffix = Path(link).suffix
            if suffix in ASSET_TYPES:
                assert ASSET_TYPES[suffix] in asset.headers["content-type"]
                assert len(asset.content) > 100, link
    return links


def _without_comments(html: str) -> str:
    return re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)


def test_the_api_docs_load_with_no_other_host(api: Api) -> None:
    links = assert_loads_from_this_server_only(api.client.get, DOCS)
    # Swagger UI itself, its style, and the document it shows, all from this server.
    assert {"/api/v1/docs/assets/swagger-ui-bundle.js", "/api/v1/docs/assets/swagger-ui.css",
            "/api/v1/openapi.json"} <= set(links)
    # Swagger UI's online validator would send the document to another host.
    assert '"validatorUrl": null' in api.client.get(DOCS).text
    assert api.client.get("/api/v1/docs/oauth2-redirect").status_code == 200


def test_the_landing_page_points_a_person_to_the_docs_thai_first(api: Api) -> None:
    links = assert_loads_from_this_server_only(api.client.get, "/")
    assert {DOCS, "/api/v1/openapi.json"} <= set(links)
    page = api.client.get("/").text
    assert '<html lang="th">' in page
    # Thai first, English beside it.
    assert page.index("คู่มือการใช้งาน API") < page.index("API documentation")
    # A monitor checking that the server is up may ask with HEAD.
    assert api.client.head("/").status_code == 200
    assert api.client.head(DOCS).status_code == 200


def test_an_asset_that_does_not_exist_is_a_problem_not_a_page(api: Api) -> None:
    missing = api.client.get("/api/v1/docs/assets/nothing-here.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.postgres
def test_the_docs_and_landing_page_load_through_serve_with_workers(tmp_path: Path) -> None:
    with fresh_schema() as schema:
        url = database_url(schema)
        keys_dir = tmp_path / "keys"
        ledger = Ledger(url=url)
        initialise(ledger, KeyStore(keys_dir, passphrase=b"test-passphrase"),
                   development=False)
        ledger.close()
        port = free_port()
        env = {**os.environ, "TABIEN_DATABASE_URL": url, "TABIEN_KEYS_DIR": str(keys_dir),
               "TABIEN_KEY_PASSPHRASE": "test-passphrase"}
        base = f"http://127.0.0.1:{port}"
        with running([sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port",
                      str(port), "--stop-after", "300"], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, grace=60) as server, \
                httpx.Client(base_url=base, timeout=30) as client:
            wait_until_up(base, server)
            # Each page on a connection of its own (the front process hands each to a read
            # worker in turn), and each asset on one too.
            for path in ("/", DOCS):
                assert_loads_from_this_server_only(
                    lambda link: httpx.get(base + link, timeout=30), path)
            # And on one kept-alive connection, as a browser asks for them.
            assert_loads_from_this_server_only(client.get, DOCS)
