"""The matching pages per role: lists, detail, proposing, deciding, htmx fragments."""

from __future__ import annotations

import pytest
from flask import render_template
from flask_login import login_user

from portal.core.enums import MatchStatus, NeedStatus, Visibility
from portal.extensions import db
from portal.matching import panels, services
from portal.matching.models import Match
from tests.conftest import count_queries

HX = {"HX-Request": "true"}
ROLES = ["requester", "expert", "coordinator", "admin", "other_requester", "other_expert"]


def body(response) -> str:
    return response.get_data(as_text=True)


def match_count() -> int:
    return db.session.scalar(db.select(db.func.count(Match.id)))


@pytest.fixture
def pair(make_need, make_offer):
    return make_need(), make_offer()


@pytest.fixture
def proposed(users, pair):
    """Proposed by the requester: waits for the expert side."""
    need, offer = pair
    return saved(services.propose(users["requester"], need, offer))


def saved(result):
    """What a service wrote, committed as the request that called it would."""
    db.session.commit()
    return result


def refreshed(match: Match) -> Match:
    db.session.expire_all()
    return db.session.get(Match, match.id)


# ------------------------------------------------------------------------------ sign-in wall


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/matches/"),
        ("get", "/matches/1"),
        ("get", "/matches/propose"),
        ("post", "/matches/propose"),
        ("post", "/matches/1/accept"),
        ("post", "/matches/1/decline"),
        ("post", "/matches/1/withdraw"),
    ],
)
def test_every_page_needs_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_htmx_request_at_the_sign_in_wall_is_redirected_by_htmx(client, proposed):
    response = client.post(f"/matches/{proposed.id}/accept", headers=HX)
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert refreshed(proposed).status == MatchStatus.PROPOSED


def test_post_without_csrf_token_is_refused(login, proposed):
    client = login("expert")
    response = client.post(f"/matches/{proposed.id}/accept", csrf=False)
    assert response.status_code == 400
    assert refreshed(proposed).expert_accepted_at is None


# ------------------------------------------------------------------------------------- list


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("requester", True),
        ("expert", True),
        ("coordinator", True),
        ("admin", False),
        ("other_requester", False),
        ("other_expert", False),
    ],
)
def test_the_list_shows_only_visible_matches(login, proposed, who, sees):
    response = login(who).get("/matches/")
    assert response.status_code == 200
    assert ("Leak detection in the water network" in body(response)) is sees
    assert (f'id="match-{proposed.id}"' in body(response)) is sees


def test_waiting_for_your_decision_comes_first_and_is_said_in_words(
    login, users, make_need, make_offer, make_match
):
    waiting = saved(services.propose(users["requester"], make_need("First need"), make_offer()))
    mine = saved(services.propose(users["expert"], make_need("Second need"), make_offer()))
    page = body(login("expert").get("/matches/"))
    assert page.index(f'id="match-{waiting.id}"') < page.index(f'id="match-{mine.id}"')
    assert page.count("Waiting for your decision") == 1
    assert "Waiting for: Requesting side" in page


def test_filter_by_status_and_waiting(login, users, make_need, make_offer):
    agreed = saved(services.propose(users["requester"], make_need("Agreed need"), make_offer()))
    saved(services.accept(users["expert"], agreed))
    waiting = saved(services.propose(users["requester"], make_need("Waiting need"), make_offer()))
    client = login("expert")
    page = body(client.get("/matches/?status=agreed"))
    assert f'id="match-{agreed.id}"' in page and f'id="match-{waiting.id}"' not in page
    page = body(client.get("/matches/?waiting=y"))
    assert f'id="match-{waiting.id}"' in page and f'id="match-{agreed.id}"' not in page
    # Junk filters are ignored, not an error.
    response = client.get("/matches/?status=nonsense&page=abc&waiting=maybe")
    assert response.status_code == 200


def test_the_filter_answers_htmx_with_the_results_fragment(login, proposed):
    response = login("expert").get("/matches/?status=proposed", headers=HX)
    assert response.status_code == 200
    page = body(response)
    assert page.lstrip().startswith('<div id="match-results">')
    assert "<html" not in page
    assert "HX-Request" in response.headers["Vary"]
    full = login("expert").get("/matches/?status=proposed")  # still signed in
    assert "<html" in body(full) and "HX-Request" in full.headers["Vary"]


