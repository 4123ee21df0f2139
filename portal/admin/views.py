"""Placeholder until the admin views land."""

from flask import Blueprint, abort

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.route("/")
def users():
    abort(404)
