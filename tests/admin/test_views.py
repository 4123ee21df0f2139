"""Administration of users and organisations, per role, through HTTP."""

from __future__ import annotations

import json

import pytest

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.reference.models import City, Organisation, Theme
from tests.conftest import EMAILS, PASSWORD, count_queries

NON_ADMINS = ["requester", "expert", "coordinator", "other_requester", "other_expert"]


def _org(name_en: str) -> Organisation:
    return db.session.scalar(db.select(Organisation).filter_by(name_en=name_en))


def _paths(users) -> tuple[list[str], list[str]]:
    expert = users["expert"].id
    org = users["expert"].organisation_id
    gets = [
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{expert}/edit",
        "/admin/organisations",
        "/admin/organisations/new",
        f"/admin/organisations/{org}/edit",
    ]
    posts = [
        "/admin/users/new",
        f"/admin/users/{expert}/edit",
        f"/admin/users/{expert}/deactivate",
        f"/admin/users/{expert}/activate",
        "/admin/organisations/new",
        f"/admin/organisations/{org}/edit",
        f"/admin/organisations/{org}/deactivate",
        f"/admin/organisations/{org}/activate",
    ]
    return gets, posts


def _audit_rows(action: str | None = None, record_type: str | None = None) -> list[AuditEvent]:
    query = db.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    return list(db.session.scalars(query))


def _new_user_form(**changes) -> dict:
    data = {
        "email": "Oksana.Shevchenko@kyiv.test",
        "name": "Oksana Shevchenko",
        "role": "requester",
        "organisation": str(_org("Kyivteploenergo").id),
        "locale": "uk",
        "password": "a long initial password",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- who may


def test_anonymous_is_sent_to_sign_in_everywhere(client, users):
    gets, posts = _paths(users)
    for path in gets:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path
    for path in posts:
        assert client.post(path).status_code == 302, path
    assert users["expert"].is_active_account


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


@pytest.mark.parametrize("who", NON_ADMINS)
def test_everyone_but_admins_is_refused(login, users, who):
    client = login(who)
    gets, posts = _paths(users)
    for path in gets:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path, data={"name": "Changed"}).status_code == 403, path
    db.session.expire_all()
    assert users["expert"].is_active_account
    assert users["expert"].name == "Anna Lindqvist"
    assert _audit_rows("deactivate") == []


def test_admin_may_open_every_page(login, users):
    client = login("admin")
    gets, _posts = _paths(users)
    for path in gets:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True).count("<h1") == 1, path


# ---------------------------------------------------------------- users


def test_users_list_filters_by_organisation_role_and_status(login, users):
    client = login("admin")
    kyivvodokanal = users["requester"].organisation_id
    body = client.get(f"/admin/users?organisation={kyivvodokanal}").get_data(as_text=True)
    assert "requester@kyiv.test" in body
    assert "expert@stockholm.test" not in body

    body = client.get("/admin/users?role=expert").get_data(as_text=True)
    assert "expert@stockholm.test" in body and "other.expert@stockholm.test" in body
    assert "requester@kyiv.test" not in body

    users["other_expert"].is_active_account = False
    db.session.commit()
    body = client.get("/admin/users?active=no").get_data(as_text=True)
    assert "other.expert@stockholm.test" in body
    assert ">expert@stockholm.test<" not in body
    body = client.get("/admin/users?active=yes").get_data(as_text=True)
    assert "other.expert@stockholm.test" not in body
    assert "requester@kyiv.test" in body


def test_users_list_costs_the_same_whatever_the_number_of_users(app, login):
    from portal.accounts.services import create_user
    from portal.core.enums import Role

    client = login("admin")
    with count_queries(app) as few:
        client.get("/admin/users")
    for n in range(8):
        org = _org("Stokab" if n % 2 else "Kyivteploenergo")
        create_user(
            email=f"u{n}@kyiv.test",
            name=f"User {n}",
            password=PASSWORD,
            role=Role.EXPERT,
            organisation=org,
            actor=None,
        )
    db.session.commit()
    with count_queries(app) as many:
        client.get("/admin/users")
    assert len(many) == len(few)


