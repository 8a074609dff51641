"""gunicorn's access log with every control character escaped.

gunicorn writes the request path (``%(U)s``) percent-decoded, so a request
for ``/x%0D%0A200 GET /admin`` would start a forged line in the log that
looks like a request that never happened.  Every text field is escaped here
(``\\x0d``), so one request is always exactly one log line.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

# C0 controls and DEL, shown as \xNN
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


def escape(text: str) -> str:
    """The text with its control characters written out, on one line."""
    return text.translate(_ESCAPES)


class SafeAccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's Logger, with the access line's fields escaped."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """The format's fields, each string with its control characters escaped."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: escape(v) if isinstance(v, str) else v for k, v in atoms.items()}
