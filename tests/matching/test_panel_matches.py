"""A record's matches panel reads its matches with the shown columns only
(``panels.record_matches``): for every reader, language and state it shows what the matches read
as ORM rows show, in the same order, with the same buttons, in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user

from portal.content.models import TextVersion
from portal.core.enums import MatchStatus, Side, Visibility
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching import panels
from portal.matching.models import Match
from portal.matching.queries import MatchFilters, matches_query
from tests import factories
from tests.conftest import count_queries

ROLES = ["requester", "expert", "coordinator", "admin", "other_requester", "other_expert"]


@pytest.fixture
def matched(users, make_need, make_offer, make_match):
    """A need with five matches, and an offer with three, in every state and on both sides:
    proposed by either side, accepted by one, agreed, declined, withdrawn; titles in three
    languages, a machine's version among them; a restricted offer of another organisation."""
    need = make_need("Ремонт водогону", lang="uk")
    need.title.set_version("en", "Water main repair", users["requester"])
    ours = make_offer("Läcksökning i ledningsnät", lang="sv")
    ours.title.versions.append(TextVersion(lang="uk", body="Пошук витоків", is_machine=True))
    theirs = make_offer("Fibre leak detection", by="other_expert", visibility=Visibility.RESTRICTED)
    declined = make_offer("Pipe relining")
    agreed = make_offer("Pump stations")
    withdrawn = make_offer("Valve training", by="other_expert")
    other_need = make_need("School roof", by="other_requester")
    now = utcnow()
    waiting = make_match(need, ours, by="requester")  # waits for the expert side
    accepted = factories.make_match(
        need, theirs, users["other_expert"], expert=users["other_expert"], score=72
    )  # proposed by the expert side, waits for the requester side
    accepted.proposed_at = now - timedelta(days=2)
    make_match(need, declined, status=MatchStatus.DECLINED)
    factories.make_match(
        need,
        agreed,
        users["coordinator"],
        side=Side.COORDINATOR,
        status=MatchStatus.AGREED,
        requester=users["requester"],
        expert=users["expert"],
    )
    make_match(need, withdrawn, by="other_expert", status=MatchStatus.WITHDRAWN)
    make_match(other_need, ours, by="expert")  # waits for the other requester
    make_match(other_need, declined, by="other_requester", status=MatchStatus.DECLINED)
    db.session.commit()
    return {"need": need, "offer": ours}, waiting.id


def _shown(match, view: str) -> str:
    return render_template(
        "matching/_match.html", match=match, view=view, return_to="/back", status_message=None
    )


@pytest.mark.parametrize("lang", ["en", "sv", "uk"])
def test_the_panel_shows_its_matches_as_the_orm_rows_do(app, users, matched, lang):
    compared = 0
    for who in ROLES:
        user = users[who]
        for kind, record in matched[0].items():
            with app.test_request_context(f"/?lang={lang}"):
                login_user(user)
                filters = MatchFilters(**{f"{kind}_id": record.id})
                orm = list(db.session.scalars(matches_query(user, filters)))
                light = panels.record_matches(user, kind, record, lang)
                assert [m.id for m in light] == [m.id for m in orm], (who, kind)
                for row, match in zip(light, orm, strict=True):
                    assert row.can_decide(user) is match.can_decide(user), (who, match)
                    assert row.can_withdraw(user) is match.can_withdraw(user), (who, match)
                    assert row.waiting_for == match.waiting_for, (who, match)
                    assert _shown(row, kind) == _shown(match, kind), (who, match)
                    compared += 1
    # Every role sees some of the matches, none sees the restricted one it may not.
    assert compared > 20


def test_the_panel_reads_its_matches_in_one_statement(app, users, matched, monkeypatch):
    """With the organisations' names in the kept reference lists, as in production."""
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_SECONDS", 300)
    need = matched[0]["need"]
    with app.test_request_context("/?lang=en"):
        login_user(users["coordinator"])
        assert need.title.render("en").body == "Water main repair"  # as the page has it
        panels.record_matches(users["coordinator"], "need", need, "en")  # the names kept
    with app.test_request_context("/?lang=en"):
        login_user(users["coordinator"])
        with count_queries(app) as statements:
            found = panels.record_matches(users["coordinator"], "need", need, "en")
    assert len(found) == 5
    assert len(statements) == 1, "\n\n".join(statements)


def test_the_need_page_shows_a_decision_at_once(login, page_cache, matched):
    """The panel is read again after the expert accepts, with the page cache on and off."""
    need, match_id = matched[0]["need"], matched[1]
    client = login("expert")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'action="/matches/{match_id}/accept"' in page
    assert page.count("Accept the match") == 1
    assert client.post(f"/matches/{match_id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, match_id).status == MatchStatus.AGREED
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'id="match-{match_id}"' in page
    assert "Accept the match" not in page


def test_a_need_or_offer_without_any_match_reads_no_matches(
    app, client, login, make_need, make_offer, make_match
):
    """A need's and an offer's page learn from their record's own statement that no match is
    made with them, and read no matches; once one is proposed, the next page reads and shows
    it (a declined one as well: any match at all is read)."""
    need, offer = make_need("Pump station survey"), make_offer("Pump station audits")
    db.session.commit()
    login("requester")

    def matches_read(path: str) -> tuple[int, str]:
        with count_queries(app) as statements:
            page = client.get(path).get_data(as_text=True)
        return len([s for s in statements if s.lstrip().startswith("SELECT matches.")]), page

    assert matches_read(f"/needs/{need.id}")[0] == 0
    assert matches_read(f"/offers/{offer.id}")[0] == 0
    match = make_match(need, offer, status=MatchStatus.DECLINED)
    db.session.commit()
    for path in (f"/needs/{need.id}", f"/offers/{offer.id}"):
        read, page = matches_read(path)
        assert read == 1, path
        assert f"/matches/{match.id}" in page, path
