"""The read-only guide API: search and read published services, for the website or a chatbot."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from centre import languages
from knowledge import search, services

bp = Blueprint("guide", __name__, url_prefix="/api/guide")
MAX_QUERY = 300
MAX_LIMIT = 10


def _error(status: int, message: str) -> ResponseReturnValue:
    return jsonify({"error": message}), status


def _language() -> str | None:
    code = request.args.get("lang", "")
    return code if code in languages.BY_CODE else None


@bp.get("/search")
def search_guide() -> ResponseReturnValue:
    """Return the services matching ?q= in ?lang=, best first, with their scores."""
    language = _language()
    if language is None:
        return _error(400, f"lang must be one of: {' '.join(languages.CODES)}")
    phrase = request.args.get("q", "").strip()
    if not phrase:
        return _error(400, "q is required")
    if len(phrase) > MAX_QUERY:
        return _error(400, f"q is limited to {MAX_QUERY} characters")
    limit = min(max(request.args.get("limit", 3, type=int) or 3, 1), MAX_LIMIT)
    matches = search.search(phrase, language, limit)
    return jsonify(
        {"results": [{"slug": m.slug, "title": m.title, "score": m.score} for m in matches]}
    )


@bp.get("/<slug>")
def service(slug: str) -> ResponseReturnValue:
    """Return a published service in ?lang=."""
    language = _language()
    if language is None:
        return _error(400, f"lang must be one of: {' '.join(languages.CODES)}")
    entry = services.published(slug[:60], language)
    if entry is None:
        return _error(404, f"no published service {slug[:60]!r} in {language}")
    return jsonify(services.as_dict(entry))
