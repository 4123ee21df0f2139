"""Placeholder until the content views land."""

from flask import Blueprint, abort

bp = Blueprint("content", __name__, template_folder="templates", url_prefix="/texts")


@bp.route("/")
def missing():
    abort(404)
