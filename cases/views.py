"""The push API: the back office sends one or many status changes, with its bearer token."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError

from cases.changes import (
    Change,
    ChangeError,
    apply_changes,
    hash_key,
    known_services,
    parse_change,
)
from cases.clients import authenticate
from centre.clock import now
from centre.extensions import csrf, db

log = logging.getLogger(__name__)
bp = Blueprint("cases", __name__, url_prefix="/api/cases")
csrf.exempt(bp)  # a token-authenticated API for machines, not a form posted by a browser

MAX_CHANGES = 1000
ATTEMPTS = 3  # a concurrent push of the same change loses on a unique constraint: try again


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    response = jsonify({"error": code, "message": message, **extra})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cases"'
    return response, status


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _items(body: object) -> list[object] | None:
    if isinstance(body, dict) and "changes" in body:
        body = body["changes"]
    elif isinstance(body, dict):
        body = [body]
    return body if isinstance(body, list) else None


TOO_DEEP = object()
MAX_DEPTH = 4  # {"changes": [{"missing_documents": [...]}]}


def _depth(body: object) -> int:
    """Return how deeply `body` nests its lists and objects (without recursing itself)."""
    deepest, stack = 0, [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _json_body() -> object:
    """Return the JSON body, None when there is none or it is not JSON, or TOO_DEEP."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data())
    except RecursionError:  # thousands of `[`: the parser runs out of stack before the end
        return TOO_DEEP
    except ValueError:
        return None
    return TOO_DEEP if _depth(body) > MAX_DEPTH else body


@bp.post("/status")
def push_status() -> tuple[Response, int]:
    """Apply the pushed changes, all or none; a change already received changes nothing."""
    client = authenticate(_bearer())
    if client is None:
        db.session.rollback()
        return _error(401, "unauthorized", "a valid bearer token is required")
    body = _json_body()
    if body is TOO_DEEP:
        return _error(400, "invalid_body", f"the JSON is nested deeper than {MAX_DEPTH} levels")
    items = _items(body)
    if items is None:
        return _error(
            400, "invalid_body", 'send a JSON change, a list of changes or {"changes": [...]}'
        )
    if not items or len(items) > MAX_CHANGES:
        return _error(400, "invalid_body", f"send between 1 and {MAX_CHANGES} changes")
    changes: list[Change] = []
    moment, services = now(), known_services()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return _error(
                400, "invalid_change", f"change {index + 1} is not an object", index=index
            )
        try:
            changes.append(parse_change(item, hash_key(), moment, services))
        except ChangeError as exc:
            return _error(400, "invalid_change", f"change {index + 1}: {exc}", index=index)
    source = f"api:{client.name}"
    for attempt in range(ATTEMPTS):
        try:
            applied = apply_changes(changes, source)
            db.session.commit()
            break
        except ChangeError as exc:
            db.session.rollback()
            return _error(400, "invalid_change", str(exc))
        except IntegrityError:
            db.session.rollback()
            log.info("push from %s met a concurrent change of the same case; retrying", source)
            if attempt == ATTEMPTS - 1:
                return _error(409, "conflict", "the same cases are being changed: send again")
            authenticate(_bearer())  # the rollback undid the "last used" mark
        except OperationalError:
            # A lock held too long (an import of the same cases in progress) or the database away.
            db.session.rollback()
            log.warning("push from %s could not be applied now", source, exc_info=True)
            response, status = _error(
                503, "busy", "the cases cannot be changed now: send again later"
            )
            response.headers["Retry-After"] = "60"
            return response, status
    log.info(
        "push from %s: %d created, %d applied, %d history, %d duplicate",
        client.name,
        applied.created,
        applied.applied - applied.created,
        applied.history_only,
        applied.duplicates,
    )
    return jsonify(
        {
            "received": len(changes),
            "created": applied.created,
            "applied": applied.applied,
            "history_only": applied.history_only,
            "duplicates": applied.duplicates,
            "notified": applied.notified,
            "results": [
                {"reference": change.reference, "result": result}
                for change, result in zip(changes, applied.results, strict=True)
            ],
        }
    ), 200
