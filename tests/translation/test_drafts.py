"""Machine drafts end to end: a text saved in one language gets drafts in the other two from the
local provider, marked as machine translation, never over a person's version; failures leave
the text saved and the job retried; restricted records' texts go to trusted providers only."""

from __future__ import annotations

import time

import pytest

from portal.content.models import Text, TextVersion
from portal.core.enums import Visibility
from portal.extensions import db
from tests.content.factories import make_need, make_project

UK_TITLE = "Пошук витоків у водопровідній мережі"


def versions(text_id: int) -> dict[str, tuple[str, bool]]:
    """What the database holds now: language → (body, is_machine)."""
    db.session.expire_all()
    rows = db.session.execute(
        db.select(TextVersion.lang, TextVersion.body, TextVersion.is_machine).where(
            TextVersion.text_id == text_id
        )
    )
    return {row.lang: (row.body, row.is_machine) for row in rows}


def test_without_a_provider_nothing_is_requested(app, users, provider_server):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    assert set(versions(need.title_id)) == {"uk"}
    assert provider_server.calls == []


def test_a_saved_original_gets_drafts_in_the_other_two_languages(users, libretranslate):
    started = time.perf_counter()
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    elapsed = time.perf_counter() - started
    held = versions(need.title_id)
    assert held["uk"] == (UK_TITLE, False)
    assert held["sv"] == ("Läcksökning i vattenledningsnätet", True)
    assert held["en"] == ("Finding leaks in the water network", True)
    # The real client's request: LibreTranslate's fields and the key.
    call = next(c for c in libretranslate.calls if c.fields["q"] == UK_TITLE)
    assert call.path == "/translate"
    assert call.fields["source"] == "uk" and call.fields["api_key"] == "test-key"
    assert elapsed < 5


def test_deepl_writes_drafts_too(users, deepl):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    assert versions(need.title_id)["sv"] == ("Läcksökning i vattenledningsnätet", True)
    call = deepl.calls[0]
    assert call.path == "/v2/translate"
    assert call.headers["Authorization"] == "DeepL-Auth-Key test-key"
    targets = {c.fields["target_lang"] for c in deepl.calls}
    assert targets == {"SV", "EN-GB"}


def test_a_draft_never_overwrites_a_persons_version(users, libretranslate):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    need.title.set_version("sv", "Läckor i nätet (av en person)", users["expert"])
    db.session.commit()
    # The original changes: drafts are written anew, the person's Swedish stays.
    need.title.set_version("uk", "Пошук витоків", users["requester"])
    db.session.commit()
    held = versions(need.title_id)
    assert held["sv"] == ("Läckor i nätet (av en person)", False)
    assert held["en"] == ("[en] Пошук витоків", True)


def test_a_rolled_back_save_requests_nothing(users, libretranslate):
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    calls = len(libretranslate.calls)
    need.title.set_version("uk", "Інший заголовок", users["requester"])
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert len(libretranslate.calls) == calls


@pytest.mark.parametrize("failure", [500, 429, ("sleep", 1.5)], ids=["500", "429", "timeout"])
def test_a_failing_provider_leaves_the_text_saved_and_the_job_retried(
    users, libretranslate, failure
):
    libretranslate.planned = [failure]
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    held = versions(need.title_id)
    assert held["uk"] == (UK_TITLE, False)
    assert held["sv"] == ("Läcksökning i vattenledningsnätet", True)  # the retry wrote it
    assert held["en"][1] is True
    # The first (failed) call and its retry.
    sv_calls = [
        c for c in libretranslate.calls if c.fields["target"] == "sv" and c.fields["q"] == UK_TITLE
    ]
    assert len(sv_calls) == 2


def test_a_provider_that_keeps_failing_leaves_the_text_for_people(users, libretranslate):
    libretranslate.planned = [500] * 10
    need = make_need(users["requester"], title=UK_TITLE, lang="uk")
    assert set(versions(need.title_id)) == {"uk"}
    assert len(libretranslate.calls) >= 2  # retried before giving up


@pytest.mark.parametrize("trusted", [False, True])
def test_restricted_records_go_only_to_a_trusted_provider(app, users, libretranslate, trusted):
    app.config["MT_TRUSTED"] = trusted
    need = make_need(
        users["requester"], title=UK_TITLE, lang="uk", visibility=Visibility.RESTRICTED
    )
    sent = any(c.fields["q"] == UK_TITLE for c in libretranslate.calls)
    assert sent is trusted
    assert ("sv" in versions(need.title_id)) is trusted


def test_a_restricted_projects_milestones_stay_with_people(app, users, libretranslate):
    from portal.projects.models import Milestone

    project = make_project(
        users["coordinator"],
        users["requester"].organisation,
        users["expert"].organisation,
        visibility=Visibility.RESTRICTED,
    )
    libretranslate.calls.clear()
    milestone = Milestone(
        project=project,
        title=Text.new("Delmål ett", "sv", users["coordinator"]),
        due_on=project.starts_on,
    )
    db.session.add(milestone)
    db.session.commit()
    assert libretranslate.calls == []
    assert set(versions(milestone.title_id)) == {"sv"}


def test_saving_an_original_through_a_page_requests_drafts_after_the_response(
    client, login, users, libretranslate
):
    from portal.needs.models import Need
    from portal.reference.models import Theme

    theme = db.session.scalar(db.select(Theme).filter_by(code="water_sewage"))
    login("requester")
    response = client.post(
        "/needs/new",
        data={
            "title": UK_TITLE,
            "description": "Потрібна порада.",
            "lang": "uk",
            "theme": str(theme.id),
            "priority": "high",
            "help_kind": "advice",
            "district": "",
            "wanted_from": "2027-03-01",
            "wanted_until": "2027-06-30",
            "person_days": "30",
            "visibility": "partners",
        },
    )
    assert response.status_code == 302
    response.close()  # the server closes the response once sent: the job runs then
    db.session.expire_all()
    need = db.session.scalars(db.select(Need).order_by(Need.id.desc())).first()
    assert versions(need.title_id)["sv"] == ("Läcksökning i vattenledningsnätet", True)


def test_a_refused_save_requests_nothing(client, login, users, libretranslate):
    login("requester")
    response = client.post("/needs/new", data={"title": UK_TITLE, "lang": "uk"})
    response.close()
    assert response.status_code in (200, 422)
    assert libretranslate.calls == []
