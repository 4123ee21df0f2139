"""Limits on the requests that cost the portal most: files made on request.

A whole list as CSV or Excel, the IATI file of every public project, a council report made now
(PDF or workbook) or frozen (every language and format at once) take the portal seconds each,
where a page takes milliseconds. They share one limit per person, generous for a coordinator
gathering a council meeting's papers and far below what would keep the workers from everyone
else. Signed in, the limit is the person's: the officials of one city office reach the portal
from one address, behind their proxy. A visitor's is their address's.

Downloads of documents have a limit of their own: a stored file costs little to send, but a
script walking every document of every record it may see would take the portal's bandwidth,
which Kyiv's offices share over weak connections. The limit is far above what a person reading
a record's papers does.

Free-text search is the most expensive thing an anonymous visitor can ask of a list: limited per
address across the lists together (``search_limit``, on their blueprints); browsing without a
search term is not limited. Reading a page that no limit counts is let through before
Flask-Limiter works out, on every request, which limits apply (``reads_no_limit``).
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import current_user

from portal.extensions import limiter

FILE_LIMIT = "20 per minute; 200 per hour"
DOWNLOAD_LIMIT = "60 per minute; 600 per hour"


def person_or_address() -> str:
    if current_user.is_authenticated:
        return f"person:{current_user.id}"
    return f"address:{get_remote_address()}"


made_files = limiter.shared_limit(FILE_LIMIT, scope="made-files", key_func=person_or_address)
downloads = limiter.shared_limit(DOWNLOAD_LIMIT, scope="downloads", key_func=person_or_address)

SEARCH_LIMIT = "60 per minute; 600 per hour"


def not_a_search() -> bool:
    return not request.args.get("q")


search_limit = limiter.shared_limit(SEARCH_LIMIT, scope="search", exempt_when=not_a_search)

_READS = ("get", "head")
_UNLIMITED_READS = "portal_unlimited_reads"  # app.extensions: endpoint → no limit counts reads


@limiter.request_filter
def reads_no_limit() -> bool:
    """A GET or HEAD that no limit counts: of an endpoint whose every limit counts other methods
    only, or searches only (``search_limit``), without a search term. Flask-Limiter would find
    the same after working out the endpoint's limits again for this request (about a twentieth
    of a need page's work); the answer is asked of it once per endpoint and kept."""
    if request.method.lower() not in _READS or not request.endpoint or not not_a_search():
        return False
    known: dict[str, bool] = current_app.extensions.setdefault(_UNLIMITED_READS, {})
    found = known.get(request.endpoint)
    if found is None:
        found = known[request.endpoint] = _counts_no_reads(request.endpoint, request.blueprint)
    return found


def _counts_no_reads(endpoint: str, blueprint: str | None) -> bool:
    """Whether none of the limits Flask-Limiter resolves for ``endpoint`` (the application's,
    the defaults, the view's and its blueprints') counts a read without a search term."""
    manager = limiter.limit_manager
    view = current_app.view_functions.get(endpoint)
    defaults, decorated = manager.resolve_limits(
        current_app, endpoint, blueprint, get_qualified_name(view) if view else "", False, False
    )
    for limit in (*manager.application_limits, *defaults, *decorated):
        if limit.methods is not None and not set(_READS) & set(limit.methods):
            continue  # counts only what changes something (a POST)
        if limit.exempt_when is not_a_search:
            continue  # counts only searches
        return False
    return True
