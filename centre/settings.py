"""Settings read from the environment, with development defaults that production refuses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from centre.languages import CODES

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105 (refused in production)
# The simulator and the tests sign webhooks with this token when no real one is configured.
DEVELOPMENT_AUTH_TOKEN = "development-only-twilio-token"  # noqa: S105 (refused in production)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# An installed build carries the compiled catalogs and the migrations in this package (setup.py).
BUNDLED = Path(__file__).resolve().parent


def project_directory(name: str) -> Path:
    """Return the project's `name` directory: the one an installed build carries, else the source's."""
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else PROJECT_ROOT / name


class ConfigurationError(RuntimeError):
    """A setting is missing or unsafe for the environment the app runs in."""


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _language(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = (environ.get(name) or default).strip().lower()
    if raw not in CODES:
        raise ConfigurationError(f"{name} must be one of {' '.join(CODES)}, got {raw!r}")
    return raw


def database_url(raw: str | None, instance_path: Path) -> str:
    """Return the SQLAlchemy URL for `raw`, defaulting to the embedded SQLite file."""
    if not raw:
        return f"sqlite:///{instance_path / 'callcentre.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def engine_options(url: str, timeout_seconds: float) -> dict[str, Any]:
    """Return engine options that make a slow or absent database fail fast."""
    if url.startswith("sqlite"):
        # timeout: how long a writer waits for the file lock; pool_timeout: for a connection
        # (a file's pool; an in-memory database has one connection and no pool to wait on).
        options: dict[str, Any] = {
            "connect_args": {"timeout": timeout_seconds},
            "hide_parameters": True,
        }
        if url.rstrip("/") != "sqlite:" and ":memory:" not in url and "mode=memory" not in url:
            options["pool_timeout"] = timeout_seconds
        return options
    millis = int(timeout_seconds * 1000)
    return {
        "pool_recycle": 1800,
        "hide_parameters": True,  # SQL errors must not carry phone numbers into the logs
        "pool_timeout": timeout_seconds,
        "pool_size": 5,
        "max_overflow": 5,
        "connect_args": {
            # libpq (and psycopg) wait at least 2 s for a connection, whatever is asked.
            "connect_timeout": max(2, math.ceil(timeout_seconds)),
            "options": f"-c statement_timeout={millis} -c lock_timeout={millis}",
            # A peer that vanished (no reset): data unacknowledged for this long drops the
            # connection; an idle pooled connection is probed and dropped within ~10 s.
            "tcp_user_timeout": millis + 1000,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        },
    }


def _refuse_unsafe_secrets(config: Mapping[str, Any]) -> None:
    """Refuse to run in production without real secrets (also when set by overrides)."""
    if config.get("APP_ENV") != "production":
        return
    for name, development in (
        ("SECRET_KEY", DEVELOPMENT_SECRET),
        ("TWILIO_AUTH_TOKEN", DEVELOPMENT_AUTH_TOKEN),
    ):
        value = str(config.get(name) or "").strip()
        if not value or value == development:
            raise ConfigurationError(f"{name} must be set when APP_ENV=production")


def _check_public_url(config: dict[str, Any]) -> None:
    """Require, in production, the public HTTPS origin Twilio is told to call back."""
    raw = str(config.get("PUBLIC_URL") or "").strip().rstrip("/")
    config["PUBLIC_URL"] = raw
    production = config.get("APP_ENV") == "production"
    if not raw:
        if production:
            raise ConfigurationError(
                "PUBLIC_URL must be set when APP_ENV=production (e.g. https://centre.example.org)"
            )
        return
    parts = urlsplit(raw)
    schemes = ("https",) if production else ("https", "http")
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            f"PUBLIC_URL must be an origin such as https://centre.example.org, got {raw!r}"
        )


def _refuse_missing_catalogs(config: dict[str, Any]) -> None:
    """Refuse to start without every language's compiled catalog.

    Without one, gettext falls back to the English message and the caller hears English
    words read by their language's voice: worse than not starting.
    """
    directories = [Path(d) for d in str(config["BABEL_TRANSLATION_DIRECTORIES"]).split(";")]
    missing = [
        code
        for code in CODES
        if not any((d / code / "LC_MESSAGES" / "messages.mo").is_file() for d in directories)
    ]
    if missing:
        where = ", ".join(str(d) for d in directories)
        raise ConfigurationError(
            f"compiled message catalog missing for {', '.join(missing)} in {where}: "
            "compile them with `make catalogs` (pybabel compile -d translations), or install "
            "the app with `pip install .`, which compiles them"
        )


def wait_targets(value: str | Mapping[str, int], default: int) -> dict[str, int]:
    """Return each language's queue wait target in seconds from "ar=90 fr=60" (others: `default`)."""
    given = dict(value) if isinstance(value, Mapping) else {}
    if isinstance(value, str):
        for pair in value.replace(",", " ").split():
            code, _, seconds = pair.partition("=")
            if code not in CODES or not seconds.isdigit() or int(seconds) <= 0:
                raise ConfigurationError(
                    f"QUEUE_WAIT_TARGETS takes language=seconds pairs such as ar=90, got {pair!r}"
                )
            given[code] = int(seconds)
    return {code: int(given.get(code, default)) for code in CODES}


