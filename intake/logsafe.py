"""Describe failures for the logs without their messages.

Exception messages can echo what a person typed (a database error quoting
the value it rejected, a validator repeating its input), so the logs get
each exception's type and where it was raised, never its text.
"""

from __future__ import annotations

import re
import traceback


def describe_failure(exc: BaseException) -> str:
    """'DataError at base.py:1967 in _exec <- InvalidTextRepresentation at ...', no messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 5:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        ours = [f for f in frames if "/intake/" in f.filename or "/worker/" in f.filename]
        chosen = ours or list(frames)
        where = ""
        if chosen:
            frame = chosen[-1]
            where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
        parts.append(f"{type(current).__name__}{where}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


# The paths whose last segment is a secret that acts on its own (a set-your-password link, a
# deletion confirmation, an unsubscribe link): whoever reads one in a log can use it.  A slash
# may come doubled or percent-encoded (``%2F``) in a raw request line and still reach the route.
SECRET_LINK_PREFIXES = ("staff/set-password", "privacy/delete", "unsubscribe")
_SLASH = r"(?:/|%2[fF])+"
_SECRET_LINK = re.compile(
    "((?:"
    + "|".join(_SLASH + _SLASH.join(map(re.escape, p.split("/"))) for p in SECRET_LINK_PREFIXES)
    + ")"
    + _SLASH
    + r")[^/?#\s\"]+"
)
REDACTED = "…"


def redact_links(text: str) -> str:
    """The text with each secret link's token replaced (``/unsubscribe/…``), for a log line."""
    return _SECRET_LINK.sub(lambda m: m.group(1) + REDACTED, text)
