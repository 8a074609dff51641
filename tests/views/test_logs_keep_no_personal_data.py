"""Personal data never reaches the logs, even when saving fails inside the database."""

from __future__ import annotations

import logging

from sqlalchemy import text

from intake.extensions import db
from intake.services.inbox import submissions
from intake.services.people import consent
from tests.conftest import GOOD_CALLBACK, process_received, submit

PERSONAL = ("+12125550143", "555-0143", "Maria", "Lopez", "maria.lopez@example.com")


def _database_error(session, value):
    """A real database error whose statement carries a personal value as a parameter."""
    session.execute(text("SELECT CAST(:value AS integer)"), {"value": value})


def test_a_failed_save_is_logged_without_the_submitted_values(client, monkeypatch, caplog):
    def broken_receive(session, form, data, ip, shown_in="en"):
        _database_error(session, data.person.phone)

    monkeypatch.setattr(submissions, "receive", broken_receive)
    with caplog.at_level(logging.DEBUG):
        response = submit(client, "/callback", GOOD_CALLBACK)
    assert response.status_code == 503
    assert "could not save a public.callback submission" in caplog.text
    assert "DataError at " in caplog.text  # the kind of failure and where: enough to debug
    for personal in PERSONAL:
        assert personal not in caplog.text


def test_a_failed_processing_is_logged_and_stored_without_the_submitted_values(
    client, db_session, monkeypatch, caplog
):
    def broken_grant(contact_id, wording, covers, source, ip, at=None):
        _database_error(db.session, covers)  # the worker's session (the batch's or a form's)

    monkeypatch.setattr(consent, "grant_values", broken_grant)
    assert submit(client, "/callback", GOOD_CALLBACK, process=False).status_code == 303
    with caplog.at_level(logging.DEBUG):
        failed = process_received(client.application)
    assert len(failed) == 1
    assert f"submission {failed[0]} could not be processed: DataError at " in caplog.text
    from intake.models import Submission

    last_error = db_session.get(Submission, failed[0]).last_error
    assert last_error.startswith("DataError at ")
    for personal in PERSONAL:
        assert personal not in caplog.text and personal not in last_error