def finish(config: dict[str, Any], instance_path: Path) -> None:
    """Check the secrets and derive the settings that depend on others, after the overrides."""
    _refuse_unsafe_secrets(config)
    config["QUEUE_WAIT_TARGETS"] = wait_targets(
        config.get("QUEUE_WAIT_TARGETS", ""), config["QUEUE_WAIT_TARGET_SECONDS"]
    )
    _check_public_url(config)
    if config.get("APP_ENV") == "production":
        if config.get("TWILIO_API_URL") or config.get("JOBS_URL") == "immediate":
            raise ConfigurationError(
                "TWILIO_API_URL and JOBS_URL=immediate are for tests and benchmarks only"
            )
        # The simulator signs webhooks with the live Twilio token: never on a real centre.
        config["SIMULATOR_ENABLED"] = False
    _refuse_missing_catalogs(config)
    url = database_url(config["SQLALCHEMY_DATABASE_URI"], instance_path)
    config["SQLALCHEMY_DATABASE_URI"] = url
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, config["DB_TIMEOUT_SECONDS"])
    )
    # Staff cookies travel over HTTPS only, except on a developer's machine (plain HTTP).
    # Browsers and the test client keep them on loopback, so tests run with them on.
    config["SESSION_COOKIE_SECURE"] = config["APP_ENV"] != "development"
    config["PERMANENT_SESSION_LIFETIME"] = config["STAFF_ABSOLUTE_HOURS"] * 3600


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Build the Flask config from environment variables (see the README for each one)."""
    env = environ.get("APP_ENV", "development")
    production = env == "production"
    # Production refuses the development secrets (`finish`, once the overrides are in).
    secret = (environ.get("SECRET_KEY") or "").strip()
    token = (environ.get("TWILIO_AUTH_TOKEN") or "").strip()
    return {
        "APP_ENV": env,
        "SECRET_KEY": secret or DEVELOPMENT_SECRET,
        "PHONE_HASH_KEY": environ.get("PHONE_HASH_KEY") or secret or DEVELOPMENT_SECRET,
        "SQLALCHEMY_DATABASE_URI": environ.get("DATABASE_URL", ""),  # `finish` gives the default
        "DB_TIMEOUT_SECONDS": _float(environ, "DB_TIMEOUT_SECONDS", 1.5),
        # How long a staff page (or the API) waits for a database that stopped answering.
        "STAFF_DB_TIMEOUT_SECONDS": _float(environ, "STAFF_DB_TIMEOUT_SECONDS", 10),
        "REDIS_URL": environ.get("REDIS_URL", ""),
        "REDIS_PREFIX": environ.get("REDIS_PREFIX", "callcentre:"),
        "REDIS_TIMEOUT_SECONDS": _float(environ, "REDIS_TIMEOUT_SECONDS", 0.5),
        "REDIS_RETRY_SECONDS": _float(environ, "REDIS_RETRY_SECONDS", 30),
        "TWILIO_ACCOUNT_SID": environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": token or DEVELOPMENT_AUTH_TOKEN,
        "TWILIO_SMS_FROM": environ.get("TWILIO_SMS_FROM", ""),
        "TWILIO_TIMEOUT_SECONDS": _float(environ, "TWILIO_TIMEOUT_SECONDS", 10),
        # Another origin for Twilio's REST API: a stub on loopback (benchmarks); never in production.
        "TWILIO_API_URL": environ.get("TWILIO_API_URL", ""),
        # The job queue: redis://... (else REDIS_URL), sqlite:///FILE, or immediate (tests).
        "JOBS_URL": environ.get("JOBS_URL", ""),
        "JOBS_WORKERS": _int(environ, "JOBS_WORKERS", 4),
        "SMS_PER_SECOND": _float(environ, "SMS_PER_SECOND", 1),
        "CALLS_PER_SECOND": _float(environ, "CALLS_PER_SECOND", 1),
        "OUTBOX_MAX_ATTEMPTS": _int(environ, "OUTBOX_MAX_ATTEMPTS", 6),
        "OUTBOX_RETRY_SECONDS": _float(environ, "OUTBOX_RETRY_SECONDS", 30),
        "OUTBOX_CHECK_AFTER_SECONDS": _int(environ, "OUTBOX_CHECK_AFTER_SECONDS", 120),
        "OUTBOX_REQUEUE_SECONDS": _int(environ, "OUTBOX_REQUEUE_SECONDS", 60),
        "TRUSTED_PROXIES": _int(environ, "TRUSTED_PROXIES", 0),
        "PUBLIC_URL": environ.get(
            "PUBLIC_URL", ""
        ),  # checked (and required in production) by finish
        "FALLBACK_AGENT_NUMBER": environ.get("FALLBACK_AGENT_NUMBER", ""),
        "QUEUE_MAX_LENGTH": _int(environ, "QUEUE_MAX_LENGTH", 20),
        "QUEUE_MAX_WAIT_SECONDS": _int(environ, "QUEUE_MAX_WAIT_SECONDS", 600),
        "QUEUE_WAIT_TARGET_SECONDS": _int(environ, "QUEUE_WAIT_TARGET_SECONDS", 120),
        # Per-language targets overriding it, e.g. "ar=90 fr=60" (read by reports.floor).
        "QUEUE_WAIT_TARGETS": environ.get("QUEUE_WAIT_TARGETS", ""),
        "CALLBACK_SLOT_MINUTES": _int(environ, "CALLBACK_SLOT_MINUTES", 15),
        "CALLBACK_SLOT_CAPACITY": _int(environ, "CALLBACK_SLOT_CAPACITY", 4),
        # An unanswered callback is tried again (an hour later at the earliest) up to this many tries.
        "CALLBACK_ATTEMPTS": _int(environ, "CALLBACK_ATTEMPTS", 3),
        # How long before a callback the callers who asked for it are texted a reminder.
        "CALLBACK_REMINDER_MINUTES": _int(environ, "CALLBACK_REMINDER_MINUTES", 30),
        "SPEECH_CONFIDENCE_MIN": _float(environ, "SPEECH_CONFIDENCE_MIN", 0.5),
        "HOLD_MUSIC_URL": environ.get(
            "HOLD_MUSIC_URL", "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
        ),
        "RECORDING_MAX_SECONDS": _int(environ, "RECORDING_MAX_SECONDS", 120),
        "RECORDING_RETENTION_DAYS": _int(environ, "RECORDING_RETENTION_DAYS", 90),
        "SIMULATOR_ENABLED": _bool(environ, "SIMULATOR_ENABLED", not production),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
        "STAFF_IDLE_MINUTES": min(_int(environ, "STAFF_IDLE_MINUTES", 30), 30),
        "STAFF_ABSOLUTE_HOURS": min(_int(environ, "STAFF_ABSOLUTE_HOURS", 12), 12),
        "TWILIO_CALLER_ID": environ.get("TWILIO_CALLER_ID", ""),
        "GUIDE_SOURCE_LANGUAGE": _language(environ, "GUIDE_SOURCE_LANGUAGE", "fr"),
        "GUIDE_SECOND_EDITOR": _bool(environ, "GUIDE_SECOND_EDITOR", False),
        "WARM_CACHES": _bool(environ, "WARM_CACHES", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Over HTTPS a staff form must come from one of our own pages (same-origin Referer),
        # even with its token: Flask-WTF's default, written here so no one drops it unseen.
        "WTF_CSRF_SSL_STRICT": True,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Africa/Casablanca",
        "BABEL_TRANSLATION_DIRECTORIES": str(project_directory("translations")),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }
