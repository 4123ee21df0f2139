"""The one home of the tests' record builders.

``make_*`` build records directly with the models, in any state, so that a test of one domain
does not depend on another domain's services; ``post_need`` / ``post_offer`` go through the
services, as a requester or an expert would. Every builder commits unless told not to, so that
the records are there for the next request. ``reload`` is the one way to read a record again
after a request: what the database holds now, not what an object loaded before it says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from portal.agreements.models import Agreement
from portal.content.models import Text
from portal.core.enums import (
    HelpKind,
    MatchStatus,
    NeedStatus,
    OfferStatus,
    Priority,
    Side,
    Visibility,
)
from portal.core.types import utcnow
from portal.extensions import db
from portal.matching.models import Match
from portal.needs import services as needs
from portal.needs.models import Need
from portal.offers import services as offers
from portal.offers.models import Offer
from portal.reference.models import District, Theme

Record = TypeVar("Record")

TODAY = date.today()
# "As the builder decides": the author for texts, the creation time for publication.
DEFAULT: Any = object()


def reload(record: Record) -> Record:
    """The record as the database holds it now (after a request wrote it in its own session)."""
    db.session.expire_all()
    fresh = db.session.get(type(record), record.id)  # type: ignore[attr-defined]
    assert fresh is not None, f"{record!r} is gone"
    return fresh


# ---------------------------------------------------------------- reference data


def agreement() -> Agreement:
    found = db.session.scalar(db.select(Agreement).filter_by(is_default=True))
    assert found is not None
    return found


def theme(code: str = "water_sewage") -> Theme:
    found = db.session.scalar(db.select(Theme).filter_by(code=code))
    assert found is not None, code
    return found


def district(name_en: str = "Obolonskyi") -> District:
    found = db.session.scalar(db.select(District).filter_by(name_en=name_en))
    assert found is not None, name_en
    return found


def text(body: str, lang: str = "en", author: Any = None, translations: Any = None) -> Text:
    """A text in ``lang``, with ``translations`` ({lang: body}) as further versions."""
    made = Text.new(body, lang, author)
    for other, translated in (translations or {}).items():
        made.set_version(other, translated, author)
    return made


def _published(draft: bool, created_at: datetime, published_at: Any) -> datetime | None:
    if draft:
        return None
    return created_at if published_at is DEFAULT else published_at


def _done(record: Any, commit: bool) -> None:
    db.session.add(record)
    if commit:
        db.session.commit()


# ---------------------------------------------------------------- postings, built directly


def make_need(
    author: Any,
    *,
    title: str = "Leak detection in the water network",
    description: str = "We need advice on acoustic leak detection.",
    lang: str = "uk",
    title_translations: dict[str, str] | None = None,
    description_translations: dict[str, str] | None = None,
    theme_code: str = "water_sewage",
    district_name: str | None = None,
    priority: Priority = Priority.HIGH,
    help_kind: HelpKind = HelpKind.ADVICE,
    wanted_from: date | None = None,
    wanted_until: date | None = None,
    person_days: int | None = None,
    visibility: Visibility = Visibility.PARTNERS,
    status: NeedStatus = NeedStatus.OPEN,
    created_at: datetime | None = None,
    published_at: datetime | None = DEFAULT,
    text_author: Any = DEFAULT,
    in_agreement: Agreement | None = None,
    commit: bool = True,
) -> Need:
    """A need of ``author``'s organisation, published when it was created (or at
    ``published_at``, None for never) unless a draft; its texts by ``author`` (or
    ``text_author``)."""
    created_at = created_at or utcnow()
    by = author if text_author is DEFAULT else text_author
    need = Need(
        agreement=in_agreement or agreement(),
        organisation_id=author.organisation_id,
        created_by_id=author.id,
        theme=theme(theme_code),
        district=district(district_name) if district_name else None,
        title=text(title, lang, by, title_translations),
        description=text(description, lang, by, description_translations),
        priority=priority,
        help_kind=help_kind,
        wanted_from=wanted_from,
        wanted_until=wanted_until,
        person_days=person_days,
        visibility=visibility,
        status=status,
        created_at=created_at,
        published_at=_published(status == NeedStatus.DRAFT, created_at, published_at),
    )
    _done(need, commit)
    return need


def make_offer(
    author: Any,
    *,
    title: str = "Acoustic leak detection training",
    description: str = "Two engineers for a week.",
    lang: str = "sv",
    title_translations: dict[str, str] | None = None,
    description_translations: dict[str, str] | None = None,
    theme_codes: tuple[str, ...] = ("water_sewage",),
    help_kind: HelpKind = HelpKind.TRAINING,
    capacity_days: int = 10,
    committed_days: int = 0,
    available_from: date | None = None,
    available_until: date | None = None,
    visibility: Visibility = Visibility.PARTNERS,
    status: OfferStatus = OfferStatus.OPEN,
    created_at: datetime | None = None,
    published_at: datetime | None = DEFAULT,
    text_author: Any = DEFAULT,
    in_agreement: Agreement | None = None,
    commit: bool = True,
) -> Offer:
    """An offer of ``author``'s organisation, published as a need is (see ``make_need``)."""
    created_at = created_at or utcnow()
    by = author if text_author is DEFAULT else text_author
    offer = Offer(
        agreement=in_agreement or agreement(),
        organisation_id=author.organisation_id,
        created_by_id=author.id,
        themes=[theme(code) for code in theme_codes],
        title=text(title, lang, by, title_translations),
        description=text(description, lang, by, description_translations),
        help_kind=help_kind,
        capacity_days=capacity_days,
        committed_days=committed_days,
        available_from=available_from or TODAY,
        available_until=available_until or TODAY + timedelta(days=180),
        visibility=visibility,
        status=status,
        created_at=created_at,
        published_at=_published(status == OfferStatus.DRAFT, created_at, published_at),
    )
    _done(offer, commit)
    return offer


