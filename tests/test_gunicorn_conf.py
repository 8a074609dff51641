"""The gunicorn settings every web start reads (``gunicorn.conf.py``)."""

from __future__ import annotations

import contextlib
import os
import runpy
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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


def test_the_loaded_table_is_frozen_out_of_the_collectors_walks(monkeypatch):
    """A full collection must not walk the ZIP data's objects every time (a 200 ms pause)."""
    import gc

    import zipcodes

    monkeypatch.setattr(geo, "_index", None)
    gc.unfreeze()  # what an earlier test froze is walked again, as in a new worker
    row = zipcodes.list_all()[0]  # one of the package's rows, which live as long as the process
    assert any(obj is row for obj in gc.get_objects())  # the search below can see a row
    try:
        SETTINGS["post_worker_init"](worker=None)
        assert geo._index is not None
        assert gc.get_freeze_count() > len(geo._index)
        assert not any(obj is row for obj in gc.get_objects())
        fresh = {"made": ["after the freeze"]}
        assert any(obj is fresh for obj in gc.get_objects())  # new objects are still collected
    finally:
        gc.unfreeze()


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


TOKENS = ("StaffT0ken", "DeleteT0ken", "UnsubT0ken")


def _access_line(environ_extra: dict[str, str], headers: list[tuple[str, str]]) -> tuple[str, dict]:
    """The configured access line for one request, and every field the logger offers."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from intake.access_log import SafeAccessLogger

    config = Config()
    config.set("accesslog", None)
    environ = {"REQUEST_METHOD": "POST", "SERVER_PROTOCOL": "HTTP/1.1", **environ_extra}
    request = SimpleNamespace(headers=headers, method="POST", path=environ["PATH_INFO"],
                              query=environ["QUERY_STRING"], uri=environ["RAW_URI"],
                              version=(1, 1))  # fmt: skip
    response = SimpleNamespace(status="303 SEE OTHER", sent=0, response_length=0,
                               headers=[("Location", "/login")])  # fmt: skip
    atoms = SafeAccessLogger(config).atoms(response, request, environ, timedelta(0))
    return SETTINGS["access_log_format"] % atoms, atoms


def test_a_secret_links_token_is_in_no_field_of_the_access_log():
    """Path, request line, query string, Referer: each shows the link, never its token."""
    line, atoms = _access_line(
        {"PATH_INFO": "/staff/set-password/StaffT0ken",
         "RAW_URI": "/staff/set-password/StaffT0ken?next=/privacy/delete/DeleteT0ken",
         "QUERY_STRING": "next=/privacy/delete/DeleteT0ken",
         "HTTP_REFERER": "https://intake.example.org/unsubscribe/UnsubT0ken"},
        [("REFERER", "https://intake.example.org/unsubscribe/UnsubT0ken")],
    )  # fmt: skip
    assert line.startswith('"POST /staff/set-password/…" 303')
    assert atoms["r"] == "POST /staff/set-password/…?next=/privacy/delete/… HTTP/1.1"
    assert atoms["q"] == "next=/privacy/delete/…"
    assert atoms["f"] == atoms["{referer}i"] == "https://intake.example.org/unsubscribe/…"
    fields = repr(atoms)
    assert not any(token in fields for token in TOKENS)


def test_the_written_line_is_the_line_of_every_cleaned_field():
    """access() cleans only the fields its format names: the line must be what cleaning every
    field gives, for any format (headers in any case, missing fields, hostile values)."""
    import logging
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    from intake.access_log import SafeAccessLogger

    formats = [
        SETTINGS["access_log_format"],
        '%(h)s %(r)s %(s)s "%(f)s" "%(a)s" %(q)s %({X-Trace}i)s %({location}o)s %({RAW_URI}e)s '
        "%({Missing}i)s %(nope)s %(M)sms %(m)s %(U)s %(H)s",
    ]
    environ = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
               "PATH_INFO": "/unsubscribe/UnsubT0ken\r\n\"GET /admin\" 200",
               "RAW_URI": "/unsubscribe/UnsubT0ken%0d%0a?x=1", "QUERY_STRING": "x=\x00\x1b[31m",
               "HTTP_REFERER": "https://e.org/privacy/delete/DeleteT0ken",
               "HTTP_USER_AGENT": "Bot\r\nforged"}  # fmt: skip
    request = SimpleNamespace(headers=[("X-TRACE", "a\nb"), ("User-Agent", "Bot\r\nforged")])
    location = [("Location", "/staff/set-password/StaffT0ken")]
    response = SimpleNamespace(status="303 SEE OTHER", sent=12, response_length=12,
                               headers=location)  # fmt: skip
    for log_format in formats:
        config = Config()
        config.set("accesslog", "-")
        config.set("access_log_format", log_format)
        logger = SafeAccessLogger(config)
        written: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record, out=written: out.append(record.getMessage())  # type: ignore[method-assign]
        logger.access_log.handlers = [handler]
        logger.access(response, request, environ, timedelta(milliseconds=7))
        every_field = log_format % SafeAtoms(logger.atoms(response, request, environ,
                                                          timedelta(milliseconds=7)))  # fmt: skip
        assert written == [every_field]
        assert "\n" not in written[0] and "\r" not in written[0]
        assert not any(token in written[0] for token in TOKENS)
    assert "a\\x0ab" in written[0] and "/set-password/…" in written[0] and " - - " in written[0]


def test_a_real_gunicorn_logs_secret_links_without_their_tokens(app, tmp_path):
    """The configured server, its own log: the redacted paths are there, the tokens nowhere."""
    from tests.gunicorn_server import free_port

    port, log_path = free_port(), tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--config", str(PROJECT_ROOT / "gunicorn.conf.py"), "intake:create_app()"],
            cwd=PROJECT_ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def fetch(path: str, referer: str = "") -> None:
        headers = {"Referer": base + referer} if referer else {}
        with contextlib.suppress(urllib.error.HTTPError):  # unknown tokens: a 404, logged too
            urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=5)  # noqa: S310

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        fetch("/staff/set-password/StaffT0ken?again=StaffT0ken")
        fetch("/privacy/delete/DeleteT0ken", referer="/unsubscribe/UnsubT0ken")
        fetch("/unsubscribe/UnsubT0ken")
        fetch("/healthz", referer="/staff/set-password/StaffT0ken")
    finally:
        process.terminate()
        process.wait(20)
    text = log_path.read_text()
    for path in ("/staff/set-password/…", "/privacy/delete/…", "/unsubscribe/…"):
        assert f'"GET {path}"' in text, text  # the lines searched below were captured
    assert not any(token in text for token in TOKENS), text
