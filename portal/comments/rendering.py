"""A comment's plain text as HTML: every piece escaped, http(s) addresses made into links
(``rel="nofollow noopener"``) and line breaks kept. Nothing a person writes becomes markup."""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

# An http(s) address up to the first space or angle bracket or quote.
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Closing punctuation at an address's end belongs to the sentence, not to the address.
_TRAILING = ".,;:!?)]}’"
_LINK = Markup('<a href="%s" rel="nofollow noopener">%s</a>')  # "%" escapes both


def linkify(body: str) -> Markup:
    """``body`` escaped, with its web addresses as links."""
    out = Markup("")
    position = 0
    for match in _URL.finditer(body):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out += escape(body[position : match.start()])
        out += _LINK % (url, url)
        position = match.start() + len(url)
    return out + escape(body[position:])


@lru_cache(maxsize=1024)
def render_comment(body: str) -> Markup:
    """``body`` as paragraphs (blank lines) and line breaks, linked and escaped. Remembered per
    body (a discussion's page shows fifty, and each comment's HTML depends on its text alone)."""
    paragraphs = [p for p in re.split(r"\n{2,}", body) if p.strip()]
    return Markup("").join(
        Markup("<p>%s</p>") % Markup("<br>").join(linkify(line) for line in p.split("\n"))
        for p in paragraphs
    )
