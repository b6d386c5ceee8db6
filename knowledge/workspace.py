"""The editors' workspace: edit, preview, publish, compare and restore the guide; phrases; files.

Editors and admins change the guide; supervisors may read every page. Thin: read the form,
call `knowledge.editing` / `knowledge.transfer`, answer (the request commits once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from centre import languages
from centre.clock import now
from centre.extensions import db
from centre.formatting import page_language_names
from knowledge import diff, editing, preview, search, services, transfer
from knowledge.editing import FIELD_NAMES, Author, EditConflict, EditRefused
from knowledge.models import CONDITION_NAMES, CONDITIONS, FEE_KIND_NAMES, FEE_KINDS, Service
from staff import audit, current_staff, kept, role_required
from staff.auth import refuse

bp = Blueprint("guide_editor", __name__, url_prefix="/guide/editor", template_folder="templates",
               static_folder="static", static_url_path="/static")  # fmt: skip
READ_ROLES = ("editor", "admin", "supervisor")
EDIT_ROLES = ("editor", "admin")
EMPTY_ROWS = 2

STATE_NAMES = {
    "current": _l("current"),
    "stale": _l("stale"),
    "missing": _l("missing"),
    "draft": _l("draft"),
    "published": _l("published"),
    "archived": _l("archived"),
}
VERDICT_NAMES = {
    "clear": _l("Clear: the caller hears this answer at once."),
    "close": _l("Close call: the caller chooses among these on the keypad."),
    "none": _l("No match: the caller is told it is not in the guide, and the phrase is logged."),
}


@bp.app_template_global("rows_for")
def rows_for(text: str | list[str] | tuple[str, ...] | None, least: int = 2, most: int = 14) -> int:
    """Return how many rows a text area needs to show `text` whole (lines of about 50 signs)."""
    lines = list(text) if isinstance(text, list | tuple) else (text or "").split("\n")
    needed = sum(1 + len(line) // 50 for line in lines) + 1
    return max(least, min(most, needed))


@bp.app_template_filter("seconds")
def seconds(value: float) -> str:
    """Format a number of seconds with one decimal in the page's language."""
    return format_decimal(value, "0.#")


@bp.app_template_global("service_title")
def service_title(service: Service) -> str:
    """Return the service's published title in the editor's language (any language otherwise)."""
    for language in (_editor_language(), *languages.CODES):
        text = editing.published_text(service, language)
        if text is not None:
            return text.title
    return service.slug


@bp.app_context_processor
def workspace_names() -> dict[str, object]:
    """Give the workspace's templates the names of fields, states and languages."""
    return {"field_names": FIELD_NAMES, "state_names": STATE_NAMES,
            "guide_languages": languages.LANGUAGES, "condition_names": CONDITION_NAMES,
            "fee_kinds": FEE_KINDS, "fee_kind_names": FEE_KIND_NAMES}  # fmt: skip


def _author() -> Author:
    return Author(user=current_staff())


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDIT_ROLES


def _service(slug: str) -> Service:
    service = editing.service_by_slug(slug)
    if service is None:
        abort(404)
    return service


def _language(code: str) -> str:
    if code not in languages.BY_CODE:
        abort(404)
    return code


def _done(message: str, target: str) -> Response:
    flash(message)
    return redirect(target)


def _refused(refused: EditRefused, target: str) -> Response:
    db.session.rollback()
    flash(refused.message)
    return redirect(target)


# --- the guide and its translation status ----------------------------------------------------


@bp.get("/", endpoint="index")
@role_required(*READ_ROLES)
def index() -> str:
    """Show every service's translation status per language (current, stale, missing, draft)."""
    rows, totals = editing.translation_status()
    code = str(request.args.get("titles") or "")
    titles_in = code if code in languages.BY_CODE else languages.DEFAULT.code
    titles = {}
    for row in rows:
        text = editing.latest_text(row.service, titles_in) or editing.latest_text(
            row.service, row.source
        )
        titles[row.service.id] = text.title if text else row.service.slug
    return render_template("knowledge/index.html", rows=rows, totals=totals, titles=titles,
                           categories=editing.all_categories(), can_edit=_can_edit())  # fmt: skip


