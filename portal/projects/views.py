"""Placeholder until the projects views land."""

from flask import Blueprint, abort

bp = Blueprint("projects", __name__, template_folder="templates", url_prefix="/projects")


@bp.route("/")
def index():
    abort(404)
