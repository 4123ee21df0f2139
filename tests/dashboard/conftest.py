"""A known dataset for the dashboard, built directly with the models.

The standard cast: requester (Kyivvodokanal), other_requester (KCSA Department of Education and
Science), expert (Stockholm Vatten och Avfall), other_expert (Stokab), coordinator.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.core.enums import (
    MatchStatus,
    NeedStatus,
    ProjectStatus,
    ReportStatus,
    Visibility,
)
from portal.extensions import db
from tests.dashboard import builders as b


@pytest.fixture
def dataset(app, users):
    req, other_req = users["requester"], users["other_requester"]
    exp, other_exp = users["expert"], users["other_expert"]
    coord = users["coordinator"]
    d = SimpleNamespace(users=users)

    # Projects first: matches below point into them.
    # P1: water, active, partners, at risk, ends in 45 days; Kyivvodokanal + SVOA; Darnytskyi.
    d.p1 = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Leak detection pilot",
        ends_in=45,
        latest=ReportStatus.AT_RISK,
        district_name="Darnytskyi",
    )
    # P2: education, completed, public.
    d.p2 = b.project(
        coord,
        other_req.organisation,
        other_exp.organisation,
        "education",
        "School network",
        status=ProjectStatus.COMPLETED,
        visibility=Visibility.PUBLIC,
        ends_in=-30,
        latest=ReportStatus.ON_TRACK,
    )
    # P3: IT, active, restricted to KCSA education + Stokab, off track, ends in 30 days.
    d.p3 = b.project(
        coord,
        other_req.organisation,
        other_exp.organisation,
        "it_digital",
        "Restricted data centre",
        visibility=Visibility.RESTRICTED,
        ends_in=30,
        latest=ReportStatus.OFF_TRACK,
    )
    # P4: water, planned, far end. P5: water, cancelled (ignored by risk and end lists).
    d.p4 = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Pumping station plan",
        status=ProjectStatus.PLANNED,
        ends_in=300,
    )
    d.p5 = b.project(
        coord,
        req.organisation,
        exp.organisation,
        "water_sewage",
        "Cancelled study",
        status=ProjectStatus.CANCELLED,
        ends_in=10,
        latest=ReportStatus.OFF_TRACK,
    )

    # Milestones
    d.m1 = b.milestone(d.p1, "Survey done", -5)  # overdue
    d.m2 = b.milestone(d.p1, "Sensors installed", 7)  # due soon
    d.m3 = b.milestone(d.p1, "Final report", 20)  # neither
    d.m4 = b.milestone(d.p1, "Kick-off", -10, done_in=-11)  # done
    d.m5 = b.milestone(d.p2, "Old milestone", -3)  # completed project: ignored
    d.m6 = b.milestone(d.p3, "Restricted milestone", -2)  # overdue, restricted
    d.m7 = b.milestone(d.p4, "Plan approved", 14)  # due soon (boundary)

    offer = b.offer(exp, "water_sewage", "Leak detection expertise")
    other_offer = b.offer(other_exp, "education", "Network expertise")

    # Needs
    d.n1 = b.need(
        req, "water_sewage", "N1 fresh", published_days_ago=10, district_name="Darnytskyi"
    )
    d.n2 = b.need(req, "water_sewage", "N2 declined only", published_days_ago=45)
    b.match(d.n2, offer, exp, status=MatchStatus.DECLINED)
    d.n3 = b.need(req, "water_sewage", "N3 older", published_days_ago=100)
    d.n4 = b.need(
        req,
        "water_sewage",
        "N4 restricted old",
        visibility=Visibility.RESTRICTED,
        published_days_ago=200,
    )
    d.n5 = b.need(
        req, "water_sewage", "N5 proposed", visibility=Visibility.PUBLIC, published_days_ago=5
    )
    b.match(d.n5, offer, exp, expert=exp)
    d.n6 = b.need(other_req, "education", "N6 matched", status=NeedStatus.MATCHED)
    b.match(
        d.n6,
        other_offer,
        other_exp,
        status=MatchStatus.AGREED,
        requester=other_req,
        expert=other_exp,
    )
    d.n7 = b.need(req, "water_sewage", "N7 in project", status=NeedStatus.IN_PROJECT)
    b.match(d.n7, offer, exp, status=MatchStatus.AGREED, requester=req, expert=exp, project=d.p1)
    d.n8 = b.need(
        other_req,
        "education",
        "N8 completed",
        status=NeedStatus.CLOSED,
        visibility=Visibility.PUBLIC,
    )
    b.match(
        d.n8,
        other_offer,
        other_exp,
        status=MatchStatus.AGREED,
        requester=other_req,
        expert=other_exp,
        project=d.p2,
    )
    d.n9 = b.need(req, "water_sewage", "N9 draft", status=NeedStatus.DRAFT)
    d.n10 = b.need(req, "water_sewage", "N10 withdrawn", status=NeedStatus.WITHDRAWN)
    d.n11 = b.need(
        other_req,
        "it_digital",
        "N11 restricted other",
        visibility=Visibility.RESTRICTED,
        published_days_ago=20,
    )
    db.session.commit()
    return d