def test_users_list_answers_htmx_with_the_table_only(login):
    client = login("admin")
    response = client.get("/admin/users?role=admin", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="users-results">')
    assert "<h1" not in body and "admin@stockholm.test" in body
    assert "HX-Request" in response.headers["Vary"]


def test_users_list_ignores_nonsense_filters(login):
    client = login("admin")
    response = client.get("/admin/users?organisation=abc&role=emperor&active=maybe&page=-3")
    assert response.status_code == 200


def test_created_user_can_sign_in(app, login):
    client = login("admin")
    response = client.post("/admin/users/new", data=_new_user_form())
    assert response.status_code == 302

    user = db.session.scalar(db.select(User).filter_by(email="oksana.shevchenko@kyiv.test"))
    assert user is not None
    assert user.role.value == "requester"
    assert user.organisation.name_en == "Kyivteploenergo"
    assert user.locale == "uk"

    newcomer = app.test_client()
    newcomer.login("oksana.shevchenko@kyiv.test", "a long initial password")
    assert newcomer.get("/profile").status_code == 200

    [created] = _audit_rows("create", "user")[-1:]
    assert created.record_id == user.id
    assert created.actor.email == EMAILS["admin"]
    assert created.after["email"] == "oksana.shevchenko@kyiv.test"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"password": "x" * 11}, "between 12 and 128"),
        ({"password": "x" * 129}, "between 12 and 128"),
        ({"password": ""}, "Enter an initial password"),
        ({"email": "not an address"}, "valid e-mail address"),
        ({"email": ""}, "Enter the e-mail address"),
        ({"name": ""}, "Enter the person"),
        ({"name": "\x00 "}, "Enter the person"),
        ({"role": "emperor"}, "Not a valid choice"),
        ({"organisation": "999999"}, "Not a valid choice"),
    ],
)
def test_create_user_refuses_bad_input(login, changes, message):
    client = login("admin")
    count = db.session.scalar(db.select(db.func.count(User.id)))
    response = client.post("/admin/users/new", data=_new_user_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == count


def test_create_user_accepts_the_shortest_and_longest_password(login):
    client = login("admin")
    for n, length in enumerate((12, 128)):
        data = _new_user_form(email=f"p{n}@kyiv.test", password="p" * length)
        assert client.post("/admin/users/new", data=data).status_code == 302


def test_create_user_refuses_a_duplicate_email(login):
    client = login("admin")
    response = client.post("/admin/users/new", data=_new_user_form(email="Expert@Stockholm.test"))
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_create_user_refuses_an_inactive_organisation(login):
    client = login("admin")
    org = _org("Kyivteploenergo")
    org.is_active = False
    db.session.commit()
    response = client.post("/admin/users/new", data=_new_user_form(organisation=str(org.id)))
    assert response.status_code == 422


def test_editing_a_role_is_audited_as_a_role_change(login, users):
    client = login("admin")
    expert = users["expert"]
    form = client.get(f"/admin/users/{expert.id}/edit").get_data(as_text=True)
    assert "Anna Lindqvist" in form
    response = client.post(
        f"/admin/users/{expert.id}/edit",
        data={
            "name": "Anna Lindqvist",
            "role": "coordinator",
            "organisation": str(expert.organisation_id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert expert.role.value == "coordinator"
    [event] = _audit_rows("change_role")
    assert event.record_id == expert.id
    assert event.actor.email == EMAILS["admin"]
    assert event.before == {"role": "expert"}
    assert event.after == {"role": "coordinator"}


def test_editing_name_and_organisation_is_audited(login, users):
    client = login("admin")
    expert = users["expert"]
    stokab = _org("Stokab")
    client.post(
        f"/admin/users/{expert.id}/edit",
        data={"name": "Anna Lindqvist-Berg", "role": "expert", "organisation": str(stokab.id)},
    )
    [event] = _audit_rows("update", "user")
    assert event.before == {"name": "Anna Lindqvist", "organisation_id": expert.organisation_id}
    assert event.after == {"name": "Anna Lindqvist-Berg", "organisation_id": stokab.id}
    db.session.expire_all()
    assert expert.organisation_id == stokab.id


def test_edit_on_a_stale_form_is_refused_and_shows_the_current_values(login, users):
    client = login("admin")
    expert = users["expert"]
    data = {"name": "Anna A", "role": "expert", "organisation": str(expert.organisation_id)}
    page = client.get(f"/admin/users/{expert.id}/edit").get_data(as_text=True)
    fingerprint = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    # Someone else renames her in the meantime.
    expert.name = "Anna B"
    db.session.commit()
    response = client.post(
        f"/admin/users/{expert.id}/edit", data={**data, "fingerprint": fingerprint}
    )
    assert response.status_code == 409
    assert "Anna B" in response.get_data(as_text=True)
    db.session.expire_all()
    assert expert.name == "Anna B"
    # Saving again, knowingly, goes through.
    page = response.get_data(as_text=True)
    fingerprint = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        f"/admin/users/{expert.id}/edit", data={**data, "fingerprint": fingerprint}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert expert.name == "Anna A"


def test_admin_cannot_change_own_role(login, users):
    client = login("admin")
    admin = users["admin"]
    response = client.post(
        f"/admin/users/{admin.id}/edit",
        data={"name": admin.name, "role": "expert", "organisation": str(admin.organisation_id)},
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert admin.role.value == "admin"


def test_deactivation_ends_the_users_existing_session(app, users):
    victim = app.test_client()
    victim.login(EMAILS["expert"])
    assert victim.get("/profile").status_code == 200

    admin = app.test_client()
    admin.login(EMAILS["admin"])
    response = admin.post(f"/admin/users/{users['expert'].id}/deactivate")
    assert response.status_code == 302

    response = victim.get("/profile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert (
        victim.post("/login", data={"email": EMAILS["expert"], "password": PASSWORD}).status_code
        == 422
    )

    [event] = _audit_rows("deactivate", "user")
    assert event.actor.email == EMAILS["admin"]
    assert event.before["is_active_account"] is True
    assert event.after["is_active_account"] is False


def test_reactivated_user_signs_in_again_but_old_session_stays_ended(app, users):
    victim = app.test_client()
    victim.login(EMAILS["expert"])
    admin = app.test_client()
    admin.login(EMAILS["admin"])
    admin.post(f"/admin/users/{users['expert'].id}/deactivate")
    admin.post(f"/admin/users/{users['expert'].id}/activate")
    assert victim.get("/profile").status_code == 302
    victim.login(EMAILS["expert"])
    assert victim.get("/profile").status_code == 200
    assert [e.action for e in _audit_rows(record_type="user") if e.action.endswith("activate")] == [
        "deactivate",
        "activate",
    ]


def test_admin_cannot_deactivate_themselves(login, users):
    client = login("admin")
    response = client.post(f"/admin/users/{users['admin'].id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert users["admin"].is_active_account
    assert client.get("/admin/users").status_code == 200


def test_deactivate_keeps_the_list_filters(login, users):
    client = login("admin")
    response = client.post(
        f"/admin/users/{users['expert'].id}/deactivate", data={"next": "/admin/users?role=expert"}
    )
    assert response.headers["Location"] == "/admin/users?role=expert"
    response = client.post(
        f"/admin/users/{users['expert'].id}/activate", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/admin/users"


def test_unknown_user_is_404(login):
    client = login("admin")
    assert client.get("/admin/users/999999/edit").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_post_without_csrf_token_changes_nothing(login, users):
    client = login("admin")
    response = client.post(f"/admin/users/{users['expert'].id}/deactivate", csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert users["expert"].is_active_account


# ---------------------------------------------------------------- organisations


def _org_form(**changes) -> dict:
    stockholm = db.session.scalar(db.select(City).filter_by(code="stockholm"))
    themes = db.session.scalars(db.select(Theme).where(Theme.code.in_(["transport", "waste"])))
    data = {
        "name_en": "Stockholm Public Transport (SL)",
        "name_sv": "Storstockholms Lokaltrafik",
        "name_uk": "Громадський транспорт Стокгольма (SL)",
        "kind": "city_owned_company",
        "city": str(stockholm.id),
        "registry_id": "2120000142",
        "themes": [str(t.id) for t in themes],
    }
    data.update(changes)
    return data


def test_create_organisation_with_themes(login):
    client = login("admin")
    response = client.post("/admin/organisations/new", data=_org_form())
    assert response.status_code == 302
    org = _org("Stockholm Public Transport (SL)")
    assert org.name_uk == "Громадський транспорт Стокгольма (SL)"
    assert org.registry_id == "212000-0142"
    assert sorted(t.code for t in org.themes) == ["transport", "waste"]
    [event] = _audit_rows("create", "organisation")
    assert event.after["themes"] == ["transport", "waste"]
    assert event.actor.email == EMAILS["admin"]
    body = client.get("/admin/organisations").get_data(as_text=True)
    assert "Stockholm Public Transport (SL)" in body


def test_organisation_form_shows_themes_as_checkboxes_in_a_fieldset(login):
    body = login("admin").get("/admin/organisations/new").get_data(as_text=True)
    assert "<fieldset" in body and "<legend>Themes of expertise</legend>" in body
    assert body.count('type="checkbox"') == 12


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name_en": ""}, "Enter the name in English"),
        ({"name_en": "Stokab"}, "already exists"),
        ({"registry_id": "212000-0143"}, "check digit"),
        ({"kind": "guild"}, "Not a valid choice"),
        ({"name_sv": "x" * 161}, "160"),
        ({"name_uk": "\x00"}, "Enter the name in Ukrainian"),
    ],
)
def test_create_organisation_refuses_bad_input(login, changes, message):
    client = login("admin")
    response = client.post("/admin/organisations/new", data=_org_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _audit_rows("create", "organisation") == []


def test_ukrainian_registry_id_is_eight_digits(login):
    client = login("admin")
    kyiv = db.session.scalar(db.select(City).filter_by(code="kyiv"))
    data = _org_form(city=str(kyiv.id), registry_id="0305571")
    assert client.post("/admin/organisations/new", data=data).status_code == 422
    data = _org_form(city=str(kyiv.id), registry_id="03327664")
    assert client.post("/admin/organisations/new", data=data).status_code == 302


def test_edit_organisation_audits_before_and_after(login):
    client = login("admin")
    stokab = _org("Stokab")
    data = _org_form(
        name_en="Stokab",
        name_sv="Stokab AB",
        name_uk=stokab.name_uk,
        city=str(stokab.city_id),
        registry_id="",
    )
    response = client.post(f"/admin/organisations/{stokab.id}/edit", data=data)
    assert response.status_code == 302
    [event] = _audit_rows("update", "organisation")
    assert event.before["name_sv"] == "Stokab" and event.after["name_sv"] == "Stokab AB"
    assert event.before["themes"] == ["it_digital"]
    assert event.after["themes"] == ["transport", "waste"]
    assert "name_uk" not in event.after


def test_organisation_deactivation_blocks_sign_in_and_ends_sessions(app, users):
    member = app.test_client()
    member.login(EMAILS["requester"])
    assert member.get("/profile").status_code == 200

    admin = app.test_client()
    admin.login(EMAILS["admin"])
    org_id = users["requester"].organisation_id
    assert admin.post(f"/admin/organisations/{org_id}/deactivate").status_code == 302

    assert member.get("/profile").status_code == 302
    response = member.post("/login", data={"email": EMAILS["requester"], "password": PASSWORD})
    assert response.status_code == 422
    [event] = _audit_rows("deactivate", "organisation")
    assert event.before == {"is_active": True} and event.after == {"is_active": False}

    # Reactivated: its users sign in again, but the old session stays ended.
    assert admin.post(f"/admin/organisations/{org_id}/activate").status_code == 302
    assert member.get("/profile").status_code == 302
    member.login(EMAILS["requester"])
    assert member.get("/profile").status_code == 200


def test_admin_cannot_deactivate_own_organisation(login, users):
    client = login("admin")
    org = users["admin"].organisation
    response = client.post(f"/admin/organisations/{org.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own organisation" in response.get_data(as_text=True)
    db.session.expire_all()
    assert org.is_active


def test_no_audit_row_holds_a_password_hash(login, users):
    client = login("admin")
    client.post("/admin/users/new", data=_new_user_form())
    expert = users["expert"]
    client.post(
        f"/admin/users/{expert.id}/edit",
        data={
            "name": "A. Lindqvist",
            "role": "coordinator",
            "organisation": str(expert.organisation_id),
        },
    )
    client.post(f"/admin/users/{expert.id}/deactivate")
    client.post(f"/admin/users/{expert.id}/activate")
    hashes = [h for h in db.session.scalars(db.select(User.password_hash))]
    rows = _audit_rows()
    assert len(rows) > 5
    for row in rows:
        dumped = json.dumps([row.before, row.after])
        assert "password" not in dumped
        assert "$argon2" not in dumped
        for value in hashes:
            assert value not in dumped
