"""Locale and time-zone choice, and names of reference data in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale, to_user_timezone
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGE_NAMES = {"sv": "Svenska", "uk": "Українська", "en": "English"}


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """?lang= wins and the session remembers it (a signed-in person's profile does not change);
    then the user's profile, the session, Accept-Language."""
    if not has_request_context():
        return "en"  # the CLI and background work speak English
    languages = supported_languages()
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or "en"


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.effective_timezone
    return None


def request_values() -> dict[str, Any]:
    """The app context's ``g`` as the dict it is: the language and catalog are asked for by
    every translated string and row, and each look-up through Flask's proxy costs more than
    the answer. Outside an app context, RuntimeError (as ``g`` itself raises)."""
    return g._get_current_object().__dict__


def current_language() -> str:
    values = request_values()
    cached = values.get("_portal_lang")
    if cached is None:
        cached = values["_portal_lang"] = str(get_locale() or "en")
    return cached


class NamedInThreeLanguages:
    """Reference data (cities, themes, districts, organisations) named in sv, uk and en."""

    name_en: str
    name_sv: str
    name_uk: str

    @property
    def name(self) -> str:
        try:
            lang = current_language()
        except RuntimeError:  # outside a request, e.g. in the CLI
            lang = "en"
        return getattr(self, f"name_{lang}", None) or self.name_en


@dataclass(frozen=True, slots=True)
class ShownName(NamedInThreeLanguages):
    """A name read for showing only (a Core select, no ORM row): a theme's, a district's, an
    organisation's."""

    name_en: str
    name_sv: str
    name_uk: str


# ---------------------------------------------------------------- translations, fast

# A page calls gettext a few hundred times. Flask-Babel looks the catalog up anew on every call
# (context, domain, locale, its name, a dict): a tenth of a list page's time. The portal's domain
# remembers the catalog on the request's Babel context next to the locale it belongs to, so a
# ``force_locale`` block (mail to an admin in their language) or ``refresh()`` still switches it.


def interpolate(message: str, variables: dict[str, Any]) -> str:
    """``message % variables`` with every number written as the reader's language writes it
    (1 200, 10 000): messages never carry a number formatted by hand."""
    if not variables:
        return message
    shown = dict(variables)
    for name, value in variables.items():
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            shown[name] = format_number(value)
            message = message.replace(f"%({name})d", f"%({name})s")
    return message % shown


class PortalDomain(Domain):
    def gettext(self, string: str, **variables: Any) -> str:
        return interpolate(self.get_translations().ugettext(string), variables)

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        message = self.get_translations().ungettext(singular, plural, num)
        return interpolate(message, variables)

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        return interpolate(self.get_translations().upgettext(context, string), variables)

    def npgettext(
        self, context: str, singular: str, plural: str, num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        message = self.get_translations().unpgettext(context, singular, plural, num)
        return interpolate(message, variables)

    def get_translations(self) -> NullTranslations:
        values = request_values() if has_app_context() else {}
        ctx = values.get("_flask_babel")
        if ctx is not None:
            remembered = ctx.__dict__.get("portal_translations")
            if remembered is not None and remembered[0] is ctx.__dict__.get("babel_locale"):
                return remembered[1]
        catalog = super().get_translations()
        ctx = values.get("_flask_babel")  # made by Flask-Babel just now, on the first string
        if ctx is not None:
            ctx.portal_translations = (ctx.__dict__.get("babel_locale"), catalog)
        return catalog


DOMAIN = PortalDomain()  # "messages" in translations/, as Flask-Babel's default


class PortalBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return DOMAIN


def install_fast_gettext(app: Flask) -> None:
    """The template callables go straight to the portal's domain (as Flask-Babel's own: newstyle,
    autoescaped, ``%(name)s`` formatting), numbers written for the reader (:func:`interpolate`)."""
    domain = DOMAIN

    def translated(lookup: Any) -> Any:
        @pass_context
        def call(context: Any, *args: Any, **variables: Any) -> str:
            message, num = lookup(domain.get_translations(), *args)
            if num is not None:
                variables.setdefault("num", num)
            if context.eval_ctx.autoescape:
                # The catalog is trusted markup, as in Jinja's newstyle gettext; % escapes values.
                message = Markup(message)  # noqa: S704
            return interpolate(message, variables) if variables else message

        return call

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        _=translated(lambda t, s: (t.ugettext(s), None)),
        gettext=translated(lambda t, s: (t.ugettext(s), None)),
        ngettext=translated(lambda t, s, p, n: (t.ungettext(s, p, n), n)),
        pgettext=translated(lambda t, c, s: (t.upgettext(c, s), None)),
        npgettext=translated(lambda t, c, s, p, n: (t.unpgettext(c, s, p, n), n)),
    )


# ---------------------------------------------------------------- dates and numbers

# The interface language "en" is written in British form (2 December 2026, 24-hour times), as
# the portal's English is: Babel's en_GB locale formats it while the code stays "en".
FORMAT_LOCALES = {"en": "en_GB", "sv": "sv_SE", "uk": "uk_UA"}

# One numeric form per language for tables and compact lists, always with a four-digit year
# (CLDR's short Ukrainian date has two).
NUMERIC_DATES = {"en": "dd/MM/yyyy", "sv": "yyyy-MM-dd", "uk": "dd.MM.yyyy"}
TIME = "HH:mm"  # never seconds


def _lang(lang: str | None) -> str:
    """The language to write in: the one asked for, else the locale in force (a mail sent in its
    reader's language under ``force_locale`` included)."""
    if lang:
        return lang
    if not has_app_context():
        return "en"
    return str(get_locale() or "en")


@lru_cache(maxsize=8192)
def _date_text(value: date, form: str, lang: str) -> str:
    if form in ("numeric", "short"):
        return babel_dates.format_date(value, NUMERIC_DATES[lang], locale=FORMAT_LOCALES[lang])
    return babel_dates.format_date(value, form, locale=FORMAT_LOCALES[lang])


def format_date(value: date | datetime | None, form: str = "long", lang: str | None = None) -> str:
    """A date as the reader's language writes it: ``long`` where it stands in text (2 December
    2026, 2 december 2026, 2 грудня 2026 р.), ``numeric`` (or ``short``) in tables
    (02/12/2026, 2026-12-02, 02.12.2026), ``medium`` where space is short."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()  # the day it was where the reader is
    lang = _lang(lang)
    return _date_text(value, form, lang if lang in FORMAT_LOCALES else "en")


def format_datetime(value: datetime | None, form: str = "long", lang: str | None = None) -> str:
    """A moment in the reader's time zone, to the minute: the date as :func:`format_date`
    writes it in ``form``, then the time (2 December 2026, 14:05; 02/12/2026, 14:05)."""
    if value is None:
        return ""
    lang = _lang(lang)
    lang = lang if lang in FORMAT_LOCALES else "en"
    local = to_user_timezone(value)
    return _datetime_text(local.replace(second=0, microsecond=0, tzinfo=None), form, lang)


@lru_cache(maxsize=8192)
def _datetime_text(local: datetime, form: str, lang: str) -> str:
    """The reader's wall-clock minute as text (a discussion shows fifty moments)."""
    day = _date_text(local.date(), form, lang)
    locale = Locale.parse(FORMAT_LOCALES[lang])
    pattern = locale.datetime_formats["short" if form in ("numeric", "short") else "medium"]
    time = babel_dates.format_time(local, TIME, locale=locale)
    return str(pattern).replace("{1}", day).replace("{0}", time)


@lru_cache(maxsize=8192)
def _number_text(value: int | float | Decimal, lang: str) -> str:
    return babel_numbers.format_decimal(value, locale=FORMAT_LOCALES[lang])


def format_number(value: int | float | Decimal, lang: str | None = None) -> str:
    """A number as the reader's language writes it: 1 200 in Swedish and Ukrainian (a no-break
    space), 1,200 in English."""
    lang = _lang(lang)
    return _number_text(value, lang if lang in FORMAT_LOCALES else "en")


@lru_cache(maxsize=4096)
def _percent_text(value: int | float | Decimal, locale: str) -> str:
    return babel_numbers.format_percent(value, locale=locale)


def format_percent(value: int | float | Decimal) -> str:
    """A share as the reader's language writes it (12 %, 12%, 12 %): Flask-Babel's
    ``percentformat``, remembered per value and locale (a project list shows forty)."""
    return _percent_text(value, _lang(None))


def full_stop(sentence: str) -> str:
    """A sentence ending in a value that ends in its own full stop («2 грудня 2026 р.») ends in
    one full stop, not two."""
    if sentence.endswith("..") and not sentence.endswith("..."):
        return sentence[:-1]
    return sentence