def test_the_list_takes_the_same_number_of_queries_for_10_or_500_matches(
    app, login, users, make_need, make_offer, make_match
):
    app.config["PAGE_SIZE"] = 1000  # every match on one page: no hiding behind pagination
    client = login("expert")
    needs = [make_need(f"Need {i}", commit=False) for i in range(25)]
    offers = [make_offer(f"Offer {i}", commit=False) for i in range(20)]
    db.session.commit()
    pairs = [(n, o) for n in needs for o in offers]
    counts = []
    done = 0
    for total in (10, 500):
        for need, offer in pairs[done:total]:
            make_match(need, offer, commit=False)
        db.session.commit()
        done = total
        with count_queries(app) as statements:
            response = client.get("/matches/")
        assert response.status_code == 200
        assert body(response).count('class="match"') == total
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# ----------------------------------------------------------------------------------- detail


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("requester", 200),
        ("expert", 200),
        ("coordinator", 200),
        ("admin", 404),
        ("other_requester", 404),
        ("other_expert", 404),
    ],
)
def test_detail_per_role(login, proposed, who, status):
    response = login(who).get(f"/matches/{proposed.id}")
    assert response.status_code == status
    if status == 200:
        page = body(response)
        assert "Same theme: Water and sewage" in page
        assert f"Match score: {proposed.score} of 100" in page
        assert "Proposed by Olena Kovalenko (Requesting side)" in page


def test_detail_of_a_missing_match_is_404(login):
    client = login("coordinator")
    assert client.get("/matches/999999").status_code == 404
    assert client.get("/matches/abc").status_code == 404
    assert client.get("/matches/99999999999999999999").status_code == 404
    assert client.post("/matches/99999999999999999999/accept").status_code == 404


def test_a_restricted_need_is_not_shown_through_a_finished_match(
    login, users, make_need, make_offer
):
    need = make_need(visibility=Visibility.RESTRICTED)
    match = saved(services.propose(users["requester"], need, make_offer(by="other_expert")))
    client = login("other_expert")
    assert client.get(f"/matches/{match.id}").status_code == 200
    saved(services.decline(users["other_expert"], match))
    assert client.get(f"/matches/{match.id}").status_code == 404


@pytest.mark.parametrize(
    ("who", "buttons"),
    [
        ("requester", {"Withdraw the proposal"}),
        ("expert", {"Accept the match", "Decline the match"}),
        ("coordinator", {"Withdraw the proposal"}),
    ],
)
def test_buttons_appear_exactly_when_allowed(login, proposed, who, buttons):
    page = body(login(who).get(f"/matches/{proposed.id}"))
    for label in ("Accept the match", "Decline the match", "Withdraw the proposal"):
        assert (label in page) is (label in buttons), label


def test_no_buttons_once_decided(login, users, proposed):
    saved(services.accept(users["expert"], proposed))
    for who in ("requester", "expert", "coordinator"):
        client = login(who)
        page = body(client.get(f"/matches/{proposed.id}"))
        client.logout()
        assert "Agreed" in page
        assert "<button" not in page.split('id="match-')[1].split("</article>")[0]


# ---------------------------------------------------------------------------------- deciding


def test_accept_without_javascript_redirects_with_a_message(login, proposed):
    client = login("expert")
    response = client.post(f"/matches/{proposed.id}/accept")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/matches/{proposed.id}"
    page = body(client.get(response.headers["Location"]))
    assert "the match is agreed" in page
    match = refreshed(proposed)
    assert match.status == MatchStatus.AGREED
    assert match.need.status == NeedStatus.MATCHED
    assert match.offer.committed_days == 30


