"""The README's first command's path: SQLite, the embedded broker, worker and beat in one go.

Runs the real ``intake db upgrade``, ``intake demo`` and ``intake serve`` in
subprocesses with no DATABASE_URL or REDIS_URL, submits both forms over
HTTP and waits for the worker to process their outbox rows in SQLite.
"""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import re
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.embedded import INTAKE, ROOT, embedded_environment
from tests.embedded import free_port as _free_port

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


@pytest.fixture
def embedded_env(tmp_path):
    return embedded_environment(tmp_path / "instance")


def _post_form(opener, base: str, path: str, fields: dict[str, str]) -> str:
    page = opener.open(base + path, timeout=10).read().decode()
    data = {
        "csrf_token": TOKEN_RE.search(page).group(1),
        "submission_key": KEY_RE.search(page).group(1),
    }
    body = urllib.parse.urlencode({**data, **fields}).encode()
    with opener.open(base + path, data=body, timeout=10) as response:
        return response.geturl()


def _wait_for_server(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "intake serve exited early"
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("intake serve did not answer within 60 s")


def _outbox(db_file: Path) -> list[tuple[str, object, object]]:
    with sqlite3.connect(db_file) as conn:
        return conn.execute(
            "SELECT task_name, published_at, processed_at FROM outbox_messages ORDER BY id"
        ).fetchall()


def test_one_command_serves_the_forms_and_the_worker_processes_their_jobs(embedded_env, tmp_path):
    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603
            [INTAKE, *args], cwd=ROOT, env=embedded_env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("db", "upgrade")
    assert "150 added" in run("demo")
    assert "150 unchanged" in run("demo")  # idempotent
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [INTAKE, "serve", "--port", str(port), "--web-workers", "1"],
        cwd=ROOT,
        env=embedded_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(base, server)
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        landed = _post_form(
            opener,
            base,
            "/guide",
            {
                "first_name": "Ann",
                "email": "ann@example.com",
                "relationship": "self",
                "topics": "treatment",
                "deliver_email": "y",
            },
        )
        assert "/guide/thanks" in landed
        landed = _post_form(
            opener,
            base,
            "/callback",
            {
                "first_name": "Bartholomew",
                "phone": "212-555-0143",
                "zip": "10001",
                "relationship": "child",
                "diagnosis_type": "pleural",
                "best_time": "asap",
                "language": "en",
                "consent_calls": "y",
            },
        )
        assert "/callback/thanks" in landed

        db_file = tmp_path / "instance" / "intake.sqlite3"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            rows = _outbox(db_file)
            if len(rows) == 3 and all(processed for _, _, processed in rows):
                break
            time.sleep(0.5)
        else:
            log_tail = (tmp_path / "serve.log").read_text()[-3000:]
            pytest.fail(f"outbox not processed: {_outbox(db_file)}\n{log_tail}")
        with sqlite3.connect(db_file) as conn:
            assert conn.execute("SELECT status FROM callback_requests").fetchall() == [("queued",)]
            assert conn.execute("SELECT status FROM guide_requests").fetchall() == [("processed",)]
            assert conn.execute("SELECT count(*) FROM consent_records").fetchone() == (2,)
            assert conn.execute("SELECT count(*) FROM case_matches").fetchone()[0] > 0
            assert conn.execute("SELECT status FROM email_deliveries").fetchall() == [("sent",)]
        # the guide email waits in the local mailbox, with its PDF
        [kept] = list((tmp_path / "instance" / "mailbox").glob("*.eml"))
        message = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)
        assert message["Subject"] == "Your free mesothelioma guide"
        [pdf] = list(message.iter_attachments())
        assert pdf.get_content().startswith(b"%PDF")
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert f"Intake is running: {base}/" in output
    assert "callback request 1 queued" in output
    assert "/admin/mailbox" in output  # the start-up message says where the mail goes
    for personal in ("Bartholomew", "212-555-0143", "ann@example.com"):
        assert personal not in output
    assert "zip=" not in output and "127.0.0.1 -" not in output  # no query strings or IPs logged
