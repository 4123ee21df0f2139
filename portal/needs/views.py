"""Placeholder until the needs views land."""

from flask import Blueprint, abort

bp = Blueprint("needs", __name__, template_folder="templates", url_prefix="/needs")


@bp.route("/")
def index():
    abort(404)
