"""A cooperation project, its milestones and its status reports.

planned → active → completed | on hold | cancelled; on hold → active. Progress is the weighted share
of done milestones. The latest report's status is kept on the project for the dashboard's
"projects at risk" without a subquery per row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Table,
    and_,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import TextOwnerMixin
from portal.core.enums import ProjectStatus, ReportStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.core.visibility import Scope, is_signed_in
from portal.extensions import Model, db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement
    from portal.content.models import Text
    from portal.matching.models import Match
    from portal.reference.models import District, Organisation, Theme

# Every organisation taking part: both lead organisations and those of the matched needs and offers.
project_organisations = Table(
    "project_organisations",
    db.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id"), primary_key=True, index=True),
)

PROJECT_TRANSITIONS: dict[ProjectStatus, set[ProjectStatus]] = {
    ProjectStatus.PLANNED: {ProjectStatus.ACTIVE, ProjectStatus.CANCELLED, ProjectStatus.ON_HOLD},
    ProjectStatus.ACTIVE: {ProjectStatus.COMPLETED, ProjectStatus.ON_HOLD, ProjectStatus.CANCELLED},
    ProjectStatus.ON_HOLD: {ProjectStatus.ACTIVE, ProjectStatus.CANCELLED},
    ProjectStatus.COMPLETED: set(),
    ProjectStatus.CANCELLED: set(),
}


def progress_share(done: int, total: int) -> int:
    """The weighted share of done milestones in whole per cent: ``done`` of ``total`` weight."""
    return round(100 * done / total) if total else 0


class Project(TextOwnerMixin, Model):
    __text_kind__ = "project"
    __text_fields__ = {"title": "title_id", "description": "description_id"}
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    requester_lead_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    expert_lead_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Indexed: search finds records by the texts that contain the words.
    title_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    description_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.PLANNED, index=True
    )
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility), index=True)
    latest_report_status: Mapped[ReportStatus | None] = mapped_column(
        enum_column(ReportStatus), index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    agreement: Mapped[Agreement] = relationship()
    theme: Mapped[Theme] = relationship()
    district: Mapped[District | None] = relationship()
    requester_lead: Mapped[Organisation] = relationship(foreign_keys=[requester_lead_id])
    expert_lead: Mapped[Organisation] = relationship(foreign_keys=[expert_lead_id])
    title: Mapped[Text] = relationship(foreign_keys=[title_id])
    description: Mapped[Text] = relationship(foreign_keys=[description_id])
    created_by: Mapped[User] = relationship()
    matches: Mapped[list[Match]] = relationship(back_populates="project")
    organisations: Mapped[list[Organisation]] = relationship(secondary=project_organisations)
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project",
        order_by="(Milestone.due_on, Milestone.id)",
        cascade="all, delete-orphan",
    )
    reports: Mapped[list[StatusReport]] = relationship(
        back_populates="project",
        order_by="StatusReport.created_at.desc()",
        cascade="all, delete-orphan",
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}
    # The list's order (newest first, ties by id): the first page is read off the index, not
    # sorted from every project the reader may see (50 ms at 10,000 projects for an expert).
    __table_args__ = (Index("ix_projects_newest", "created_at", "id"),)

    @property
    def progress(self) -> int:
        """Weighted share of done milestones, in whole per cent."""
        done = sum(m.weight for m in self.milestones if m.done_on is not None)
        return progress_share(done, sum(m.weight for m in self.milestones))

    def can_transition(self, target: ProjectStatus) -> bool:
        return target in PROJECT_TRANSITIONS[self.status]

    def transition(self, target: ProjectStatus) -> None:
        if not self.can_transition(target):
            raise IllegalTransition(
                _(
                    "A project that is %(current)s cannot become %(target)s.",
                    current=self.status.label.lower(),
                    target=target.label.lower(),
                )
            )
        self.status = target

    def is_participant(self, user: User | None) -> bool:
        return is_signed_in(user) and any(o.id == user.organisation_id for o in self.organisations)

    def can_view(self, user: User | None) -> bool:
        if not is_signed_in(user):
            return self.visibility == Visibility.PUBLIC
        if user.sees_everything or self.visibility != Visibility.RESTRICTED:
            return True
        return self.is_participant(user)

    def can_manage(self, user: User | None) -> bool:
        """Coordinators change the plan: status, dates, milestones."""
        return is_signed_in(user) and user.is_coordinator

    def can_report(self, user: User | None) -> bool:
        """Members of the participating organisations write status reports and tick milestones."""
        return is_signed_in(user) and (
            user.is_coordinator
            or (user.role.value in ("requester", "expert") and self.is_participant(user))
        )

    @classmethod
    def visible_to(cls, user: User | None) -> ColumnElement[bool]:
        """SQL predicate for ``can_view``, built from the viewer's ``Scope`` alone."""
        scope = Scope.of(user)
        if not scope.is_signed_in:
            return cls.visibility == Visibility.PUBLIC
        if scope.sees_everything:
            return cls.id.is_not(None)
        participant = exists(
            select(project_organisations.c.project_id).where(
                project_organisations.c.project_id == cls.id,
                project_organisations.c.organisation_id == scope.organisation_id,
            )
        )
        return or_(
            cls.visibility.in_(scope.visibilities),
            and_(cls.visibility == Visibility.RESTRICTED, participant),
        )

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.status}>"


class Milestone(TextOwnerMixin, Model):
    __text_kind__ = "milestone"
    __text_fields__ = {"title": "title_id"}
    __tablename__ = "milestones"
    # The milestones not done, in the order the dashboard lists them (due first), with their
    # project: the first ten overdue or due soon are read off it, and their totals counted from
    # it without reading the table.
    __table_args__ = (
        Index(
            "ix_milestones_open_due",
            "due_on",
            "id",
            postgresql_include=["project_id"],
            postgresql_where=text("done_on IS NULL"),
            sqlite_where=text("done_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: a project's milestones are loaded by it, and the dashboard joins them per project.
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    title_id: Mapped[int] = mapped_column(ForeignKey("texts.id"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done_on: Mapped[date | None] = mapped_column(Date, index=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped[Project] = relationship(back_populates="milestones")
    title: Mapped[Text] = relationship()
    done_by: Mapped[User | None] = relationship()

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def is_overdue(self, today: date | None = None) -> bool:
        return self.done_on is None and self.due_on < (today or date.today())

    def can_view(self, user: User | None) -> bool:
        """A milestone is seen by whoever sees its project."""
        return self.project.can_view(user)


class StatusReport(TextOwnerMixin, Model):
    __text_kind__ = "status_report"
    __text_fields__ = {"body": "body_id"}
    __tablename__ = "status_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus))
    body_id: Mapped[int] = mapped_column(ForeignKey("texts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    project: Mapped[Project] = relationship(back_populates="reports")
    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()
    body: Mapped[Text] = relationship()

    def can_view(self, user: User | None) -> bool:
        """A status report is seen by whoever sees its project."""
        return self.project.can_view(user)
