"""Start page, language switch, health check, accessibility statement."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from portal.core.i18n import supported_languages
from portal.extensions import db
from portal.main import services

bp = Blueprint("main", __name__, template_folder="templates")


@bp.before_app_request
def remember_language_choice() -> None:
    lang = request.args.get("lang")
    if lang in supported_languages():
        session["lang"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return render_template("main/start.html", waiting=services.waiting_for(current_user))
    return render_template("main/welcome.html", public=services.public_overview())


@bp.route("/language", methods=["POST"])
def language():
    lang = request.form.get("lang", "")
    if lang in supported_languages():
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next") or url_for("main.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    return redirect(target)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")
