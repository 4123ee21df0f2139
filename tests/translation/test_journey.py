"""As a new user would: a Stockholm expert searches a Swedish word and finds a Ukrainian-only
need through its machine draft, sees it marked as machine translation; a Kyiv official corrects
or approves the draft, which then shows as theirs; the queue lists drafts awaiting review first."""

from __future__ import annotations

import re

from portal.content.models import TextVersion
from portal.extensions import db
from tests.content.factories import make_need
from tests.translation.test_drafts import UK_TITLE, versions


def test_a_swedish_word_finds_a_ukrainian_need_through_its_machine_draft(
    client, login, users, libretranslate
):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    login("expert")
    body = client.get("/needs/?q=läcksökning&lang=sv").get_data(as_text=True)
    assert f"/needs/{need.id}" in body
    # Shown in Swedish, marked as a machine translation, in words and with lang.
    assert '<span lang="sv">Läcksökning i vattenledningsnätet</span>' in body or (
        'lang="sv"' in body and "Läcksökning i vattenledningsnätet" in body
    )
    assert "(maskinöversättning)" in body
    assert "maskinöversättningar inräknade" in body  # the search help says so


def test_a_kyiv_official_corrects_the_draft_and_it_shows_as_theirs(
    client, login, users, libretranslate
):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    login("requester")
    marked = re.compile(r"</\w+> <small class=\"machine-marker\"[^>]*>\(maskinöversättning\)")
    before = client.get(f"/needs/{need.id}?lang=sv").get_data(as_text=True)
    assert re.search("Läcksökning i vattenledningsnätet" + marked.pattern, before)
    url = f"/texts/{need.title_id}/sv"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "machine translation that nobody has reviewed" in page
    loaded = page.split('name="loaded" value="')[1].split('"')[0]
    response = client.post(url, data={"body": "Läcksökning i vattennätet", "loaded": loaded})
    assert response.status_code == 302
    assert versions(need.title_id)["sv"] == ("Läcksökning i vattennätet", False)
    author = db.session.scalar(
        db.select(TextVersion.author_id).filter_by(text_id=need.title_id, lang="sv")
    )
    assert author == users["requester"].id
    body = client.get(f"/needs/{need.id}?lang=sv").get_data(as_text=True)
    assert "Läcksökning i vattennätet" in body
    assert not re.search("Läcksökning i vattennätet" + marked.pattern, body)


def test_approving_a_draft_keeps_its_words_and_drops_the_mark(client, login, users, libretranslate):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    login("requester")
    response = client.post(f"/texts/{need.title_id}/en/approve", data={})
    assert response.status_code == 302
    assert versions(need.title_id)["en"] == ("Finding leaks in the water network", False)
    # Nothing left to approve: refused with a reason, nothing changes.
    client.post(f"/texts/{need.title_id}/en/approve", data={})
    assert versions(need.title_id)["en"] == ("Finding leaks in the water network", False)


def test_only_who_may_translate_approves(client, login, users, libretranslate):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    login("other_requester")
    response = client.post(f"/texts/{need.title_id}/en/approve", data={})
    assert response.status_code == 403
    assert versions(need.title_id)["en"][1] is True
    response = client.post(f"/texts/{need.title_id}/en/approve", data={}, csrf=False)
    assert response.status_code in (400, 403)


def test_the_queue_lists_drafts_awaiting_review_first(client, login, users, app, libretranslate):
    app.config.update(MT_URL=None)  # an older record, written without a provider
    old = make_need(users["requester"], title="Стара потреба", lang="uk", age_days=30)
    app.config.update(MT_URL=libretranslate.url)
    new = make_need(users["requester"], title=UK_TITLE, lang="uk")
    login("coordinator")
    body = client.get("/texts/missing").get_data(as_text=True)
    assert body.index(f"/needs/{new.id}") < body.index(f"/needs/{old.id}")
    assert "machine translation awaiting review" in body
