"""Security headers on every response, and pages that need no inline script or style."""

from __future__ import annotations

import re

import pytest

from tests.security.records import seed_records

PAGES = ["/", "/needs/", "/offers/", "/projects/", "/agreements/", "/login", "/accessibility"]


def _directives(csp: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: ([*part.strip().split(" ", 1), ""])[1]
        for part in csp.split(";")
        if part.strip()
    }


@pytest.mark.parametrize("path", PAGES)
def test_content_security_policy(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = _directives(csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_signed_in_pages_are_not_cached(client, login):
    assert client.get("/needs/").headers.get("Cache-Control") != "no-store"
    login("requester")
    assert client.get("/needs/").headers["Cache-Control"] == "no-store"


def test_static_files_are_cached_long(client):
    response = client.get("/static/css/portal.css")
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_htmx_runs_without_eval(client):
    body = client.get("/").get_data(as_text=True)
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', body)
    assert config and '"allowEval": false' in config.group(1)


@pytest.mark.parametrize("who", [None, "requester", "expert", "coordinator", "admin"])
def test_no_inline_script_style_or_handlers(app, client, users, login, who):
    """The policy forbids them, so a page that used them would break; none may."""
    ids = seed_records(users)
    if who:
        login(who)
    paths = [
        *PAGES,
        "/dashboard/",
        "/matches/",
        f"/needs/{ids['need_id']}",
        f"/offers/{ids['offer_id']}",
        f"/projects/{ids['project_id']}",
        "/needs/new",
        "/offers/new",
        "/profile",
    ]
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            continue
        body = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), path
        assert not re.search(r"\son[a-z]+=", body), path
        assert not re.search(r"\shx-on[:-]", body), path
        assert not re.search(r"\sstyle=", body), path
