"""Choosing the interface language of a page, in one place."""

from __future__ import annotations

from flask import g, has_request_context, request, session

from centre import languages

# In the (signed) cookie: the logged-in staff member's own language, so that a page that cannot
# reach the database to find who is asking (it is not answering) still speaks their language.
STAFF_LOCALE_KEY = "staff_locale"


def select_locale() -> str:
    """Return the page's locale: the staff member's setting, an explicit choice, the browser's, the default."""
    if not has_request_context():
        return languages.DEFAULT.code  # commands and jobs choose theirs with force_locale
    chosen = (
        g.get("staff_locale")
        or session.get(STAFF_LOCALE_KEY)
        or request.args.get("lang")
        or session.get("lang")
    )
    if chosen in languages.BY_CODE:
        return chosen
    return request.accept_languages.best_match(languages.CODES) or languages.DEFAULT.code
