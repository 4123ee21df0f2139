"""Discussion threads: posting with and without htmx, bad input, mentions, corrections within
the edit window, removal, and visibility (a comment is seen only by those who see its record)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.comments import services
from portal.comments.models import Comment
from portal.core.enums import MatchStatus, Visibility
from portal.extensions import db
from tests.factories import make_match, make_need, make_offer, reload

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}


def comments_on(kind: str, record_id: int) -> list[Comment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.record_kind == kind, Comment.record_id == record_id)
            .order_by(Comment.id)
        )
    )


def form(body: str, lang: str = "en", kind: str = "need", record_id: int = 0) -> dict:
    prefix = f"comment-{kind}-{record_id}"
    return {f"{prefix}-body": body, f"{prefix}-lang": lang}


@pytest.fixture
def need(users):
    return make_need(users["requester"], visibility=Visibility.PARTNERS)


@pytest.fixture
def restricted_need(users):
    return make_need(users["requester"], visibility=Visibility.RESTRICTED)


def test_posting_without_javascript_saves_and_returns_to_the_record(client, login, need, told):
    login("expert")
    response = client.post(
        f"/r/need/{need.id}/comments", data=form("Vi kan hjälpa till.", "sv", "need", need.id)
    )
    assert response.status_code == 302
    [comment] = comments_on("need", need.id)
    assert response.headers["Location"].endswith(f"/needs/{need.id}#comment-{comment.id}")
    assert (comment.body, comment.lang, comment.author.email) == (
        "Vi kan hjälpa till.",
        "sv",
        "expert@stockholm.test",
    )
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'lang="sv"' in page and "Vi kan hjälpa till." in page
    assert [call[0] for call in told] == ["comment"]
    event = db.session.scalar(select(AuditEvent).filter_by(record_type="comment"))
    assert event.action == "create" and event.record_id == comment.id


def test_posting_with_htmx_returns_the_thread_with_the_new_comment(client, login, need):
    login("expert")
    response = client.post(
        f"/r/need/{need.id}/comments",
        data=form("See https://example.org/leaks?a=1&b=2. <b>bold</b>", "en", "need", need.id),
        headers=HX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="discussion-need-{need.id}"' in html
    assert '<a href="https://example.org/leaks?a=1&amp;b=2" rel="nofollow noopener">' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "HX-Request" in response.headers["Vary"]
    assert len(comments_on("need", need.id)) == 1


def test_only_http_addresses_become_links(app):
    from portal.comments.rendering import render_comment

    html = str(render_comment('javascript:alert(1) "x" ftp://a.b <img src=x>'))
    assert "<a" not in html and "&lt;img" in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write something before posting."),
        ("x" * 5001, "A comment may be at most"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_keeps_the_text(client, login, need, body, message):
    login("expert")
    response = client.post(f"/r/need/{need.id}/comments", data=form(body, "en", "need", need.id))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    if body.strip():
        assert body in html  # nothing typed is lost
    assert comments_on("need", need.id) == []


def test_an_unknown_language_is_refused(client, login, need):
    login("expert")
    response = client.post(f"/r/need/{need.id}/comments", data=form("Hello", "de", "need", need.id))
    assert response.status_code == 422
    assert comments_on("need", need.id) == []


def test_the_language_defaults_to_the_interface_language(client, login, need):
    login("expert")
    html = client.get(f"/needs/{need.id}?lang=uk").get_data(as_text=True)
    assert 'selected value="uk"' in html.replace('lang="uk" ', "") or (
        '<option lang="uk" selected value="uk">' in html
    )


def test_a_restricted_records_thread_is_hidden_from_others(client, login, users, restricted_need):
    db.session.add(
        Comment(
            record_kind="need",
            record_id=restricted_need.id,
            author=users["requester"],
            body="Pump station 4 is down ZXQSECRET",
            lang="en",
        )
    )
    db.session.commit()
    login("other_requester")
    assert client.get(f"/r/need/{restricted_need.id}/comments").status_code == 404
    assert client.get(f"/r/need/{restricted_need.id}/mentions?q=ol").status_code == 404
    response = client.post(
        f"/r/need/{restricted_need.id}/comments", data=form("hi", "en", "need", restricted_need.id)
    )
    assert response.status_code == 404
    [comment] = comments_on("need", restricted_need.id)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 404
    assert client.post(f"/comments/{comment.id}/remove").status_code == 404
    assert services.count_visible(users["other_requester"]) == 0
    assert services.count_visible(users["coordinator"]) == 1
    assert services.count_visible(users["requester"]) == 1
    assert comment.can_view(users["other_requester"]) is False
    assert comment.can_view(users["coordinator"]) is True


def test_visible_to_follows_each_kind_of_record(app, users):
    need = make_need(users["requester"], visibility=Visibility.RESTRICTED)
    offer = make_offer(users["expert"], visibility=Visibility.PARTNERS)
    match = make_match(need, offer, users["requester"], status=MatchStatus.PROPOSED)
    for kind, record in (("need", need), ("offer", offer), ("match", match)):
        db.session.add(
            Comment(
                record_kind=kind,
                record_id=record.id,
                author=users["requester"],
                body="x",
                lang="en",
            )
        )
    db.session.commit()
    visible = {
        who: sorted(
            c.record_kind
            for c in db.session.scalars(select(Comment).where(Comment.visible_to(users[who])))
        )
        for who in ("requester", "expert", "other_expert", "coordinator")
    }
    assert visible["requester"] == ["match", "need", "offer"]
    assert visible["expert"] == ["match", "need", "offer"]  # on the live match
    assert visible["other_expert"] == ["offer"]
    assert visible["coordinator"] == ["match", "need", "offer"]
    for who, kinds in visible.items():
        assert kinds == sorted(
            c.record_kind for c in db.session.scalars(select(Comment)) if c.can_view(users[who])
        )


def test_mentions_by_address_reach_only_people_who_see_the_record(
    client, login, users, restricted_need, told
):
    login("requester")
    body = (
        "@coordinator@stockholm.test please look; @other.requester@kyiv.test too, "
        "and @nobody@example.org."
    )
    response = client.post(
        f"/r/need/{restricted_need.id}/comments",
        data=form(body, "en", "need", restricted_need.id),
    )
    assert response.status_code == 302
    [comment] = comments_on("need", restricted_need.id)
    assert [p.email for p in comment.mentioned] == ["coordinator@stockholm.test"]
    assert told == [
        (
            "comment",
            "need",
            restricted_need.id,
            "requester@kyiv.test",
            ["coordinator@stockholm.test"],
        )
    ]


def test_the_mention_endpoint_suggests_only_people_who_see_the_record(
    client, login, restricted_need, need
):
    login("requester")
    hidden = client.get(f"/r/need/{restricted_need.id}/mentions?q=Taras").get_data(as_text=True)
    assert "data-mention" not in hidden and "Melnyk" not in hidden
    assert "other.requester@kyiv.test" not in hidden
    shown = client.get(f"/r/need/{restricted_need.id}/mentions?q=Erik").get_data(as_text=True)
    assert 'data-mention="coordinator@stockholm.test"' in shown
    # As typed in the form: the "@…" at the end of the text.
    typed = client.get(
        f"/r/need/{need.id}/mentions",
        query_string={f"comment-need-{need.id}-body": "Thanks @Tar"},
    ).get_data(as_text=True)
    assert 'data-mention="other.requester@kyiv.test"' in typed
    assert client.get(f"/r/need/{need.id}/mentions?q=a%").status_code == 200


def test_the_mention_endpoint_needs_a_signed_in_person(client, need):
    assert client.get(f"/r/need/{need.id}/mentions?q=Erik").status_code in (302, 401)


def _comment(users, need, who="expert", minutes_ago=0) -> Comment:
    from portal.core.types import utcnow

    comment = Comment(
        record_kind="need",
        record_id=need.id,
        author=users[who],
        body="First words",
        lang="en",
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def test_the_author_corrects_within_15_minutes_and_the_thread_says_edited(
    client, login, users, need
):
    comment = _comment(users, need, minutes_ago=5)
    login("expert")
    # Seen before the correction: the comment's row is kept rendered (web.kept_row) under what
    # it said then, and must not be what the page shows after.
    before = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "(edited)" not in before and "Better words" not in before
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Better words"})
    assert response.status_code == 302
    fresh = reload(comment)
    assert fresh.body == "Better words" and fresh.edited_at is not None
    after = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "(edited)" in after and "Better words" in after


def test_no_correction_after_15_minutes_nor_by_someone_else(client, login, users, need):
    late = _comment(users, need, minutes_ago=16)
    other = _comment(users, need, who="requester")
    login("expert")
    assert client.post(f"/comments/{late.id}/edit", data={"body": "Too late"}).status_code == 302
    assert client.post(f"/comments/{other.id}/edit", data={"body": "Not mine"}).status_code == 403
    assert reload(late).body == "First words" and reload(late).edited_at is None
    assert reload(other).body == "First words"


def test_an_empty_correction_is_refused(client, login, users, need):
    comment = _comment(users, need)
    login("expert")
    response = client.post(f"/comments/{comment.id}/edit", data={"body": " "})
    assert response.status_code == 422
    assert "Write something before posting." in response.get_data(as_text=True)
    assert reload(comment).body == "First words"


@pytest.mark.parametrize("who", ["expert", "coordinator"])
def test_removal_by_the_author_or_a_coordinator_is_shown_and_audited(
    client, login, users, need, who
):
    comment = _comment(users, need, minutes_ago=60)
    login(who)
    response = client.post(f"/comments/{comment.id}/remove", headers=HX)
    assert response.status_code == 200
    assert "Comment removed." in response.get_data(as_text=True)
    fresh = reload(comment)
    assert fresh.removed_at is not None and fresh.body == ""
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Comment removed." in page and "First words" not in page
    event = db.session.scalar(select(AuditEvent).filter_by(record_type="comment", action="remove"))
    assert event.before["body"] == "First words"
    assert event.actor_id == users[who].id


def test_others_may_not_remove_a_comment(client, login, users, need):
    comment = _comment(users, need)
    login("other_expert")
    assert client.post(f"/comments/{comment.id}/remove").status_code == 403
    assert reload(comment).removed_at is None


def test_visitors_read_a_public_thread_but_cannot_post(client, users):
    need = make_need(users["requester"], visibility=Visibility.PUBLIC)
    _comment(users, need)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "First words" in page and "Post the comment" not in page
    response = client.post(f"/r/need/{need.id}/comments", data=form("x", "en", "need", need.id))
    assert response.status_code in (302, 401)
    assert len(comments_on("need", need.id)) == 1


def test_kinds_without_a_discussion_are_404(client, login, need):
    login("expert")
    assert client.get(f"/r/milestone/{need.id}/comments").status_code == 404
    assert client.get(f"/r/user/{need.id}/comments").status_code == 404
    assert client.get("/r/need/987654321/comments").status_code == 404


def test_a_match_and_a_project_have_their_threads(client, login, users):
    from tests.projects.factories import bare_project

    need = make_need(users["requester"])
    offer = make_offer(users["expert"])
    match = make_match(need, offer, users["requester"])
    project = bare_project(users, 1, visibility=Visibility.PARTNERS)
    db.session.commit()
    login("expert")
    for kind, record_id, page in (
        ("match", match.id, f"/matches/{match.id}"),
        ("project", project.id, f"/projects/{project.id}"),
    ):
        response = client.post(
            f"/r/{kind}/{record_id}/comments", data=form(f"On the {kind}", "en", kind, record_id)
        )
        assert response.status_code == 302, kind
        assert f"On the {kind}" in client.get(page).get_data(as_text=True)
        assert [c.body for c in comments_on(kind, record_id)] == [f"On the {kind}"]


def test_a_thread_holds_its_own_records_comments_only_with_names_in_the_readers_language(
    app, client, login, users, need
):
    """The thread is read with a kept select whose record is a bound parameter: each record's
    page shows its own comments, in order, and none of another record's (a need's comment on an
    offer's page, or on another need's)."""
    other = make_need(users["requester"], visibility=Visibility.PARTNERS)
    offer = make_offer(users["expert"], visibility=Visibility.PARTNERS)
    first = services.post(users["expert"], need, "First on the need", "en")
    services.post(users["requester"], other, "On the other need", "en")
    services.post(users["expert"], offer, "On the offer", "en")
    second = services.post(users["requester"], need, "Second on the need", "en")
    services.remove(users["requester"], second)
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        shown = services.thread(need)
        assert [(c.id, c.body, c.is_removed) for c in shown] == [
            (first.id, "First on the need", False),
            (second.id, "", True),
        ]
        organisation = users["expert"].organisation
        assert shown[0].author.name == users["expert"].name
        assert shown[0].author.organisation.name == organisation.name_sv
        assert [c.body for c in services.thread(offer)] == ["On the offer"]
    login("expert")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "First on the need" in page and "Comment removed." in page
    assert "On the other need" not in page and "On the offer" not in page