@bp.post("/services")
@role_required(*EDIT_ROLES)
def new_service() -> Response:
    """Add a service (unpublished); its facts and texts are then written in the workspace."""
    try:
        service = editing.create_service(request.form.get("slug", "")[:60],
                                         request.form.get("category", "")[:60], _author())  # fmt: skip
    except EditRefused as refused:
        return _refused(refused, url_for(".index"))
    return _done(gettext("Service added: write its facts, then its texts."),
                 url_for(".edit_facts", slug=service.slug))  # fmt: skip


# --- what the text and the facts pages share: save a draft, publish, restore, compare -------

Draft = Any  # a ServiceTranslation or ServiceFacts version


def _save(
    service: Service,
    here: str,
    save: Callable[[], Draft | None],
    again: Callable[[str], tuple[str, int]],
) -> tuple[str, int] | Response:
    """Save the form as the open draft; on refusal show the form `again` with the reason."""
    if not _can_edit():
        refuse(request.path, editing.TARGET, service.id)
    try:
        draft = save()
    except EditRefused as refused:
        db.session.rollback()
        return again(refused.message)
    if draft is None:
        return _done(gettext("Nothing changed."), here)
    return _done(gettext("Draft saved (version %(version)s). Callers still hear the published "
                         "version until you publish.", version=draft.version), here)  # fmt: skip


def _publish(publish: Callable[[], list[str]], here: str) -> Response:
    """Publish the open draft; say which languages it marked stale."""
    try:
        stale = publish()
    except EditRefused as refused:
        return _refused(refused, here)
    message = gettext("Published: callers hear this version from now on.")
    if stale:
        message += " " + gettext("Marked stale until reviewed: %(languages)s.",
                                 languages=page_language_names(stale))  # fmt: skip
    return _done(message, here)


def _restore(restore: Callable[[int], Draft | None], here: str) -> Response:
    """Write the version the form names into the draft."""
    try:
        draft = restore(request.form.get("version", type=int) or 0)
    except EditRefused as refused:
        return _refused(refused, here)
    if draft is None:
        return _done(gettext("That version is the text already being edited."), here)
    return _done(gettext("Version restored into the draft (version %(version)s): check it, then "
                         "publish.", version=draft.version), here)  # fmt: skip


def _compare(service: Service, language: str | None, history: Sequence[Draft],
             values: Callable[[Draft], dict[str, Any]], fields: Sequence[str]) -> tuple[str, int]:  # fmt: skip
    """Show what changed, field by field, between ?a= and ?b= (else the two newest versions)."""
    found = {v.version: v for v in history}
    newest = history[0].version if history else 0
    older = history[1].version if len(history) > 1 else newest
    a, b = request.args.get("a", older, type=int), request.args.get("b", newest, type=int)
    page = partial(render_template, "knowledge/compare.html", service=service, language=language,
                   versions=history, a=a, b=b)  # fmt: skip
    if a not in found or b not in found:
        return page(changes=None, error=gettext("There is no such version.")), 404
    return page(changes=diff.compare(values(found[a]), values(found[b]), fields)), 200


# --- a service's text in one language, beside another ----------------------------------------


def _text_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the text fields the form sent (absent ones are left as they are)."""
    fields: dict[str, Any] = {}
    for name in ("title", "summary", "eligibility", "fee_text", "delay_text", "where_to_apply",
                 "keywords", "synonyms"):  # fmt: skip
        if name in form:
            fields[name] = form.get(name, "")
    if "doc_text" in form:
        whens = form.getlist("doc_when")
        fields["documents"] = [
            {"text": text, "when": whens[i] if i < len(whens) else ""}
            for i, text in enumerate(form.getlist("doc_text"))
        ]
    return fields


def _typed(service: Service, language: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the text as the editor typed it, over the stored one, to show back in the form."""
    latest = editing.latest_text(service, language)
    values = {**(editing.text_values(latest) if latest else {}), **fields}
    for name in ("keywords", "synonyms"):
        if isinstance(values.get(name), str):
            values[name] = values[name].splitlines()
    return values


