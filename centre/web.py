"""The shared page layout and stylesheet every page extends."""

from flask import Blueprint

bp = Blueprint(
    "centre", __name__, template_folder="templates", static_folder="static", static_url_path="/static/centre"
)
