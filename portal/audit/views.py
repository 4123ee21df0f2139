"""Placeholder until the audit views land."""

from flask import Blueprint, abort

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")


@bp.route("/")
def index():
    abort(404)
