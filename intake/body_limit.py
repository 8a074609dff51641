"""The request class: a streamed body past the size limit is a 413, never a cut-off body.

A body without ``Content-Length`` (``Transfer-Encoding: chunked``) is read
through Werkzeug's ``LimitedStream``, which reads up to the limit
(``MAX_CONTENT_LENGTH``, or a view's own ``request.max_content_length``, 64 KiB
for the partner API) and then stops as if the body had ended: a 70 KiB lead
reached the view as its first 64 KiB and was answered 400 "column 65537",
and a form could be parsed from half its fields.  Here, at the limit, the
stream looks for one more byte: if the client sent more, the request is
413 (``RequestEntityTooLarge``, answered by the app's and the API's own
handlers) wherever the body is read (``get_data``, ``form``, ``files``, JSON).
"""

from __future__ import annotations

from typing import IO, cast

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class _WholeOrTooLarge(LimitedStream):
    """A streamed body read up to ``limit``; one byte more from the client is a 413."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def on_exhausted(self) -> None:
        """At the limit: the body is whole only if the client has nothing more to send."""
        if self._source.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        """Everything up to the limit (Werkzeug's stops there silently), or a 413."""
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class LimitedRequest(Request):
    """Flask's request, with a body stream that refuses what is past the limit."""

    @cached_property
    def stream(self) -> IO[bytes]:  # type: ignore[override]
        """As Werkzeug's (a declared length past the limit is a 413 at once), except that a
        streamed body the server de-chunks is refused past the limit instead of cut short."""
        if self.shallow:
            raise RuntimeError("A shallow request may not read its body.")
        stream = get_input_stream(self.environ, max_content_length=self.max_content_length)
        limit = self.max_content_length
        if limit is not None and "wsgi.input_terminated" in self.environ:
            return cast(IO[bytes], _WholeOrTooLarge(self.environ["wsgi.input"], limit))
        return stream
