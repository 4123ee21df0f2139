"""psycopg keeps the conversion of the portal's longer statements (``core.statements``): the
signed-in person read with the header's unread count is longer than psycopg's own limit, and
was converted again on every request before."""

from __future__ import annotations

from itertools import permutations

import pytest
from psycopg import _queries
from sqlalchemy.dialects import postgresql

from portal.accounts import services as accounts
from portal.extensions import db
from portal.notifications import queries
from tests import factories

PSYCOPG_OWN_LIMIT = 4096


@pytest.mark.parametrize("page", ["list", "record"])
def test_the_person_read_with_the_header_count_is_converted_once(
    app, users, login, monkeypatch, page
):
    """A list reads the count with the person; a record's page the follow button's choice as
    well: each statement is converted once."""
    need = factories.make_need(users["requester"], title="Leak detection")
    db.session.commit()
    path = "/needs/" if page == "list" else f"/needs/{need.id}"
    client = login("expert")
    assert client.get(path).status_code == 200
    read = (queries._key(users["expert"]),) + (("follow choice",) if page == "record" else ())
    # Kept by the readings' keys in the order their modules registered (imported) them.
    kept = [accounts._WITH_COLUMNS.find(keys) for keys in permutations(read)]
    statement = next((found for found in kept if found is not None), None)
    assert statement is not None, "the page read nothing with the person"
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
            assert client.get(path).status_code == 200
        assert converted_anew == []
