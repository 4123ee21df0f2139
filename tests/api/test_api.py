"""The read API: who sees what, pagination, texts in every language, errors as JSON, no cookies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.api.models import ApiToken
from portal.audit.models import AuditEvent
from portal.core.enums import Visibility
from portal.extensions import db
from tests.api.conftest import bearer
from tests.factories import make_need, reload
from tests.test_visibility_crawl import MARKER, _seed_restricted


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def test_anonymous_sees_public_needs_only(client, users):
    public = make_need(users["requester"], visibility=Visibility.PUBLIC)
    partners = make_need(users["requester"], visibility=Visibility.PARTNERS)
    assert ids(client.get("/api/v1/needs")) == [public.id]
    assert client.get(f"/api/v1/needs/{partners.id}").status_code == 404
    assert client.get(f"/api/v1/needs/{public.id}").get_json()["id"] == public.id


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("requester", True),
        ("expert", True),
        ("coordinator", True),
        ("other_requester", False),
        ("other_expert", False),
        ("admin", False),
    ],
)
def test_restricted_records_follow_the_models_rule(client, users, token_for, who, sees):
    seeded = _seed_restricted(users)
    headers = bearer(token_for(who))
    for kind, path in (("need", "needs"), ("offer", "offers"), ("project", "projects")):
        listed = client.get(f"/api/v1/{path}?status=all", headers=headers)
        assert (seeded[kind] in ids(listed)) is sees, (kind, who)
        one = client.get(f"/api/v1/{path}/{seeded[kind]}", headers=headers)
        assert one.status_code == (200 if sees else 404)
        if not sees:
            assert MARKER not in listed.get_data(as_text=True)
    milestones = client.get("/api/v1/milestones", headers=headers)
    assert bool(ids(milestones)) is sees


def test_texts_come_in_every_language_with_their_origin(client, users, token_for):
    seeded = _seed_restricted(users)
    body = client.get(
        f"/api/v1/needs/{seeded['need']}", headers=bearer(token_for("coordinator"))
    ).get_json()
    versions = {v["language"]: v for v in body["title"]["versions"]}
    assert body["title"]["original_language"] == "uk"
    assert versions["uk"]["is_original"] is True
    assert versions["sv"]["is_original"] is False
    assert versions["sv"]["is_machine_translation"] is False
    assert versions["sv"]["text"].startswith("Svensk version")


def test_cursor_pagination_walks_every_record_once(client, users):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [
        make_need(
            users["requester"],
            visibility=Visibility.PUBLIC,
            created_at=start + timedelta(hours=i % 3),
        )
        for i in range(7)
    ]
    seen: list[int] = []
    url = "/api/v1/needs?limit=3"
    pages = 0
    while url:
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
        assert pages < 10
    assert sorted(seen) == sorted(n.id for n in made)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_filters_are_the_lists_own(client, users):
    water = make_need(users["requester"], visibility=Visibility.PUBLIC, theme_code="water_sewage")
    make_need(users["requester"], visibility=Visibility.PUBLIC, theme_code="education")
    assert ids(client.get(f"/api/v1/needs?theme={water.theme_id}")) == [water.id]
    # An invalid filter value is dropped as on the list page, never an error.
    assert len(ids(client.get("/api/v1/needs?theme=nonsense"))) == 2


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/needs?limit=0",
        "/api/v1/needs?limit=abc",
        "/api/v1/needs?limit=101",
        "/api/v1/needs?cursor=not-a-cursor",
        "/api/v1/offers?cursor=WyJuZWVkcyIsIjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAiLDFd",
    ],
)
def test_bad_queries_are_problems_not_errors(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 400


def test_unknown_paths_and_methods_answer_json(client):
    for method, url, status in (
        ("get", "/api/v1/nothing-here", 404),
        ("get", "/api/v1/needs/99999", 404),
        ("get", "/api/v1/needs/99999999999", 404),
        ("post", "/api/v1/needs", 405),
        ("delete", "/api/v1/needs/1", 405),
    ):
        response = getattr(client, method)(url, csrf=False) if method != "get" else client.get(url)
        assert response.status_code == status, url
        assert response.content_type == "application/problem+json", url


def test_api_sets_no_cookie_and_ignores_the_session(client, users, login):
    make_need(users["requester"], visibility=Visibility.PARTNERS)
    login("requester")
    # A signed-in browser's session cookie does not open the API.
    response = client.get("/api/v1/needs?lang=sv")
    assert ids(response) == []
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in client.get("/api/v1/nothing").headers


def test_a_bad_token_is_refused(client):
    for header in ("Bearer skp_nonsense", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = client.get("/api/v1/needs", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.content_type == "application/problem+json"


def test_revocation_takes_effect_at_once(client, users, token_for, login):
    need = make_need(users["requester"], visibility=Visibility.PARTNERS)
    secret = token_for("expert")
    assert ids(client.get("/api/v1/needs", headers=bearer(secret))) == [need.id]
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == users["expert"].id))
    login("expert")
    response = client.post(f"/profile/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert reload(token).revoked_at is not None
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 401


def test_tokens_are_made_on_the_profile_shown_once_and_stored_hashed(client, users, login):
    login("requester")
    page = client.get("/profile").get_data(as_text=True)
    assert "api-token-name" in page
    response = client.post("/profile/api-tokens", data={"name": "weekly statistics"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == users["requester"].id))
    secret = body.split('id="api-token-secret">')[1].split("<")[0]
    assert secret.startswith("skp_") and token.token_hash != secret and secret not in token.hint
    assert secret not in client.get("/profile").get_data(as_text=True)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "api_token"))
    assert [e.action for e in events] == ["create"]
    # Nothing lost, a clear message: a token without a name is refused.
    refused = client.post("/profile/api-tokens", data={"name": "  "}, follow_redirects=True)
    assert "Give the token a name" in refused.get_data(as_text=True)


def test_someone_elses_token_cannot_be_revoked(client, users, token_for, login):
    token_for("expert")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == users["expert"].id))
    login("other_expert")
    assert client.post(f"/profile/api-tokens/{token.id}/revoke").status_code == 404
    assert reload(token).revoked_at is None


def test_rate_limited_per_address_and_per_token(app, client, users, token_for):
    app.config["API_ADDRESS_RATE_LIMIT"] = "3 per minute"
    app.config["API_TOKEN_RATE_LIMIT"] = "5 per minute"
    from portal.extensions import limiter

    limiter.reset()
    statuses = [client.get("/api/v1/themes").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/themes")
    assert limited.content_type == "application/problem+json"
    assert "Retry-After" in limited.headers
    # A token has its own allowance.
    headers = bearer(token_for("expert"))
    statuses = [client.get("/api/v1/themes", headers=headers).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limiter.reset()


def test_openapi_document_and_the_page(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for path in (
        "/needs",
        "/needs/{need_id}",
        "/offers",
        "/projects",
        "/milestones",
        "/themes",
        "/districts",
        "/organisations",
        "/agreement",
    ):
        assert path in document["paths"], path
    for lang, phrase in (("sv", "API"), ("uk", "API"), ("en", "Open data API")):
        page = client.get(f"/api/v1/?lang={lang}")
        assert page.status_code == 200
        assert "/api/v1/needs" in page.get_data(as_text=True)
        assert f'lang="{lang}"' in page.get_data(as_text=True)
        assert phrase in page.get_data(as_text=True)


def test_the_profile_says_when_a_token_was_last_used(client, users, token_for, login):
    """Written with the request that used it, at most once an hour (not a write per call)."""
    secret = token_for("expert")
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == users["expert"].id))
    assert token.last_used_at is None
    login("expert")
    assert "Never" in client.get("/profile").get_data(as_text=True).split("api-tokens", 1)[1]
    client.logout()
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200
    first = reload(token).last_used_at
    assert first is not None and datetime.now(UTC) - first < timedelta(minutes=1)
    assert client.get("/api/v1/needs", headers=bearer(secret)).status_code == 200
    assert reload(token).last_used_at == first
    # An hour later the next call moves it on.
    token.last_used_at = first - timedelta(hours=2)
    db.session.commit()
    assert client.get("/api/v1/offers", headers=bearer(secret)).status_code == 200
    assert reload(token).last_used_at > first - timedelta(minutes=1)
    login("expert")
    page = client.get("/profile").get_data(as_text=True)
    assert "Last used" in page and "Never" not in page.split("api-tokens", 1)[1]
