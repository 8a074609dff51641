"""Load, before a worker takes its first job, what that job would otherwise wait for.

A guide email is the first thing a new worker process does that needs the
ZIP index (about a second to parse from the ``zipcodes`` package), the
PDF libraries (WeasyPrint's native libraries, ReportLab's fonts) and the
process's guide renderer (a digest of every template and font file, the
cover's font).  Measured in ``bench/emails.py``, that was most of a worker
child's first 20 seconds.  So the worker loads them once when it starts,
in the parent before it forks its pool: the children inherit them (and
share the pages).  All of it is plain memory (no thread, no open file
or connection), which a fork copies safely; WeasyPrint's font
configuration is made later, in each child, at its first layout.  A failure
here is logged and left to the first job, which would meet it anyway; it
never stops the worker from starting.

Then ``gc.freeze()``: the ZIP index alone is several hundred thousand
objects that never die, and every full collection in a child walked them
all again (collections were about an eighth of a guide email's CPU in a
process that had loaded the index).  Frozen, the collector leaves them
alone, and the children's copies of those pages stay shared.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask

from intake.config import PROJECT_ROOT
from intake.logsafe import describe_failure

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """The ZIP index, the PDF libraries and the guide renderer (call before forking)."""
    try:
        import weasyprint  # noqa: F401 (its native libraries load on import)

        from intake.guide import matches_drawn
        from intake.matching import geo

        geo.lookup("10001")  # parses the whole index once
        matches_drawn.fonts(PROJECT_ROOT / "static")
        from intake.services.email import guides

        with app.app_context():
            guides.renderer().name_font()
    except Exception as exc:  # the first job will meet it, and report it there
        log.warning("worker warm-up skipped: %s", describe_failure(exc))
    gc.collect()
    gc.freeze()  # what is loaded so far lives as long as the process
