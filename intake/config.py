"""Settings read from the environment (12-factor), with safe embedded defaults.

With no environment at all the app runs in the embedded mode: SQLite and a
SQLite-backed Celery broker under ``instance/``, and keys generated into
``instance/`` on first run.  Production sets the variables of spec section 4.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from intake.crypto import KeyError_, decode_master

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_number(name: str, default: float) -> float:
    raw = (os.environ.get(name) or "").strip()
    return float(raw) if raw else default


def instance_path() -> Path:
    """Where embedded-mode files live (database, broker, generated keys)."""
    return Path(os.environ.get("INTAKE_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def _instance_secret(filename: str, make: Any) -> str:
    """Read a generated secret from instance/, creating it (mode 0600) on first run."""
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


EMBEDDED_FILES = ("intake.sqlite3", "celery-broker.sqlite3")


def private_instance(folder: Path) -> None:
    """Only this user may read the demo's folder: its databases hold personal data.

    The folder is made 0700 and the SQLite files are created 0600 before
    SQLite opens them (SQLite gives its journal files the same mode), so no
    other account on the machine can copy a database, a key or a mailbox.
    """
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    for name in EMBEDDED_FILES:
        path = folder / name
        if path.exists():
            os.chmod(path, 0o600)
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # empty: a new database


def _new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def load_settings() -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    inst = instance_path()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'intake.sqlite3'}"
    if database_url.startswith("postgres://"):  # Heroku-style URLs
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = os.environ.get("REDIS_URL") or None
    embedded = database_url.startswith("sqlite")
    if embedded:
        private_instance(inst)
    broker_url = (
        os.environ.get("CELERY_BROKER_URL")
        or redis_url
        or f"sqla+sqlite:///{inst / 'celery-broker.sqlite3'}"
    )
    return {
        "SECRET_KEY": _secret("SECRET_KEY", embedded, lambda: secrets.token_urlsafe(48)),
        **data_key_settings(embedded),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        # Redis hands an unacknowledged message out again after this long (tasking.py)
        "BROKER_VISIBILITY_TIMEOUT": _env_number("BROKER_VISIBILITY_TIMEOUT", 900.0),
        **mail_settings(inst),
        # unset: this machine's default port; `intake serve` sets it to the port it serves on
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # a Redis outage must never cost a person their submission: count in memory meanwhile
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # per partner API key, for POST /api/v1/leads and the status look-ups together
        "PARTNER_API_RATE_LIMIT": os.environ.get("PARTNER_API_RATE_LIMIT", "300 per minute"),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # people take their time on these forms
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # outside the one-machine demo the site is served over HTTPS: cookies only travel
        # there, and browsers are told to use nothing else (HSTS)
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not embedded),
        # a Prometheus scraper not on this machine sends it as a bearer token
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or "",
        # how many reverse proxies in front of gunicorn add X-Forwarded-For (0: none)
        "TRUSTED_PROXY_HOPS": int(_env_number("TRUSTED_PROXY_HOPS", 0)),
        "HSTS_SECONDS": int(_env_number("HSTS_SECONDS", 0 if embedded else 31_536_000)),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "ADVOCATE_PHONE": os.environ.get("ADVOCATE_PHONE", "1-800-555-0199"),
        # claims an advocate may hold at once (their own call backs, when due, aside):
        # claim-next hands out one call at a time, not a list of people's phones and emails
        "MAX_OPEN_CLAIMS": max(1, int(_env_number("MAX_OPEN_CLAIMS", 1))),
        # the team's own time zone, for every time on staff pages
        "STAFF_TIMEZONE": staff_timezone(),
        # when the organisation answers calls: what a caller is promised while no advocate
        # has shifts set (services/queue/waiting.py); checked here so a typo stops the start
        "STAFFED_HOURS": staffed_hours(),
        "OUTBOX_PUBLISH_AFTER_COMMIT": _env_bool("OUTBOX_PUBLISH_AFTER_COMMIT", True),
        "OUTBOX_RELAY_SECONDS": _env_number("OUTBOX_RELAY_SECONDS", 15.0),
        # a published job still unfinished this long after is handed out again (doubling
        # with each unfinished run, up to the cap); see services/outbox.py
        "OUTBOX_REPUBLISH_SECONDS": _env_number("OUTBOX_REPUBLISH_SECONDS", 60.0),
        "OUTBOX_REPUBLISH_MAX_SECONDS": _env_number("OUTBOX_REPUBLISH_MAX_SECONDS", 3600.0),
        # a job started this many times without finishing waits for a person
        "OUTBOX_MAX_RUNS": int(_env_number("OUTBOX_MAX_RUNS", 6)),
        "OUTBOX_MAX_PUBLISHES": int(_env_number("OUTBOX_MAX_PUBLISHES", 30)),
        # a received form not processed after this long is handed to the worker again
        "SUBMISSION_SWEEP_GRACE_SECONDS": _env_number("SUBMISSION_SWEEP_GRACE_SECONDS", 30.0),
        # how long the sealed raw form is kept after processing, for a replay
        "SUBMISSION_PAYLOAD_DAYS": _env_number("SUBMISSION_PAYLOAD_DAYS", 30.0),
        # people whose requests are all closed are erased this long after the last change
        "RETENTION_DAYS": _env_number("RETENTION_DAYS", 365.0),
        # how long the "confirm you want your information deleted" link works
        "DELETION_LINK_DAYS": _env_number("DELETION_LINK_DAYS", 7.0),
    }


def staff_timezone() -> str:
    """``STAFF_TIMEZONE``, an IANA zone name (America/New_York unless set); a wrong one stops.

    Every time on staff pages is shown in it, so a typo must not start a
    service that would show times in some other zone, or fail on the first page.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = (os.environ.get("STAFF_TIMEZONE") or "").strip() or "America/New_York"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(
            f"STAFF_TIMEZONE={name!r} is not a time zone name: use one like America/New_York, "
            "America/Chicago or America/Los_Angeles"
        ) from None
    return name


