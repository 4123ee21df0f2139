"""Adding or correcting a language version in place, and the coordinators' "needs translation" list.

htmx does not swap 4xx responses, so an htmx request whose input was refused gets the form back
with status 200 and the errors in it; without JavaScript the same form comes with 422 (or 409).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from wtforms.fields import SelectChoice

from portal.content import services
from portal.content.forms import ApproveForm, MissingFilterForm, TranslationForm
from portal.content.models import CONTENT_LANGUAGES, Text
from portal.core.collation import by_name
from portal.core.http import record_page_url, safe_next, wants_fragment
from portal.extensions import db, login_manager
from portal.reference.models import Theme

bp = Blueprint("content", __name__, template_folder="templates", url_prefix="/texts")


# ---------------------------------------------------------------- template helpers


def version_label(lang: str) -> str:
    return {
        "uk": _("Ukrainian version"),
        "sv": _("Swedish version"),
        "en": _("English version"),
    }.get(lang, lang)


def no_version_label(lang: str) -> str:
    return {
        "uk": _("No Ukrainian version yet"),
        "sv": _("No Swedish version yet"),
        "en": _("No English version yet"),
    }.get(lang, lang)


def kind_label(kind: str) -> str:
    return {
        "need": pgettext("record type", "Need"),
        "offer": pgettext("record type", "Offer"),
        "project": pgettext("record type", "Project"),
        "milestone": pgettext("record type", "Milestone"),
        "status_report": pgettext("record type", "Status report"),
    }.get(kind, kind)


def field_label(name: str) -> str:
    return {
        "title": pgettext("text field", "Title"),
        "description": pgettext("text field", "Description"),
        "body": pgettext("text field", "Text"),
    }.get(name, name)


@bp.app_template_global()
def may_translate(record: object) -> bool:
    """For templates: may the reader add or correct versions of this record's texts?"""
    # The person itself, not Flask-Login's proxy: the rules ask it several questions per
    # record, and a page asks for each of its texts.
    return services.can_translate_record(current_user._get_current_object(), record)


@bp.app_template_global()
def versions_shown(value: Text, back: str) -> tuple[Any, ...]:
    """What a text's list of language versions shows (``content/_versions.html``), its key as a
    kept part: per other language, no version yet, a person's or a machine's."""
    return (
        value.id,
        value.original_lang,
        back,
        tuple(
            (lang, 0 if not (v := value.version(lang)) or not v.body else 2 if v.is_machine else 1)
            for lang in CONTENT_LANGUAGES
        ),
    )


def version_heading(lang: str, existing: bool) -> str:
    if existing:
        return {
            "uk": _("Correct the Ukrainian version"),
            "sv": _("Correct the Swedish version"),
            "en": _("Correct the English version"),
        }.get(lang, lang)
    return {
        "uk": _("Add a Ukrainian version"),
        "sv": _("Add a Swedish version"),
        "en": _("Add an English version"),
    }.get(lang, lang)


# Globals rather than context: macros imported without context (the usual ``{% from ... import %}``)
# see globals only.
for helper in (version_label, no_version_label, version_heading, kind_label, field_label):
    bp.add_app_template_global(helper)
bp.add_app_template_global(CONTENT_LANGUAGES, "CONTENT_LANGUAGES")  # type: ignore[arg-type]


def _shown_record(owner: services.Owner) -> tuple[str, int]:
    """The record a translator is sent back to: milestones and reports live on their project."""
    if owner.kind in ("milestone", "status_report"):
        return "project", owner.record.project_id
    return owner.kind, owner.record.id


# ---------------------------------------------------------------- one version


def _visible_text(text_id: int, lang: str) -> tuple[Text, services.Owner, str]:
    """The text, its record and the language asked for, or 404 when the language is not one
    of the portal's, the text does not exist or the viewer may not see its record."""
    if lang not in CONTENT_LANGUAGES:
        abort(404)
    text = db.session.get(Text, text_id)
    owner = services.owner_of(text_id) if text is not None else None
    if text is None or owner is None or not services.can_view_owner(current_user, owner.record):
        abort(404)
    return text, owner, lang


