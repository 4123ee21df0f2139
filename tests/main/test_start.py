"""The start page ("waiting for you") per role, and the welcome page's public counts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.core import counts
from portal.core.counts import ListCount
from portal.core.enums import (
    MatchStatus,
    NeedStatus,
    OfferStatus,
    ProjectStatus,
    Side,
    Visibility,
)
from portal.extensions import db
from portal.main import services
from portal.needs import services as needs_services
from portal.needs.services import NeedFilters
from tests.conftest import count_queries
from tests.dashboard import builders as b


@pytest.fixture
def waiting(app, users):
    req, other_req = users["requester"], users["other_requester"]
    exp, other_exp = users["expert"], users["other_expert"]
    coord = users["coordinator"]
    w = SimpleNamespace()

    need_a = b.need(req, "water_sewage", "Need A leak detection")
    need_b = b.need(
        other_req, "education", "Need B restricted schools", visibility=Visibility.RESTRICTED
    )
    offer_x = b.offer(exp, "water_sewage", "Offer X acoustic sensors")
    offer_y = b.offer(other_exp, "water_sewage", "Offer Y fibre", visibility=Visibility.RESTRICTED)
    # Proposed by the expert side, which has accepted: waits for the requester.
    w.m1 = b.match(need_a, offer_x, exp, side=Side.EXPERT, expert=exp)
    # Proposed by the requester side, which has accepted: waits for Stokab.
    w.m2 = b.match(need_a, offer_y, req, side=Side.REQUESTER, requester=req)
    # Brokered by a coordinator: waits for both sides.
    w.m3 = b.match(need_b, offer_x, coord, side=Side.COORDINATOR)
    # Agreed and declined matches wait for nobody.
    # (One live match per pair: the agreed one is on a need of its own.)
    need_c = b.need(req, "water_sewage", "Need C agreed", status=NeedStatus.MATCHED)
    b.match(need_c, offer_x, exp, status=MatchStatus.AGREED, requester=req, expert=exp)
    b.match(need_b, offer_y, coord, side=Side.COORDINATOR, status=MatchStatus.DECLINED)
    # A proposal on a withdrawn need waits for nobody either.
    gone = b.need(req, "water_sewage", "Need gone", status=NeedStatus.WITHDRAWN)
    b.match(gone, offer_x, exp, expert=exp)

    # P: Kyivvodokanal + SVOA, active. Q: KCSA education + Stokab, active, restricted.
    w.p = b.project(coord, req.organisation, exp.organisation, "water_sewage", "Project P")
    w.q = b.project(
        coord,
        other_req.organisation,
        other_exp.organisation,
        "education",
        "Project Q restricted",
        visibility=Visibility.RESTRICTED,
    )
    w.r = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Project R planned",
        status=ProjectStatus.PLANNED,
    )
    w.done = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Project done",
        status=ProjectStatus.COMPLETED,
    )
    w.late = b.milestone(w.p, "P late", -3)
    w.soon = b.milestone(w.p, "P soon", 10)
    b.milestone(w.p, "P far", 30)
    b.milestone(w.p, "P done", -1, done_in=-2)
    w.q_soon = b.milestone(w.q, "Q soon", 3)
    b.milestone(w.done, "Done project late", -5)
    # Reports: SVOA reported on P five days ago, Kyivvodokanal forty days ago; Q has none.
    b.report(w.p, exp, 5)
    b.report(w.p, req, 40)
    db.session.commit()
    return w


def test_requester_waits_on_their_side_of_proposals(waiting, users):
    result = services.waiting_for(users["requester"])
    assert [p.match_id for p in result.proposals] == [waiting.m1.id]
    assert result.proposals_total == 1
    assert result.proposals[0].waiting_sides == [Side.REQUESTER]
    assert result.proposals[0].need_title.original == "Need A leak detection"
    assert result.proposals[0].offer_title.original == "Offer X acoustic sensors"


def test_expert_waits_on_their_organisations_offers(waiting, users):
    assert [p.match_id for p in services.waiting_for(users["expert"]).proposals] == [waiting.m3.id]
    assert [p.match_id for p in services.waiting_for(users["other_expert"]).proposals] == [
        waiting.m2.id
    ]
    assert [p.match_id for p in services.waiting_for(users["other_requester"]).proposals] == [
        waiting.m3.id
    ]


def test_coordinator_sees_brokered_matches_waiting_for_either_side(waiting, users):
    result = services.waiting_for(users["coordinator"])
    assert [p.match_id for p in result.proposals] == [waiting.m3.id]
    assert result.proposals[0].waiting_sides == [Side.REQUESTER, Side.EXPERT]


def test_milestones_due_in_the_users_projects(waiting, users):
    mine = services.waiting_for(users["requester"])
    assert [m.milestone_id for m in mine.milestones_due] == [waiting.late.id, waiting.soon.id]
    assert [m.is_overdue for m in mine.milestones_due] == [True, False]
    assert mine.milestones_due[0].project_title.original == "Project P"
    other = services.waiting_for(users["other_expert"])
    assert [m.milestone_id for m in other.milestones_due] == [waiting.q_soon.id]
    everything = services.waiting_for(users["coordinator"])
    assert [m.milestone_id for m in everything.milestones_due] == [
        waiting.late.id,
        waiting.q_soon.id,
        waiting.soon.id,
    ]
    assert everything.milestones_total == 3


def test_reports_due_per_organisation(waiting, users):
    requester = services.waiting_for(users["requester"])
    assert [r.project_id for r in requester.reports_due] == [waiting.p.id]
    assert requester.reports_due[0].last_report_at is not None
    # SVOA reported five days ago: nothing due for the expert.
    assert services.waiting_for(users["expert"]).reports_total == 0
    other = services.waiting_for(users["other_requester"])
    assert [r.project_id for r in other.reports_due] == [waiting.q.id]
    assert other.reports_due[0].last_report_at is None
    # The coordinators' own organisation takes part in no project.
    assert services.waiting_for(users["coordinator"]).reports_total == 0


def test_admin_has_nothing_waiting(waiting, users):
    assert services.waiting_for(users["admin"]).is_empty


def test_lists_are_capped_with_a_total(app, waiting, users):
    for i in range(12):
        b.milestone(waiting.p, f"extra {i}", i)
    db.session.commit()
    result = services.waiting_for(users["requester"])
    assert len(result.milestones_due) == services.WAITING_LIMIT
    assert result.milestones_total == 14


def test_restricted_projects_stay_out_of_unrelated_start_pages(app, waiting, users):
    # Q is restricted and Kyivvodokanal takes no part in it.
    result = services.waiting_for(users["requester"])
    assert waiting.q_soon.id not in [m.milestone_id for m in result.milestones_due]
    assert waiting.q.id not in [r.project_id for r in result.reports_due]


@pytest.mark.parametrize("who", ["requester", "expert", "coordinator", "other_expert"])
def test_start_page_lists_with_counts_and_links(login, waiting, who):
    body = login(who).get("/").get_data(as_text=True)
    assert body.count("<h1") == 1
    assert "Waiting for you" in body
    if who == "requester":
        assert "1 proposal to decide" in body
        assert "2 milestones due" in body
        assert "1 status report to write" in body
        assert "Need A leak detection" in body
        assert f"/projects/{waiting.p.id}" in body
        assert "Project Q restricted" not in body
    if who == "coordinator":
        assert "3 milestones due" in body
        assert "Need B restricted schools" in body
    if who == "other_expert":
        assert "Offer Y fibre" in body
        assert "1 milestone due" in body


def test_start_page_empty_state(login):
    body = login("expert").get("/").get_data(as_text=True)
    assert "Nothing waits for you right now." in body


def test_start_page_query_count_is_constant(app, login, waiting, users):
    client = login("requester")
    with count_queries(app) as few:
        client.get("/")
    for i in range(30):
        need = b.need(users["requester"], "water_sewage", f"more {i}")
        offer = b.offer(users["expert"], "water_sewage", f"more offer {i}")
        b.match(need, offer, users["expert"], expert=users["expert"])
        project = b.project(
            users["coordinator"],
            users["requester"].organisation,
            users["expert"].organisation,
            "water_sewage",
            f"more project {i}",
        )
        b.milestone(project, f"more milestone {i}", i % 10)
    db.session.commit()
    with count_queries(app) as many:
        body = client.get("/").get_data(as_text=True)
    assert len(few) == len(many)
    assert "31 proposals to decide" in body


# ---------------------------------------------------------------- welcome page


def test_public_overview_counts_only_public_records(app, waiting, users):
    req, exp, coord = users["requester"], users["expert"], users["coordinator"]
    b.need(req, "water_sewage", "public open", visibility=Visibility.PUBLIC)
    b.need(
        req, "water_sewage", "public draft", visibility=Visibility.PUBLIC, status=NeedStatus.DRAFT
    )
    b.need(req, "water_sewage", "restricted open", visibility=Visibility.RESTRICTED)
    b.offer(exp, "water_sewage", "public offer", visibility=Visibility.PUBLIC)
    b.offer(
        exp,
        "water_sewage",
        "public withdrawn",
        visibility=Visibility.PUBLIC,
        status=OfferStatus.WITHDRAWN,
    )
    b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "public project",
        visibility=Visibility.PUBLIC,
    )
    db.session.commit()
    with count_queries(app) as statements:
        overview = services.public_overview()
    assert (overview.open_needs, overview.offers, overview.projects) == (
        ListCount(1),
        ListCount(1),
        ListCount(1),
    )
    assert len(statements) == 3  # each a count that stops past a thousand


def test_long_public_counts_are_kept_for_the_public_and_said_about(client, app, users, monkeypatch):
    """Past the limit (here 1) the welcome page's counts are counted once and kept for the
    public scope, and said "about": a restricted need and a coordinator's view of the
    lists change nothing a visitor reads, and a kept count is read without a statement."""
    monkeypatch.setattr(counts, "EXACT_UP_TO", 1)
    app.config["LIST_COUNT_SECONDS"] = 60
    req, exp = users["requester"], users["expert"]
    for title in ("school", "library"):
        b.need(req, "education", title, visibility=Visibility.PUBLIC)
    for title in ("hospital", "bridge", "depot"):
        b.need(req, "education", title, visibility=Visibility.RESTRICTED)
    b.offer(exp, "education", "teachers", visibility=Visibility.PUBLIC)
    db.session.commit()
    with app.test_request_context():
        coordinator = needs_services.list_needs(users["coordinator"], NeedFilters()).count
    assert coordinator == ListCount(5, exact=False)
    body = client.get("/").get_data(as_text=True)
    assert "<p>about 1 open need</p>" in body  # two, rounded to the limit: never exactly 2
    assert "<p>1 open offer of expertise</p>" in body  # short: exact
    with count_queries(app) as statements:
        kept = services.public_overview()
    assert kept.open_needs == ListCount(2, exact=False)
    assert not [s for s in statements if "needs" in s]
    b.need(req, "education", "pool", visibility=Visibility.PUBLIC)
    db.session.commit()
    assert services.public_overview().open_needs == ListCount(2, exact=False)  # kept a minute
    swedish = client.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "<p>omkring 1 öppet behov</p>" in swedish
    ukrainian = client.get("/", headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "<p>приблизно 1 відкрита потреба</p>" in ukrainian


def test_welcome_page_shows_public_counts(client, app, users):
    b.need(users["requester"], "education", "public open", visibility=Visibility.PUBLIC)
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "1 open need" in body
    assert "0 open offers of expertise" in body
    assert "Welcome" in body


def test_texts_read_for_showing_render_as_the_texts_themselves(app):
    from portal.content.models import Text, TextVersion, load_texts
    from tests.factories import text

    machine = text("Vattenläckor i Obolon", "sv")
    machine.versions.append(TextVersion(lang="en", body="Water leaks in Obolon", is_machine=True))
    emptied = text("Школа", "uk", translations={"en": "School"})
    emptied.versions.append(TextVersion(lang="sv", body="", is_machine=True))
    made = [
        text("Only English"),
        text("Ремонт шкіл", "uk", translations={"sv": "Skolrenovering"}),
        machine,
        emptied,
    ]
    db.session.add_all(made)
    db.session.commit()
    ids = [t.id for t in made]
    shown = load_texts([*ids, ids[0], 10**9])  # repeated and unknown ids too
    assert sorted(shown) == sorted(ids)
    db.session.expire_all()
    for text_id in ids:
        stored = db.session.get(Text, text_id)
        for lang in ("en", "sv", "uk"):
            assert shown[text_id].render(lang) == stored.render(lang), (text_id, lang)
    assert load_texts([]) == {}
    assert [shown[i].original for i in ids] == [
        "Only English",
        "Ремонт шкіл",
        "Vattenläckor i Obolon",
        "Школа",
    ]
