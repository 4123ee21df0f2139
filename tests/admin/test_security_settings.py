"""Admins require two-factor sign-in of everyone, and invite people by e-mail."""

from portal.accounts import twofactor
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.mail.models import OutboxMessage


def test_admin_requires_second_factor_of_everyone(app, client, login):
    login("admin")
    assert client.get("/admin/security").status_code == 200
    response = client.post("/admin/security", data={"everyone": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert twofactor.required_for_everyone()
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="change_setting"))
    client.logout()
    login("requester")
    forced = client.get("/needs/new")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/profile/two-factor")


def test_only_admins_change_the_setting(client, login):
    login("coordinator")
    assert client.post("/admin/security", data={"everyone": "y"}).status_code == 403
    assert not twofactor.required_for_everyone()


def test_admin_sends_an_invitation(app, client, login, users):
    login("admin")
    response = client.post(f"/admin/users/{users['other_requester'].id}/invite")
    assert response.status_code == 302
    message = db.session.scalar(db.select(OutboxMessage))
    assert message.recipient == "other.requester@kyiv.test"
    assert "/invitation/" in message.body


def test_the_setting_comes_with_the_signed_in_user(app, client, login):
    """Every signed-in request needs the setting; it is read in the user's own query, with the
    row or without it, and a change takes effect on the next request."""
    from tests.conftest import count_queries

    login("requester")
    for _ in range(2):
        with count_queries(app) as statements:
            assert client.get("/needs/").status_code == 200
        assert not [s for s in statements if "site_settings" in s.split("WHERE")[0][-40:]]
        assert any("site_settings" in s and "users" in s for s in statements)
        twofactor.set_required_for_everyone(False)  # the row now exists: the second round
        db.session.commit()
    twofactor.set_required_for_everyone(True)
    db.session.commit()
    forced = client.get("/needs/new")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/profile/two-factor")
    twofactor.set_required_for_everyone(False)
    db.session.commit()
    assert client.get("/needs/new").status_code == 200
