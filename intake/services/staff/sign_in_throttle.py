"""Staff sign-in's counts per account, beside the per-address limits on the routes.

The routes' Flask-Limiter limits count per address, and per account and
address.  What they cannot say is "this account is being guessed at from
many places"; these counts do, in the limiter's own storage (Redis in
production, so they hold across gunicorn workers), keyed by a hash of the
typed email or by the account's id, never by the email itself.

The two steps face different guessers, so they get different rules:

- **The password: a slowdown, never a lock.**  A lock that anyone can
  trigger by typing someone's email keeps the real person out.  Instead,
  past ``SLOWDOWN_AFTER`` wrong passwords for one account (from anywhere),
  an address that has itself typed a wrong password for that account within
  ``COOL_DOWN`` waits until that has passed.  An address that has not is
  never held back, so the person signing in from their own desk gets in,
  while each guessing address gets one guess per cool-down instead of five
  per 15 minutes.  Unknown emails are counted alike, so the answers never
  tell whether an account exists.
- **The second step: a ceiling.**  Only someone who has the password gets
  there, and a code is six digits, so what stops guessing spread over many
  addresses is a ceiling per account: past ``WRONG_CODES_PER_ACCOUNT``, no
  code is checked for that account until the window has moved on.

When the storage cannot be reached the counts fail open, as the routes'
limits do (``RATELIMIT_SWALLOW_ERRORS``): sign-in must not depend on Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.strategies import MovingWindowRateLimiter

from intake.extensions import limiter

log = logging.getLogger(__name__)

# the password: how many wrong ones for one account within the hour, from anywhere, mean it is
# being guessed at; they are counted far past that, so a long attack never fills the count
SLOWDOWN_AFTER = 10
_ACCOUNT_FAILURES: RateLimitItem = parse("1000 per hour")
COOL_DOWN = "1 per 10 minutes"  # then, per address that typed a wrong one
_COOL_DOWN: RateLimitItem = parse(COOL_DOWN)
# the second step: wrong codes for one account, from anywhere, before no code is checked
WRONG_CODES_PER_ACCOUNT = "10 per hour"
_WRONG_CODES: RateLimitItem = parse(WRONG_CODES_PER_ACCOUNT)
WRONG_CODE_CEILING = int(_WRONG_CODES.amount)

T = TypeVar("T")


def password_held_back(account: str, address: str) -> bool:
    """Whether this address must wait: the account is being guessed at, and so has it lately."""

    def ask(counts: MovingWindowRateLimiter) -> bool:
        seen = (
            _ACCOUNT_FAILURES.amount
            - counts.get_window_stats(_ACCOUNT_FAILURES, "slowdown", account).remaining
        )
        return seen >= SLOWDOWN_AFTER and not counts.test(_COOL_DOWN, "cool-down", account, address)

    return _ask(ask, False)


def note_wrong_password(account: str, address: str) -> None:
    """Count a wrong password (or an unknown email) against the account and this address."""

    def hit(counts: MovingWindowRateLimiter) -> None:
        counts.hit(_ACCOUNT_FAILURES, "slowdown", account)
        counts.hit(_COOL_DOWN, "cool-down", account, address)

    _ask(hit, None)


def codes_paused(user_id: int) -> bool:
    """Whether the account's second step has had its fill of wrong codes for now."""
    return _ask(lambda counts: not counts.test(_WRONG_CODES, "second-step", str(user_id)), False)


def note_wrong_code(user_id: int) -> bool:
    """Count a wrong code; True when it is the one that reaches the ceiling."""

    def hit(counts: MovingWindowRateLimiter) -> bool:
        counted = counts.hit(_WRONG_CODES, "second-step", str(user_id))
        return counted and not counts.test(_WRONG_CODES, "second-step", str(user_id))

    return _ask(hit, False)


def _ask(question: Callable[[MovingWindowRateLimiter], T], otherwise: T) -> T:
    """Ask the limiter's storage (its in-memory fallback when Redis is down); fail open."""
    if not limiter.enabled:
        return otherwise
    try:
        return question(MovingWindowRateLimiter(limiter.limiter.storage))
    except Exception as exc:  # a storage outage must not stop anyone signing in
        log.warning("sign-in counts unavailable: %s", type(exc).__name__)
        return otherwise
