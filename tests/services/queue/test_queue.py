"""The callback queue: items in, claim order, skills, leases, what each outcome does, caps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intake.models import CallAttempt, ConsentRecord, EmailDelivery, OutboxMessage, QueueItem
from intake.services.inbox import callbacks, leads
from intake.services.people.contacts import CaseFacts, Person
from intake.services.queue import claims, outcomes, queue
from intake.services.staff import auth

# Monday 30 November 2026, 10:00 in New York: inside every calling window
MONDAY_10_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
ZONES = {"NY": ("10001", "America/New_York"), "FL": ("33101", "America/New_York"),
         "CA": ("94103", "America/Los_Angeles"), "HI": ("96813", "Pacific/Honolulu")}  # fmt: skip
_serial = iter(range(10_000))


def advocate(session, skills=(), email=None):
    return auth.create_user(
        session, email or f"adv{next(_serial)}@staff.example.org", "advocate",
        "correct horse battery staple", "Advocate", skills,
    )  # fmt: skip


def ask(session, *, state="NY", language="en", stage=None, veteran=None, best_time="asap",
        email_fallback=False, phone=None, now=MONDAY_10_NY) -> QueueItem:  # fmt: skip
    """A new person asks for a call; the queue job runs: their item."""
    n = next(_serial)
    zip_code, zone = ZONES[state]
    form = leads.CallbackSubmission(
        submission_key=str(uuid.uuid4()),
        person=Person(
            first_name=f"Caller{n}",
            email=f"caller{n}@example.com",
            phone=phone or f"+1212555{n:04d}",
        ),  # fmt: skip
        case=CaseFacts(
            relationship="self",
            zip=zip_code,
            state=state,
            timezone=zone,
            stage=stage,
            veteran=veteran,
            diagnosis_type="pleural",
        ),  # fmt: skip
        best_time=best_time,
        language=language,
        email_fallback=email_fallback,
    )
    outcome = leads.submit_callback_request(session, form, leads.Receipt(at=now))
    request = outcome.request
    session.flush()
    item = session.scalars(
        select(QueueItem).where(QueueItem.callback_request_id == request.id)
    ).first()
    if item is None:
        request.status = "received"
        assert callbacks.queue_callback(session, request.id)
        item = session.scalars(
            select(QueueItem).where(QueueItem.callback_request_id == request.id)
        ).one()
    # make it callable from a fixed instant, as if queued then
    queue.schedule(item, session, now, best_time)
    session.flush()
    return item


def claim(session, who, now=MONDAY_10_NY, uncovered=frozenset()):
    return claims.claim_next(session, who, now, uncovered).item


def test_a_request_becomes_one_item_and_asking_again_never_makes_a_second(db_session):
    item = ask(db_session, best_time="asap")
    assert item.status == "queued" and item.callable_from == MONDAY_10_NY
    assert (item.state, item.timezone, item.attempts) == ("NY", "America/New_York", 0)
    again = leads.submit_callback_request(
        db_session,
        leads.CallbackSubmission(
            submission_key=str(uuid.uuid4()),
            person=Person(
                first_name="Again", email=item.contact.email, phone=item.contact.phone
            ),  # the same email and phone: the same person
            case=CaseFacts(relationship="self"),
            best_time="evening",
            language="es",
        ),
    )
    assert not again.created
    db_session.refresh(item)
    assert db_session.scalar(select(func.count()).select_from(QueueItem)) == 1
    assert (item.best_time, item.language) == ("evening", "es")


def test_someone_else_with_the_number_rides_on_the_call_without_changing_it(db_session):
    item = ask(db_session, best_time="asap")
    other = leads.submit_callback_request(
        db_session,
        leads.CallbackSubmission(
            submission_key=str(uuid.uuid4()),
            person=Person(first_name="Stranger", phone=item.contact.phone),
            case=CaseFacts(
                relationship="self", zip="33101", state="FL", timezone="America/New_York"
            ),  # fmt: skip
            best_time="evening",
            language="es",
        ),
    )
    assert other.created and other.request.contact_id != item.contact_id
    assert callbacks.queue_callback(db_session, other.request.id)
    db_session.refresh(item)
    assert db_session.scalar(select(func.count()).select_from(QueueItem)) == 1
    assert (item.best_time, item.language, item.state) == ("asap", "en", "NY")  # unchanged
    assert other.request.joined_item_id == item.id and other.request.status == "queued"
    queue.close(db_session, item, "completed", "reached", MONDAY_10_NY)
    db_session.refresh(other.request)
    assert other.request.status == "closed"  # the one call to the number answered both


def test_a_night_request_is_callable_from_eight_in_the_morning_their_time(db_session):
    night = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 11:30 PM in New York
    item = ask(db_session, now=night)
    assert item.callable_from == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 8:00 AM EST
    assert claim(db_session, advocate(db_session), now=night) is None


def test_a_request_in_calling_hours_is_claimable_at_once_not_at_the_next_minute(db_session):
    """Speed to lead: 10:00:30 in hours means callable at 10:00:30, not held until 10:01."""
    asked = MONDAY_10_NY + timedelta(seconds=30)
    item = ask(db_session, now=asked)
    assert item.callable_from == asked
    assert claim(db_session, advocate(db_session), now=asked + timedelta(seconds=1)) is not None


def test_claim_order_first_attempts_late_ones_then_urgency_then_age(db_session):
    who = advocate(db_session)
    old = ask(db_session, now=MONDAY_10_NY - timedelta(minutes=3))
    late = ask(db_session, now=MONDAY_10_NY - timedelta(minutes=7))
    stage_4 = ask(
        db_session, stage="4", best_time="morning", now=MONDAY_10_NY - timedelta(minutes=1)
    )
    retry = ask(db_session, now=MONDAY_10_NY - timedelta(hours=3))
    retry.attempts = 1
    db_session.flush()
    order = [claim(db_session, who).id for _ in range(4)]
    assert order == [late.id, stage_4.id, old.id, retry.id]


def test_skills_route_spanish_and_veterans_first_and_relax_after_a_wait(db_session):
    spanish = advocate(db_session, skills=["es"])
    english = advocate(db_session)
    plain = ask(db_session, now=MONDAY_10_NY - timedelta(minutes=2))
    hola = ask(db_session, language="es", now=MONDAY_10_NY)
    assert claim(db_session, spanish).id == hola.id  # theirs first, though newer
    veteran = ask(db_session, veteran=True, now=MONDAY_10_NY)
    vet_advocate = advocate(db_session, skills=["va"])
    assert claim(db_session, vet_advocate).id == veteran.id
    later_es = ask(db_session, language="es", now=MONDAY_10_NY)
    assert claim(db_session, english).id == plain.id  # not the Spanish call, yet
    assert claim(db_session, english) is None
    relaxed = MONDAY_10_NY + claims.SKILL_RELAX
    assert claim(db_session, english, now=relaxed).id == later_es.id  # anyone, after a wait


def test_when_no_one_on_shift_has_the_skill_anyone_may_take_it_at_once(db_session):
    english = advocate(db_session)
    hola = ask(db_session, language="es")
    assert claim(db_session, english) is None
    assert claim(db_session, english, uncovered=frozenset({"es"})).id == hola.id


def test_a_claim_holds_a_lease_and_an_abandoned_one_returns_to_the_queue(db_session):
    first, second = advocate(db_session), advocate(db_session)
    item = ask(db_session)
    assert claim(db_session, first).id == item.id
    assert item.lease_expires_at == MONDAY_10_NY + queue.LEASE
    assert claim(db_session, second) is None  # no two advocates ever hold the same item
    assert queue.expire_leases(db_session, MONDAY_10_NY + timedelta(minutes=19)) == 0
    assert queue.expire_leases(db_session, MONDAY_10_NY + timedelta(minutes=21)) == 1
    db_session.refresh(item)
    assert item.status == "queued" and item.claimed_by_id is None
    assert claim(db_session, second, now=MONDAY_10_NY + timedelta(minutes=21)).id == item.id


def test_a_revoked_consent_found_at_claim_time_cancels_the_item(db_session):
    item = ask(db_session)
    for record in db_session.scalars(select(ConsentRecord)):
        record.revoked_at = MONDAY_10_NY
    db_session.flush()
    assert claim(db_session, advocate(db_session)) is None
    db_session.refresh(item)
    assert (item.status, item.close_reason) == ("cancelled", "no_consent")


def test_a_window_that_closed_since_moves_the_item_at_claim_time(db_session):
    item = ask(db_session, best_time="morning")
    afternoon = MONDAY_10_NY + timedelta(hours=4)  # 2 PM: the morning window has closed
    assert claim(db_session, advocate(db_session), now=afternoon) is None
    db_session.refresh(item)
    assert item.callable_from == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # Tuesday 8 AM


def _log(session, item, who, outcome, **kwargs):
    return outcomes.record(
        session, item, who, outcome, now=kwargs.pop("now", MONDAY_10_NY), **kwargs
    )


def test_no_answer_retries_later_with_a_growing_gap_then_exhausts_and_emails(db_session):
    who = advocate(db_session)
    item = ask(db_session, email_fallback=True)
    now = MONDAY_10_NY
    gaps = []
    for n in range(6):
        assert claim(db_session, who, now=now).id == item.id
        logged = _log(db_session, item, who, "no_answer" if n % 2 else "left_voicemail", now=now)
        if n < 5:
            assert logged.status == "retry_scheduled"
            gaps.append(logged.callable_from - now)
            now = logged.callable_from
    assert logged.status == "exhausted" and logged.email_queued
    assert gaps[0] >= timedelta(minutes=30) and gaps[1] >= timedelta(hours=2)
    assert db_session.scalar(select(func.count()).select_from(CallAttempt)) == 6
    delivery = db_session.scalars(select(EmailDelivery)).one()
    assert delivery.purpose == "callback_unreachable"


def test_floridas_cap_of_three_attempts_a_day_holds(db_session):
    who = advocate(db_session)
    item = ask(db_session, state="FL")
    now = MONDAY_10_NY
    for _ in range(3):
        assert claim(db_session, who, now=now).id == item.id
        logged = _log(db_session, item, who, "no_answer", now=now)
        now = max(logged.callable_from, now)
    # the fourth may not come within 24 hours of the first
    assert logged.callable_from >= MONDAY_10_NY + timedelta(hours=24)


def test_call_back_later_is_exactly_the_time_chosen_and_refused_outside_hours(db_session):
    who = advocate(db_session)
    item = ask(db_session)
    claim(db_session, who)
    night = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10 PM in New York
    with pytest.raises(outcomes.OutcomeError) as refused:
        _log(db_session, item, who, "call_back_later", scheduled_for=night)
    assert refused.value.field == "scheduled_for" and "first allowed time" in refused.value.message
    three_pm = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    logged = _log(db_session, item, who, "call_back_later", scheduled_for=three_pm)
    assert logged.callable_from == three_pm and item.preferred_advocate_id == who.id
    other = advocate(db_session)
    assert claim(db_session, other, now=three_pm) is None  # it waits for its advocate first
    assert claim(db_session, who, now=three_pm).id == item.id


def test_asked_not_to_be_called_revokes_the_consent_and_cancels_the_call(db_session):
    who = advocate(db_session)
    item = ask(db_session, email_fallback=True)
    claim(db_session, who)
    _log(db_session, item, who, "do_not_call")
    records = {r.purpose: r.revoked_at for r in db_session.scalars(select(ConsentRecord))}
    assert records["advocate_calls"] is not None and records["followup_emails"] is None
    assert item.status == "cancelled" and item.contact.do_not_call


def test_wrong_number_closes_and_flags_the_number(db_session):
    who = advocate(db_session)
    item = ask(db_session)
    claim(db_session, who)
    _log(db_session, item, who, "wrong_number")
    assert item.status == "cancelled" and item.contact.phone_wrong


def test_deceased_stops_every_call_and_email_for_the_whole_case(db_session):
    who = advocate(db_session)
    item = ask(db_session, email_fallback=True)
    from intake.services.email import emails

    emails.queue_email(db_session, item.contact, "guide", 999)
    claim(db_session, who)
    _log(db_session, item, who, "deceased", note="His wife Ana answered.")
    assert item.callback_request.case.deceased_at == MONDAY_10_NY
    assert item.status == "cancelled" and item.close_reason == "deceased"
    assert {d.status for d in db_session.scalars(select(EmailDelivery))} == {"suppressed"}
    attempt = db_session.scalars(select(CallAttempt)).one()
    assert attempt.note == "His wife Ana answered."


def test_reached_with_a_follow_up_call_schedules_one(db_session):
    who = advocate(db_session)
    item = ask(db_session)
    claim(db_session, who)
    with pytest.raises(outcomes.OutcomeError):
        _log(db_session, item, who, "reached")  # the next step must be chosen
    tomorrow = MONDAY_10_NY + timedelta(days=1)
    logged = _log(db_session, item, who, "reached", next_step="follow_up_call",
                  scheduled_for=tomorrow)  # fmt: skip
    assert logged.status == "retry_scheduled" and item.callable_from == tomorrow
    claim(db_session, who, now=tomorrow)
    _log(db_session, item, who, "reached", next_step="specialist_referral", now=tomorrow)
    assert item.status == "completed" and item.callback_request.status == "closed"


def test_only_the_claim_holder_may_log_an_outcome(db_session):
    holder, other = advocate(db_session), advocate(db_session)
    item = ask(db_session)
    claim(db_session, holder)
    with pytest.raises(outcomes.OutcomeError):
        _log(db_session, item, other, "no_answer")


def test_a_queue_job_for_a_request_runs_its_effect_once(db_session):
    item = ask(db_session)
    assert not callbacks.queue_callback(db_session, item.callback_request_id)
    assert db_session.scalar(select(func.count()).select_from(QueueItem)) == 1
    jobs = db_session.scalars(select(OutboxMessage.task_name)).all()
    assert jobs.count("callbacks.enqueue") == 1


def test_the_we_tried_to_reach_you_email_is_written_and_sent_once(app, db_session):
    import email

    from intake.services.email import emails, notices
    from tests.services.email.test_emails import POLICY, FakeTransport

    who = advocate(db_session)
    item = ask(db_session, email_fallback=True)
    now = MONDAY_10_NY
    for _ in range(6):
        claim(db_session, who, now=now)
        logged = _log(db_session, item, who, "no_answer", now=now)
        now = logged.callable_from or now
    delivery = db_session.scalars(select(EmailDelivery)).one()
    transport = FakeTransport()
    with app.test_request_context():
        sent = emails.send(db_session, delivery.id, notices.compose_unreachable, transport, POLICY)
    assert sent == "sent" and len(transport.sent) == 1
    message = email.message_from_bytes(transport.sent[0], policy=email.policy.default)
    assert message["Subject"] == "We tried to reach you"
    text = message.get_body(("plain",)).get_content()
    assert "could not reach you" in text and "/unsubscribe/" in text


def test_first_calls_past_the_target_are_flagged_once_and_the_admins_on_duty_told(app, db_session):
    from intake.models import StaffAlert
    from intake.services.queue import sla
    from tests.services.email.test_emails import FakeTransport

    auth.create_user(db_session, "boss@staff.example.org", "admin", "a long admin password")
    late = ask(db_session, now=MONDAY_10_NY - timedelta(minutes=6))
    ask(db_session, now=MONDAY_10_NY - timedelta(minutes=2))
    assert sla.late_now(db_session, MONDAY_10_NY) == 1
    assert sla.check(db_session, MONDAY_10_NY) == 1
    assert sla.check(db_session, MONDAY_10_NY) == 0  # counted once
    assert late.sla_breached_at == MONDAY_10_NY
    alert = db_session.scalars(select(StaffAlert)).one()
    job = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == "queue.alert_admins")
    ).one()
    assert job.args == [alert.id]
    transport = FakeTransport()
    with app.test_request_context():
        assert sla.send_alert(db_session, alert.id, transport)
        assert not sla.send_alert(db_session, alert.id, transport)  # once
    [message] = transport.sent
    assert b"boss@staff.example.org" in message and b"1 callback request(s)" in message
    assert b"Caller" not in message  # no personal data in an alert
