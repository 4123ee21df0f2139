"""Multilingual content services, without HTTP: owners, permission, saving versions, and the
"needs translation" list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_login import AnonymousUserMixin

from portal.agreements.models import AgreementExpired
from portal.audit.models import AuditEvent
from portal.content import services
from portal.content.models import Text
from portal.core.enums import NeedStatus, OfferStatus, Visibility
from portal.extensions import db
from tests.conftest import count_queries
from tests.content.factories import (
    add_milestone,
    add_report,
    agreement,
    make_need,
    make_offer,
    make_project,
    theme,
    translate_fully,
)


@pytest.fixture
def project(users):
    return make_project(
        users["coordinator"], users["requester"].organisation, users["expert"].organisation
    )


# ---------------------------------------------------------------- owners


def test_owner_of_finds_every_kind_of_record(app, users, project):
    need = make_need(users["requester"])
    offer = make_offer(users["expert"])
    milestone = add_milestone(project, users["expert"])
    report = add_report(project, users["requester"])
    assert services.owner_of(need.title_id) == ("need", need)
    assert services.owner_of(need.description_id) == ("need", need)
    assert services.owner_of(offer.description_id) == ("offer", offer)
    assert services.owner_of(project.title_id) == ("project", project)
    assert services.owner_of(milestone.title_id) == ("milestone", milestone)
    assert services.owner_of(report.body_id) == ("status_report", report)
    kind, record = services.owner_of(offer.title_id)
    assert kind == "offer" and record is offer
    assert services.field_of(services.owner_of(need.description_id), need.description_id) == (
        "description"
    )
    assert services.field_of(services.owner_of(report.body_id), report.body_id) == "body"


def test_owner_of_an_orphan_text_is_none(app, users):
    orphan = Text.new("Nobody's", "en", None)
    db.session.add(orphan)
    db.session.commit()
    assert services.owner_of(orphan.id) is None
    assert services.owner_of(999_999) is None


# ---------------------------------------------------------------- permission


def test_who_may_translate_a_need(app, users):
    need = make_need(users["requester"], visibility=Visibility.PARTNERS)
    assert services.can_translate(users["requester"], need.title)
    assert services.can_translate(users["coordinator"], need.title)
    assert not services.can_translate(users["other_requester"], need.title)
    assert not services.can_translate(users["expert"], need.title)
    assert not services.can_translate(users["admin"], need.title)
    assert not services.can_translate(AnonymousUserMixin(), need.title)


def test_nobody_translates_a_closed_need_but_coordinators(app, users):
    need = make_need(users["requester"], status=NeedStatus.CLOSED)
    assert not services.can_translate(users["requester"], need.title)
    assert services.can_translate(users["coordinator"], need.title)


def test_who_may_translate_an_offer(app, users):
    offer = make_offer(users["expert"])
    assert services.can_translate(users["expert"], offer.title)
    assert not services.can_translate(users["other_expert"], offer.title)
    assert not services.can_translate(users["requester"], offer.title)


def test_project_texts_follow_who_may_report(app, users, project):
    report = add_report(project, users["requester"])
    milestone = add_milestone(project, users["expert"])
    for text in (project.title, report.body, milestone.title):
        assert services.can_translate(users["requester"], text)
        assert services.can_translate(users["expert"], text)
        assert services.can_translate(users["coordinator"], text)
        assert not services.can_translate(users["other_expert"], text)
        assert not services.can_translate(users["other_requester"], text)


def test_coordinators_do_not_translate_what_they_cannot_see(app, users):
    draft = make_need(users["requester"], status=NeedStatus.DRAFT)
    assert not services.can_translate(users["coordinator"], draft.title)
    assert services.can_translate(users["requester"], draft.title)


# ---------------------------------------------------------------- saving


def test_save_version_records_author_time_and_audit(app, users):
    need = make_need(users["requester"], title="Пошук витоків", lang="uk")
    version = services.save_version(users["requester"], need.title, "sv", "  Läcksökning \r\n")
    assert version.body == "Läcksökning"
    assert version.author is users["requester"]
    assert version.written_at is not None
    db.session.expire_all()
    assert need.title.version("sv").body == "Läcksökning"
    assert need.title.version("uk").body == "Пошук витоків"
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(action="translate")).all()
    assert (event.record_type, event.record_id) == ("need", need.id)
    assert event.actor_id == users["requester"].id
    assert event.before == {"title_sv": None}
    assert event.after == {"title_sv": "Läcksökning"}


def test_correcting_a_version_changes_author_and_keeps_the_old_text_in_the_audit(app, users):
    need = make_need(users["requester"])
    services.save_version(users["requester"], need.description, "en", "Leak detection advice.")
    services.save_version(users["coordinator"], need.description, "en", "Advice on leak detection.")
    db.session.expire_all()
    version = need.description.version("en")
    assert version.body == "Advice on leak detection."
    assert version.author_id == users["coordinator"].id
    events = db.session.scalars(
        db.select(AuditEvent).filter_by(action="translate").order_by(AuditEvent.id)
    ).all()
    assert events[-1].before == {"description_en": "Leak detection advice."}
    assert events[-1].after == {"description_en": "Advice on leak detection."}


def test_saving_the_same_text_again_records_nothing(app, users):
    need = make_need(users["requester"])
    services.save_version(users["requester"], need.title, "en", "Leak detection")
    services.save_version(users["requester"], need.title, "en", "Leak detection")
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(AuditEvent).filter_by(action="translate")
        )
        == 1
    )


@pytest.mark.parametrize(
    "lang, body, message",
    [
        ("sv", "", "empty"),
        ("sv", "   \n\t ", "empty"),
        ("sv", None, "empty"),
        ("sv", "x" * 100_000, "too long"),
        ("sv", "x" * 301, "too long"),
        ("de", "Lecksuche", "Ukrainian, Swedish and English"),
        ("uk", "Інший оригінал", "editing the record"),
    ],
)
def test_save_version_refuses_bad_input_clearly(app, users, lang, body, message):
    need = make_need(users["requester"], lang="uk")
    with pytest.raises(services.TranslationError) as error:
        services.save_version(users["requester"], need.title, lang, body)
    assert message in str(error.value)
    db.session.rollback()
    assert need.title.version("sv") is None
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="translate")) is None


def test_descriptions_may_be_longer_than_titles(app, users):
    need = make_need(users["requester"])
    services.save_version(users["requester"], need.description, "sv", "x" * 20_000)
    with pytest.raises(services.TranslationError):
        services.save_version(users["requester"], need.description, "en", "x" * 20_001)


def test_save_version_refuses_whoever_may_not_translate(app, users):
    need = make_need(users["requester"])
    with pytest.raises(PermissionError):
        services.save_version(users["other_requester"], need.title, "sv", "Intrång")


def test_save_version_refuses_after_the_agreement_expired(app, users):
    need = make_need(users["requester"])
    agreement().valid_until = date.today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(AgreementExpired):
        services.save_version(users["requester"], need.title, "sv", "Läcksökning")


def test_save_version_refuses_a_stale_form(app, users):
    need = make_need(users["requester"])
    loaded = services.version_token(need.title.version("sv"))
    assert loaded == ""
    services.save_version(users["coordinator"], need.title, "sv", "Läcksökning", expected=loaded)
    with pytest.raises(services.TranslationConflict) as error:
        services.save_version(users["requester"], need.title, "sv", "Läckor", expected=loaded)
    assert error.value.current.body == "Läcksökning"
    fresh = services.version_token(need.title.version("sv"))
    services.save_version(users["requester"], need.title, "sv", "Läckor", expected=fresh)
    assert need.title.version("sv").body == "Läckor"


# ---------------------------------------------------------------- what needs translating


def _kinds_and_ids(page):
    return [(item.kind, item.record.id) for item in page.items]


def test_missing_lists_incomplete_records_oldest_first(app, users, project):
    old = make_need(users["requester"], age_days=30)
    new = make_need(users["requester"], age_days=1)
    offer = make_offer(users["expert"], age_days=10)
    done = make_need(users["requester"], age_days=60)
    translate_fully(done.title, users["requester"])
    translate_fully(done.description, users["requester"])
    page = services.missing_translations(users["coordinator"])
    assert _kinds_and_ids(page) == [
        ("need", old.id),
        ("offer", offer.id),
        ("need", new.id),
        ("project", project.id),
    ]
    assert page.total == 4
    item = page.items[0]
    assert item.missing == {"title": ["sv", "en"], "description": ["sv", "en"]}
    assert [t.code for t in item.themes] == ["water_sewage"]


def test_missing_leaves_out_drafts_withdrawn_and_closed(app, users):
    make_need(users["requester"], status=NeedStatus.DRAFT)
    make_need(users["requester"], status=NeedStatus.WITHDRAWN)
    make_need(users["requester"], status=NeedStatus.CLOSED)
    make_offer(users["expert"], status=OfferStatus.WITHDRAWN)
    assert services.missing_translations(users["coordinator"]).total == 0


def test_missing_counts_a_record_with_only_its_description_untranslated(app, users):
    need = make_need(users["requester"])
    translate_fully(need.title, users["requester"])
    page = services.missing_translations(users["coordinator"])
    assert page.total == 1
    assert page.items[0].missing == {"description": ["sv", "en"]}


def test_missing_filters_by_language(app, users):
    need = make_need(users["requester"], lang="uk")
    services.save_version(users["requester"], need.title, "sv", "Läcksökning")
    services.save_version(users["requester"], need.description, "sv", "Råd om läcksökning.")
    assert services.missing_translations(users["coordinator"], lang="sv").total == 0
    page = services.missing_translations(users["coordinator"], lang="en")
    assert page.total == 1
    assert page.items[0].missing == {"title": ["en"], "description": ["en"]}
    assert services.missing_translations(users["coordinator"], lang="uk").total == 0


def test_missing_filters_by_theme(app, users):
    water = make_need(users["requester"], theme_code="water_sewage")
    make_need(users["other_requester"], theme_code="education")
    offer = make_offer(users["expert"], theme_codes=("waste", "water_sewage"))
    page = services.missing_translations(users["coordinator"], theme=theme("water_sewage"))
    assert sorted(_kinds_and_ids(page)) == [("need", water.id), ("offer", offer.id)]
    page = services.missing_translations(users["coordinator"], theme=theme("education").id)
    assert page.total == 1


def test_a_restricted_need_never_appears_for_who_may_not_see_it(app, users):
    restricted = make_need(users["requester"], visibility=Visibility.RESTRICTED)
    public = make_need(users["requester"], visibility=Visibility.PUBLIC)
    page = services.missing_translations(users["other_requester"])
    assert _kinds_and_ids(page) == [("need", public.id)]
    assert page.total == 1
    page = services.missing_translations(users["requester"])
    assert page.total == 2
    page = services.missing_translations(users["coordinator"])
    assert ("need", restricted.id) in _kinds_and_ids(page)
    page = services.missing_translations(AnonymousUserMixin())
    assert _kinds_and_ids(page) == [("need", public.id)]


def test_missing_pages(app, users):
    for n in range(5):
        make_need(users["requester"], age_days=10 - n)
    first = services.missing_translations(users["coordinator"], per_page=2)
    third = services.missing_translations(users["coordinator"], page=3, per_page=2)
    assert (first.total, first.pages, len(first.items), first.has_next) == (5, 3, 2, True)
    assert (len(third.items), third.has_next, third.has_prev) == (1, False, True)


def test_missing_costs_the_same_whatever_the_number_of_records(app, users):
    def run():
        db.session.expire_all()
        with count_queries(app) as statements:
            page = services.missing_translations(users["coordinator"])
            for item in page.items:
                for _name, text, _langs in item.texts:
                    text.missing_languages()
                    text.original  # noqa: B018
                item.themes  # noqa: B018
        return len(statements)

    project = make_project(
        users["coordinator"], users["requester"].organisation, users["expert"].organisation
    )
    make_need(users["requester"])
    make_offer(users["expert"])
    few = run()
    for _ in range(6):
        make_need(users["requester"])
        make_offer(users["expert"], theme_codes=("waste", "it_digital"))
    project.title  # noqa: B018
    assert run() == few
