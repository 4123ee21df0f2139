"""Deny by default: every route, for every kind of user, against an explicit table.

A new route without a decision here fails the suite. Each cell is what the user gets:
``ok`` (the page or action works, or refuses the input with a clear message), ``login`` (sent
to sign in; a 401 to a script), ``403`` (forbidden), ``404`` (hidden: even the record's existence
is not shown).
Columns: anonymous, requester, expert, coordinator, admin, another organisation's requester,
another organisation's expert. The records are those of ``tests.security.records``: a public
need of the requester's organisation, a public offer of the expert's, a proposed match between
them and a public project of both. POST routes are walked in the order below on a fresh
database per kind of user, so an earlier action (closing the need) shapes a later answer.
"""

from __future__ import annotations

import pytest

from tests.conftest import EMAILS
from tests.security.records import seed_records

ROLES = [
    "anonymous",
    "requester",
    "expert",
    "coordinator",
    "admin",
    "other_requester",
    "other_expert",
]
SKIPPED = {"static", "accounts.logout"}  # files; signing out is tested on its own

TABLES = {}
TABLES["GET"] = {
    "accounts.accept_invitation": "404 404 404 404 404 404 404",
    "accounts.change_password": "login ok ok ok ok ok ok",
    "accounts.confirm_identity": "login ok ok ok ok ok ok",
    "accounts.forgot_password": "ok ok ok ok ok ok ok",
    "accounts.login": "ok ok ok ok ok ok ok",
    "accounts.profile": "login ok ok ok ok ok ok",
    "accounts.reset_password": "404 404 404 404 404 404 404",
    "accounts.session_status": "login ok ok ok ok ok ok",
    "accounts.two_factor": "login ok ok ok ok ok ok",
    "accounts.verify": "login login login login login login login",
    "admin.edit_organisation": "login 403 403 403 ok 403 403",
    "admin.edit_user": "login 403 403 403 ok 403 403",
    "admin.security": "login 403 403 403 ok 403 403",
    "admin.index": "login 403 403 403 ok 403 403",
    "admin.new_organisation": "login 403 403 403 ok 403 403",
    "admin.new_user": "login 403 403 403 ok 403 403",
    "admin.organisations": "login 403 403 403 ok 403 403",
    "admin.users": "login 403 403 403 ok 403 403",
    "api.v1.docs": "ok ok ok ok ok ok ok",
    "api.v1.get_agreement": "ok ok ok ok ok ok ok",
    "api.v1.get_milestone": "ok ok ok ok ok ok ok",
    "api.v1.get_need": "ok ok ok ok ok ok ok",
    "api.v1.get_offer": "ok ok ok ok ok ok ok",
    "api.v1.get_project": "ok ok ok ok ok ok ok",
    "api.v1.list_districts": "ok ok ok ok ok ok ok",
    "api.v1.list_milestones": "ok ok ok ok ok ok ok",
    "api.v1.list_needs": "ok ok ok ok ok ok ok",
    "api.v1.list_offers": "ok ok ok ok ok ok ok",
    "api.v1.list_organisations": "ok ok ok ok ok ok ok",
    "api.v1.list_projects": "ok ok ok ok ok ok ok",
    "api.v1.list_themes": "ok ok ok ok ok ok ok",
    "api.v1.openapi": "ok ok ok ok ok ok ok",
    "reports.frozen": "login 403 403 404 404 403 403",
    "reports.frozen_document": "login 403 403 404 404 403 403",
    "reports.index": "login 403 403 ok ok 403 403",
    "reports.pdf": "login 403 403 ok ok 403 403",
    "reports.spreadsheet": "login 403 403 ok ok 403 403",
    "reports.view": "login 403 403 ok ok 403 403",
    "agreements.default": "ok ok ok ok ok ok ok",
    "comments.edit": "login ok 403 403 403 403 403",
    "comments.mentions": "login ok ok ok ok ok ok",
    "comments.thread": "ok ok ok ok ok ok ok",
    "agreements.detail": "ok ok ok ok ok ok ok",
    "agreements.new_amendment": "login 403 403 ok 403 403 403",
    "audit.index": "login 403 403 ok ok 403 403",
    "content.index": "ok ok ok ok ok ok ok",
    "content.missing": "login 403 403 ok 403 403 403",
    "content.translate": "login ok 403 ok 403 403 403",
    "dashboard.index": "login ok ok ok ok ok ok",
    "exports.atom": "ok ok ok ok ok ok ok",
    "exports.download": "ok ok ok ok ok ok ok",
    "exports.iati_activities": "ok ok ok ok ok ok ok",
    "exports.open_data": "ok ok ok ok ok ok ok",
    "exports.personal_calendar": "404 404 404 404 404 404 404",
    "exports.public_calendar": "ok ok ok ok ok ok ok",
    "documents.admin": "login 403 403 403 ok 403 403",
    "documents.detail": "ok ok ok ok ok ok ok",
    "documents.download": "ok ok ok ok ok ok ok",
    "documents.index": "ok ok ok ok ok ok ok",
    "mail.outbox": "login 403 403 403 ok 403 403",
    "main.accessibility": "ok ok ok ok ok ok ok",
    "main.accessibility_report": "ok ok ok ok ok ok ok",
    "main.design": "ok ok ok ok ok ok ok",
    "main.healthz": "ok ok ok ok ok ok ok",
    "main.home": "ok ok ok ok ok ok ok",
    "matching.detail": "login ok ok ok 404 404 404",
    "matching.index": "login ok ok ok ok ok ok",
    "matching.propose": "login ok ok ok 403 ok ok",
    "needs.detail": "ok ok ok ok ok ok ok",
    "needs.edit": "login ok 403 403 403 403 403",
    "needs.index": "ok ok ok ok ok ok ok",
    "needs.new": "login ok 403 403 403 ok 403",
    "notifications.count": "login ok ok ok ok ok ok",
    "notifications.failed": "login 403 403 403 ok 403 403",
    "notifications.inbox": "login ok ok ok ok ok ok",
    "notifications.settings": "login ok ok ok ok ok ok",
    "notifications.unsubscribe": "404 404 404 404 404 404 404",
    "offers.detail": "ok ok ok ok ok ok ok",
    "offers.edit": "login 403 ok 403 403 403 403",
    "offers.index": "ok ok ok ok ok ok ok",
    "offers.new": "login 403 ok 403 403 403 ok",
    "projects.detail": "ok ok ok ok ok ok ok",
    "projects.edit": "login 403 403 ok 403 403 403",
    "projects.index": "ok ok ok ok ok ok ok",
    "projects.new": "login 403 403 ok 403 403 403",
}
TABLES["POST"] = {
    "accounts.accept_invitation": "404 404 404 404 404 404 404",
    "accounts.change_password": "login ok ok ok ok ok ok",
    "accounts.confirm_identity": "login ok ok ok ok ok ok",
    "accounts.recovery_codes": "login 404 404 ok ok 404 404",
    "accounts.disable_two_factor": "login ok ok 403 403 ok ok",
    "accounts.extend_session": "login ok ok ok ok ok ok",
    "accounts.forgot_password": "ok ok ok ok ok ok ok",
    "accounts.login": "ok ok ok ok ok ok ok",
    "accounts.profile": "login ok ok ok ok ok ok",
    "accounts.reset_password": "404 404 404 404 404 404 404",
    "accounts.two_factor": "login ok ok ok ok ok ok",
    "accounts.verify": "login login login login login login login",
    "api.create_token": "login ok ok ok ok ok ok",
    "api.revoke_token": "login 404 404 404 404 404 404",
    "reports.freeze": "login 403 403 ok ok 403 403",
    "admin.activate_organisation": "login 403 403 403 ok 403 403",
    "admin.activate_user": "login 403 403 403 ok 403 403",
    "admin.deactivate_organisation": "login 403 403 403 ok 403 403",
    "admin.deactivate_user": "login 403 403 403 ok 403 403",
    "admin.edit_organisation": "login 403 403 403 ok 403 403",
    "admin.invite_user": "login 403 403 403 ok 403 403",
    "admin.security": "login 403 403 403 ok 403 403",
    "admin.edit_user": "login 403 403 403 ok 403 403",
    "admin.new_organisation": "login 403 403 403 ok 403 403",
    "admin.new_user": "login 403 403 403 ok 403 403",
    "agreements.new_amendment": "login 403 403 ok 403 403 403",
    "comments.edit": "login ok 403 403 403 403 403",
    "comments.post": "login ok ok ok ok ok ok",
    "comments.remove": "login ok 403 ok 403 403 403",
    "content.approve": "login ok 403 ok 403 403 403",
    "content.translate": "login ok 403 ok 403 403 403",
    "exports.renew_calendar": "login ok ok ok ok ok ok",
    "documents.new_version": "login ok ok ok 403 403 403",
    "documents.upload": "login ok ok ok 403 403 403",
    "main.accessibility_report": "ok ok ok ok ok ok ok",
    "main.language": "ok ok ok ok ok ok ok",
    "matching.accept": "login ok ok ok 404 404 404",
    "matching.decline": "login ok ok ok 404 404 404",
    "matching.propose": "login ok ok ok 403 ok ok",
    "matching.withdraw": "login ok ok ok 404 404 404",
    "needs.close": "login ok 403 403 403 403 403",
    "needs.edit": "login 403 403 403 403 403 403",
    "needs.new": "login ok 403 403 403 ok 403",
    "needs.publish": "login ok 403 403 403 403 403",
    "needs.withdraw": "login ok 403 403 403 403 403",
    "offers.edit": "login 403 ok 403 403 403 403",
    "offers.new": "login 403 ok 403 403 403 ok",
    "offers.publish": "login 403 ok 403 403 403 403",
    "offers.withdraw": "login 403 ok 403 403 403 403",
    "projects.add_milestone": "login 403 403 ok 403 403 403",
    "projects.add_report": "login ok ok ok 403 403 403",
    "projects.change_status": "login 403 403 ok 403 403 403",
    "projects.edit": "login 403 403 ok 403 403 403",
    "projects.new": "login 403 403 ok 403 403 403",
    "projects.toggle_milestone": "login ok ok ok 403 403 403",
    "notifications.follow": "login ok ok ok ok ok ok",
    "notifications.read": "login 404 404 404 404 404 404",
    "notifications.read_all": "login ok ok ok ok ok ok",
    "notifications.settings": "login ok ok ok ok ok ok",
    "notifications.unsubscribe": "404 404 404 404 404 404 404",
    "notifications.retry": "login 403 403 403 404 403 403",
}


