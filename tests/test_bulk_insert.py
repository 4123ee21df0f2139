"""Rows written in one go (``portal.core.bulk``: COPY on PostgreSQL, an INSERT on SQLite) read
back as an INSERT statement writes them, and the page cache learns of them."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, select

from portal.core import pagecache
from portal.core.bulk import insert_rows
from portal.core.types import utcnow
from portal.extensions import cache, db
from portal.matching.models import StoredSuggestion
from tests import factories as f

TABLE = cast(Table, StoredSuggestion.__table__)
WRITTEN_AT = utcnow() - timedelta(minutes=5)


def _pair(need_id: int, offer_id: int, listed_on: str) -> dict[str, object]:
    return {
        "need_id": need_id,
        "offer_id": offer_id,
        "listed_on": listed_on,
        "position": 3,
        "score": 87,
        "reasons": ["theme", "period:full"],
        # Text a COPY must escape: a tab, a newline, a backslash, quotes, Cyrillic.
        "terms": {"uk": "витік,труба", "sv": 'läcka\t"rör"\\x', "en": "leak\nline"},
        "copy_key": "12:ab\\cd",
        "computed_at": WRITTEN_AT,
    }


def _stored() -> dict[str, tuple[object, ...]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(
            StoredSuggestion.listed_on,
            StoredSuggestion.need_id,
            StoredSuggestion.offer_id,
            StoredSuggestion.position,
            StoredSuggestion.score,
            StoredSuggestion.reasons,
            StoredSuggestion.terms,
            StoredSuggestion.copy_key,
            StoredSuggestion.computed_at,
        )
    ).all()
    return {row.listed_on: tuple(row[1:]) for row in rows}


def test_rows_written_in_one_go_read_back_as_an_insert_writes_them(app, users):
    need = f.make_need(users["requester"])
    offer = f.make_offer(users["expert"])
    db.session.execute(delete(StoredSuggestion))
    db.session.commit()
    by_insert, in_one_go = _pair(need.id, offer.id, "need"), _pair(need.id, offer.id, "offer")
    db.session.execute(insert(StoredSuggestion), [by_insert])
    insert_rows(TABLE, [in_one_go])
    db.session.commit()
    stored = _stored()
    assert set(stored) == {"need", "offer"}
    assert stored["offer"] == stored["need"]
    assert stored["offer"][5] == in_one_go["terms"]
    assert stored["offer"][7] == in_one_go["computed_at"]


def test_nothing_to_write_writes_nothing(app, users):
    f.make_need(users["requester"])
    db.session.execute(delete(StoredSuggestion))
    db.session.commit()
    insert_rows(TABLE, [])
    db.session.commit()
    assert _stored() == {}


def test_rows_written_in_one_go_bump_the_page_cache_version(app, users):
    app.config["PAGE_CACHE_SECONDS"] = 300
    cache.clear()
    need = f.make_need(users["requester"])
    offer = f.make_offer(users["expert"])
    db.session.execute(delete(StoredSuggestion))
    db.session.commit()
    with app.test_request_context():
        before = pagecache.data_version()
    assert before is not None
    insert_rows(TABLE, [_pair(need.id, offer.id, "need")])
    assert int(cache.get(pagecache.VERSION_KEY)) == before  # not before the commit
    db.session.commit()
    assert int(cache.get(pagecache.VERSION_KEY)) == before + 1
