"""Locale and time-zone choice, and names of reference data in the reader's language."""

from __future__ import annotations

from functools import cached_property
from gettext import NullTranslations

from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user

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


def current_language() -> str:
    cached = g.get("_portal_lang")
    if cached is None:
        cached = g._portal_lang = str(get_locale() or "en")
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


# ---------------------------------------------------------------- translations, fast

# A page calls gettext a few hundred times. Flask-Babel looks the catalog up anew on every call
# (context, domain, locale, its name, a dict): a tenth of a list page's time. The portal's domain
# remembers the catalog on the request's Babel context next to the locale it belongs to, so a
# ``force_locale`` block (mail to an admin in their language) or ``refresh()`` still switches it.


class PortalDomain(Domain):
    def get_translations(self) -> NullTranslations:
        ctx = g.get("_flask_babel") if has_app_context() else None
        if ctx is not None:
            remembered = ctx.__dict__.get("portal_translations")
            if remembered is not None and remembered[0] is ctx.__dict__.get("babel_locale"):
                return remembered[1]
        catalog = super().get_translations()
        ctx = g.get("_flask_babel") if has_app_context() else None
        if ctx is not None:
            ctx.portal_translations = (ctx.__dict__.get("babel_locale"), catalog)
        return catalog


DOMAIN = PortalDomain()  # "messages" in translations/, as Flask-Babel's default


class PortalBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return DOMAIN


def install_fast_gettext(app: Flask) -> None:
    """The template callables go straight to the portal's domain (same behaviour as
    Flask-Babel's own: newstyle, autoescaped, ``%(name)s`` formatting)."""
    domain = DOMAIN
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
