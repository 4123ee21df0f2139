"""What needs and offers share, tested for both: who may reach the pages and change a posting,
the life cycle's refusals, conflicts, and the visibility rule in Python and in SQL alike."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import Forbidden

from portal.audit.models import AuditEvent
from portal.audit.services import history
from portal.core.conflicts import EditConflict
from portal.core.enums import MatchStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import utcnow
from portal.extensions import db
from tests import factories
from tests.conftest import count_queries
from tests.factories import make_match, reload

# ---------------------------------------------------------------- pages: refusals


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/new"), ("post", "/new"), ("get", "/{id}/edit"), ("post", "/{id}/edit")],
)
def test_anonymous_is_sent_to_sign_in(client, kind, make_posting, method, path):
    posting = make_posting()
    response = getattr(client, method)(kind.prefix + path.format(id=posting.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert reload(posting).version == posting.version


def test_anonymous_state_changes_are_sent_to_sign_in(client, kind, make_posting):
    posting = make_posting()
    for action in kind.state_changes:
        response = client.post(f"{kind.prefix}/{posting.id}/{action}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert reload(posting).status == kind.status("open")


def test_htmx_request_hitting_the_login_wall_gets_hx_redirect(client, kind, make_posting):
    posting = make_posting()
    response = client.post(f"{kind.prefix}/{posting.id}/publish", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


def test_only_the_posting_role_may_create(login, kind):
    for who in kind.other_roles:
        client = login(who)
        assert client.get(f"{kind.prefix}/new").status_code == 403
        assert client.post(f"{kind.prefix}/new", data={"title": "Taken"}).status_code == 403
        client.post("/logout")
    assert db.session.scalar(db.select(db.func.count(kind.model.id))) == 0


def test_outsiders_may_not_edit_or_change_state(login, kind, make_posting):
    posting = make_posting()
    for who in kind.outsiders:
        client = login(who)
        assert client.get(f"{kind.prefix}/{posting.id}/edit").status_code == 403
        response = client.post(
            f"{kind.prefix}/{posting.id}/edit", data={"title": "Taken", "version": "2"}
        )
        assert response.status_code == 403
        for action in kind.state_changes:
            assert client.post(f"{kind.prefix}/{posting.id}/{action}").status_code == 403
        client.post("/logout")
    saved = reload(posting)
    assert saved.status == kind.status("open")
    assert saved.title.original == posting.title.original
    assert saved.version == posting.version


def test_drafts_are_404_outside_the_organisation(login, kind, make_posting):
    posting = make_posting(publish=False)
    client = login("coordinator")
    assert client.get(f"{kind.prefix}/{posting.id}").status_code == 404
    assert client.post(f"{kind.prefix}/{posting.id}/publish").status_code == 404
    assert client.get(f"{kind.prefix}/{posting.id}/edit").status_code == 404
    assert reload(posting).status == kind.status("draft")


@pytest.mark.parametrize("path", ["/999999", "/99999999999999999999", "/0", "/abc"])
def test_unknown_postings_are_404(client, kind, path):
    assert client.get(kind.prefix + path).status_code == 404


def test_state_changes_are_post_only(login, kind, make_posting):
    posting = make_posting()
    client = login(kind.owner)
    for action in kind.state_changes:
        assert client.get(f"{kind.prefix}/{posting.id}/{action}").status_code == 405


def test_publishing_twice_is_a_409_with_the_message(login, kind, make_posting):
    posting = make_posting()
    response = login(kind.owner).post(f"{kind.prefix}/{posting.id}/publish")
    assert response.status_code == 409
    assert "Only a draft can be published" in response.get_data(as_text=True)
    assert [e.action for e in history(kind.name, posting.id)] == ["publish", "create"]


# ---------------------------------------------------------------- services


def test_only_the_owning_organisation_changes_state(kind, make_posting, users):
    posting = make_posting(publish=False)
    for who in kind.outsiders:
        for action in kind.state_changes:
            with pytest.raises(Forbidden):
                kind.change(action)(users[who], posting)
    assert reload(posting).status == kind.status("draft")


def test_a_refused_transition_changes_nothing(kind, make_posting, users):
    posting = make_posting()
    kind.change("withdraw")(users[kind.owner], posting)
    db.session.commit()
    for action in kind.state_changes:
        with pytest.raises(IllegalTransition):
            kind.change(action)(users[kind.owner], posting)
    db.session.rollback()
    assert reload(posting).status == kind.status("withdrawn")
    assert [e.action for e in history(kind.name, posting.id)] == ["withdraw", "publish", "create"]


@pytest.mark.parametrize(
    "field",
    ["organisation", "organisation_id", "created_by_id", "agreement_id", "status", "version"],
)
def test_update_cannot_change_owner_agreement_or_status(kind, make_posting, users, field):
    posting = make_posting(publish=False)
    update = getattr(kind.services, f"update_{kind.name}")
    with pytest.raises(TypeError):
        update(users[kind.owner], posting, expected_version=1, **{field: 999})
    saved = reload(posting)
    assert saved.organisation_id == users[kind.owner].organisation_id
    assert saved.status == kind.status("draft")


def test_update_on_a_stale_version_is_a_conflict(kind, make_posting, users):
    posting = make_posting(publish=False)
    update = getattr(kind.services, f"update_{kind.name}")
    update(users[kind.owner], posting, expected_version=1, title="First")
    db.session.commit()
    with pytest.raises(EditConflict) as conflict:
        update(users[kind.owner], posting, expected_version=1, title="Second")
    assert conflict.value.record is posting
    saved = reload(posting)
    assert saved.title.original == "First"
    assert saved.version == 2


def test_services_flush_and_leave_the_commit_to_the_caller(kind, make_posting, users):
    posting = make_posting(publish=False)
    kind.change("publish")(users[kind.owner], posting)
    db.session.rollback()
    assert reload(posting).status == kind.status("draft")
    assert [e.action for e in history(kind.name, posting.id)] == ["create"]


# ---------------------------------------------------------------- who may see a posting


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.AGREED])
def test_restricted_is_seen_by_the_other_end_of_a_live_match(kind, users, status):
    """The same rule in Python (``can_view``) and in SQL (``visible_to``)."""
    from tests.factories import post_need, post_offer

    need = post_need(users["requester"], visibility=Visibility.RESTRICTED)
    offer = post_offer(users["expert"], visibility=Visibility.RESTRICTED)
    posting, other_end = (need, "expert") if kind.name == "need" else (offer, "requester")
    model = kind.model

    def sees(who: str) -> tuple[bool, bool]:
        user = users[who]
        db.session.expire_all()
        in_sql = db.session.scalar(
            db.select(model.id).where(model.id == posting.id, model.visible_to(user))
        )
        return reload(posting).can_view(user), in_sql is not None

    assert sees(other_end) == (False, False)
    match = make_match(need, offer, users["requester"], status=status)
    assert sees(other_end) == (True, True)
    assert sees("other_" + other_end) == (False, False)
    match.status = MatchStatus.DECLINED
    db.session.commit()
    assert sees(other_end) == (False, False)
    assert sees("coordinator") == (True, True)


@pytest.mark.parametrize("kind", ["need", "offer"])
def test_a_postings_page_reads_its_title_and_description_in_one_statement(app, users, login, kind):
    """Every language version of both texts at once (``load_versions``), shown in the reader's
    language."""
    make = factories.make_need if kind == "need" else factories.make_offer
    posting = make(
        users["requester" if kind == "need" else "expert"],
        title="Ремонт водогону",
        description="Потрібні інженери.",
        lang="uk",
    )
    posting.title.set_version("sv", "Reparation av vattenledning", users["coordinator"])
    posting.description.set_version("sv", "Ingenjörer behövs.", users["coordinator"])
    db.session.commit()
    client = login("coordinator")
    with count_queries(app) as statements:
        page = client.get(f"/{kind}s/{posting.id}?lang=sv").get_data(as_text=True)
    assert "Reparation av vattenledning" in page and "Ingenjörer behövs." in page
    own = [s for s in statements if " ".join(s.split()).startswith("SELECT text_versions.")]
    assert len(own) == 1, own


def test_a_postings_page_shows_its_history_newest_first(app, login, kind, make_posting, users):
    """Who did what, and which fields an edit changed; an event without a person (the
    system's) names nobody. Only signed-in readers see it."""
    posting = make_posting(visibility=Visibility.PUBLIC)
    kind.services.__dict__[f"update_{kind.name}"](
        users[kind.owner], posting, expected_version=posting.version, description="New words."
    )
    db.session.commit()
    db.session.add(
        AuditEvent(
            action="close", record_type=kind.name, record_id=posting.id, at=utcnow(), after={}
        )
    )
    db.session.commit()
    page = login("coordinator").get(f"{kind.prefix}/{posting.id}").get_data(as_text=True)
    history_part = page.split('id="history-heading"')[1].split("</ol>")[0]
    items = [" ".join(li.split("</time>:")[1].split()) for li in history_part.split("<li>")[1:]]
    owner = users[kind.owner].name
    assert items == [
        "Closed </li>",
        f'Edited · {owner}<br><span class="meta">Changed: Description</span> </li>',
        f"Published · {owner} </li>",
        f"Created · {owner} </li>",
    ]
    assert "history-heading" not in login_anonymous(app).get(
        f"{kind.prefix}/{posting.id}"
    ).get_data(as_text=True)


def login_anonymous(app):
    return app.test_client()
