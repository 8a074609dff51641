"""The admins' second factor: TOTP (RFC 6238) with one-time recovery codes.

Admins see every lead, the audit log and the exports, so a password alone
is not enough for them.  The key is sealed at rest like personal data;
each 30-second code is accepted once (``totp_last_step``), one step either
side of now for clocks that drift; recovery codes are random, shown once,
and only their SHA-256 is kept (each is 50 random bits, so a fast hash is
enough), each good for one sign-in.

"Once" holds under concurrency too: a code is marked used by the very
UPDATE that accepts it, guarded by "not used yet", so of several sessions
posting one code at the same moment exactly one changes the row and the
others match nothing, whatever each of them read before.  PostgreSQL makes
the others wait for the winner's row lock and then re-reads the row;
SQLite lets one writer at a time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyotp
import segno
from sqlalchemy import JSON, Text, cast, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement

from intake.models.base import utcnow
from intake.models.user import User

ISSUER = "Mesothelioma Patient Support"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_CODE_RE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """A fresh base32 key (160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` address, drawn here (no image service sees the key)."""
    qr = segno.make(uri, error="m")
    return str(qr.svg_data_uri(omitsize=True, dark="#1b2733", light="#ffffff"))  # sized by CSS


def grouped(secret: str) -> str:
    """The key in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step a code belongs to (now, or one either side), or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def begin_enrolment(user: User) -> str:
    """Give the user a pending key (kept until they prove their app has it)."""
    if not user.totp_pending:
        user.totp_pending = new_secret()
    return user.totp_pending


def finish_enrolment(
    session: Session, user: User, code: str, now: datetime | None = None
) -> list[str] | None:
    """Turn the pending key on if ``code`` matches it; the fresh recovery codes, else None."""
    now = now or utcnow()
    code = code.strip().replace(" ", "")
    pending = user.totp_pending
    if not pending or not _CODE_RE.match(code):
        return None
    step = _step_of(pending, code, now)
    if step is None or not _spend_step(session, user, step):
        return None
    user.totp_secret, user.totp_pending = pending, None
    user.totp_enabled_at = now
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh one-time codes (the old ones stop working); shown to the user once."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    user.recovery_codes = [_hash(code) for code in codes]
    return codes


def verify(session: Session, user: User, typed: str, now: datetime | None = None) -> str | None:
    """Check a sign-in's second step and spend the code: "totp" or "recovery", or None.

    None also when another request spent the same code first, even at the same moment.
    """
    now = now or utcnow()
    code = typed.strip().lower().replace(" ", "")
    if not user.totp_secret:
        return None
    if _CODE_RE.match(code):
        step = _step_of(user.totp_secret, code, now)
        if step is None or not _spend_step(session, user, step):
            return None  # wrong, or already used: a code is good once
        return "totp"
    if _spend_recovery_code(session, user, _hash(code)):
        return "recovery"
    return None


def _spend_step(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as the last one used, only if no later or equal step was; True if so."""
    if step <= (user.totp_last_step or 0):
        return False  # already refused by what this request read: no need to ask
    spent = session.execute(
        update(User)
        .where(User.id == user.id, User.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not spent.rowcount:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _spend_recovery_code(session: Session, user: User, digest: str) -> bool:
    """Take ``digest`` out of the account's recovery codes, only if it is still there."""
    if digest not in (user.recovery_codes or []):
        return False
    dialect = session.get_bind().dialect.name
    try:
        held, remaining = _RECOVERY_CODE_SQL[dialect](digest)
    except KeyError:
        raise NotImplementedError(f"no recovery code UPDATE for {dialect}") from None
    spent = session.execute(
        update(User)
        .where(User.id == user.id, held)
        .values(recovery_codes=remaining)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["recovery_codes"])  # the list as the database now holds it
    return bool(spent.rowcount)  # type: ignore[attr-defined]


def _postgresql_codes(digest: str) -> tuple[ColumnElement[bool], Any]:
    """The list holds ``digest`` (jsonb ``?``), and the list without it (jsonb ``-``)."""
    codes = cast(User.recovery_codes, JSONB)
    without = codes.op("-", return_type=JSONB)(literal(digest, Text))
    return codes.has_key(literal(digest, Text)), cast(without, JSON)


def _sqlite_codes(digest: str) -> tuple[ColumnElement[bool], Any]:
    """The same through SQLite's JSON functions: json_each reads the list, one row a code."""
    each = func.json_each(User.recovery_codes).table_valued("value")
    held = exists(select(each.c.value).where(each.c.value == digest))
    left = func.json_group_array(each.c.value)
    return held, select(left).where(each.c.value != digest).scalar_subquery()


_RECOVERY_CODE_SQL: dict[str, Callable[[str], tuple[ColumnElement[bool], Any]]] = {
    "postgresql": _postgresql_codes,
    "sqlite": _sqlite_codes,
}


def is_enrolled(user: User) -> bool:
    """Whether the user has a working second factor."""
    return bool(user.totp_secret and user.totp_enabled_at)


def required(user: User) -> bool:
    """Admins must use a second factor."""
    return user.role == "admin"


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()


def reset(user: User) -> None:
    """Forget the second step (a lost phone): the person sets it up again at next sign-in."""
    user.totp_secret = user.totp_pending = None
    user.totp_enabled_at, user.recovery_codes = None, []