def make_match(
    need: Need,
    offer: Offer,
    proposer: Any,
    *,
    status: MatchStatus = MatchStatus.PROPOSED,
    side: Side | None = None,
    requester: Any = None,
    expert: Any = None,
    accepted_at: datetime | None = None,
    **values: Any,
) -> Match:
    """A match of ``need`` and ``offer`` proposed by ``proposer`` for ``side`` (their own by
    default), accepted by ``requester`` / ``expert`` (the users, or None). ``values``: further
    columns (score, reasons, person_days, project, decided_by …); ``commit=False`` to add only."""
    commit = values.pop("commit", True)
    at = accepted_at or utcnow()
    match = Match(
        need=need,
        offer=offer,
        status=status,
        proposed_side=side or proposer.side,
        proposed_by_id=proposer.id,
        proposed_at=values.pop("proposed_at", None) or utcnow(),
        requester_accepted_by_id=requester.id if requester else None,
        requester_accepted_at=at if requester else None,
        expert_accepted_by_id=expert.id if expert else None,
        expert_accepted_at=at if expert else None,
        **{"reasons": [], **values},
    )
    _done(match, commit)
    return match


# ---------------------------------------------------------------- postings, through the services


def post_need(
    user: Any,
    title: str = "Leak detection in the water network",
    *,
    theme_code: str = "it_digital",
    publish: bool = True,
    **values: Any,
) -> Need:
    """A need posted (and published) through the services, as a requester would."""
    values.setdefault("description", "We need help to find leaks faster.")
    values.setdefault("lang", "en")
    values.setdefault("priority", Priority.HIGH)
    values.setdefault("help_kind", HelpKind.ADVICE)
    need = needs.create_need(user, title=title, theme=theme(theme_code), **values)
    if publish:
        needs.publish_need(user, need)
    db.session.commit()
    return need


def post_offer(
    user: Any,
    title: str = "Leak detection with acoustic loggers",
    *,
    theme_codes: tuple[str, ...] = ("it_digital",),
    publish: bool = True,
    **values: Any,
) -> Offer:
    """An offer made (and published) through the services, as an expert would."""
    values.setdefault("description", "Our network team has done this for twenty years.")
    values.setdefault("lang", "sv")
    values.setdefault("help_kind", HelpKind.TRAINING)
    values.setdefault("capacity_days", 40)
    values.setdefault("available_from", date(2026, 2, 1))
    values.setdefault("available_until", date(2026, 12, 31))
    offer = offers.create_offer(
        user, title=title, themes=[theme(code) for code in theme_codes], **values
    )
    if publish:
        offers.publish_offer(user, offer)
    db.session.commit()
    return offer
