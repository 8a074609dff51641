"""The gunicorn settings every web start reads (``gunicorn.conf.py``)."""

from __future__ import annotations

import runpy

from intake.config import PROJECT_ROOT
from intake.matching import geo

SETTINGS = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))


def test_the_access_log_keeps_no_query_string_or_client_address():
    log_format = SETTINGS["access_log_format"]
    assert "%(U)s" in log_format  # the path without its query string
    for leaky in ("%(r)s", "%(q)s", "%(h)s", "%(a)s", "%(f)s"):
        assert leaky not in log_format


def test_each_worker_loads_the_zip_table_before_its_first_request(monkeypatch):
    monkeypatch.setattr(geo, "_index", None)
    SETTINGS["post_worker_init"](worker=None)
    assert geo._index is not None and "10001" in geo._index