def test_accept_goes_back_to_the_page_it_came_from_but_only_inside_the_portal(
    login, users, make_need, make_offer
):
    first = saved(services.propose(users["requester"], make_need(), make_offer()))
    second = saved(services.propose(users["requester"], make_need(), make_offer()))
    client = login("expert")
    response = client.post(f"/matches/{first.id}/accept", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == f"/matches/{first.id}"
    response = client.post(f"/matches/{second.id}/accept", data={"next": "/needs/1"})
    assert response.headers["Location"] == "/needs/1"


def test_accept_with_htmx_returns_the_match_fragment_and_a_live_message(login, proposed):
    response = login("expert").post(
        f"/matches/{proposed.id}/accept", data={"view": "need", "next": "/needs/1"}, headers=HX
    )
    assert response.status_code == 200
    page = body(response)
    assert page.lstrip().startswith(f'<article id="match-{proposed.id}"')
    assert "<html" not in page
    assert 'hx-swap-oob="innerHTML:#messages"' in page
    assert "the match is agreed" in page
    assert "<h4" in page  # shown inside the need's panel
    assert "Accept the match" not in page
    assert refreshed(proposed).status == MatchStatus.AGREED


def test_accepting_an_agreed_match_is_409_and_changes_nothing(login, users, proposed):
    saved(services.accept(users["expert"], proposed))
    match = refreshed(proposed)
    before = (match.version, match.offer.committed_days, match.offer.version, match.need.version)
    client = login("expert")
    response = client.post(f"/matches/{proposed.id}/accept")
    assert response.status_code == 409
    assert "already agreed" in body(response)
    # htmx does not swap a 4xx answer: it gets the match as it is, with the reason, as a 200.
    response = client.post(f"/matches/{proposed.id}/accept", headers=HX)
    assert response.status_code == 200
    assert f'id="match-{proposed.id}"' in body(response)
    assert "Not done:" in body(response)
    assert "already agreed" in body(response)
    match = refreshed(proposed)
    after = (match.version, match.offer.committed_days, match.offer.version, match.need.version)
    assert after == before


def test_an_acceptance_that_fails_halfway_leaves_nothing_written(login, proposed, monkeypatch):
    """The service has flushed the agreed match, the need's and the offer's changes when the
    audit store fails: the request rolls all of it back."""
    client = login("expert")

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record", broken)
    response = client.post(f"/matches/{proposed.id}/accept")
    assert response.status_code == 500
    match = refreshed(proposed)
    assert match.status == MatchStatus.PROPOSED and match.expert_accepted_at is None
    assert match.need.status == NeedStatus.OPEN
    assert match.offer.committed_days == 0


def test_accepting_twice_is_409(login, proposed):
    response = login("requester").post(f"/matches/{proposed.id}/accept")
    assert response.status_code == 409
    assert "already accepted" in body(response)


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_requester", 404), ("other_expert", 404), ("admin", 404), ("coordinator", 409)],
)
def test_those_who_may_not_accept_are_refused(login, proposed, who, status):
    assert login(who).post(f"/matches/{proposed.id}/accept").status_code == status
    assert refreshed(proposed).status == MatchStatus.PROPOSED


def test_decline_with_a_reason(login, proposed):
    client = login("expert")
    response = client.post(f"/matches/{proposed.id}/decline", data={"reason": "No capacity."})
    assert response.status_code == 302
    match = refreshed(proposed)
    assert match.status == MatchStatus.DECLINED
    assert match.decline_reason == "No capacity."
    assert "No capacity." in body(client.get(f"/matches/{proposed.id}"))


def test_decline_with_htmx(login, proposed):
    response = login("expert").post(
        f"/matches/{proposed.id}/decline", data={"view": "index"}, headers=HX
    )
    assert response.status_code == 200
    assert "You declined the match." in body(response)
    assert "Declined" in body(response)


@pytest.fixture
def proposed_restricted(users, make_need, make_offer):
    """A restricted need's proposal: the expert's organisation sees the need only while the
    match is live."""
    need = make_need(visibility=Visibility.RESTRICTED)
    return saved(services.propose(users["requester"], need, make_offer()))


def test_declining_a_restricted_need_with_htmx_says_so_without_showing_it(
    login, proposed_restricted
):
    title = proposed_restricted.need.title.original
    response = login("expert").post(
        f"/matches/{proposed_restricted.id}/decline", data={"view": "detail"}, headers=HX
    )
    assert response.status_code == 200
    assert "You declined the match." in body(response)
    assert f'id="match-{proposed_restricted.id}"' in body(response)
    assert title not in body(response)
    assert refreshed(proposed_restricted).status == MatchStatus.DECLINED


def test_declining_a_restricted_need_without_javascript_goes_back_to_the_list(
    login, proposed_restricted
):
    client = login("expert")
    detail = f"/matches/{proposed_restricted.id}"
    response = client.post(f"{detail}/decline", data={"next": detail})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/matches/")
    assert "You declined the match." in body(client.get("/matches/"))
    response = client.post(f"{detail}/decline", data={"next": "/matches/?status=proposed"})
    assert response.status_code == 404  # no longer visible, as if it never existed


