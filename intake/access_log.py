"""gunicorn's access log with every control character escaped.

gunicorn writes the request path (``%(U)s``) percent-decoded, so a request
for ``/x%0D%0A200 GET /admin`` would start a forged line in the log that
looks like a request that never happened.  Every text field is escaped here
(``\\x0d``), so one request is always exactly one log line.

A secret link's token never reaches the log either: whoever reads
``/staff/set-password/<token>`` there could choose that person's password
(a mail scanner opening the link leaves it working).  Every field, the path,
the request line, the query string and the Referer among them, is written
with those tokens replaced: ``/staff/set-password/…``; so is gunicorn's own
error log ("Error handling request /unsubscribe/…").
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
from typing import Any

from gunicorn.glogging import Logger

from intake.logsafe import redact_links

# C0 controls and DEL, shown as \xNN
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


def escape(text: str) -> str:
    """The text with its control characters written out, on one line."""
    return text.translate(_ESCAPES)


class _RedactLinks(logging.Filter):
    """Formats each error-log record once, with secret links' tokens replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_links(record.getMessage()), None
        return True


_REDACT_LINKS = _RedactLinks()


def _clean(atoms: dict[str, Any]) -> dict[str, Any]:
    return {k: escape(redact_links(v)) if isinstance(v, str) else v for k, v in atoms.items()}


@functools.lru_cache(maxsize=8)
def fields_of(log_format: str) -> tuple[str, ...]:
    """The atoms a format names, as gunicorn looks them up (a header's name in lower case)."""
    names = re.findall(r"%\(([^)]*)\)", log_format)
    return tuple(dict.fromkeys(n.lower() if n.startswith("{") else n for n in names))


class SafeAccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's Logger, with the access line's fields escaped and secret links redacted."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self.error_log.addFilter(_REDACT_LINKS)  # one instance: a reload adds nothing twice

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """The format's fields, each string with its tokens redacted and its controls escaped."""
        return _clean(super().atoms(resp, req, environ, request_time))

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """gunicorn's access line, cleaning only the fields the format names.

        gunicorn offers every request header, response header and WSGI environ
        entry as a field (about 50 a request); redacting and escaping them all
        was about 4 % of a form POST's time in a web worker, for the five the
        line shows.  A field the format names but the request lacks is "-",
        as in gunicorn's own ``access()``.
        """
        if not self.access_log_enabled:
            return
        offered = super().atoms(resp, req, environ, request_time)
        fields = fields_of(self.cfg.access_log_format)  # read each time: a reload may change it
        named = {k: offered[k] for k in fields if k in offered}
        safe_atoms = self.atoms_wrapper_class(_clean(named))
        try:
            self.access_log.info(self.cfg.access_log_format, safe_atoms)
        except Exception:
            self.error(traceback.format_exc())
