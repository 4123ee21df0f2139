"""Writing planned bulk data: ``BulkLoader.load()`` writes what ``BulkPlanner.plan()`` decided
in one transaction, with SQLAlchemy Core ``insert()`` in batches, ids taken from the tables'
sequences (PostgreSQL) or after the highest id (SQLite), texts composed batch by batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text

from bench.bulk.planner import (
    LANG_INDEX,
    VISIBILITY_ORDER,
    BulkError,
    BulkPlanner,
    MatchPlan,
    NeedPlan,
    OfferPlan,
    ProjectPlan,
    Tri,
)
from portal.audit.models import AuditEvent
from portal.content.models import Text, TextVersion, fold
from portal.core.enums import MatchStatus, Visibility
from portal.extensions import db
from portal.matching.models import Match
from portal.needs.models import Need
from portal.offers.models import Offer, offer_themes
from portal.projects.models import Milestone, Project, StatusReport, project_organisations


@dataclass
class BulkResult:
    counts: dict[str, int]
    seconds: float
    dialect: str

    def summary(self) -> str:
        rows = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        return f"Inserted in {self.seconds:.1f} s on {self.dialect}: {rows}."


class BulkLoader(BulkPlanner):
    """The planner, and ``load()``, which writes its plan (planning first if need be)."""

    def load(self, progress: Callable[[int], None] | None = None) -> BulkResult:
        if not self._planned:
            self.plan()
        tick = progress or (lambda n: None)
        started = time.perf_counter()
        self.counts: dict[str, int] = {}
        with db.engine.begin() as conn:
            self.conn = conn
            self.ids = _IdAllocator(conn)
            self._write_offers(tick)
            self._write_needs(tick)
            self._write_projects(tick)
            self._write_matches(tick)
            self._write_audit()
        self.conn = None  # type: ignore[assignment]
        return BulkResult(self.counts, time.perf_counter() - started, db.engine.dialect.name)

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            if chunk:
                self.conn.execute(insert(table), chunk)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    def _write_texts(
        self,
        items: list[tuple[Tri, str, tuple[str, ...], int | None, datetime]],
        owners: list[tuple[str, int]],
    ) -> list[int]:
        """Insert texts (original language plus extra versions), each with the record that owns
        it (kind, id: what TextOwnerMixin writes for records the ORM inserts); returns their ids
        in order."""
        ids = self.ids.take(Text.__table__, len(items))
        texts, versions = [], []
        for text_id, (tri, original, extra, author, at), (kind, owner_id) in zip(
            ids, items, owners
        ):
            texts.append(
                {"id": text_id, "original_lang": original, "owner_type": kind, "owner_id": owner_id}
            )
            for lang in (original, *extra):
                body = tri[LANG_INDEX[lang]]
                versions.append(
                    {
                        "text_id": text_id,
                        "lang": lang,
                        "body": body,
                        "folded": fold(body),
                        "author_id": author,
                        "written_at": at,
                    }
                )
        self._insert(Text.__table__, texts)
        self._insert(TextVersion.__table__, versions)
        return ids

    def _chunks(self, items: list, key: Callable[[Any], Any]) -> Iterable[list]:
        """The items in order of ``key`` (creation time, so ids grow with time), in batches."""
        ordered = sorted(items, key=key)
        for start in range(0, len(ordered), self.batch_size):
            yield ordered[start : start + self.batch_size]

    def _write_offers(self, tick: Callable[[int], None]) -> None:
        for chunk in self._chunks(self.offers, key=lambda o: o.created_at):
            ids = self.ids.take(Offer.__table__, len(chunk))
            text_items, owners = [], []
            for offer_id, offer in zip(ids, chunk):
                title, description = self._offer_texts(offer)
                for tri in (title, description):
                    text_items.append(
                        (tri, "sv", offer.extra_langs, offer.author, offer.created_at)
                    )
                    owners.append(("offer", offer_id))
            text_ids = self._write_texts(text_items, owners)
            rows, theme_rows = [], []
            for n, (offer_id, offer) in enumerate(zip(ids, chunk)):
                offer.id = offer_id
                rows.append(
                    {
                        "id": offer_id,
                        "agreement_id": self.agreement.id,
                        "organisation_id": offer.org.id,
                        "created_by_id": offer.author,
                        "title_id": text_ids[2 * n],
                        "description_id": text_ids[2 * n + 1],
                        "help_kind": offer.help_kind,
                        "capacity_days": offer.capacity,
                        "committed_days": offer.committed,
                        "available_from": offer.available_from,
                        "available_until": offer.available_until,
                        "visibility": offer.visibility,
                        "status": offer.status,
                        "created_at": offer.created_at,
                        "updated_at": offer.published_at or offer.created_at,
                        "published_at": offer.published_at,
                        "version": 1,
                    }
                )
                theme_rows += [
                    {"offer_id": offer_id, "theme_id": self.theme_ids[code]}
                    for code in offer.themes
                ]
            self._insert(Offer.__table__, rows)
            self._insert(offer_themes, theme_rows)
            tick(len(chunk))

    def _write_needs(self, tick: Callable[[int], None]) -> None:
        for chunk in self._chunks(self.needs, key=lambda n: n.created_at):
            ids = self.ids.take(Need.__table__, len(chunk))
            text_items, owners = [], []
            for need_id, need in zip(ids, chunk):
                title, description = self._need_texts(need)
                for tri in (title, description):
                    text_items.append((tri, "uk", need.extra_langs, need.author, need.created_at))
                    owners.append(("need", need_id))
            text_ids = self._write_texts(text_items, owners)
            rows = []
            for n, (need_id, need) in enumerate(zip(ids, chunk)):
                need.id = need_id
                rows.append(
                    {
                        "id": need_id,
                        "agreement_id": self.agreement.id,
                        "organisation_id": need.org.id,
                        "created_by_id": need.author,
                        "theme_id": self.theme_ids[need.theme],
                        "district_id": (
                            self.district_ids[need.district] if need.district is not None else None
                        ),
                        "title_id": text_ids[2 * n],
                        "description_id": text_ids[2 * n + 1],
                        "priority": need.priority,
                        "help_kind": need.help_kind,
                        "wanted_from": need.wanted_from,
                        "wanted_until": need.wanted_until,
                        "person_days": need.person_days,
                        "visibility": need.visibility,
                        "status": need.status,
                        "created_at": need.created_at,
                        "updated_at": need.published_at or need.created_at,
                        "published_at": need.published_at,
                        "version": 1,
                    }
                )
            self._insert(Need.__table__, rows)
            tick(len(chunk))

    def _write_projects(self, tick: Callable[[int], None]) -> None:
        for chunk in self._chunks(self.projects, key=lambda p: p.created_at):
            ids = self.ids.take(Project.__table__, len(chunk))
            text_items, owners = [], []
            for project_id, project in zip(ids, chunk):
                title, description = self._project_texts(project)
                for tri in (title, description):
                    text_items.append(
                        (
                            tri,
                            project.original_lang,
                            project.extra_langs,
                            project.created_by,
                            project.created_at,
                        )
                    )
                    owners.append(("project", project_id))
            text_ids = self._write_texts(text_items, owners)
            rows, org_rows = [], []
            for n, (project_id, project) in enumerate(zip(ids, chunk)):
                project.id = project_id
                need = self.needs[project.need]
                offers = [self.offers[i] for i in project.offers]
                latest = max(project.reports, key=lambda r: r.created_at, default=None)
                rows.append(
                    {
                        "id": project_id,
                        "agreement_id": self.agreement.id,
                        "theme_id": self.theme_ids[need.theme],
                        "district_id": (
                            self.district_ids[need.district] if need.district is not None else None
                        ),
                        "requester_lead_id": need.org.id,
                        "expert_lead_id": offers[0].org.id,
                        "title_id": text_ids[2 * n],
                        "description_id": text_ids[2 * n + 1],
                        "starts_on": project.starts_on,
                        "ends_on": project.ends_on,
                        "status": project.status,
                        "visibility": self._project_visibility(need),
                        "latest_report_status": latest.status if latest else None,
                        "created_by_id": project.created_by,
                        "created_at": project.created_at,
                        "updated_at": latest.created_at if latest else project.created_at,
                        "version": 1,
                    }
                )
                org_ids = dict.fromkeys([need.org.id, *(o.org.id for o in offers)])
                org_rows += [{"project_id": project_id, "organisation_id": o} for o in org_ids]
            self._insert(Project.__table__, rows)
            self._insert(project_organisations, org_rows)
            self._write_milestones(chunk)
            self._write_reports(chunk)
            tick(len(chunk))

    def _project_visibility(self, need: NeedPlan) -> Visibility:
        # As strict as the strictest need (never publish what a need keeps closed), sometimes
        # stricter than that.
        floor = VISIBILITY_ORDER.index(need.visibility)
        chosen = max(floor, self.rng.choice((0, 0, 0, 1, 2)))
        return VISIBILITY_ORDER[chosen]

    def _write_milestones(self, projects: list[ProjectPlan]) -> None:
        items, owners = [], []
        for project in projects:
            for milestone in project.milestones:
                items.append(
                    (
                        milestone.title,
                        project.original_lang,
                        project.extra_langs,
                        project.created_by,
                        project.created_at,
                    )
                )
                owners.append((project, milestone))
        ids = self.ids.take(Milestone.__table__, len(owners))
        text_ids = self._write_texts(items, [("milestone", i) for i in ids])
        rows = [
            {
                "id": milestone_id,
                "project_id": project.id,
                "title_id": text_id,
                "due_on": milestone.due_on,
                "done_on": milestone.done_on,
                "weight": milestone.weight,
                "done_by_id": milestone.done_by,
                "version": 2 if milestone.done_on else 1,
            }
            for milestone_id, text_id, (project, milestone) in zip(ids, text_ids, owners)
        ]
        self._insert(Milestone.__table__, rows)

    def _write_reports(self, projects: list[ProjectPlan]) -> None:
        items, owners = [], []
        for project in projects:
            for report in project.reports:
                extra = ("en",) if self.rng.random() < 0.15 else ()
                items.append(
                    (
                        self._report_text(report.status),
                        report.lang,
                        extra,
                        report.author,
                        report.created_at,
                    )
                )
                owners.append((project, report))
        ids = self.ids.take(StatusReport.__table__, len(owners))
        text_ids = self._write_texts(items, [("status_report", i) for i in ids])
        rows = [
            {
                "id": report_id,
                "project_id": project.id,
                "author_id": report.author,
                "organisation_id": report.organisation,
                "status": report.status,
                "body_id": text_id,
                "created_at": report.created_at,
            }
            for report_id, text_id, (project, report) in zip(ids, text_ids, owners)
        ]
        self._insert(StatusReport.__table__, rows)

    def _write_matches(self, tick: Callable[[int], None]) -> None:
        for chunk in self._chunks(self.matches, key=lambda m: m.proposed_at):
            rows = []
            for match in chunk:
                need, offer = self.needs[match.need], self.offers[match.offer]
                score, reasons = self._score(need, offer, match)
                rows.append(
                    {
                        "need_id": need.id,
                        "offer_id": offer.id,
                        "project_id": (
                            self.projects[match.project].id if match.project is not None else None
                        ),
                        "status": match.status,
                        "score": score,
                        "reasons": reasons,
                        "message": None,
                        "person_days": match.person_days,
                        "proposed_side": match.proposed_side,
                        "proposed_by_id": match.proposed_by,
                        "proposed_at": match.proposed_at,
                        "requester_accepted_by_id": _who(match.requester_accepted),
                        "requester_accepted_at": _when(match.requester_accepted),
                        "expert_accepted_by_id": _who(match.expert_accepted),
                        "expert_accepted_at": _when(match.expert_accepted),
                        "decided_by_id": _who(match.decided),
                        "decided_at": _when(match.decided),
                        "decline_reason": match.decline_reason,
                        "version": 1 if match.status == MatchStatus.PROPOSED else 2,
                    }
                )
            self._insert(Match.__table__, rows)
            tick(len(chunk))

    def _score(self, need: NeedPlan, offer: OfferPlan, match: MatchPlan) -> tuple[int, list[str]]:
        """A score and reasons in the matching's stored form (``code:param``)."""
        points, reasons = 0, []
        if need.theme in offer.themes:
            points += 40
            reasons.append(f"theme:{self.theme_ids[need.theme]}")
        if need.help_kind == offer.help_kind:
            points += 15
            reasons.append(f"help_kind:{need.help_kind.value}")
        if need.wanted_until is None or offer.available_until >= need.wanted_until:
            points += 15
            reasons.append("period_full")
        else:
            points += 8
            reasons.append("period_partial")
        remaining = max(offer.capacity - offer.committed, 0) + (match.person_days or 0)
        needed = match.person_days or need.person_days
        if remaining >= needed:
            points += 15
            reasons.append(f"capacity:{remaining}:{needed}")
        elif remaining > 0:
            points += 15 * remaining // needed
            reasons.append(f"capacity_partial:{remaining}:{needed}")
        return min(points, 100), reasons

    def _write_audit(self) -> None:
        """One ``create`` event per need, offer and project, as their services record it."""
        rows: list[dict[str, Any]] = []
        for kind, records in (("offer", self.offers), ("need", self.needs)):
            for r in records:
                rows.append(_audit_row(r.author, r.created_at, kind, r.id, r.status))
        for project in self.projects:
            rows.append(
                _audit_row(
                    project.created_by, project.created_at, "project", project.id, project.status
                )
            )
        rows.sort(key=lambda row: row["at"])
        self._insert(AuditEvent.__table__, rows)


