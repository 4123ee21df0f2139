"""The demo dataset: what it contains, the invariants it keeps, idempotency, and the refusal in
production. Read-only checks share one load; tests that load or change data get their own
database."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import and_, func, select

from portal import create_app
from portal.accounts.models import User
from portal.accounts.services import authenticate
from portal.agreements.models import Agreement
from portal.agreements.services import default_agreement
from portal.audit.models import AuditEvent
from portal.content.models import Text, TextVersion
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    ProjectStatus,
    ReportStatus,
    Side,
    Visibility,
)
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport, project_organisations
from portal.reference.models import Organisation, Theme
from portal.seed.demo import DEFAULT_PASSWORD, DEMO_ACCOUNTS, load_demo

KYIVVODOKANAL = "Kyivvodokanal"
SVOA = "Stockholm Water and Waste (Stockholm Vatten och Avfall)"
REASON_CODES = {
    "theme",
    "help_kind",
    "period_full",
    "period_partial",
    "capacity",
    "capacity_partial",
}
DEMO_TABLES = (
    User,
    Need,
    Offer,
    Match,
    Project,
    Milestone,
    StatusReport,
    Text,
    AuditEvent,
)


@pytest.fixture(scope="module")
def demo_app(databases, tmp_path_factory):
    """One database with the demo data, shared by the read-only tests of this module."""
    url = databases.fresh()
    files = tmp_path_factory.mktemp("files")
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "FILES_DIR": str(files)}
    )
    with app.app_context():
        assert load_demo() is True
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def demo(demo_app):
    with demo_app.app_context():
        yield demo_app
        db.session.rollback()
        db.session.remove()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict[str, int]:
    return {model.__name__: count(model) for model in DEMO_TABLES}


def org_id(name_en: str) -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.name_en == name_en))


# ------------------------------------------------------------------------------ contents


def test_needs_and_offers_cover_the_themes_in_the_authors_languages(demo):
    assert count(Need) >= 30
    assert count(Offer) >= 20
    need_themes = set(db.session.scalars(select(Theme.code).join(Need, Need.theme_id == Theme.id)))
    assert len(need_themes) == count(Theme) == 12
    for attribute in (Need.title_id, Need.description_id):
        langs = set(db.session.scalars(select(Text.original_lang).join(Need, attribute == Text.id)))
        assert langs == {"uk"}
    for attribute in (Offer.title_id, Offer.description_id):
        langs = set(
            db.session.scalars(select(Text.original_lang).join(Offer, attribute == Text.id))
        )
        assert langs == {"sv"}
    # Ukrainian 2019 orthography: проєкт, never проект.
    everything = " ".join(db.session.scalars(select(TextVersion.body))).lower()
    assert "проєкт" in everything
    assert "проект" not in everything


def test_texts_are_short_titles_and_real_descriptions_some_translated(demo):
    needs = list(db.session.scalars(select(Need)))
    for need in needs:
        assert all(len(v.body) <= 120 for v in need.title.versions), need.title.original
        sentences = need.description.original.count(". ") + 1
        assert 2 <= sentences <= 5, need.description.original
    # Every title in all three languages, written by people (issue 13).
    for record in needs + list(db.session.scalars(select(Offer))):
        versions = {v.lang: v for v in record.title.versions}
        assert sorted(versions) == ["en", "sv", "uk"], record.title.original
        assert not any(v.is_machine for v in versions.values())
    offers = list(db.session.scalars(select(Offer)))
    assert any({"en", "uk"} & {v.lang for v in o.description.versions} for o in offers)
    assert all(len(v.body) <= 120 for o in offers for v in o.title.versions)


def test_needs_mix_priorities_help_kinds_districts_and_states(demo):
    needs = list(db.session.scalars(select(Need)))
    assert {n.priority for n in needs} == set(Priority)
    assert {n.help_kind for n in needs} == set(HelpKind)
    assert len({n.district_id for n in needs if n.district_id}) == 10
    assert {n.visibility for n in needs} == set(Visibility)
    assert set(NeedStatus) <= {n.status for n in needs}
    offers = list(db.session.scalars(select(Offer)))
    assert set(OfferStatus) <= {o.status for o in offers}
    assert all(10 <= o.capacity_days <= 120 for o in offers)


def test_matches_exist_in_every_state(demo):
    statuses = set(db.session.scalars(select(Match.status)))
    assert statuses == set(MatchStatus)
    proposed = list(db.session.scalars(select(Match).where(Match.status == MatchStatus.PROPOSED)))
    assert {m.proposed_side for m in proposed} == set(Side)
    assert any(m.waiting_for == [Side.REQUESTER, Side.EXPERT] for m in proposed)
    for match in db.session.scalars(select(Match)):
        assert match.score is not None and 0 <= match.score <= 100
        # Reasons are stored as the matching service stores them: "code:param:param".
        reasons = {code: params for code, *params in (r.split(":") for r in match.reasons)}
        assert reasons and set(reasons) <= REASON_CODES, match.reasons
        if "theme" in reasons:
            assert reasons["theme"] == [str(match.need.theme_id)]
            assert match.need.theme in match.offer.themes
        if "help_kind" in reasons:
            assert reasons["help_kind"] == [match.need.help_kind.value] == [match.offer.help_kind]
        for code in ("capacity", "capacity_partial"):
            if code in reasons:
                remaining, needed = map(int, reasons[code])
                assert (
                    needed == match.need.person_days and 0 < remaining <= match.offer.capacity_days
                )


def test_projects_span_the_life_cycle(demo):
    projects = list(db.session.scalars(select(Project)))
    assert len(projects) == 6
    statuses = [p.status for p in projects]
    assert len(set(statuses)) >= 4
    assert 2 <= statuses.count(ProjectStatus.ACTIVE) <= 3
    today = date.today()
    live = [p for p in projects if p.status == ProjectStatus.ACTIVE]
    assert any(0 <= (p.ends_on - today).days <= 60 for p in live)
    assert any(p.visibility == Visibility.PUBLIC for p in projects)
    assert {r for p in projects for r in [p.latest_report_status] if r} == set(ReportStatus)
    milestones = [m for p in live for m in p.milestones]
    assert any(m.is_overdue(today) for m in milestones)
    assert any(not m.is_done and 0 <= (m.due_on - today).days <= 14 for m in milestones)
    assert any(m.is_done for m in milestones)
    assert all(sum(m.weight for m in p.milestones) > 0 for p in projects)
    for project in projects:
        assert len(project.title.versions) >= 2
        assert project.title.original_lang in ("uk", "sv")
    reports = list(db.session.scalars(select(StatusReport)))
    assert {r.body.original_lang for r in reports} == {"uk", "sv"}
    assert any(len(r.body.versions) > 1 for r in reports)


# ------------------------------------------------------------------------------ accounts


def test_demo_accounts_sign_in_with_the_demo_password(demo):
    expected = {
        "kyiv.official@example.org": ("requester", KYIVVODOKANAL, "uk"),
        "stockholm.expert@example.org": ("expert", SVOA, "sv"),
        "coordinator@example.org": ("coordinator", "City Executive Office", "en"),
        "admin@example.org": ("admin", "Service Administration", "en"),
    }
    assert set(expected) == set(DEMO_ACCOUNTS)
    for email, (role, organisation, locale) in expected.items():
        user = authenticate(email, DEFAULT_PASSWORD)
        assert user is not None, email
        assert (user.role.value, user.organisation.name_en, user.locale) == (
            role,
            organisation,
            locale,
        )
    assert authenticate("kyiv.official@example.org", "wrong password") is None


def test_demo_people_work_on_both_sides(demo):
    users = list(db.session.scalars(select(User).where(User.email.like("%@example.org"))))
    by_city = defaultdict(set)
    for user in users:
        by_city[user.organisation.city.code].add(user.organisation.name_en)
    assert len(by_city["kyiv"]) == 7
    assert len(by_city["stockholm"]) == 10


def test_demo_password_comes_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "another demo password")
    assert load_demo() is True
    assert authenticate("coordinator@example.org", "another demo password") is not None
    assert authenticate("coordinator@example.org", DEFAULT_PASSWORD) is None


# ------------------------------------------------------------------------------ journeys


def test_each_journey_has_something_to_do(demo):
    official = db.session.scalar(select(User).where(User.email == "kyiv.official@example.org"))
    expert = db.session.scalar(select(User).where(User.email == "stockholm.expert@example.org"))
    proposed = list(db.session.scalars(select(Match).where(Match.status == MatchStatus.PROPOSED)))
    # 1. a proposal waits for the Kyiv official; 2. one waits for the Stockholm expert.
    assert any(m.can_decide(official) for m in proposed)
    assert any(m.can_decide(expert) for m in proposed)
    # 3. an agreed Kyivvodokanal + Stockholm Vatten och Avfall match not yet in a project.
    agreed = db.session.scalars(
        select(Match).where(Match.status == MatchStatus.AGREED, Match.project_id.is_(None))
    )
    assert any(
        m.need.organisation.name_en == KYIVVODOKANAL and m.offer.organisation.name_en == SVOA
        for m in agreed
    )
    # and an open Stockholm Vatten och Avfall offer on leak detection with capacity left.
    svoa_open = db.session.scalars(
        select(Offer).where(Offer.organisation_id == org_id(SVOA), Offer.status == "open")
    )
    assert any(o.remaining_days > 0 and "läck" in o.title.original.lower() for o in svoa_open)
    # 4. anonymous visitors see public needs and projects, nothing restricted.
    assert db.session.scalar(select(func.count()).where(Need.visible_to(None))) >= 10
    assert db.session.scalar(select(func.count()).where(Project.visible_to(None))) >= 1
    restricted = select(func.count()).where(Need.visible_to(None), Need.visibility == "restricted")
    assert db.session.scalar(restricted) == 0


# ------------------------------------------------------------------------------ invariants


def test_offer_commitments_are_the_sum_of_agreed_matches(demo):
    agreed = (
        select(Match.offer_id, func.sum(Match.person_days).label("days"))
        .where(Match.status == MatchStatus.AGREED)
        .group_by(Match.offer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Offer.id,
            Offer.status,
            Offer.capacity_days,
            Offer.committed_days,
            func.coalesce(agreed.c.days, 0),
        ).outerjoin(agreed, agreed.c.offer_id == Offer.id)
    ).all()
    assert any(days > 0 for *_, days in rows)
    for offer_id, status, capacity, committed, days in rows:
        assert committed == days, offer_id
        assert committed <= capacity, offer_id
        if status in (OfferStatus.OPEN, OfferStatus.COMMITTED):
            assert (status == OfferStatus.COMMITTED) == (committed >= capacity), offer_id


def test_need_status_follows_matches_and_projects(demo):
    rows = db.session.execute(
        select(Need.id, Need.status, Project.status)
        .join(Match, and_(Match.need_id == Need.id, Match.status == MatchStatus.AGREED))
        .outerjoin(Project, Project.id == Match.project_id)
    ).all()
    finished = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)
    with_agreed = set()
    for need_id, need_status, project_status in rows:
        with_agreed.add(need_id)
        if project_status is None:
            assert need_status == NeedStatus.MATCHED, need_id
        elif project_status in finished:
            assert need_status == NeedStatus.CLOSED, need_id
        else:
            assert need_status == NeedStatus.IN_PROJECT, need_id
    assert {NeedStatus.MATCHED, NeedStatus.IN_PROJECT, NeedStatus.CLOSED} <= {r[1] for r in rows}
    others = db.session.scalars(
        select(Need.status).where(Need.id.not_in(with_agreed) if with_agreed else True)
    )
    assert not {NeedStatus.MATCHED, NeedStatus.IN_PROJECT} & set(others)
    # Drafts and withdrawn needs have no live match.
    live = db.session.scalar(
        select(func.count())
        .select_from(Match)
        .join(Need, Need.id == Match.need_id)
        .where(
            Need.status.in_((NeedStatus.DRAFT, NeedStatus.WITHDRAWN)),
            Match.status.in_((MatchStatus.PROPOSED, MatchStatus.AGREED)),
        )
    )
    assert live == 0


def test_acceptances_follow_the_proposing_side(demo):
    for m in db.session.scalars(select(Match)):
        name = f"match {m.id}"
        if m.proposed_side == Side.REQUESTER:
            assert m.requester_accepted_by_id == m.proposed_by_id, name
            assert m.requester_accepted_at == m.proposed_at, name
        elif m.proposed_side == Side.EXPERT:
            assert m.expert_accepted_by_id == m.proposed_by_id, name
            assert m.expert_accepted_at == m.proposed_at, name
        else:
            assert m.proposed_by.is_coordinator, name
            assert m.proposed_by_id not in (m.requester_accepted_by_id, m.expert_accepted_by_id)
        if m.requester_accepted_by is not None:
            assert m.requester_accepted_by.organisation_id == m.need.organisation_id, name
            assert m.requester_accepted_by.is_requester, name
        if m.expert_accepted_by is not None:
            assert m.expert_accepted_by.organisation_id == m.offer.organisation_id, name
            assert m.expert_accepted_by.is_expert, name
        both = m.requester_accepted_at is not None and m.expert_accepted_at is not None
        assert both == (m.status == MatchStatus.AGREED), name
        assert (m.project_id is None) or m.status == MatchStatus.AGREED, name
        if m.status == MatchStatus.AGREED:
            last = max(m.requester_accepted_at, m.expert_accepted_at)
            assert m.decided_at == last, name
            last_by = (
                m.requester_accepted_by_id
                if m.requester_accepted_at == last
                else m.expert_accepted_by_id
            )
            assert m.decided_by_id == last_by, name
        elif m.status == MatchStatus.PROPOSED:
            assert m.decided_at is None and m.decided_by_id is None, name
        else:
            assert m.decided_at is not None and m.decided_at > m.proposed_at, name
            assert m.decided_by_id is not None, name
        assert (m.decline_reason is not None) == (m.status == MatchStatus.DECLINED), name
        assert m.proposed_at >= max(m.need.published_at, m.offer.published_at), name


def test_projects_lie_inside_the_agreement_with_every_organisation(demo):
    agreement = default_agreement()
    members = defaultdict(set)
    for project_id, organisation_id in db.session.execute(select(project_organisations)).all():
        members[project_id].add(organisation_id)
    for project in db.session.scalars(select(Project)):
        assert project.agreement_id == agreement.id
        assert agreement.period_fits(project.starts_on, project.ends_on), project.id
        expected = {project.requester_lead_id, project.expert_lead_id}
        for match in project.matches:
            assert match.status == MatchStatus.AGREED
            expected |= {match.need.organisation_id, match.offer.organisation_id}
        assert members[project.id] == expected, project.id
        assert len(project.matches) >= 1
        assert project.requester_lead.city.code == "kyiv"
        assert project.expert_lead.city.code == "stockholm"
        for report in project.reports:
            assert report.organisation_id in members[project.id]
            assert report.created_at >= project.created_at


def test_latest_report_status_is_the_newest_report(demo):
    newest = (
        select(StatusReport.project_id, func.max(StatusReport.created_at).label("at"))
        .group_by(StatusReport.project_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Project.id, Project.latest_report_status, StatusReport.status)
        .outerjoin(newest, newest.c.project_id == Project.id)
        .outerjoin(
            StatusReport,
            and_(StatusReport.project_id == Project.id, StatusReport.created_at == newest.c.at),
        )
    ).all()
    assert len(rows) == 6
    for project_id, latest, newest_status in rows:
        assert latest == newest_status, project_id


def test_milestones_are_done_only_in_the_past(demo):
    today = date.today()
    assert db.session.scalar(select(func.count()).where(Milestone.done_on > today)) == 0
    for milestone in db.session.scalars(select(Milestone).where(Milestone.done_on.is_not(None))):
        assert milestone.done_by is not None
    assert db.session.scalar(select(func.count()).where(Milestone.done_on.is_(None))) > 0


def test_publication_and_creation_times_are_realistic(demo):
    agreement: Agreement = default_agreement()
    earliest = datetime.combine(agreement.valid_from, datetime.min.time(), UTC)
    now = datetime.now(UTC)
    for model, draft in ((Need, NeedStatus.DRAFT), (Offer, OfferStatus.DRAFT)):
        for record in db.session.scalars(select(model)):
            assert (record.published_at is None) == (record.status == draft), record
            assert earliest <= record.created_at < now
            assert record.updated_at >= record.created_at
            if record.published_at is not None:
                assert record.created_at <= record.published_at < now
            assert record.created_at >= record.created_by.created_at
    created = sorted(db.session.scalars(select(Need.created_at)))
    assert (created[-1] - created[0]) > timedelta(days=2 * 365)  # spread over the years


def test_critical_infrastructure_needs_are_restricted(demo):
    rows = db.session.execute(select(Need.visibility, Theme.is_critical).join(Need.theme)).all()
    assert any(critical for _, critical in rows)
    for visibility, critical in rows:
        if critical:
            assert visibility == Visibility.RESTRICTED


def test_every_record_has_one_create_event_by_its_author(demo):
    expected = {
        "user": (User, None),
        "need": (Need, "created_by_id"),
        "offer": (Offer, "created_by_id"),
        "match": (Match, "proposed_by_id"),
        "project": (Project, "created_by_id"),
        "status_report": (StatusReport, "author_id"),
        "milestone": (Milestone, None),
    }
    for record_type, (model, actor_column) in expected.items():
        events = {
            e.record_id: e
            for e in db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "create", AuditEvent.record_type == record_type
                )
            )
        }
        query = select(model)
        if model is User:  # the test template's own users have their own events
            query = query.where(User.email.like("%@example.org"))
        records = list(db.session.scalars(query))
        assert {r.id for r in records} <= set(events), record_type
        for record in records:
            event = events[record.id]
            assert event.after is not None and event.after["id"] == record.id
            if actor_column is not None:
                assert event.actor_id == getattr(record, actor_column), (record_type, record.id)
            if hasattr(record, "created_at"):
                assert event.at == record.created_at, (record_type, record.id)
    creations = select(func.count()).where(AuditEvent.action == "create")
    assert db.session.scalar(creations) == sum(count(model) for model, _ in expected.values())


# ------------------------------------------------------------------------------ idempotency


def test_second_load_changes_nothing(app):
    assert load_demo() is True
    before = counts()
    assert before["Need"] >= 30
    assert load_demo() is False
    assert load_demo(only_if_empty=True) is False
    assert counts() == before


def test_only_if_empty_leaves_a_database_with_needs_alone(app, users):
    from portal.content.models import Text as TextModel

    requester = users["requester"]
    theme = db.session.scalar(select(Theme).where(Theme.code == "education"))
    db.session.add(
        Need(
            agreement=default_agreement(),
            organisation=requester.organisation,
            created_by=requester,
            theme=theme,
            title=TextModel.new("Навчальний візит", "uk", requester),
            description=TextModel.new("Опис потреби.", "uk", requester),
            priority=Priority.LOW,
            help_kind=HelpKind.STUDY_VISIT,
            visibility=Visibility.PUBLIC,
        )
    )
    db.session.commit()
    before = counts()
    assert load_demo(only_if_empty=True) is False
    assert counts() == before
    demo_users = select(func.count()).where(User.email.in_(DEMO_ACCOUNTS))
    assert db.session.scalar(demo_users) == 0


# ------------------------------------------------------------------------------ command line


def test_flask_seed_demo_loads_once(runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    before = counts()
    second = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert counts() == before


def test_flask_seed_demo_is_refused_in_production(database_url, monkeypatch):
    # The production config reads SECRET_KEY from the environment before applying overrides.
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app(
        {"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": database_url}
    )
    for args in (["seed", "demo"], ["seed", "demo", "--if-empty"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code != 0
        assert "refused" in result.output
    with app.app_context():
        assert count(Need) == 0
        assert db.session.scalar(select(func.count()).where(User.email.in_(DEMO_ACCOUNTS))) == 0
        db.engine.dispose()


def test_demo_discussions_and_documents_in_three_languages(demo):
    from portal.comments.models import Comment
    from portal.documents import storage
    from portal.documents.models import DocumentVersion

    comments = list(db.session.scalars(db.select(Comment)))
    assert {c.lang for c in comments} == {"uk", "sv", "en"}
    assert {c.record_kind for c in comments} == {"project", "need"}
    assert any(c.mentioned for c in comments)
    assert all(c.can_view(c.author) for c in comments)
    versions = list(db.session.scalars(db.select(DocumentVersion)))
    assert {v.content_type.split(";")[0] for v in versions} == {"application/pdf", "text/plain"}
    assert any(v.number == 2 for v in versions)
    for version in versions:
        content = storage.path_of(version.sha256).read_bytes()
        assert len(content) == version.size
    pdf = next(v for v in versions if v.content_type == "application/pdf")
    assert storage.path_of(pdf.sha256).read_bytes().startswith(b"%PDF-1.4")
