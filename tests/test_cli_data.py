"""``intake data purge``: the retention job by hand, with a dry run; counts only, never names."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from intake.models import Contact, EmailDelivery, GuideRequest
from intake.models.base import utcnow
from tests.conftest import submit


def _guide_sent_long_ago(client, db_session) -> Contact:
    submit(client, "/guide", {"first_name": "Quentinpurge", "email": "q.purge@example.com",
                              "relationship": "self", "topics": ["treatment"],
                              "deliver_email": "y"})  # fmt: skip
    contact = db_session.scalars(select(Contact)).one()
    db_session.execute(update(EmailDelivery).values(status="sent", sent_at=utcnow()))
    long_ago = utcnow() - timedelta(days=500)
    for model in (Contact, GuideRequest, EmailDelivery):
        column = model.id if model is Contact else model.contact_id
        db_session.execute(update(model).where(column == contact.id).values(updated_at=long_ago))
    return contact


def test_a_dry_run_counts_and_changes_nothing_then_the_run_erases(app, client, db_session):
    contact = _guide_sent_long_ago(client, db_session)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["data", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be erased" in dry.output and "contacts: 1" in dry.output
    assert "Quentinpurge" not in dry.output and "q.purge" not in dry.output
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is None

    run = runner.invoke(args=["data", "purge"])
    assert run.exit_code == 0, run.output
    assert "contacts: 1" in run.output and "cases erased: 1" in run.output
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is not None
    again = runner.invoke(args=["data", "purge"])
    assert "contacts: 0" in again.output


def test_a_longer_period_keeps_them_and_a_silly_one_is_refused(app, client, db_session):
    contact = _guide_sent_long_ago(client, db_session)
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["data", "purge", "--days", "730"])
    assert kept.exit_code == 0 and "contacts: 0" in kept.output
    refused = runner.invoke(args=["data", "purge", "--days", "0"])
    assert refused.exit_code != 0 and "at least 1 day" in refused.output
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is None
