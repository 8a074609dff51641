"""Personal data never reaches the logs, even when saving fails inside the database."""

from __future__ import annotations

import logging

from sqlalchemy import text

from intake.services import consent
from tests.conftest import GOOD_CALLBACK, submit


def test_a_database_error_is_logged_without_the_submitted_values(client, monkeypatch, caplog):
    def broken_record(session, contact, wording, covers, source, ip):
        # a real database error whose statement carries the phone number as a parameter
        session.execute(text("SELECT CAST(:covers AS integer)"), {"covers": covers})

    monkeypatch.setattr(consent, "record_consent", broken_record)
    with caplog.at_level(logging.DEBUG):
        response = submit(client, "/callback", GOOD_CALLBACK)
    assert response.status_code == 503
    assert "could not save a public.callback submission" in caplog.text
    assert "DataError at " in caplog.text  # the kind of failure and where: enough to debug
    for personal in ("+12125550143", "555-0143", "Maria", "Lopez", "maria.lopez@example.com"):
        assert personal not in caplog.text