@bp.route("/<int:text_id>/<language>", methods=["GET", "POST"])
def translate(text_id: int, language: str):
    # Not "lang": that query argument switches the interface language.
    text, owner, lang = _visible_text(text_id, language)
    if lang == text.original_lang:
        abort(404)  # the original is edited on the record itself
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not services.can_translate(current_user, text, owner):
        abort(403)

    form = TranslationForm()
    form.body.label.text = version_label(lang)
    # Several of these forms may be open on one page: ids must stay unique.
    form.body.id = form.body.label.field_id = f"version-{text.id}-{lang}"
    back = safe_next(request.values.get("next"))
    current = text.version(lang)
    conflict = None
    status = 200
    if request.method == "GET":
        form.body.data = current.body if current is not None else ""
        form.loaded.data = services.version_token(current)
        form.next.data = back or ""
    elif form.validate_on_submit():
        try:
            version = services.save_version(
                current_user, text, lang, form.body.data, expected=form.loaded.data, owner=owner
            )
        except services.TranslationConflict as error:
            conflict = error.current
            # Saving again goes over the version now shown beside the form.
            form.loaded.data = services.version_token(conflict)
            status = 409
        except services.TranslationError as error:
            form.body.errors = [*form.body.errors, str(error)]
            status = 422
        else:
            if wants_fragment():
                return render_template(
                    "content/_version.html", text=text, lang=lang, version=version, next=back
                )
            flash(_("%(version)s saved.", version=version_label(lang)), "success")
            return redirect(back or url_for("content.translate", text_id=text.id, language=lang))
    else:
        status = 422

    context = {
        "form": form,
        "text": text,
        "lang": lang,
        "owner": owner,
        "field_name": services.field_of(owner, text.id),
        "conflict": conflict,
        "next": back,
        "record_url": record_page_url(*_shown_record(owner), current_user),
    }
    if wants_fragment():
        return render_template("content/_translate_form.html", **context)
    return render_template("content/translate.html", **context), status


@bp.route("/<int:text_id>/<language>/approve", methods=["POST"])
def approve(text_id: int, language: str):
    """A person approves a machine translation as it is; it then shows as theirs."""
    text, owner, lang = _visible_text(text_id, language)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not services.can_translate(current_user, text, owner):
        abort(403)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data)
    try:
        version = services.approve_version(current_user, text, lang, owner=owner)
    except services.TranslationError as error:
        if wants_fragment():
            return render_template(
                "content/_version.html",
                text=text,
                lang=lang,
                version=text.version(lang),
                next=back,
                error=str(error),
            ), 200
        flash(str(error), "error")
        return redirect(back or url_for("content.translate", text_id=text.id, language=lang)), 303
    if wants_fragment():
        return render_template(
            "content/_version.html", text=text, lang=lang, version=version, next=back
        )
    flash(_("%(version)s approved.", version=version_label(lang)), "success")
    return redirect(back or url_for("content.translate", text_id=text.id, language=lang))


# ---------------------------------------------------------------- what needs translating


@bp.route("/")
def index():
    return redirect(url_for("content.missing"))


@bp.route("/missing")
def missing():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_coordinator:
        abort(403)
    themes = by_name(db.session.scalars(db.select(Theme).order_by(Theme.position)))
    form = MissingFilterForm(request.args)
    form.theme.choices = [SelectChoice("", _("All themes"))] + [
        SelectChoice(str(t.id), t.name) for t in themes
    ]
    form.missing.choices = [SelectChoice("", _("Any language"))] + [
        SelectChoice(code, version_label(code)) for code in CONTENT_LANGUAGES
    ]
    theme_ids = {t.id for t in themes}
    theme_id = int(form.theme.data) if (form.theme.data or "").isdigit() else None
    page = services.missing_translations(
        current_user,
        theme=theme_id if theme_id in theme_ids else None,
        page=request.args.get("page", 1, type=int),
        lang=form.missing.data if form.missing.data in CONTENT_LANGUAGES else None,
        per_page=current_app.config["PAGE_SIZE"],
    )
    urls = {
        (item.kind, item.record.id): record_page_url(item.kind, item.record.id, current_user)
        for item in page.items
    }
    template = "content/_missing.html" if wants_fragment() else "content/missing.html"
    return render_template(template, form=form, page=page, urls=urls)