def _differing(theirs: Draft | None, values: dict[str, Any]) -> list[str]:
    """Return the text fields where the stored version and the editor's differ."""
    if theirs is None:
        return []
    stored = editing.text_values(theirs)
    try:
        mine = editing.clean_text(values)
    except EditRefused:
        mine = values
    return [name for name in editing.TEXT_FIELDS if stored.get(name) != mine.get(name)]


def _other_language(service: Service, language: str) -> str:
    wanted = request.args.get("with", "")
    if wanted in languages.BY_CODE and wanted != language:
        return wanted
    source = editing.source_language(service)
    return source if source != language else ("en" if language != "en" else "fr")


def _render_text(service: Service, language: str, values: dict[str, Any] | None = None,
                 error: str | None = None, status: int = 200, theirs: Draft | None = None,
                 seen_revision: str | None = None) -> tuple[str, int]:  # fmt: skip
    other = _other_language(service, language)
    latest = editing.latest_text(service, language)
    if values is None:
        values = editing.text_values(latest) if latest else {}
    shown = editing.latest_text(service, other)
    reference = editing.published_text(service, other) or shown
    spoken = preview.preview(service, latest) if latest else None
    history = [entry for entry in audit.history(editing.TARGET, [service.id])
               if (entry.after or {}).get("language") in (language, None)][-30:]  # fmt: skip
    page = render_template(
        "knowledge/edit.html", service=service, language=languages.get(language),
        other=languages.get(other), values=values, reference=reference, latest=latest,
        draft=editing.open_draft(service, language),
        published=editing.published_text(service, language),
        versions=editing.versions(service, language), preview=spoken,
        source=editing.source_language(service), conditions=CONDITIONS, empty_rows=EMPTY_ROWS,
        history=list(reversed(history)), can_edit=_can_edit(), error=error,
        words_per_minute=preview.WORDS_PER_MINUTE.get(language, 150),
        text_fields=editing.TEXT_FIELDS, limits=editing.LIMITS,
        revision=seen_revision or editing.text_revision(service, language), theirs=theirs,
        their_values=editing.text_values(theirs) if theirs else None,
        differing=_differing(theirs, values),
    )  # fmt: skip
    return page, status


def _text_page(slug: str, language: str) -> str:
    return url_for(".edit_text", slug=slug, code=language)


