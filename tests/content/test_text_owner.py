"""Every text knows the record it belongs to (kind and id), written when the record is inserted
and filled by the migration for texts that existed before."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text as sql

from portal.content import services
from portal.extensions import db
from tests.conftest import count_queries
from tests.content.factories import add_milestone, add_report, make_need, make_offer, make_project


def _owners_in_database() -> dict[int, tuple[str | None, int | None]]:
    rows = db.session.execute(sql("SELECT id, owner_type, owner_id FROM texts")).all()
    return {row.id: (row.owner_type, row.owner_id) for row in rows}


def _records(users):
    need = make_need(users["requester"])
    offer = make_offer(users["expert"])
    project = make_project(
        users["coordinator"], users["requester"].organisation, users["expert"].organisation
    )
    milestone = add_milestone(project, users["coordinator"])
    report = add_report(project, users["requester"])
    return {
        need.title_id: ("need", need.id),
        need.description_id: ("need", need.id),
        offer.title_id: ("offer", offer.id),
        offer.description_id: ("offer", offer.id),
        project.title_id: ("project", project.id),
        project.description_id: ("project", project.id),
        milestone.title_id: ("milestone", milestone.id),
        report.body_id: ("status_report", report.id),
    }


def test_inserting_a_record_writes_its_texts_owner(app, users):
    expected = _records(users)
    db.session.expire_all()
    owners = _owners_in_database()
    assert {text_id: owners[text_id] for text_id in expected} == expected


def test_owner_of_is_one_lookup_not_a_probe_of_every_table(app, users):
    expected = _records(users)
    report_body = next(t for t, owner in expected.items() if owner[0] == "status_report")
    db.session.expire_all()
    with count_queries(app) as statements:
        owner = services.owner_of(report_body)
    assert owner is not None and (owner.kind, owner.record.id) == expected[report_body]
    assert services.field_of(owner, report_body) == "body"
    assert len(statements) <= 2  # the text's owner columns, then the record


def test_a_text_nothing_refers_to_has_no_owner(app, users):
    from portal.content.models import Text

    orphan = Text.new("Loose words", "en", users["admin"])
    db.session.add(orphan)
    db.session.commit()
    assert services.owner_of(orphan.id) is None


def test_the_migration_fills_the_owner_of_texts_written_before_it(app, users):
    expected = _records(users)
    db.session.commit()
    db.session.remove()
    downgrade(revision="7c4e2a9d1b53")  # texts without owner columns, as before
    upgrade()
    owners = _owners_in_database()
    assert {text_id: owners[text_id] for text_id in expected} == expected