def test_a_too_long_decline_reason_is_a_clear_422(login, proposed):
    client = login("expert")
    response = client.post(f"/matches/{proposed.id}/decline", data={"reason": "x" * 501})
    assert response.status_code == 422
    assert "too long" in body(response)
    response = client.post(
        f"/matches/{proposed.id}/decline", data={"reason": "x" * 501}, headers=HX
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in body(response)
    assert refreshed(proposed).status == MatchStatus.PROPOSED


def test_nul_characters_in_texts_are_dropped(login, pair):
    need, offer = pair
    client = login("requester")
    data = {"need_id": need.id, "offer_id": offer.id, "message": "Hello\x00 there"}
    assert client.post("/matches/propose", data=data).status_code == 302
    match = db.session.scalar(db.select(Match))
    assert match.message == "Hello there"
    client.logout()
    client = login("expert")
    response = client.post(f"/matches/{match.id}/decline", data={"reason": "No\x00"})
    assert response.status_code == 302
    assert refreshed(match).decline_reason == "No"
    assert client.get("/matches/?status=%00").status_code == 200


def test_the_proposing_side_cannot_decline(login, proposed):
    assert login("requester").post(f"/matches/{proposed.id}/decline").status_code == 409


def test_withdraw(login, proposed):
    client = login("expert")
    assert client.post(f"/matches/{proposed.id}/withdraw").status_code == 409
    client.logout()
    client = login("requester")
    response = client.post(f"/matches/{proposed.id}/withdraw")
    assert response.status_code == 302
    assert refreshed(proposed).status == MatchStatus.WITHDRAWN


def test_actions_on_a_missing_match_are_404(login):
    client = login("expert")
    for action in ("accept", "decline", "withdraw"):
        assert client.post(f"/matches/424242/{action}").status_code == 404


# -------------------------------------------------------------------------------- proposing


def test_one_click_proposal_without_javascript(login, pair):
    need, offer = pair
    client = login("requester")
    response = client.post(
        "/matches/propose",
        data={"need_id": need.id, "offer_id": offer.id, "panel": "need", "next": "/needs/1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/needs/1"
    match = db.session.scalar(db.select(Match))
    assert match.proposed_by_id is not None and match.status == MatchStatus.PROPOSED


def test_one_click_proposal_with_htmx_returns_the_panel(login, pair):
    need, offer = pair
    response = login("expert").post(
        "/matches/propose",
        data={"need_id": need.id, "offer_id": offer.id, "panel": "need", "next": "/needs/1"},
        headers=HX,
    )
    assert response.status_code == 200
    page = body(response)
    assert page.lstrip().startswith('<section id="matching-panel"')
    assert "The match was proposed." in page
    assert 'hx-swap-oob="innerHTML:#messages"' in page
    assert match_count() == 1


def test_proposing_twice_is_a_clear_409(login, users, proposed):
    client = login("expert")
    data = {"need_id": proposed.need_id, "offer_id": proposed.offer_id}
    response = client.post("/matches/propose", data=data)
    assert response.status_code == 409
    assert "already have a match" in body(response)
    response = client.post("/matches/propose", data={**data, "panel": "offer"}, headers=HX)
    assert response.status_code == 200
    assert "Not done:" in body(response)
    assert "already have a match" in body(response)
    assert match_count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"need_id": "abc", "offer_id": "1"},
        {"need_id": "1"},
        {"need_id": "-5", "offer_id": "0"},
        {"need_id": "99999999999999999999", "offer_id": "1"},
        {"need_id": "1", "offer_id": "1", "person_days": "lots"},
        {"need_id": "1", "offer_id": "1", "message": "x" * 2001},
    ],
)
def test_bad_input_to_propose_is_a_clear_422(login, pair, data):
    response = login("coordinator").post("/matches/propose", data=data)
    assert response.status_code == 422
    assert 'class="error"' in body(response)
    assert match_count() == 0


def test_proposing_records_one_may_not_see_reads_as_missing(login, make_need, make_offer):
    restricted = make_need(visibility=Visibility.RESTRICTED)
    offer = make_offer(by="other_expert")
    client = login("other_expert")
    response = client.post(
        "/matches/propose", data={"need_id": restricted.id, "offer_id": offer.id}
    )
    assert response.status_code == 422
    assert "There is no need with this number that you may see." in body(response)
    missing = client.post("/matches/propose", data={"need_id": 424242, "offer_id": offer.id})
    assert "There is no need with this number that you may see." in body(missing)
    assert match_count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("requester", 302),
        ("expert", 302),
        ("coordinator", 302),
        ("admin", 403),
        ("other_requester", 409),
        ("other_expert", 409),
    ],
)
def test_propose_per_role(login, pair, who, status):
    need, offer = pair
    response = login(who).post("/matches/propose", data={"need_id": need.id, "offer_id": offer.id})
    assert response.status_code == status
    assert match_count() == (1 if status == 302 else 0)


