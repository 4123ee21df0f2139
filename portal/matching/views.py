"""Placeholder until the matching views land."""

from flask import Blueprint, abort

bp = Blueprint("matching", __name__, template_folder="templates", url_prefix="/matches")


@bp.route("/")
def index():
    abort(404)