def classify(response) -> str:
    code = response.status_code
    if code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    if code == 401:  # the timeout warning's endpoints answer its script, not a person
        return "login"
    if code in (403, 404):
        return str(code)
    if code >= 500:
        return "500"
    return "ok"


def test_every_route_has_a_decision(app):
    for method, table in TABLES.items():
        routes = {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if method in (rule.methods or set()) and rule.endpoint not in SKIPPED
        }
        assert routes - table.keys() == set(), f"{method} routes without a decision"
        assert table.keys() - routes == set(), f"{method} decisions for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_access_matches_the_table(app, users, role, method, page_cache):
    """With the page cache on, the GET routes are walked twice: the second walk is answered
    from what the first one (and the other roles' walks, sharing the cache) kept."""
    ids = seed_records(users)
    client = app.test_client()
    if role != "anonymous":
        client.login(EMAILS[role])
    column = ROLES.index(role)
    differences = {}
    walks = 2 if page_cache and method == "GET" else 1
    if walks == 2:  # the other roles read the same pages into the cache first
        for other in ROLES:
            if other not in (role, "anonymous"):
                reader = app.test_client()
                reader.login(EMAILS[other])
                for endpoint in TABLES["GET"]:
                    rule = next(iter(app.url_map.iter_rules(endpoint)))
                    reader.get(rule.build({k: ids[k] for k in rule.arguments}, False)[1])
    for walk in range(walks):
        for endpoint, row in TABLES[method].items():
            rule = next(
                r for r in app.url_map.iter_rules(endpoint) if method in (r.methods or set())
            )
            url = rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1]
            got = classify(client.open(url, method=method, data={}))
            wanted = row.split()[column]
            if got != wanted:
                differences[f"{endpoint} (walk {walk + 1})"] = f"wanted {wanted}, got {got}"
    assert differences == {}
