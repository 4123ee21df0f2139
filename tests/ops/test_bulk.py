"""``flask seed bulk``: varied, multilingual, consistent data, fast, never in production."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from bench.bulk import BULK_EMAIL_DOMAIN, DEFAULT_PASSWORD
from bench.bulk.planner import BulkPlanner
from portal import create_app
from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.audit.models import AuditEvent
from portal.content.models import Text, TextVersion, fold
from portal.content.search import any_version_contains
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    OrganisationKind,
    Priority,
    ProjectStatus,
    ReportStatus,
    Visibility,
)
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.projects.models import Milestone, Project, StatusReport
from portal.reference.models import District, Organisation, Theme

SIZES = ["--needs", "300", "--offers", "90", "--projects", "40", "--seed", "20221128"]


def q(sql: str, **params) -> list:
    return db.session.execute(text(sql), params).all()


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


@pytest.fixture
def bulk(app, runner):
    result = runner.invoke(args=["seed", "bulk", *SIZES, "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_sizes_and_summary(bulk):
    assert "Inserted in" in bulk.output
    assert db.session.scalar(select(func.count(Need.id))) == 300
    assert db.session.scalar(select(func.count(Offer.id))) == 90
    assert db.session.scalar(select(func.count(Project.id))) == 40
    assert db.session.scalar(select(func.count(Match.id))) > 40


def test_every_value_occurs(bulk):
    def values(column) -> set:
        return {v for (v,) in db.session.execute(select(column).distinct())}

    assert values(Need.status) == set(NeedStatus)
    assert values(Need.priority) == set(Priority)
    assert values(Need.help_kind) == set(HelpKind)
    assert values(Need.visibility) == set(Visibility)
    assert values(Offer.status) == set(OfferStatus)
    assert values(Offer.visibility) == set(Visibility)
    assert values(Match.status) == set(MatchStatus)
    assert values(Project.status) == set(ProjectStatus)
    assert values(StatusReport.status) == set(ReportStatus)
    assert values(Need.theme_id) == values(Theme.id)
    assert values(Need.district_id) == values(District.id) | {None}
    offer_themes = {t for (t,) in q("SELECT DISTINCT theme_id FROM offer_themes")}
    assert offer_themes == values(Theme.id)
    kinds = {
        k
        for (k,) in db.session.execute(
            select(Organisation.kind).join(Need, Need.organisation_id == Organisation.id).distinct()
        )
    } | {
        k
        for (k,) in db.session.execute(
            select(Organisation.kind)
            .join(Offer, Offer.organisation_id == Organisation.id)
            .distinct()
        )
    }
    assert kinds == set(OrganisationKind)


def test_needs_are_ukrainian_offers_swedish_with_translations(bulk):
    originals = q("SELECT DISTINCT t.original_lang FROM needs n JOIN texts t ON t.id = n.title_id")
    assert originals == [("uk",)]
    originals = q(
        "SELECT DISTINCT t.original_lang FROM offers o JOIN texts t ON t.id = o.description_id"
    )
    assert originals == [("sv",)]
    need_langs = {
        lang
        for (lang,) in q(
            "SELECT DISTINCT v.lang FROM needs n JOIN text_versions v ON v.text_id = n.title_id"
        )
    }
    assert need_langs == {"uk", "sv", "en"}
    # Every text has a version in its original language.
    assert (
        scalar(
            "SELECT count(*) FROM texts t WHERE NOT EXISTS (SELECT 1 FROM text_versions v "
            "WHERE v.text_id = t.id AND v.lang = t.original_lang)"
        )
        == 0
    )
    # A Swedish version is the same need in Swedish: the Ukrainian and Swedish texts differ.
    pairs = q(
        "SELECT uk.body, sv.body FROM text_versions uk JOIN text_versions sv "
        "ON sv.text_id = uk.text_id AND sv.lang = 'sv' WHERE uk.lang = 'uk'"
    )
    assert pairs and all(a != b for a, b in pairs)
    assert any("ї" in a or "є" in a or "і" in a for a, _b in pairs)


def test_texts_vary_and_are_folded_for_search(bulk):
    bodies = [
        b
        for (b,) in q(
            "SELECT v.body FROM needs n JOIN text_versions v ON v.text_id = "
            "n.description_id AND v.lang = 'uk'"
        )
    ]
    assert len(set(bodies)) >= 0.95 * len(bodies)
    words = {w for b in bodies for w in b.split()}
    assert len(words) > 300
    for body, folded in q("SELECT body, folded FROM text_versions"):
        assert folded == fold(body)
    # Search (casefolded Cyrillic) finds a need by a word of its Ukrainian title, in capitals.
    need = db.session.scalar(select(Need).order_by(Need.id).limit(1))
    word = max(need.title.original.split(), key=len).strip(":—()").upper()
    found = db.session.scalars(
        select(Need.id).where(any_version_contains([Need.title_id, Need.description_id], word))
    ).all()
    assert need.id in found


def test_every_text_knows_the_record_that_refers_to_it(bulk):
    referring = {
        ("need", "needs", "title_id"),
        ("need", "needs", "description_id"),
        ("offer", "offers", "title_id"),
        ("offer", "offers", "description_id"),
        ("project", "projects", "title_id"),
        ("project", "projects", "description_id"),
        ("milestone", "milestones", "title_id"),
        ("status_report", "status_reports", "body_id"),
    }
    expected = {}
    for kind, table, column in referring:
        for record_id, text_id in q(f"SELECT id, {column} FROM {table}"):  # noqa: S608
            expected[text_id] = (kind, record_id)
    owners = {row[0]: (row[1], row[2]) for row in q("SELECT id, owner_type, owner_id FROM texts")}
    assert expected and owners == expected


def test_critical_themes_are_restricted(bulk):
    leaks = scalar(
        "SELECT count(*) FROM needs n JOIN themes t ON t.id = n.theme_id "
        "WHERE t.is_critical AND n.visibility <> 'restricted'"
    )
    assert leaks == 0
    leaks = scalar(
        "SELECT count(*) FROM projects p JOIN themes t ON t.id = p.theme_id "
        "WHERE t.is_critical AND p.visibility <> 'restricted'"
    )
    assert leaks == 0


def test_need_status_agrees_with_its_matches(bulk):
    def count(sql: str) -> int:
        return scalar(sql)

    assert (
        count("SELECT count(*) FROM needs WHERE status = 'draft' AND published_at IS NOT NULL") == 0
    )
    assert count("SELECT count(*) FROM needs WHERE status <> 'draft' AND published_at IS NULL") == 0
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status = 'draft' "
            "AND EXISTS (SELECT 1 FROM matches m WHERE m.need_id = n.id)"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status = 'open' AND EXISTS "
            "(SELECT 1 FROM matches m WHERE m.need_id = n.id AND m.status = 'agreed')"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status = 'matched' AND NOT EXISTS "
            "(SELECT 1 FROM matches m WHERE m.need_id = n.id AND m.status = 'agreed' "
            "AND m.project_id IS NULL)"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status IN ('open', 'matched', 'draft', "
            "'withdrawn') AND EXISTS (SELECT 1 FROM matches m WHERE m.need_id = n.id "
            "AND m.project_id IS NOT NULL)"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status = 'in_project' AND NOT EXISTS "
            "(SELECT 1 FROM matches m WHERE m.need_id = n.id AND m.status = 'agreed' "
            "AND m.project_id IS NOT NULL)"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM needs n WHERE n.status = 'withdrawn' AND EXISTS "
            "(SELECT 1 FROM matches m WHERE m.need_id = n.id AND m.status IN "
            "('proposed', 'agreed'))"
        )
        == 0
    )


def test_offer_capacity_agrees_with_its_matches(bulk):
    rows = q(
        "SELECT o.id, o.status, o.capacity_days, o.committed_days, "
        "COALESCE((SELECT sum(m.person_days) FROM matches m WHERE m.offer_id = o.id "
        "AND m.status = 'agreed'), 0) FROM offers o"
    )
    for offer_id, status, capacity, committed, agreed_days in rows:
        assert committed == agreed_days, offer_id
        if status == "committed":
            assert committed == capacity > 0, offer_id
        elif status == "open":
            assert committed < capacity, offer_id
        else:  # draft, withdrawn
            assert committed == 0, offer_id
    assert (
        scalar(
            "SELECT count(*) FROM matches m JOIN offers o ON o.id = m.offer_id "
            "WHERE o.status IN ('draft', 'withdrawn') OR (m.status = 'proposed' "
            "AND o.status <> 'open')"
        )
        == 0
    )


def test_matches_are_in_a_consistent_state(bulk):
    for match in db.session.scalars(select(Match)):
        accepted = (match.requester_accepted_at is not None, match.expert_accepted_at is not None)
        if match.status == MatchStatus.AGREED:
            assert accepted == (True, True) and match.decided_at and match.person_days
            assert match.decided_at >= match.proposed_at
        elif match.status == MatchStatus.PROPOSED:
            assert match.decided_at is None and match.project_id is None
            assert accepted != (True, True)
        else:
            assert match.decided_at is not None and match.project_id is None
            assert accepted != (True, True)
        assert match.reasons and match.reasons[0].split(":")[0] in (
            "theme",
            "help_kind",
            "period_full",
            "period_partial",
        )
        assert match.proposed_at >= match.need.published_at
        assert match.proposed_at >= match.offer.published_at
    duplicates = scalar(
        "SELECT count(*) FROM (SELECT need_id, offer_id FROM matches "
        "WHERE status IN ('proposed', 'agreed') GROUP BY need_id, offer_id "
        "HAVING count(*) > 1) d"
    )
    assert duplicates == 0


def test_projects_milestones_reports_and_organisations(bulk):
    agreement = db.session.scalar(select(Agreement).filter_by(is_default=True))
    today = date.today()
    for project in db.session.scalars(select(Project)):
        assert agreement.valid_from <= project.starts_on <= project.ends_on
        assert project.ends_on <= agreement.valid_until
        matches = project.matches
        assert matches and all(m.status == MatchStatus.AGREED for m in matches)
        for m in matches:
            assert m.need.status in (NeedStatus.IN_PROJECT, NeedStatus.CLOSED)
            assert m.need.theme_id == project.theme_id
            assert m.need.organisation_id == project.requester_lead_id
        # Never more public than its needs.
        order = list(Visibility)
        assert all(
            order.index(project.visibility) >= order.index(m.need.visibility) for m in matches
        )
        org_ids = {o.id for o in project.organisations}
        assert {project.requester_lead_id, project.expert_lead_id} <= org_ids
        assert {m.offer.organisation_id for m in matches} <= org_ids
        assert 2 <= len(project.milestones) <= 6
        if project.status == ProjectStatus.COMPLETED:
            assert project.ends_on < today
            assert all(ms.done_on is not None for ms in project.milestones)
            assert all(m.need.status == NeedStatus.CLOSED for m in matches)
        if project.status == ProjectStatus.PLANNED:
            assert project.starts_on > today
            assert all(ms.done_on is None for ms in project.milestones)
        if project.status in (ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD):
            assert project.starts_on <= today <= project.ends_on
        for ms in project.milestones:
            assert project.starts_on <= ms.due_on <= project.ends_on
            assert (ms.done_on is None) == (ms.done_by_id is None)
        reports = sorted(project.reports, key=lambda r: r.created_at)
        expected = reports[-1].status if reports else None
        assert project.latest_report_status == expected
        for report in reports:
            assert report.organisation_id in org_ids
            assert report.author.organisation_id == report.organisation_id
    # Overdue milestones exist for the dashboard to show.
    overdue = db.session.scalar(
        select(func.count(Milestone.id))
        .join(Project)
        .where(
            Milestone.done_on.is_(None),
            Milestone.due_on < today,
            Project.status == ProjectStatus.ACTIVE,
        )
    )
    assert overdue > 0


def test_accounts_share_one_hash_and_can_sign_in(bulk, client):
    users = db.session.scalars(select(User).where(User.email.like(f"%@{BULK_EMAIL_DOMAIN}"))).all()
    assert len(users) >= 3 * 2
    assert len({u.password_hash for u in users}) == 1
    assert any(u.has_totp for u in users if u.is_coordinator)
    requester = next(u for u in users if u.is_requester)
    client.login(requester.email, DEFAULT_PASSWORD)
    assert client.get("/profile").status_code == 200


def test_audit_events_for_every_created_record(bulk):
    created = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "create",
            AuditEvent.record_type.in_(("need", "offer", "project")),
            AuditEvent.actor_id.is_not(None),
        )
    )
    assert created == 300 + 90 + 40


def test_running_again_adds_and_keeps_ids_fresh(bulk, app, runner):
    users_before = db.session.scalar(select(func.count(User.id)))
    result = runner.invoke(
        args=["seed", "bulk", "--needs", "20", "--offers", "10", "--projects", "3"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Need.id))) == 320
    assert db.session.scalar(select(func.count(User.id))) == users_before  # users reused
    # The application still gets fresh ids after explicit-id inserts (sequences on PostgreSQL).
    fresh = Text.new("Нова потреба", "uk", None)
    db.session.add(fresh)
    db.session.commit()
    assert fresh.id > db.session.scalar(
        select(func.max(TextVersion.text_id).filter(TextVersion.text_id != fresh.id))
    )


def test_refuses_impossible_sizes(app, runner):
    result = runner.invoke(args=["seed", "bulk", "--needs", "5", "--projects", "6"])
    assert result.exit_code != 0
    assert "cannot exceed" in result.output
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_refused_in_production(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    app = create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed", "bulk", "--needs", "10"])
        assert result.exit_code != 0
        assert "refused in a production configuration" in result.output
        assert db.session.scalar(select(func.count(Need.id))) == 0
        db.session.remove()
        db.engine.dispose()


def test_phrase_banks_are_parallel_translations():
    """Swedish and English phrases are not Ukrainian, and a number slot is in all three."""
    import re

    from bench.bulk import phrases as ph

    cyrillic = re.compile("[\u0400-\u04ff]")
    phrases: list[ph.P] = [*ph.HELP.values(), *ph.STREETS, *ph.NEED_TITLES, *ph.OFFER_TITLES]
    phrases += [*ph.NEED_CONTEXT, *ph.OFFER_CONTEXT, *ph.MILESTONES, *ph.REPORT_GOOD]
    phrases += [p for bank in ph.THEMES.values() for items in bank.values() for p in items]
    phrases += [p for items in ph.REPORT_HEADLINES.values() for p in items]
    assert len(phrases) > 250
    for p in phrases:
        assert not cyrillic.search(p.sv) and not cyrillic.search(p.en), p
        assert ("{n}" in p.uk) == ("{n}" in p.sv) == ("{n}" in p.en) == bool(p.n), p
    assert set(ph.THEMES) >= {"water_sewage", "electricity", "district_heating", "democracy"}


def test_a_small_plan_shows_every_status_whatever_the_day_it_is_made(app):
    """The day moves the draws between the seed and a rare status; none may go missing."""
    agreement = db.session.scalar(select(Agreement).filter_by(is_default=True))
    first = agreement.valid_from + timedelta(days=60)
    days = [first + timedelta(days=d) for d in range(0, (agreement.valid_until - first).days, 23)]
    assert len(days) > 50
    for today in days:
        planner = BulkPlanner(300, 90, 40, seed=20221128, today=today)
        planner.plan()
        reports = {r.status for p in planner.projects for r in p.reports}
        assert {p.status for p in planner.projects} == set(ProjectStatus), today
        assert reports == set(ReportStatus), today
        assert {o.visibility for o in planner.offers} == set(Visibility), today
        assert {OfferStatus.DRAFT, OfferStatus.WITHDRAWN} <= {o.status for o in planner.offers}
        assert {n.priority for n in planner.needs} == set(Priority), today
        assert {n.visibility for n in planner.needs} == set(Visibility), today
        db.session.rollback()