def _who(pair: tuple[int, datetime] | None) -> int | None:
    return pair[0] if pair else None


def _when(pair: tuple[int, datetime] | None) -> datetime | None:
    return pair[1] if pair else None


def _audit_row(actor: int, at: datetime, kind: str, record_id: int, status: Any) -> dict:
    return {
        "at": at,
        "actor_id": actor,
        "ip": None,
        "action": "create",
        "record_type": kind,
        "record_id": record_id,
        "before": None,
        "after": {"status": status.value, "source": "bulk"},
    }


class _IdAllocator:
    """Primary keys for rows inserted with explicit ids.

    PostgreSQL: values taken from the table's own sequence, so the application (and a second
    loader) keeps getting fresh ids. SQLite: after the highest id, inside the loader's write
    transaction (which holds the database's write lock from its first insert).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.next: dict[str, int] = {}

    def take(self, table: Table, count: int) -> list[int]:
        if count <= 0:
            return []
        if self.dialect == "postgresql":
            rows = self.conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": count},
            )
            return [row[0] for row in rows]
        if self.dialect != "sqlite":
            raise BulkError(f"Bulk data supports PostgreSQL and SQLite, not {self.dialect}.")
        if table.name not in self.next:
            highest = self.conn.execute(select(func.max(table.c.id))).scalar()
            self.next[table.name] = (highest or 0) + 1
        first = self.next[table.name]
        self.next[table.name] = first + count
        return list(range(first, first + count))
