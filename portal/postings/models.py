"""What needs and offers share as records: the columns, the life cycle and who may see and edit.

A posting is a record an organisation publishes for the other side to answer: a need (Kyiv asks)
or an offer (Stockholm offers). Each kind is a table of its own; this mixin holds the columns,
the state machine and the permission predicates once, with the differences as class attributes:

- ``Status`` and ``transitions``: the status enum and what each status may become;
- ``live_statuses``: the statuses in which the posting can still be matched;
- ``owner_role``: the role (a ``User`` flag) that posts this kind;
- ``match_side`` / ``counterpart``: the posting's own end of a match and the other end;
- ``refused_transition``: the message of a refused state change.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import LazyString
from sqlalchemy import ColumnElement, ForeignKey, Integer, and_, exists, or_, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.content.models import TextOwnerMixin
from portal.core.enums import HelpKind, LabelledEnum, MatchStatus, Visibility
from portal.core.transitions import IllegalTransition
from portal.core.types import UTCDateTime, enum_column, utcnow
from portal.core.visibility import Scope, is_signed_in

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.agreements.models import Agreement
    from portal.content.models import Text
    from portal.reference.models import Organisation

# A match that gives the other side's organisation a look at a restricted posting.
LIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.AGREED)


class PostingMixin(TextOwnerMixin):
    """Columns and behaviour shared by ``Need`` and ``Offer`` (see the module docstring). A
    posting owns its title and description texts; each kind names itself (``__text_kind__``)."""

    __text_fields__: ClassVar[dict[str, str]] = {
        "title": "title_id",
        "description": "description_id",
    }

    Status: ClassVar[type[LabelledEnum]]
    transitions: ClassVar[dict[Any, set[Any]]]
    live_statuses: ClassVar[tuple[Any, ...]]
    owner_role: ClassVar[str]
    match_side: ClassVar[str]
    counterpart: ClassVar[str]
    refused_transition: ClassVar[LazyString]
    # Whether the status and the publication time have an index of their own (the schema's
    # history: needs index status together with the theme instead).
    status_indexed: ClassVar[bool] = False
    published_at_indexed: ClassVar[bool] = False

    # sort_order keeps each table's columns in the order its migrations created them.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-10)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id"), index=True, sort_order=-9
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, sort_order=-8
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), sort_order=-7)
    # Indexed: search finds records by the texts that contain the words.
    title_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True, sort_order=-5)
    description_id: Mapped[int] = mapped_column(ForeignKey("texts.id"), index=True, sort_order=-4)
    help_kind: Mapped[HelpKind] = mapped_column(enum_column(HelpKind), index=True, sort_order=-2)
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility), sort_order=10)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True, sort_order=12
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, sort_order=13
    )
    version: Mapped[int] = mapped_column(Integer, default=1, sort_order=15)

    @declared_attr
    def status(cls) -> Mapped[Any]:
        return mapped_column(
            enum_column(cls.Status),
            default=cls.Status("draft"),
            index=cls.status_indexed,
            sort_order=11,
        )

    @declared_attr
    def published_at(cls) -> Mapped[datetime | None]:
        return mapped_column(UTCDateTime, index=cls.published_at_indexed, sort_order=14)

    @declared_attr
    def agreement(cls) -> Mapped[Agreement]:
        return relationship("Agreement")

    @declared_attr
    def organisation(cls) -> Mapped[Organisation]:
        return relationship("Organisation")

    @declared_attr
    def created_by(cls) -> Mapped[User]:
        return relationship("User")

    @declared_attr
    def title(cls: Any) -> Mapped[Text]:
        return relationship("Text", foreign_keys=f"{cls.__name__}.title_id")

    @declared_attr
    def description(cls: Any) -> Mapped[Text]:
        return relationship("Text", foreign_keys=f"{cls.__name__}.description_id")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    # ------------------------------------------------------------ state

    def can_transition(self, target: Any) -> bool:
        return target in self.transitions[self.status]

    def transition(self, target: Any) -> None:
        if not self.can_transition(target):
            raise IllegalTransition(
                str(self.refused_transition)
                % {"current": self.status.label.lower(), "target": target.label.lower()}
            )
        self.status = target
        if target == self.Status("open") and self.published_at is None:
            self.published_at = utcnow()

    @property
    def is_live(self) -> bool:
        return self.status in self.live_statuses

    @property
    def is_finished(self) -> bool:
        """No way out of this status: nothing more may change."""
        return not self.transitions[self.status]

    # ------------------------------------------------------------ permissions: views and
    # templates share these, so a button is hidden exactly when the action is refused

    def is_owned_by(self, user: User | None) -> bool:
        """A user with the posting role of the organisation that posted it."""
        return (
            is_signed_in(user)
            and getattr(user, self.owner_role)
            and user.organisation_id == self.organisation_id
        )

    def can_view(self, user: User | None) -> bool:
        draft = self.Status("draft")
        if not is_signed_in(user):
            return self.visibility == Visibility.PUBLIC and self.status != draft
        if user.organisation_id == self.organisation_id:
            return True
        if self.status == draft:
            return False
        if user.sees_everything or self.visibility != Visibility.RESTRICTED:
            return True
        return any(
            getattr(m, self.counterpart).organisation_id == user.organisation_id
            for m in self.matches  # type: ignore[attr-defined]
            if m.status in LIVE_MATCH_STATUSES
        )

    def can_edit(self, user: User | None) -> bool:
        return self.is_owned_by(user) and not self.is_finished

    @classmethod
    def visible_to(cls, user: User | None) -> ColumnElement[bool]:
        """SQL predicate: the postings of this kind ``user`` may see. Built from the viewer's
        ``Scope`` alone (cache keys are made of it)."""
        scope = Scope.of(user)
        published = cls.status != cls.Status("draft")
        if not scope.is_signed_in:
            return and_(published, cls.visibility == Visibility.PUBLIC)
        own = cls.organisation_id == scope.organisation_id
        if scope.sees_everything:
            return or_(own, published)
        return or_(
            own,
            and_(
                published,
                or_(
                    cls.visibility.in_(scope.visibilities),
                    and_(
                        cls.visibility == Visibility.RESTRICTED,
                        cls.granted_to(scope.organisation_id),
                    ),
                ),
            ),
        )

    @classmethod
    def access_model(cls) -> Any:
        """The kind's table of grants (``NeedAccess``, ``OfferAccess``): who may see each
        restricted posting of the kind besides its organisation and coordinators."""
        raise NotImplementedError

    @classmethod
    def granted_to(cls, organisation_id: int | None) -> ColumnElement[bool]:
        """SQL: the organisation is at the other end of a live match with the posting (what
        opens a restricted posting to it): one indexed lookup in the kind's table of grants
        (kept by ``portal.matching.access``) instead of reading the matches and the postings
        at their other ends."""
        access = cls.access_model()
        posting_id = getattr(access, f"{cls.match_side}_id")
        return exists(
            select(posting_id).where(
                posting_id == cls.id, access.organisation_id == organisation_id
            )
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.status}>"