DEFAULT_STAFFED_HOURS = "Mon-Fri 08:00-20:00 America/New_York"


def staffed_hours() -> str:
    """``STAFFED_HOURS`` as given, once it reads as days, hours and a zone."""
    from intake.queueing import shifts

    value = (os.environ.get("STAFFED_HOURS") or "").strip() or DEFAULT_STAFFED_HOURS
    try:
        shifts.parse_hours(value)
    except ValueError as exc:
        raise RuntimeError(f"STAFFED_HOURS is not usable: {exc}") from None
    return value


def mail_settings(inst: Path) -> dict[str, Any]:
    """SMTP from the environment; without ``SMTP_HOST``, the local mailbox ``intake serve`` runs.

    The local mailbox is an SMTP server on loopback that keeps every message
    in ``instance/mailbox`` for staff to read at /admin/mailbox.
    """
    smtp_host = (os.environ.get("SMTP_HOST") or "").strip()
    mailbox_port = int(_env_number("MAILBOX_PORT", 2525))
    return {
        "LOCAL_MAILBOX": not smtp_host,
        "MAILBOX_DIR": str(inst / "mailbox"),
        "MAILBOX_PORT": mailbox_port,
        "SMTP_HOST": smtp_host or "127.0.0.1",
        "SMTP_PORT": int(_env_number("SMTP_PORT", 25)) if smtp_host else mailbox_port,
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", False),
        "SMTP_TIMEOUT": _env_number("SMTP_TIMEOUT", 30.0),
        "MAIL_FROM": os.environ.get(
            "MAIL_FROM", "Mesothelioma Patient Support <support@example.org>"
        ),
        # the sender's postal address, in every email's footer (CAN-SPAM)
        "MAIL_POSTAL_ADDRESS": os.environ.get(
            "MAIL_POSTAL_ADDRESS",
            "Mesothelioma Patient Support, 100 Example Street, Suite 200, Springfield, IL 62701",
        ),
        "DKIM_SELECTOR": os.environ.get("DKIM_SELECTOR") or None,
        "DKIM_DOMAIN": os.environ.get("DKIM_DOMAIN") or None,
        "DKIM_PRIVATE_KEY": os.environ.get("DKIM_PRIVATE_KEY") or None,  # PEM, or a file path
        # transient SMTP failures: first retry after this long, doubling, with jitter
        "EMAIL_RETRY_SECONDS": _env_number("EMAIL_RETRY_SECONDS", 60.0),
        "EMAIL_MAX_ATTEMPTS": int(_env_number("EMAIL_MAX_ATTEMPTS", 8)),
        # a send still "sending" this long after it began died with its worker: outcome unknown
        "EMAIL_SEND_LEASE_SECONDS": _env_number("EMAIL_SEND_LEASE_SECONDS", 300.0),
        # a backlog of due emails travels this many to a broker message (services/outgoing.py)
        "EMAIL_BATCH_SIZE": int(_env_number("EMAIL_BATCH_SIZE", 20)),
        "GUIDE_CACHE_DIR": os.environ.get("GUIDE_CACHE_DIR") or str(inst / "guide-cache"),
        # load the ZIP index and the guide renderer before taking jobs (services/ops/warmup.py);
        # tests that time a worker's start against the outbox's re-publish turn it off
        "WORKER_WARM_UP": _env_bool("WORKER_WARM_UP", True),
    }


