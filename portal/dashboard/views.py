"""Placeholder until the dashboard views land."""

from flask import Blueprint, abort

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")


@bp.route("/")
def index():
    abort(404)
