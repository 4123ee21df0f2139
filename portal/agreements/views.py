"""Placeholder until the agreements views land."""

from flask import Blueprint, abort

bp = Blueprint("agreements", __name__, template_folder="templates", url_prefix="/agreements")


@bp.route("/")
def default():
    abort(404)
