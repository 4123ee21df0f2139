"""Who is told about what: every event kind against its recipients, the actor left out, and
nobody told about a record they may not see (when the event is made, shown or mailed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.enums import ReportStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching import services as matching
from portal.notifications import queries
from portal.notifications import services as notifications
from portal.notifications.events import notify
from portal.notifications.models import DeliveryStatus, Frequency
from portal.projects import services as projects
from tests import factories
from tests.notifications.conftest import body_of, deliveries, inbox_of, kinds_for, outbox_to
from tests.projects import factories as pf


def need_and_offer(users, visibility=Visibility.PARTNERS):
    need = factories.make_need(users["requester"], visibility=visibility, title="Leak detection")
    offer = factories.make_offer(users["expert"], title="Acoustic loggers")
    return need, offer


# ------------------------------------------------------------------------------- matching


def test_a_proposal_is_told_to_the_side_that_decides(users, smtp):
    need, offer = need_and_offer(users)
    matching.propose(users["requester"], need, offer)
    db.session.commit()

    assert kinds_for(users["expert"]) == ["proposal"]
    for nobody in ("requester", "coordinator", "other_expert", "other_requester", "admin"):
        assert kinds_for(users[nobody]) == [], nobody
    [mail] = smtp.to(users["expert"].email)
    assert "Olena Kovalenko proposed a match" in mail["Subject"]
    assert "Leak detection" in mail["Subject"]
    assert "/matches/" in body_of(mail)


def test_a_coordinators_proposal_is_told_to_both_sides(users):
    need, offer = need_and_offer(users)
    matching.propose(users["coordinator"], need, offer)
    db.session.commit()

    assert kinds_for(users["expert"]) == ["proposal"]
    assert kinds_for(users["requester"]) == ["proposal"]
    assert kinds_for(users["coordinator"]) == []


def test_accepting_and_declining_are_told_to_the_match_s_people(users):
    need, offer = need_and_offer(users)
    match = matching.propose(users["coordinator"], need, offer)
    db.session.commit()
    matching.accept(users["expert"], match)
    db.session.commit()
    assert kinds_for(users["requester"]) == ["proposal", "match_accepted"]
    assert kinds_for(users["coordinator"]) == ["match_accepted"]  # proposed it: follows it
    assert kinds_for(users["expert"]) == ["proposal"]

    matching.decline(users["requester"], match, "Not now")
    db.session.commit()
    assert kinds_for(users["expert"]) == ["proposal", "match_declined"]
    assert kinds_for(users["coordinator"]) == ["match_accepted", "match_declined"]
    assert kinds_for(users["other_expert"]) == []


# ------------------------------------------------------------------------------- projects


def test_a_started_project_and_a_status_report_are_told_to_its_organisations(users):
    project = pf.start(users, [pf.agreed_match(users)])
    db.session.commit()
    assert kinds_for(users["requester"]) == ["project_started"]
    assert kinds_for(users["expert"]) == ["project_started"]
    assert kinds_for(users["coordinator"]) == []  # started it
    assert kinds_for(users["other_requester"]) == []

    projects.change_status(users["coordinator"], project, projects.ProjectStatus.ACTIVE)
    projects.add_report(
        users["requester"], project, status=ReportStatus.ON_TRACK, body="Going well", lang="en"
    )
    db.session.commit()
    assert kinds_for(users["expert"]) == ["project_started", "report_posted"]
    assert kinds_for(users["requester"]) == ["project_started"]
    assert kinds_for(users["coordinator"]) == ["report_posted"]  # started it: follows it
    [report_note] = [n for n in inbox_of(users["expert"]) if n.kind == "report_posted"]
    assert report_note.record_kind == "status_report"


# ------------------------------------------------------------- comments, mentions, documents


def test_comments_reach_followers_and_mentions_the_mentioned(users):
    need, _ = need_and_offer(users)
    notifications.set_following(users["other_expert"], "need", need, True)
    db.session.commit()

    notify("comment", need, users["expert"], mentioned=[users["coordinator"]])
    notify("document", need, users["requester"])
    db.session.commit()

    assert kinds_for(users["requester"]) == ["comment"]  # owns the need: follows it
    assert kinds_for(users["other_expert"]) == ["comment", "document"]
    assert kinds_for(users["coordinator"]) == ["mention"]
    assert kinds_for(users["expert"]) == []  # wrote the comment; does not follow the need
    assert inbox_of(users["coordinator"])[0].is_mention


def test_unfollowing_mutes_a_record_one_takes_part_in(users):
    need, _ = need_and_offer(users)
    assert notifications.set_following(users["requester"], "need", need, False) is False
    db.session.commit()
    notify("comment", need, users["expert"])
    db.session.commit()
    assert kinds_for(users["requester"]) == []

    assert notifications.set_following(users["requester"], "need", need, True) is True
    db.session.commit()
    notify("comment", need, users["expert"])
    db.session.commit()
    assert kinds_for(users["requester"]) == ["comment"]


def test_a_comment_on_a_milestone_reaches_the_project_s_followers(users):
    project = pf.start(users, [pf.agreed_match(users)])
    milestone = pf.milestone(project)
    db.session.commit()
    notify("comment", milestone, users["coordinator"])
    db.session.commit()
    assert kinds_for(users["expert"]) == ["project_started", "comment"]


# ------------------------------------------------------------------------------ visibility


def test_nobody_is_told_about_a_record_they_may_not_see(users):
    need, _ = need_and_offer(users, visibility=Visibility.RESTRICTED)
    notify("comment", need, users["requester"], mentioned=[users["other_expert"]])
    db.session.commit()
    assert kinds_for(users["other_expert"]) == []
    with pytest.raises(IllegalTransition):
        notifications.set_following(users["other_expert"], "need", need, True)
    db.session.rollback()


def test_a_record_that_becomes_hidden_leaves_the_inbox_the_count_and_the_mail(users):
    need, _ = need_and_offer(users)
    notifications.set_following(users["other_expert"], "need", need, True)
    notifications.set_preferences(
        users["other_expert"], users["other_expert"], {"comment": Frequency.DAILY}
    )
    db.session.commit()
    notify("comment", need, users["requester"])
    db.session.commit()
    reader = users["other_expert"]
    assert queries.unread_count(reader) == 1
    assert len(queries.inbox(reader, kind=None, unread_only=False, page=1)[1]) == 1

    factories.reload(need).visibility = Visibility.RESTRICTED
    db.session.commit()
    assert queries.unread_count(reader) == 0
    assert queries.inbox(reader, kind=None, unread_only=False, page=1)[1] == []

    from portal.notifications.schedule import run_due

    run_due(utcnow() + timedelta(days=1))
    assert outbox_to(reader) == []
    assert [d.status for d in deliveries()] == [DeliveryStatus.SKIPPED]


def test_mail_about_a_restricted_record_names_no_title(users, smtp):
    need, offer = need_and_offer(users, visibility=Visibility.RESTRICTED)
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    [mail] = smtp.to(users["expert"].email)
    assert "Leak detection" not in mail["Subject"]
    assert "Leak detection" not in body_of(mail)
    assert "Olena" not in body_of(mail)
    assert "A restricted record changed" in mail["Subject"]
    # The inbox, behind sign-in, names it.
    assert kinds_for(users["expert"]) == ["proposal"]


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("locale", "words"),
    [("sv", "föreslog en matchning"), ("uk", "запропонував"), ("en", "proposed a match")],
)
def test_mail_is_in_the_recipient_s_language_not_the_sender_s(users, smtp, locale, words):
    users["expert"].locale = locale
    users["requester"].locale = "uk"
    db.session.commit()
    need, offer = need_and_offer(users)
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    [mail] = smtp.to(users["expert"].email)
    assert words in mail["Subject"]


# -------------------------------------------------------------------------------- invitation


def test_an_accepted_invitation_is_told_to_who_invited(users):
    from portal.accounts import services as accounts
    from portal.accounts.models import TokenPurpose
    from portal.core.enums import Role

    admin = users["admin"]
    new = accounts.create_user(
        email="new.person@kyiv.test",
        name="Iryna Bondar",
        password=None,
        role=Role.REQUESTER,
        organisation=users["requester"].organisation,
        actor=admin,
    )
    accounts.send_invitation(admin, new)
    token = accounts.issue_token(new, TokenPurpose.INVITATION)
    db.session.commit()
    accounts.redeem_token(accounts.find_token(token, TokenPurpose.INVITATION), "kyiv river at dawn")
    assert kinds_for(admin) == ["invitation_accepted"]
    assert kinds_for(users["coordinator"]) == []


# ------------------------------------------------------------------------------ preferences


def test_never_keeps_the_inbox_and_sends_no_mail(users, smtp):
    notifications.set_preferences(users["expert"], users["expert"], {"proposal": Frequency.NEVER})
    db.session.commit()
    need, offer = need_and_offer(users)
    matching.propose(users["requester"], need, offer)
    db.session.commit()
    assert kinds_for(users["expert"]) == ["proposal"]
    assert smtp.messages == []
    assert deliveries() == []


def test_a_rolled_back_change_tells_nobody(users, smtp):
    need, offer = need_and_offer(users)
    matching.propose(users["requester"], need, offer)
    db.session.rollback()
    factories.make_need(users["requester"], title="Something else")  # another commit
    assert kinds_for(users["expert"]) == []
    assert smtp.messages == []


# ------------------------------------------------------------------------------ taking part


def test_taking_part_is_read_off_the_person_as_the_participants_list_says(users):
    """The follow button asks ``takes_part`` for one person; it must agree with the list of
    everyone who takes part, for every kind of record and every person of the cast, a
    deactivated one and the starter of a match and a project among them."""
    from portal.accounts.models import User
    from portal.notifications import records

    need, offer = need_and_offer(users)
    match = matching.propose(users["coordinator"], need, offer)
    project = pf.start(users, [pf.agreed_match(users)])
    milestone = pf.milestone(project)
    # A deactivated colleague of the requester, and an admin on the expert's side: neither
    # takes part.
    users["other_requester"].organisation_id = users["requester"].organisation_id
    users["other_requester"].is_active_account = False
    users["admin"].organisation_id = users["expert"].organisation_id
    db.session.commit()
    cast = db.session.scalars(db.select(User).order_by(User.id)).all()
    agreement = need.agreement
    records_by_kind = {
        "need": need,
        "offer": offer,
        "match": match,
        "project": project,
        "milestone": milestone,
        "agreement": agreement,
    }
    seen = set()
    for kind, record in records_by_kind.items():
        taking_part = {p.id for p in records.participants(kind, record)}
        seen |= {(kind, i) for i in taking_part}
        for person in cast:
            expected = person.id in taking_part
            assert records.takes_part(person, kind, record) is expected, (kind, person.email)
    # The cast covers both answers for every kind, a starter outside both sides included.
    assert ("match", users["coordinator"].id) in seen
    assert all(any(k == kind for k, _ in seen) for kind in records_by_kind)


def test_the_unread_count_is_each_persons_own_whatever_was_counted_before(users):
    """The count's statement is kept per scope and admin or not, the person is a parameter: two
    coordinators of one organisation, and an admin and an expert of one organisation (one
    scope, but only the admin is told about accounts), each count their own, in either
    order."""
    from portal.accounts.services import create_user
    from portal.core.enums import Role
    from portal.notifications.models import Notification, NotificationEvent

    coordinator = users["coordinator"]
    admin = create_user(
        email="second.admin@stockholm.test",
        name="Sara Ek",
        password="correct horse battery staple",
        role=Role.ADMIN,
        organisation=users["expert"].organisation,
        actor=None,
    )
    colleague = create_user(
        email="second.coordinator@stockholm.test",
        name="Nils Berg",
        password="correct horse battery staple",
        role=Role.COORDINATOR,
        organisation=coordinator.organisation,
        actor=None,
    )
    need, _ = need_and_offer(users)
    db.session.flush()

    def tell(person, record_kind, record_id, times):
        for _ in range(times):
            event = NotificationEvent(kind="comment", record_kind=record_kind, record_id=record_id)
            db.session.add(event)
            db.session.flush()
            db.session.add(
                Notification(
                    event_id=event.id,
                    user_id=person.id,
                    kind="comment",
                    record_kind=record_kind,
                    record_id=record_id,
                )
            )

    tell(coordinator, "need", need.id, 1)
    tell(colleague, "need", need.id, 3)
    tell(admin, "need", need.id, 2)
    tell(admin, "user", colleague.id, 1)  # about an account: for admins only
    tell(users["expert"], "need", need.id, 1)
    tell(users["expert"], "user", colleague.id, 1)
    db.session.commit()
    expected = {coordinator: 1, colleague: 3, admin: 3, users["expert"]: 1}
    for order in (list(expected), list(reversed(expected))):
        assert {person: queries.unread_count(person) for person in order} == expected