# SHA-256 of every key value this repository has ever published (old compose
# defaults, test and benchmark keys): anyone can read them, so none may sign a
# session or seal personal data outside a throw-away run.
PUBLISHED_KEYS = frozenset({
    "74a445ad1702f52543142e980f899714f8bcc0ad7de2561c016aae892d301f6f",
    "6dcc67789f64d4c62d497c673c8ee7debd65395875081647a76a22534ab82513",
    "62cca818984410cc14522678b02608f56b64177e754bd6db604d826ddd598fc5",
    "09b40e183451816dbf15addfb6174ef61cca2c61b2bb8276c63a542fea31b1fc",
    "0159438a9235d6abde38e49fb98944660d067d6b9b03d8a8f4ee4e522feb62cb",
    "da7b81a2d077fb321c8ae3f700103d244cb76de4c9919c10b8c6bd7cda728ea0",
})  # fmt: skip
MIN_SECRET_KEY_LENGTH = 32


def key_problem(name: str, value: str) -> str | None:
    """Why a configured key must not be used, or None when it may."""
    if hashlib.sha256(value.encode()).hexdigest() in PUBLISHED_KEYS:
        return f"{name} is a published example value: generate a fresh one (scripts/make-env)"
    if name == "SECRET_KEY" and len(value) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters"
    return None


def data_key_problem(name: str, value: str) -> str | None:
    """Why a configured data key must not be used: published, or not 32 bytes of base64."""
    try:
        decode_master(value, name)
    except KeyError_ as exc:
        return str(exc)
    return key_problem(name, value)


def data_key_settings(embedded: bool) -> dict[str, Any]:
    """The data key ring: the current key, the retired ones, the look-up hash key.

    ``DATA_ENCRYPTION_OLD_KEYS`` (comma-separated) only opens values sealed
    before a rotation.  ``DATA_HASH_KEY`` is the key the look-up hashes are
    made with, which must outlive every rotation; unset, it is the data key
    itself, so old keys without it are refused: a rotation would silently
    change every hash and no contact or consent would be found again.
    """
    current = _secret("DATA_ENCRYPTION_KEY", embedded, _new_data_key)
    old = [v.strip() for v in os.environ.get("DATA_ENCRYPTION_OLD_KEYS", "").split(",")]
    old = [value for value in old if value]
    hash_key = (os.environ.get("DATA_HASH_KEY") or "").strip() or None
    named = [("DATA_ENCRYPTION_KEY", current)]
    named += [(f"DATA_ENCRYPTION_OLD_KEYS key {n}", v) for n, v in enumerate(old, start=1)]
    named += [("DATA_HASH_KEY", hash_key)] if hash_key else []
    for name, value in named:
        problem = data_key_problem(name, value)
        if problem:
            raise RuntimeError(problem)
    if old and not hash_key:
        raise RuntimeError(
            "DATA_ENCRYPTION_OLD_KEYS is set but DATA_HASH_KEY is not: set DATA_HASH_KEY to the "
            "data key the look-up hashes were made with (see README, Rotating the data key)"
        )
    return {
        "DATA_ENCRYPTION_KEY": current,
        "DATA_ENCRYPTION_OLD_KEYS": old,
        "DATA_HASH_KEY": hash_key,
    }


def _secret(name: str, embedded: bool, make: Any) -> str:
    """From the environment; generated into instance/ only in the single-machine SQLite mode.

    With a shared database every web and worker process must use the same
    keys, so a missing one is a configuration error, not something to invent;
    a published or short one is refused the same way.
    """
    value = os.environ.get(name)
    if value:
        problem = key_problem(name, value)
        if problem:
            raise RuntimeError(problem)
        return value
    if not embedded:
        raise RuntimeError(f"{name} must be set when DATABASE_URL is not SQLite (see README)")
    return _instance_secret(name.lower(), make)


def engine_options(database_url: str) -> dict[str, Any]:
    # hide_parameters: a logged database error must never carry a submitted value
    if database_url.startswith("sqlite"):
        # web and worker share the file: wait for the lock instead of failing
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {
        "hide_parameters": True,
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": 5},
    }
