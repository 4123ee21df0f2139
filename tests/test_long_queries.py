"""psycopg keeps the conversion of the portal's longer statements (``core.statements``): the
signed-in person read with the header's unread count is longer than psycopg's own limit, and
was converted again on every request before."""

from __future__ import annotations

from psycopg import _queries
from sqlalchemy.dialects import postgresql

from portal.accounts import services as accounts
from portal.extensions import db
from portal.notifications import queries

PSYCOPG_OWN_LIMIT = 4096


def test_the_person_read_with_the_header_count_is_converted_once(app, users, login, monkeypatch):
    client = login("expert")
    assert client.get("/needs/").status_code == 200
    statement = accounts._WITH_COLUMN.find(queries._key(users["expert"]))
    assert statement is not None, "the page read no count with the person"
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    size = len(str(compiled).encode())
    assert size > PSYCOPG_OWN_LIMIT  # why the limit is raised
    assert size <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    if db.engine.dialect.name == "postgresql":
        converted_anew: list[bytes] = []
        uncached = _queries._query2pg_nocache

        def recorded(query, *args, **kwargs):
            converted_anew.append(query)
            return uncached(query, *args, **kwargs)

        monkeypatch.setattr(_queries, "_query2pg_nocache", recorded)
        for _ in range(2):
            assert client.get("/needs/").status_code == 200
        assert converted_anew == []
