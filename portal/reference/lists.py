"""Themes, districts and organisations as the list pages' filters and the dashboard show them,
kept in the shared cache.

Every list page offers them as filter choices, three queries per request for data that changes
a few times a year. Plain copies (id, code, the three names) are kept in the shared cache (Redis
in production, so every worker sees the same) for ``REFERENCE_CACHE_SECONDS`` and forgotten at
once when an admin changes an organisation or ``flask seed reference`` runs. Without the cache
(Redis unreachable) they are read from the database as before. Forms that write records
(posting a need, editing an organisation) still read the tables themselves.

Each worker also keeps them sorted in each language in its own memory, under the reference
data's version: a token in the shared cache that ``forget()`` replaces (and that expires with
the lists). A request reads that token once, instead of unpickling every list and sorting ~80
names by ICU collation on each page.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import select

from portal.agreements.models import Agreement
from portal.core import pagecache
from portal.core.collation import by_name
from portal.core.i18n import NamedInThreeLanguages, current_language
from portal.core.kept import KeptChoices
from portal.core.pagecache import REFERENCE_VERSION_KEY
from portal.extensions import cache, db
from portal.reference.models import District, Organisation, Theme

log = logging.getLogger(__name__)

KEYS = ("themes", "districts", "organisations:requester", "organisations:expert")


@dataclass(frozen=True)
class Named(NamedInThreeLanguages):
    """A theme, district or organisation as a filter shows it; ``name`` is in the reader's
    language (NamedInThreeLanguages)."""

    id: int
    code: str
    name_en: str
    name_sv: str
    name_uk: str
    is_critical: bool = False


def _copy(row: Any) -> Named:
    return Named(
        id=row.id,
        code=getattr(row, "code", None) or "",
        name_en=row.name_en,
        name_sv=row.name_sv,
        name_uk=row.name_uk,
        is_critical=bool(getattr(row, "is_critical", False)),
    )


def _kept(key: str, load: Callable[[], list[Named]]) -> list[Named]:
    seconds = current_app.config.get("REFERENCE_CACHE_SECONDS", 0) if has_app_context() else 0
    if not seconds:
        return load()
    try:
        found = cache.get("reference:" + key)
    except Exception as error:  # Redis unreachable: read the tables, as without a cache
        log.warning("reference cache unavailable: %s", error)
        return load()
    if found is not None:
        return list(found)
    rows = load()
    try:
        cache.set("reference:" + key, rows, timeout=int(seconds))
    except Exception as error:
        log.warning("reference cache unavailable: %s", error)
    return rows


# (key, language) → (the reference data's version, the list sorted in that language)
_sorted: dict[tuple[str, str], tuple[str, list[Named]]] = {}


def version() -> str | None:
    """The reference data's version in the shared cache, read once per request (or app
    context); None when lists are not kept or the cache is unreachable. What a worker keeps
    made from the lists (sorted, by id, the list pages' filters rendered) is kept under it."""
    seconds = current_app.config.get("REFERENCE_CACHE_SECONDS", 0) if has_app_context() else 0
    if not seconds:
        return None
    if "reference_version" in g:
        return g.reference_version
    # Read with the page caches' versions, which a list asks for too: one round trip.
    if has_request_context() and pagecache.read_versions() and "reference_version" in g:
        return g.reference_version
    try:
        token = cache.get(REFERENCE_VERSION_KEY)
        if token is None:
            token = uuid.uuid4().hex
            cache.set(REFERENCE_VERSION_KEY, token, timeout=int(seconds))
    except Exception as error:  # Redis unreachable: read the tables, as without a cache
        log.warning("reference cache unavailable: %s", error)
        token = None
    g.reference_version = token
    return token


# (a select field's name, language, the reference data's version) → its choices (kept_choices)
_kept_choices: dict[tuple[str, str, str], KeptChoices] = {}
KEPT_CHOICES = 128


def kept_choices(name: str, make: Callable[[], Iterable[Any]]) -> KeptChoices:
    """A select field's choices made from the reference data by ``make()`` (``name`` says
    which field: "projects:theme"), made once per language and version of the reference data
    and shared by every form that shows them; made afresh when the lists are not kept."""
    current = version()
    if current is None:
        return KeptChoices(make())
    key = (name, current_language(), current)
    found = _kept_choices.get(key)
    if found is None:
        if len(_kept_choices) >= KEPT_CHOICES:
            _kept_choices.clear()
        found = _kept_choices[key] = KeptChoices(make())
    return found


def _sorted_in_language(key: str, load: Callable[[], list[Named]]) -> list[Named]:
    current = version()
    if current is None:
        return by_name(load())
    try:
        lang = current_language()
    except RuntimeError:  # outside a request, e.g. in the CLI
        lang = "en"
    found = _sorted.get((key, lang))
    if found is not None and found[0] == current:
        return list(found[1])
    rows = by_name(load(), lang=lang)
    _sorted[(key, lang)] = (current, rows)
    return list(rows)


def themes() -> list[Named]:
    """Every theme, sorted by name in the reader's alphabet."""
    return _sorted_in_language(
        "themes",
        lambda: _kept(
            "themes",
            lambda: [
                _copy(t)
                for t in db.session.scalars(select(Theme).order_by(Theme.position, Theme.id))
            ],
        ),
    )


def districts() -> list[Named]:
    """Kyiv's districts (the only city with districts in the reference data), sorted by name
    in the reader's alphabet."""
    return _sorted_in_language(
        "districts",
        lambda: _kept(
            "districts",
            lambda: [
                _copy(d) for d in db.session.scalars(select(District).order_by(District.code))
            ],
        ),
    )


def organisations(side: str) -> list[Named]:
    """Active organisations of the city that asks for help (``requester``) or offers it
    (``expert``) under any agreement, sorted by name in the reader's language."""

    def load() -> list[Named]:
        city = Agreement.requester_city_id if side == "requester" else Agreement.expert_city_id
        return [
            _copy(o)
            for o in db.session.scalars(
                select(Organisation).where(
                    Organisation.is_active.is_(True), Organisation.city_id.in_(select(city))
                )
            )
        ]

    key = f"organisations:{side}"
    return _sorted_in_language(key, lambda: _kept(key, load))


# Names by id for the lists that show them (a need's theme, district and organisation), each
# kind under the reference data's version: (version, id → Named).
_by_id: dict[str, tuple[str, dict[int, Named]]] = {}

_NAMED_MODELS: dict[str, Any] = {
    "themes": Theme,
    "districts": District,
    "organisations": Organisation,
}


def names(kind: str, ids: Iterable[int | None]) -> dict[int, Named]:
    """The themes, districts or organisations (``kind``) with these ids, for showing: from the
    kept lists, so that a list page does not join three tables into its query for twenty
    rows. Ids the kept lists do not hold (an organisation no longer active, or no kept lists
    at all) are read from the table, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    index = kept_index(kind)
    found = {i: index[i] for i in wanted if i in index}
    missing = wanted - found.keys()
    if missing:
        model = _NAMED_MODELS[kind]
        found.update(
            (row.id, _copy(row))
            for row in db.session.execute(
                select(model.id, model.name_en, model.name_sv, model.name_uk).where(
                    model.id.in_(sorted(missing))
                )
            )
        )
    return found


def kept_index(kind: str) -> dict[int, Named]:
    """The kept themes, districts or organisations (``kind``) by id; empty when the reference
    lists are not kept."""
    current = version()
    if current is None:
        return {}
    found = _by_id.get(kind)
    if found is not None and found[0] == current:
        return found[1]
    if kind == "organisations":
        listed = [*organisations("requester"), *organisations("expert")]
    else:
        listed = themes() if kind == "themes" else districts()
    index = {named.id: named for named in listed}
    _by_id[kind] = (current, index)
    return index


def forget() -> None:
    """After a change to organisations, themes or districts: every worker reads them anew."""
    _sorted.clear()
    _by_id.clear()
    if has_app_context():
        g.pop("reference_version", None)
    try:
        cache.delete_many(*("reference:" + key for key in KEYS))
        cache.set(REFERENCE_VERSION_KEY, uuid.uuid4().hex)
    except Exception as error:  # nothing kept is reachable either
        log.warning("reference cache unavailable: %s", error)
