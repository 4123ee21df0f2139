"""Placeholder until the offers views land."""

from flask import Blueprint, abort

bp = Blueprint("offers", __name__, template_folder="templates", url_prefix="/offers")


@bp.route("/")
def index():
    abort(404)
