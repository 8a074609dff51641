"""The admins' second factor: TOTP (RFC 6238) with one-time recovery codes.

Admins see every lead, the audit log and the exports, so a password alone
is not enough for them.  The key is sealed at rest like personal data;
each 30-second code is accepted once (``totp_last_step``), one step either
side of now for clocks that drift; recovery codes are random, shown once,
and only their SHA-256 is kept (each is 50 random bits, so a fast hash is
enough), each good for one sign-in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import pyotp
import segno

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


def finish_enrolment(user: User, code: str, now: datetime | None = None) -> list[str] | None:
    """Turn the pending key on if ``code`` matches it; the fresh recovery codes, else None."""
    now = now or utcnow()
    code = code.strip().replace(" ", "")
    pending = user.totp_pending
    if not pending or not _CODE_RE.match(code):
        return None
    step = _step_of(pending, code, now)
    if step is None:
        return None
    user.totp_secret, user.totp_pending = pending, None
    user.totp_enabled_at, user.totp_last_step = now, step
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh one-time codes (the old ones stop working); shown to the user once."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    user.recovery_codes = [_hash(code) for code in codes]
    return codes


def verify(user: User, typed: str, now: datetime | None = None) -> str | None:
    """Check a sign-in's second step: "totp" or "recovery" when it passes, None when not."""
    now = now or utcnow()
    code = typed.strip().lower().replace(" ", "")
    if not user.totp_secret:
        return None
    if _CODE_RE.match(code):
        step = _step_of(user.totp_secret, code, now)
        if step is None or step <= (user.totp_last_step or 0):
            return None  # wrong, or already used: a code is good once
        user.totp_last_step = step
        return "totp"
    digest = _hash(code)
    if digest in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != digest]
        return "recovery"
    return None


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
