"""Every state-changing route refuses a request without a CSRF token, and GET changes nothing."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, Rule

from portal.audit.models import AuditEvent
from portal.extensions import db


def _sample_url(rule: Rule) -> str:
    # 1 fits integer and string converters alike; an ``any(...)`` part takes its first choice.
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        values[name] = min(converter.items) if isinstance(converter, AnyConverter) else 1
    return rule.build(values, append_unknown=False)[1]


def _post_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())]


def test_there_are_post_routes(app):
    assert len(_post_rules(app)) >= 5


# RFC 8058's one-click unsubscribe is posted by mail clients without a token; the signed link
# is the proof, and it changes nothing but that person's mail setting
# (tests/notifications/test_views.py).
CSRF_EXEMPT = {"notifications.unsubscribe"}


@pytest.mark.parametrize("who", [None, "requester", "coordinator"])
def test_every_post_route_without_token_is_refused(app, client, login, who):
    if who:
        login(who)
    refused = {}
    for rule in _post_rules(app):
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = _sample_url(rule)
        response = client.post(url, data={"anything": "1"}, csrf=False)
        refused[rule.endpoint] = response.status_code
    assert {endpoint: code for endpoint, code in refused.items() if code != 400} == {}


def test_htmx_post_without_token_is_refused(client, login):
    login("requester")
    response = client.post("/logout", headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400


def test_token_in_the_htmx_header_is_accepted(client, login):
    login("requester")
    token = client.csrf_token()
    response = client.post(
        "/logout", headers={"HX-Request": "true", "X-CSRFToken": token}, csrf=False
    )
    assert response.status_code == 302


def test_pages_render_the_token_for_htmx(client, login):
    login("requester")
    body = client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_get_requests_change_nothing(app, client, login):
    """Walk every GET route as a signed-in coordinator: no audit event is written."""
    login("coordinator")
    before = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        client.get(_sample_url(rule))
    after = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    assert after == before
