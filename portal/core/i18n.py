"""Locale and time-zone choice, and names of reference data in the reader's language."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"sv": "Svenska", "uk": "Українська", "en": "English"}


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """?lang= wins and is remembered; then the user's profile, the session, Accept-Language."""
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
