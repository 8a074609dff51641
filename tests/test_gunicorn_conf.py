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


def test_a_line_break_in_a_path_cannot_forge_an_access_log_line():
    """Percent-decoded CR/LF in the path stays on the request's own line, escaped."""
    from types import SimpleNamespace

    from gunicorn.config import Config

    from intake.access_log import SafeAccessLogger

    assert SETTINGS["logger_class"] == "intake.access_log.SafeAccessLogger"
    config = Config()
    config.set("accesslog", None)
    logger = SafeAccessLogger(config)
    environ = {"PATH_INFO": "/x\r\n\"GET /admin/\" 200 0 1ms", "REQUEST_METHOD": "GET",
               "QUERY_STRING": "", "RAW_URI": "/x", "SERVER_PROTOCOL": "HTTP/1.1"}  # fmt: skip
    request = SimpleNamespace(headers=[], method="GET", path=environ["PATH_INFO"],
                              query="", uri="/x", version=(1, 1))  # fmt: skip
    response = SimpleNamespace(status="404 NOT FOUND", sent=10, headers=[], response_length=10)
    from datetime import timedelta

    line = SETTINGS["access_log_format"] % logger.atoms(response, request, environ, timedelta(0))
    assert "\r" not in line and "\n" not in line
    assert line.startswith('"GET /x\\x0d\\x0a')
