"""Partner API keys: issue one (shown once), revoke it, and recognise it on a request.

A key reads ``mik_<prefix>_<secret>``: the prefix (8 characters) is public
and finds the row; the secret is 32 random bytes.  Only the SHA-256 of the
whole key is stored, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.partner import ApiKey, Partner
from intake.services.staff import audit
from intake.services.staff.audit import Actor

KEY_RE = re.compile(r"^mik_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")
PARTNER_NAME_MAX = 80


class KeyError_(ValueError):
    """A partner name or key id we cannot act on; the message says why."""


@dataclass(frozen=True)
class Caller:
    """Who a request's key belongs to: enough to scope its leads and its rate limit."""

    key_id: int
    partner_id: int
    partner_name: str


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the secret is here once, for the admin to hand over, and never again."""

    key: ApiKey
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, partner_name: str, actor: Actor, ip: str | None = None
) -> IssuedKey:
    """A new key for the partner (created on first use of its name), audited."""
    name = " ".join(partner_name.split())
    if not name or len(name) > PARTNER_NAME_MAX:
        raise KeyError_(f"a partner name is 1 to {PARTNER_NAME_MAX} characters")
    partner = session.scalars(select(Partner).where(Partner.name == name)).first()
    if partner is None:
        partner = Partner(name=name)
        session.add(partner)
        session.flush()
    prefix = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
    secret = f"mik_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        partner_id=partner.id,
        prefix=prefix,
        key_hash=_digest(secret),
        created_by=audit.actor_label(actor)[:254],
    )
    session.add(key)
    session.flush()
    audit.record(
        session, actor, "api_key.create", "api_key", key.id, {"partner_id": partner.id}, ip
    )
    return IssuedKey(key, secret)


def revoke_key(session: Session, key_id: int, actor: Actor, ip: str | None = None) -> ApiKey:
    """Stop a key working from the next request on (idempotent), audited."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise KeyError_(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            session, actor, "api_key.revoke", "api_key", key.id, {"partner_id": key.partner_id}, ip
        )
    session.flush()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first, with its partner (for the admin page and the CLI)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


MALFORMED = "malformed"
UNKNOWN = "unknown"
REVOKED = "revoked"


_BY_PREFIX = (  # built once: every partner request runs it
    select(ApiKey.id, ApiKey.partner_id, ApiKey.key_hash, ApiKey.revoked_at, Partner.name)
    .join(Partner, Partner.id == ApiKey.partner_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)


class KeyRevoked(Exception):
    """The caller's key was revoked after it was recognised: the write was not made."""


def digest(presented: str) -> str:
    """The stored form of a presented key (what a process may remember it by, too)."""
    return _digest(presented)


def live_key_clause() -> Any:
    """SQL true when the API key ``:key_id`` exists and is not revoked (for a write's WHERE)."""
    return exists().where(ApiKey.id == bindparam("key_id"), ApiKey.revoked_at.is_(None))


def is_live(connection: Connection, caller: Caller) -> bool:
    """True when the caller's key is still live (the check the slower write paths make)."""
    return bool(connection.execute(select(live_key_clause()), {"key_id": caller.key_id}).scalar())


def authenticate(connection: Connection, presented: str) -> Caller | str:
    """The caller a presented key belongs to, or why it opens nothing (malformed, unknown,
    revoked: said to the partner's developer, who can then fix the right thing)."""
    match = KEY_RE.match(presented)
    if match is None:
        return MALFORMED
    row = connection.execute(_BY_PREFIX, {"prefix": match.group(1)}).first()
    if row is None or not hmac.compare_digest(row.key_hash, _digest(presented)):
        return UNKNOWN
    if row.revoked_at is not None:
        return REVOKED
    return Caller(key_id=row.id, partner_id=row.partner_id, partner_name=row.name)
