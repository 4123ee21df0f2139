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
"""

from __future__ import annotations

from flask_limiter.util import get_remote_address
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
