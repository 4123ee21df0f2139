"""Reading a page that no rate limit counts skips Flask-Limiter's work of resolving the page's
limits (``core.limits.reads_no_limit``), decided from the limits Flask-Limiter itself resolves
for the endpoint: every limit that counts a read still counts it."""

from __future__ import annotations

import pytest

from portal.core import limits
from portal.core.limits import SEARCH_LIMIT

SEARCHES_PER_MINUTE = int(SEARCH_LIMIT.split(" per minute")[0])


@pytest.mark.parametrize(
    "method, path, skipped",
    [
        ("GET", "/needs/", True),
        ("HEAD", "/offers/?theme=1", True),
        ("GET", "/", True),
        ("GET", "/login", True),  # its limit counts sign-in attempts (POST) only
        ("GET", "/needs/?q=water", False),  # the search limit
        ("POST", "/needs/new", False),
        ("POST", "/login", False),
        ("GET", "/exports/needs.csv", False),  # files made on request
        ("GET", "/documents/1/versions/1/file", False),  # document downloads
        ("GET", "/api/v1/needs", False),  # per token or address
    ],
)
def test_only_reads_that_no_limit_counts_skip_the_limiter(app, method, path, skipped):
    with app.test_request_context(path, method=method):
        assert limits.reads_no_limit() is skipped


def test_a_search_is_still_counted_and_browsing_is_not(client):
    """Browsing the lists without a search term is never limited; a search is, across them."""
    address = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    for _ in range(SEARCHES_PER_MINUTE + 5):
        assert client.get("/needs/", **address).status_code == 200
    statuses = [
        client.get(f"/offers/?q=pump{n}", **address).status_code
        for n in range(SEARCHES_PER_MINUTE + 1)
    ]
    assert statuses[:-1] == [200] * SEARCHES_PER_MINUTE and statuses[-1] == 429
    assert client.get("/needs/", **address).status_code == 200
