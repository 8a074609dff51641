"""The ``--smoke`` option every bench has: tiny sizes, a run of seconds, figures that mean nothing.

The test suite runs each bench with it (``tests/test_benches_smoke.py``), so
a bench that no longer starts, or breaks on the way, fails the suite the day
it breaks rather than the day someone needs its figures.  A smoke run takes
the real code path end to end (database, processes, every phase) on a few
requests; its figures only show that each phase printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

NOTICE = "smoke run (--smoke): tiny sizes, so the figures below prove the bench runs, nothing more"


def parse_args(
    parser: argparse.ArgumentParser, smoke: Mapping[str, Any], argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """The bench's options; with ``--smoke``, ``smoke``'s values for every option not given."""
    parser.add_argument(
        "--smoke", action="store_true",
        help="tiny sizes, seconds: proves the bench still runs (the test suite's mode)",
    )  # fmt: skip
    if parser.parse_known_args(argv)[0].smoke:
        parser.set_defaults(**smoke)
        print(NOTICE, flush=True)
    return parser.parse_args(argv)