def test_the_broker_form_previews_score_and_reasons(login, pair):
    need, offer = pair
    client = login("coordinator")
    empty = client.get("/matches/propose")
    assert empty.status_code == 200
    assert "Propose the match" not in body(empty)
    assert f'<option value="{need.id}">' in body(empty)
    page = body(client.get(f"/matches/propose?need_id={need.id}&offer_id={offer.id}"))
    assert "Same theme: Water and sewage" in page
    assert "Propose the match" in page
    junk = client.get("/matches/propose?need_id=abc&offer_id=999999")
    assert junk.status_code == 200
    huge = client.get("/matches/propose?need_id=99999999999999999999&offer_id=-1")
    assert huge.status_code == 200
    assert "Propose the match" not in body(junk)
    client.logout()
    assert login("admin").get("/matches/propose").status_code == 403


# ------------------------------------------------------------------------------------ panels


def render_panel(app, user, kind, record) -> str:
    with app.test_request_context("/"):
        login_user(user)
        panel = (panels.need_panel if kind == "need" else panels.offer_panel)(user, record)
        return render_template(f"matching/_{kind}_panel.html", panel=panel)


def test_the_need_panel_per_role(app, users, make_need, make_offer):
    need = make_need()
    ours = make_offer("Our leak detection")
    theirs = make_offer("Their fibre leak detection", by="other_expert")
    for who, sees_suggestions, offers in [
        ("requester", True, {ours, theirs}),
        ("coordinator", True, {ours, theirs}),
        ("expert", True, {ours}),  # an expert proposes their own organisation's offers
        ("other_expert", True, {theirs}),
        ("other_requester", False, set()),
        ("admin", False, set()),
    ]:
        page = render_panel(app, users[who], "need", need)
        assert 'id="matching-panel"' in page, who
        assert ("Suggested offers" in page) is sees_suggestions, who
        for offer in (ours, theirs):
            shown = f'name="offer_id" value="{offer.id}"' in page
            assert shown is (offer in offers), (who, offer)
        if sees_suggestions:
            assert "Same theme: Water and sewage" in page
            assert "Propose this offer" in page


def test_the_offer_panel_per_role(app, users, make_need, make_offer):
    offer = make_offer()
    ours = make_need("Our leaks")
    theirs = make_need("Their school leaks", by="other_requester")
    for who, needs in [
        ("expert", {ours, theirs}),
        ("coordinator", {ours, theirs}),
        ("requester", {ours}),
        ("other_requester", {theirs}),
        ("other_expert", set()),
    ]:
        page = render_panel(app, users[who], "offer", offer)
        for need in (ours, theirs):
            assert (f'name="need_id" value="{need.id}"' in page) is (need in needs), (who, need)
        assert ("Suggested needs" in page) is (who != "other_expert"), who


def test_the_panels_show_nothing_to_anonymous_visitors(app, make_need, make_offer, make_match):
    need, offer = make_need(visibility=Visibility.PUBLIC), make_offer(visibility=Visibility.PUBLIC)
    make_match(need, offer)
    with app.test_request_context("/"):
        for kind, record in (("need", need), ("offer", offer)):
            panel = getattr(panels, f"{kind}_panel")(None, record)
            assert panel["matches"] == [] and panel["suggestions"] == []
            assert render_template(f"matching/_{kind}_panel.html", panel=panel).strip() == ""


def test_the_panel_lists_the_records_matches_with_their_actions(app, users, proposed):
    page = render_panel(app, users["expert"], "offer", proposed.offer)
    assert f'id="match-{proposed.id}"' in page
    assert "Accept the match" in page
    assert "Leak detection in the water network" in page
    # Already on a live match: not suggested again.
    assert f'name="need_id" value="{proposed.need_id}"' not in page


def test_the_need_page_shows_the_panel(login, proposed):
    page = body(login("expert").get(f"/needs/{proposed.need_id}"))
    assert 'id="matching-panel"' in page
    assert f'id="match-{proposed.id}"' in page


def test_suggestion_panel_queries_do_not_grow(app, users, make_need, make_offer):
    need = make_need()
    counts = []
    for extra in (12, 80):
        for i in range(extra):
            make_offer(f"Offer {i}", commit=False)
        db.session.commit()
        db.session.expire_all()
        with count_queries(app) as statements:
            render_panel(app, users["requester"], "need", db.session.get(type(need), need.id))
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_roles_constant_is_complete(users):
    assert set(ROLES) == set(users)
