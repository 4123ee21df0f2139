"""The inbox, the header count, following, settings, unsubscribe and the admins' list, over
HTTP, per role; each test reads the database after the request."""

from __future__ import annotations

import re

import pytest

from portal.core.enums import Visibility
from portal.extensions import db
from portal.matching import services as matching
from portal.notifications import services as notifications
from portal.notifications.delivery import unsubscribe_token
from portal.notifications.events import notify
from portal.notifications.models import (
    Delivery,
    DeliveryStatus,
    Follow,
    Frequency,
    NotificationPreference,
)
from tests import factories
from tests.notifications.conftest import inbox_of


def proposal_for_expert(users):
    need = factories.make_need(users["requester"], title="Leak detection")
    offer = factories.make_offer(users["expert"], title="Acoustic loggers")
    match = matching.propose(users["requester"], need, offer)
    db.session.commit()
    return need, offer, match


@pytest.mark.parametrize(
    "path", ["/notifications/", "/notifications/count", "/profile/notifications"]
)
def test_sign_in_is_required(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_header_counts_unread_without_javascript(users, login):
    proposal_for_expert(users)
    client = login("expert")
    page = client.get("/needs/").get_data(as_text=True)
    assert re.search(r'id="notification-count"[^>]*>\s*Notifications <span class="badge">1', page)
    fragment = client.get("/notifications/count", headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'class="badge">1' in fragment.get_data(as_text=True)


def test_a_page_reads_the_header_count_with_the_person(app, users, login):
    """A signed-in page's GET reads the unread count in the statement that loads the person
    (one statement fewer), once this worker has counted for them; the count is the same."""
    from portal.notifications import queries
    from tests.conftest import count_queries

    proposal_for_expert(users)
    client = login("expert")
    badge = re.compile(r'id="notification-count"[^>]*>\s*Notifications <span class="badge">1')
    queries._LAST_KEY.clear()
    with count_queries(app) as counted_apart:
        first = client.get("/needs/").get_data(as_text=True)
    with count_queries(app) as read_with_person:
        again = client.get("/needs/").get_data(as_text=True)
    assert badge.search(first) and badge.search(again)
    assert len(read_with_person) == len(counted_apart) - 1
    assert "FROM notifications" in read_with_person[0]  # the person's own statement
    # An htmx request shows no header: the person's statement reads no count.
    with count_queries(app) as fragment:
        client.get("/needs/?priority=high", headers={"HX-Request": "true"})
    assert not any("FROM notifications" in statement for statement in fragment)


def test_a_count_read_with_the_person_is_dropped_once_the_request_writes(app, users):
    """What the request writes after the person was loaded (a notification read, say) is
    counted again, not taken from the statement that ran before it."""
    from flask import g

    from portal.notifications import queries

    proposal_for_expert(users)
    expert = users["expert"]
    with app.test_request_context("/needs/"):
        setattr(g, queries._PREFETCHED, (expert.id, queries._key(expert), 7))
        assert queries.unread_count(expert) == 7
        setattr(g, queries._PREFETCHED, (expert.id, queries._key(expert), 7))
        notifications.mark_all_read(expert)
        expert.name = "Anna Lindqvist"
        db.session.flush()
        assert queries.unread_count(expert) == 0
        db.session.rollback()


def test_the_inbox_lists_marks_read_and_filters(users, login):
    need, _, _ = proposal_for_expert(users)
    notify("comment", need, users["requester"], mentioned=[users["expert"]])
    db.session.commit()
    client = login("expert")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Olena Kovalenko proposed a match for you to decide" in page
    assert "Olena Kovalenko mentioned you on" in page
    only = client.get("/notifications/?kind=mention").get_data(as_text=True)
    assert "mentioned you" in only and "proposed a match" not in only
    assert client.get("/notifications/?kind=nonsense&page=x").status_code == 200

    first = inbox_of(users["expert"])[0]
    response = client.post(f"/notifications/{first.id}/read", data={"next": "//evil.example"})
    assert response.headers["Location"].endswith("/notifications/")
    assert [n.read_at is not None for n in inbox_of(users["expert"])] == [True, False]

    client.post("/notifications/read-all")
    assert all(n.read_at is not None for n in inbox_of(users["expert"]))
    assert 'class="badge"' not in client.get("/notifications/").get_data(as_text=True)


def test_nobody_reads_another_person_s_notification(users, login):
    proposal_for_expert(users)
    theirs = inbox_of(users["expert"])[0]
    client = login("other_expert")
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert inbox_of(users["expert"])[0].read_at is None
    assert "proposed a match" not in client.get("/notifications/").get_data(as_text=True)


def test_follow_and_unfollow_without_and_with_htmx(users, login):
    need = factories.make_need(users["requester"], title="Leak detection")
    client = login("other_expert")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'action="/follow/need/{need.id}"' in page
    assert ">Follow</button>" in page

    response = client.post(f"/follow/need/{need.id}", data={"follow": "1"})
    assert response.status_code == 302
    follow = db.session.scalar(db.select(Follow).filter_by(user_id=users["other_expert"].id))
    assert follow is not None and follow.active

    response = client.post(
        f"/follow/need/{need.id}", data={"follow": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert ">Follow</button>" in response.get_data(as_text=True)
    assert factories.reload(follow).active is False


def test_a_record_page_reads_the_follow_choice_with_the_person(app, users, login):
    """A record page's GET reads the reader's follow choice in the statement that loads them
    (no statement of its own), and its button says what the database holds after each change:
    a choice made, unmade, and none at all (the owner follows what they take part in)."""
    from tests.conftest import count_queries

    need = factories.make_need(users["requester"], title="Leak detection")
    offer = factories.make_offer(users["expert"], title="Acoustic loggers")
    db.session.commit()
    client = login("other_expert")

    def button(path: str, reader=client) -> str:
        with count_queries(app) as statements:
            page = reader.get(path).get_data(as_text=True)
        reading = [statement for statement in statements if "FROM follows" in statement]
        assert len(reading) == 1 and "FROM users" in reading[0], reading
        found = re.search(r'id="follow-button-[a-z]+-\d+">([^<]+)</button>', page)
        assert found, page
        return found.group(1)

    assert button(f"/needs/{need.id}") == "Follow"
    assert client.post(f"/follow/need/{need.id}", data={"follow": "1"}).status_code == 302
    assert db.session.scalar(db.select(Follow.active).filter_by(record_id=need.id)) is True
    assert button(f"/needs/{need.id}") == "Unfollow"
    assert button(f"/offers/{offer.id}") == "Follow"  # the choice is the page's record's
    assert client.post(f"/follow/need/{need.id}", data={"follow": "0"}).status_code == 302
    assert button(f"/needs/{need.id}") == "Follow"

    # The owner made no choice: they follow what they take part in.
    client.logout()
    assert button(f"/needs/{need.id}", login("requester")) == "Unfollow"


def test_following_a_record_one_may_not_see_is_a_404(users, login):
    need = factories.make_need(users["requester"], visibility=Visibility.RESTRICTED)
    client = login("other_expert")
    assert client.post(f"/follow/need/{need.id}", data={"follow": "1"}).status_code == 404
    assert client.post("/follow/audit/1", data={"follow": "1"}).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Follow.id))) == 0


def test_follow_needs_csrf(users, login):
    need = factories.make_need(users["requester"])
    client = login("other_expert")
    assert (
        client.post(f"/follow/need/{need.id}", data={"follow": "1"}, csrf=False).status_code == 400
    )
    assert db.session.scalar(db.select(db.func.count(Follow.id))) == 0


def test_settings_save_and_refuse_bad_input(users, login):
    client = login("expert")
    page = client.get("/profile/notifications").get_data(as_text=True)
    assert "A match proposed to my side" in page
    data = {f"kinds-{kind}": "immediately" for kind in notifications.preferences(users["expert"])}
    data["kinds-comment"] = "weekly"
    data["kinds-mention"] = "never"
    assert client.post("/profile/notifications", data=data).status_code == 302
    assert notifications.preferences(users["expert"])["comment"] == Frequency.WEEKLY
    assert notifications.preferences(users["expert"])["mention"] == Frequency.NEVER

    data["kinds-comment"] = "hourly"
    response = client.post("/profile/notifications", data=data)
    assert response.status_code == 422
    assert "Choose one of the options." in response.get_data(as_text=True)
    db.session.expire_all()
    assert notifications.preferences(users["expert"])["comment"] == Frequency.WEEKLY


def test_one_click_unsubscribe_needs_no_sign_in_and_no_csrf(users, client):
    proposal_for_expert(users)
    token = unsubscribe_token(users["expert"], "proposal")
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Stop these e-mails" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(NotificationPreference)) is None  # GET changes nothing

    assert client.post(f"/notifications/unsubscribe/{token}", csrf=False).status_code == 200
    db.session.expire_all()
    preference = db.session.scalar(db.select(NotificationPreference))
    assert (preference.user_id, preference.kind, preference.frequency) == (
        users["expert"].id,
        "proposal",
        Frequency.NEVER,
    )


def test_a_forged_or_altered_unsubscribe_token_changes_nothing(users, client):
    token = unsubscribe_token(users["expert"], "proposal")
    for bad in (token[:-2] + "xx", "nonsense", "a" * 400):
        assert client.post(f"/notifications/unsubscribe/{bad}", csrf=False).status_code == 404
    assert db.session.scalar(db.select(NotificationPreference)) is None


def test_the_mail_carries_the_rfc_8058_headers(users, smtp, client):
    proposal_for_expert(users)
    [mail] = smtp.to(users["expert"].email)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost/notifications/unsubscribe/")
    assert client.post(link.removeprefix("http://localhost"), csrf=False).status_code == 200


def test_admins_see_and_retry_failed_deliveries(users, login):
    proposal_for_expert(users)
    delivery = db.session.scalar(db.select(Delivery))
    delivery.status = DeliveryStatus.FAILED
    delivery.attempts = 4
    delivery.error = "SMTPServerDisconnected"
    db.session.commit()
    client = login("expert")
    assert client.get("/admin/notifications/failed").status_code == 403
    client.logout()
    client = login("admin")
    page = client.get("/admin/notifications/failed").get_data(as_text=True)
    assert "SMTPServerDisconnected" in page and "expert@stockholm.test" in page
    client.post(f"/admin/notifications/failed/delivery/{delivery.id}")
    assert factories.reload(delivery).status == DeliveryStatus.SENT


def test_a_follow_choice_is_the_persons_own_on_that_record_only(users, login):
    """The choice is read with a kept statement, the person and the record bound: one
    person's choice on one need says nothing of another person's, or of another need."""
    from portal.notifications.events import is_following

    need = factories.make_need(users["requester"], title="Leak detection")
    other_need = factories.make_need(users["requester"], title="Pump station")
    client = login("other_expert")
    assert client.post(f"/follow/need/{need.id}", data={"follow": "1"}).status_code == 302
    assert ">Follow</button>" not in client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert ">Follow</button>" in client.get(f"/needs/{other_need.id}").get_data(as_text=True)
    db.session.expire_all()
    assert is_following(users["other_expert"], "need", need) is True
    assert is_following(users["other_expert"], "need", other_need) is False
    assert is_following(users["expert"], "need", need) is False