@bp.route("/services/<slug>/<code>", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def edit_text(slug: str, code: str) -> tuple[str, int] | Response:
    """Show the service's text in `code` beside another language; save it as a draft."""
    service, language = _service(slug), _language(code)
    if request.method == "GET":
        user = current_staff()
        typed = kept.take(user, request.path) if user is not None and _can_edit() else None
        if typed is None:
            return _render_text(service, language)
        # Taken back once (the request commits it).
        flash(gettext("What you typed before your session expired is back in the form: "
                      "check it, then save."))  # fmt: skip
        return _render_text(service, language, _typed(service, language, _text_form(typed)),
                            seen_revision=typed.get("revision"))  # fmt: skip
    fields = _text_form(request.form)

    def again(error: str) -> tuple[str, int]:
        return _render_text(service, language, _typed(service, language, fields), error, 422)

    values: dict[str, Any] = {"with": request.args.get("with")}  # a keyword: passed as a mapping
    here = url_for(".edit_text", slug=slug, code=language, **values)
    seen = request.form.get("revision")
    try:
        return _save(service, here, lambda: editing.save_text(service, language, fields,
                                                              _author(), seen), again)  # fmt: skip
    except EditConflict as conflict:
        db.session.rollback()
        # Nothing of theirs is overwritten and nothing typed is lost: their version is shown
        # beside the form, which still holds this editor's text and now carries their revision.
        values = _typed(service, language, fields)
        return _render_text(service, language, values, conflict.message, 409,
                            theirs=editing.latest_text(service, language))  # fmt: skip


@bp.post("/services/<slug>/<code>/publish")
@role_required(*EDIT_ROLES)
def publish_text(slug: str, code: str) -> Response:
    """Publish the draft: callers hear it from the next call."""
    service, language = _service(slug), _language(code)
    return _publish(lambda: editing.publish_text(service, language, _author()),
                    _text_page(slug, language))  # fmt: skip


@bp.post("/services/<slug>/<code>/review")
@role_required(*EDIT_ROLES)
def review_text(slug: str, code: str) -> Response:
    """Mark a stale translation reviewed and still correct."""
    service, language = _service(slug), _language(code)
    try:
        editing.review_text(service, language, _author())
    except EditRefused as refused:
        return _refused(refused, _text_page(slug, language))
    return _done(gettext("Marked as reviewed and still correct."), _text_page(slug, language))


@bp.post("/services/<slug>/<code>/restore")
@role_required(*EDIT_ROLES)
def restore_text(slug: str, code: str) -> Response:
    """Write an earlier version into the draft, to check and publish."""
    service, language = _service(slug), _language(code)
    return _restore(lambda number: editing.restore_text(service, language, number, _author()),
                    _text_page(slug, language))  # fmt: skip


@bp.get("/services/<slug>/<code>/compare")
@role_required(*READ_ROLES)
def compare_text(slug: str, code: str) -> tuple[str, int]:
    """Show what changed, field by field, between two versions of a text."""
    service, language = _service(slug), _language(code)
    return _compare(service, language, editing.versions(service, language),
                    editing.text_values, editing.TEXT_FIELDS)  # fmt: skip


# --- a service's facts ----------------------------------------------------------------------


def _facts_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the facts the form sent; without its marker field, nothing."""
    if form.get("facts_form") != "1":
        return {}
    fields: dict[str, Any] = {
        name: form.get(name, "")
        for name in (
            "category",
            "position",
            "source_url",
            "source_language",
            "delay_days",
            "appointment_required",
            "presence_required",
        )  # fmt: skip
    }
    fields["published"] = form.get("published") == "on"
    fields["verified"] = form.get("verified") == "on"
    amounts, checked = form.getlist("fee_amount"), form.getlist("fee_checked")
    fields["fees"] = [
        {"kind": kind, "amount_dh": amounts[i] if i < len(amounts) else "",
         "checked_on": checked[i] if i < len(checked) else ""}
        for i, kind in enumerate(form.getlist("fee_kind"))
    ]  # fmt: skip
    return fields


def _render_facts(service: Service, values: dict[str, Any] | None = None,
                  error: str | None = None, status: int = 200) -> tuple[str, int]:  # fmt: skip
    page = render_template(
        "knowledge/facts.html", service=service,
        values=values if values is not None else editing.latest_facts(service),
        draft=editing.open_facts_draft(service), versions=editing.facts_history(service),
        categories=editing.all_categories(), default_source=editing.default_source_language(),
        can_edit=_can_edit(), error=error, empty_rows=EMPTY_ROWS, limits=editing.LIMITS,
    )  # fmt: skip
    return page, status


@bp.route("/services/<slug>/facts", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def edit_facts(slug: str) -> tuple[str, int] | Response:
    """Show the service's language-independent facts; save them as a draft."""
    service = _service(slug)
    if request.method == "GET":
        return _render_facts(service)
    fields = _facts_form(request.form)

    def again(error: str) -> tuple[str, int]:
        return _render_facts(service, {**editing.latest_facts(service), **fields}, error, 422)

    return _save(service, url_for(".edit_facts", slug=slug),
                 lambda: editing.save_facts(service, fields, _author()), again)  # fmt: skip


@bp.post("/services/<slug>/facts/publish")
@role_required(*EDIT_ROLES)
def publish_facts(slug: str) -> Response:
    """Publish the facts draft onto the service."""
    service = _service(slug)
    return _publish(lambda: editing.publish_facts(service, _author()),
                    url_for(".edit_facts", slug=slug))  # fmt: skip


@bp.post("/services/<slug>/facts/restore")
@role_required(*EDIT_ROLES)
def restore_facts(slug: str) -> Response:
    """Write an earlier facts version into the facts draft."""
    service = _service(slug)
    return _restore(lambda number: editing.restore_facts(service, number, _author()),
                    url_for(".edit_facts", slug=slug))  # fmt: skip


@bp.get("/services/<slug>/facts/compare")
@role_required(*READ_ROLES)
def compare_facts(slug: str) -> tuple[str, int]:
    """Show what changed between two versions of the facts."""
    service = _service(slug)
    return _compare(service, None, editing.facts_history(service), editing.facts_values,
                    editing.FACT_FIELDS)  # fmt: skip


# --- what callers said that the guide did not answer ----------------------------------------


@bp.get("/unmatched")
@role_required(*READ_ROLES)
def unmatched() -> str:
    """List the phrases that matched nothing or led to an agent, most frequent first.

    A service is proposed for a phrase only when the phone's search would offer it (a clear
    answer or a close call): a greeting or a question the guide does not cover gets none.
    """
    code = request.args.get("lang", "")
    language = code if code in languages.BY_CODE else None
    phrases = services.unmatched(language)
    suggestions = {}
    for found in phrases:
        outcome = search.verdict(search.search(found.phrase, found.language))
        suggestions[found.id] = outcome.matches[0].slug if outcome.kind != "none" else ""
    return render_template("knowledge/unmatched.html", phrases=phrases, language=language,
                           suggestions=suggestions, choices=_service_titles(_editor_language()),
                           can_edit=_can_edit())  # fmt: skip


def _editor_language() -> str:
    """Return the guide language of the editor's interface (the guide's default otherwise)."""
    locale = get_locale()
    code = locale.language if locale is not None else ""
    return code if code in languages.BY_CODE else languages.DEFAULT.code


def _service_titles(language: str) -> list[tuple[str, str]]:
    """Return (slug, title) of every service published in `language`, by title."""
    found = []
    for service in editing.all_services():
        text = editing.published_text(service, language)
        if text is not None:
            found.append((service.slug, text.title))
    return sorted(found, key=lambda pair: pair[1].lower())


@bp.route("/unmatched/<int:phrase_id>/synonym", methods=["GET", "POST"])
@role_required(*EDIT_ROLES)
def add_synonym(phrase_id: int) -> str | Response:
    """Show what the phrase finds now and as a synonym of the chosen service; publish if confirmed.

    Nothing goes live before the editor has seen both and confirmed (a posted `confirmed`).
    """
    found = editing.phrase(phrase_id)
    if found is None:
        abort(404)
    back = url_for(".unmatched", lang=request.args.get("lang") or None)
    service = editing.service_by_slug(request.values.get("service", ""))
    if service is None:
        flash(gettext("Choose a service."))
        return redirect(back)
    if request.method == "GET" or not request.form.get("confirmed"):
        return _synonym_preview(found, service, back)
    try:
        editing.add_synonym(found, service, _author())
    except EditRefused as refused:
        return _refused(refused, back)
    title = dict(_service_titles(_editor_language())).get(service.slug, service.slug)
    return _done(gettext("“%(phrase)s” is now a synonym of %(service)s, from the next call.",
                         phrase=found.phrase, service=title), back)  # fmt: skip


def _synonym_preview(found: Any, service: Service, back: str) -> str:
    """Render what callers saying the phrase hear today, and once it is the service's synonym."""
    term = " ".join(found.phrase.split())[: editing.LIMITS["term"]]
    before = search.search(found.phrase, found.language)
    after = search.search_with(found.phrase, found.language, service.slug, term)
    titles = dict(_service_titles(_editor_language()))
    outcomes = [
        (gettext("Today"), search.verdict(before)),
        (gettext("Once it is a synonym"), search.verdict(after)),
    ]
    return render_template("knowledge/synonym.html", phrase=found, service=service,
                           titles=titles, outcomes=outcomes, verdict_names=VERDICT_NAMES,
                           back=back)  # fmt: skip


@bp.post("/unmatched/<int:phrase_id>/dismiss")
@role_required(*EDIT_ROLES)
def dismiss_phrase(phrase_id: int) -> Response:
    """Take a phrase off the list without adding it to the guide."""
    found = editing.phrase(phrase_id)
    if found is None:
        abort(404)
    editing.dismiss(found, _author())
    return _done(gettext("Phrase dismissed."), url_for(".unmatched",
                                                       lang=request.args.get("lang") or None))  # fmt: skip


# --- search, as a caller would get it ------------------------------------------------------


@bp.get("/search")
@role_required(*READ_ROLES)
def search_page() -> str:
    """Search the published guide with the phone's matcher; show the verdict and the scores."""
    code = request.args.get("lang", "")
    language = code if code in languages.BY_CODE else languages.DEFAULT.code
    phrase = request.args.get("q", "").strip()[:300]
    matches, outcome = [], None
    if phrase:
        matches = search.search(phrase, language, 5)
        outcome = search.verdict(matches)
    return render_template("knowledge/search.html", phrase=phrase, language=language,
                           matches=matches, outcome=outcome, verdict_names=VERDICT_NAMES,
                           thresholds=(search.CLEAR_MIN, search.CLEAR_MARGIN, search.CLOSE_MIN))  # fmt: skip


# --- the whole guide as one file -------------------------------------------------------------


@bp.get("/file")
@role_required(*READ_ROLES)
def transfer_page() -> str:
    """Offer the guide's export and the import form."""
    return render_template("knowledge/transfer.html", can_edit=_can_edit())


@bp.get("/file/export")
@role_required(*READ_ROLES)
def export() -> Response:
    """Download the whole guide as YAML (or ?format=json)."""
    fmt = "json" if request.args.get("format") == "json" else "yaml"
    body = transfer.dump(transfer.export_guide(), fmt)
    stamp = now().strftime("%Y%m%d-%H%M")
    mimetype = "application/json" if fmt == "json" else "application/yaml"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="guide-{stamp}.{fmt}"'})  # fmt: skip


@bp.post("/file/import")
@role_required(*EDIT_ROLES)
def import_file() -> tuple[str, int] | Response:
    """Import an uploaded guide file whole, or refuse it with the line and field at fault."""
    upload = request.files.get("file")
    publish = request.form.get("publish") == "on"
    problems: list[transfer.Problem] = []
    if upload is None or not upload.filename:
        problems = [transfer.Problem(1, "", gettext("Choose a file to import."))]
    else:
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            text = None
            problems = [transfer.Problem(1, "", gettext("The file must be UTF-8 text."))]
        if text is not None:
            try:
                summary = transfer.import_guide(text, _author(), publish)
            except transfer.ImportRefused as refused:
                problems = refused.problems
    if problems:
        db.session.rollback()
        page = render_template("knowledge/transfer.html", can_edit=True, problems=problems)
        return page, 422
    return _done(gettext("Imported. Texts or facts changed: %(drafts)s; published: %(published)s; "
                         "services added: %(services)s; categories added or changed: %(categories)s.",
                         drafts=summary.drafts, published=summary.published,
                         services=summary.services_added, categories=summary.categories),
                 url_for(".transfer_page"))  # fmt: skip
