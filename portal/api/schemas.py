"""What the API answers, as marshmallow schemas: the same classes turn records into JSON and
describe them in the OpenAPI document (``portal.api.spec``), so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from portal.core.enums import (
    HelpKind,
    NeedStatus,
    OfferStatus,
    OrganisationKind,
    Priority,
    ProjectStatus,
    ReportStatus,
    Visibility,
)

LIMIT_MAX = 100
LIMIT_DEFAULT = 20


def _enum(enum_class: type, **kwargs: Any) -> fields.String:
    values = [member.value for member in enum_class]  # type: ignore[attr-defined]
    return fields.String(validate=validate.OneOf(values), **kwargs)


class Itself(fields.Nested):
    """A nested object made of the record's own columns (its names in three languages)."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return obj


# ---------------------------------------------------------------- texts


class TextVersionSchema(Schema):
    language = fields.String(attribute="lang", metadata={"description": "sv, uk or en"})
    text = fields.String(attribute="body")
    is_original = fields.Method(
        "_is_original",
        metadata={"type": "boolean", "description": "The language it was written in."},
    )
    is_machine_translation = fields.Boolean(
        attribute="is_machine",
        metadata={"description": "Written by a translation service, not yet checked by a person."},
    )

    def _is_original(self, version: Any) -> bool:
        return bool(version.lang == version.text.original_lang)


class TextSchema(Schema):
    original_language = fields.String(attribute="original_lang")
    versions = fields.List(fields.Nested(TextVersionSchema))


class NamesSchema(Schema):
    en = fields.String(attribute="name_en")
    sv = fields.String(attribute="name_sv")
    uk = fields.String(attribute="name_uk")


class TitlesSchema(Schema):
    en = fields.String(attribute="title_en")
    sv = fields.String(attribute="title_sv")
    uk = fields.String(attribute="title_uk")


# ---------------------------------------------------------------- reference data


class CityRefSchema(Schema):
    code = fields.String()
    names = Itself(NamesSchema)


class ThemeSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    names = Itself(NamesSchema)
    dac_codes = fields.Method(
        "_dac_codes",
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "OECD DAC purpose codes",
        },
    )
    is_critical = fields.Boolean(
        metadata={"description": "Critical infrastructure: its needs are restricted by default."}
    )

    def _dac_codes(self, theme: Any) -> list[str]:
        return [code.strip() for code in (theme.dac_codes or "").split(",") if code.strip()]


class DistrictSchema(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "KATOTTH code"})
    city = fields.Nested(CityRefSchema)
    names = Itself(NamesSchema)


class OrganisationSchema(Schema):
    id = fields.Integer()
    kind = _enum(OrganisationKind)
    city = fields.Nested(CityRefSchema)
    names = Itself(NamesSchema)
    registry_id = fields.String(allow_none=True)


class RefSchema(Schema):
    """Another record, by id and code: its details are at its own endpoint."""

    id = fields.Integer()
    code = fields.String()


class OrganisationRefSchema(Schema):
    id = fields.Integer()
    names = Itself(NamesSchema)


class AmendmentSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    decided_on = fields.Date()
    previous_valid_until = fields.Date()
    new_valid_until = fields.Date(allow_none=True)
    reason = fields.String()
    reason_language = fields.String(attribute="reason_lang")


class AgreementSchema(Schema):
    id = fields.Integer()
    reference = fields.String(metadata={"description": "diarienummer, e.g. KS 2022/428"})
    titles = Itself(TitlesSchema)
    requester_city = fields.Nested(CityRefSchema)
    expert_city = fields.Nested(CityRefSchema)
    signed_on = fields.Date()
    valid_from = fields.Date()
    valid_until = fields.Date()
    themes = fields.List(fields.Nested(RefSchema))
    amendments = fields.List(fields.Nested(AmendmentSchema))


# ---------------------------------------------------------------- records


class PostingSchema(Schema):
    id = fields.Integer()
    visibility = _enum(Visibility)
    help_kind = _enum(HelpKind)
    organisation = fields.Nested(OrganisationRefSchema)
    title = fields.Nested(TextSchema)
    description = fields.Nested(TextSchema)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    published_at = fields.AwareDateTime(allow_none=True)


class NeedSchema(PostingSchema):
    status = _enum(NeedStatus)
    priority = _enum(Priority)
    theme = fields.Nested(RefSchema)
    district = fields.Nested(RefSchema, allow_none=True)
    wanted_from = fields.Date(allow_none=True)
    wanted_until = fields.Date(allow_none=True)
    person_days = fields.Integer(allow_none=True)


class OfferSchema(PostingSchema):
    status = _enum(OfferStatus)
    themes = fields.List(fields.Nested(RefSchema))
    capacity_days = fields.Integer()
    committed_days = fields.Integer()
    available_from = fields.Date()
    available_until = fields.Date()


class MilestoneSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    title = fields.Nested(TextSchema)
    due_on = fields.Date()
    done_on = fields.Date(allow_none=True)
    weight = fields.Integer()
    is_overdue = fields.Method("_is_overdue", metadata={"type": "boolean"})

    def _is_overdue(self, milestone: Any) -> bool:
        return bool(milestone.is_overdue())


class ProjectSchema(Schema):
    id = fields.Integer()
    status = _enum(ProjectStatus)
    visibility = _enum(Visibility)
    theme = fields.Nested(RefSchema)
    district = fields.Nested(RefSchema, allow_none=True)
    requester_lead = fields.Nested(OrganisationRefSchema)
    expert_lead = fields.Nested(OrganisationRefSchema)
    starts_on = fields.Date()
    ends_on = fields.Date()
    progress = fields.Integer(metadata={"description": "Weighted share of done milestones, %"})
    latest_report_status = _enum(ReportStatus, allow_none=True)
    title = fields.Nested(TextSchema)
    description = fields.Nested(TextSchema)
    milestones = fields.List(fields.Nested(MilestoneSchema))
    created_at = fields.AwareDateTime()


# ---------------------------------------------------------------- lists, arguments, errors


def page_of(item: type[Schema]) -> type[Schema]:
    """The envelope of a list: the items and the cursor of the next page (null on the last)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True),
            "next": fields.String(
                allow_none=True, metadata={"description": "URL of the next page"}
            ),
        },
        name=f"{item.__name__.removesuffix('Schema')}PageSchema",
    )


class PageArgs(Schema):
    limit = fields.Integer(
        load_default=LIMIT_DEFAULT,
        validate=validate.Range(min=1, max=LIMIT_MAX),
        metadata={"description": "Items per page (1–100)."},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "The next_cursor of the page before; opaque."},
    )


class ProblemSchema(Schema):
    """An error, as RFC 9457 (problem details) describes it."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
