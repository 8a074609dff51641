"""Rotating the data key: old keys keep reading, look-ups keep finding, ``keys rotate`` re-seals.

Data is sealed under key A through the real forms and services; the config
then moves to current B with A retired-but-readable, ``intake keys rotate``
re-seals every sealed column (checked on the raw bytes), and A is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from intake import config, crypto
from intake.models import Base, CallAttempt, CallbackRequest, Contact, GuideRequest
from intake.models.consent import PURPOSE_ADVOCATE_CALLS
from intake.services.directory import match_query, specialists
from intake.services.ops import keys
from intake.services.people import consent
from intake.services.people.contacts import Person, email_hash, find_contact, phone_hash
from intake.services.queue import queue
from intake.services.staff import auth
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, submit
from tests.test_crypto import new_key, seal_v1

A, B = new_key(), new_key()
PHONE, EMAIL = "+12125550143", "maria.lopez@example.com"
# columns the seeded data fills (others, e.g. users.totp_pending, may stay empty)
FILLED = {
    "contacts.first_name", "contacts.last_name", "contacts.email", "contacts.phone",
    "cases.diagnosis_type", "cases.stage", "cases.veteran", "cases.zip",
    "consent_records.covers", "consent_records.ip_address", "submissions.payload",
    "guide_requests.postal_address", "case_matches.distance_miles", "case_matches.reasons",
    "case_matches.summary", "users.totp_secret", "call_attempts.note",
}  # fmt: skip
PERSONAL = ("Maria", "Lopez", "maria.lopez", "5550143", "Robert", "O'Neil", "Elm Street", "62701")


@pytest.fixture
def use_keys() -> Iterator[Any]:
    """Switch the process-wide ring as a restarted app with other settings would."""
    saved = crypto._keys

    def use(current: str, old: tuple[str, ...] = (), hash_key: str | None = None) -> None:
        crypto.configure(current, old, hash_key)

    yield use
    crypto._keys = saved


@pytest.fixture
def sealed_under_a(client, db_session, use_keys) -> dict[tuple[str, str, int], bytes]:
    """Every kind of sealed value, written under key A; returns the raw bytes."""
    use_keys(A)
    specialists.load_demo(db_session)
    match_query.invalidate()
    submit(client, "/callback", GOOD_CALLBACK)
    submit(client, "/guide", GOOD_GUIDE, deliver_mail="y", address_line1="12 Elm Street",
           city="Springfield", state="IL", postal_zip="62701")  # fmt: skip
    item = queue.enqueue(db_session, db_session.scalars(select(CallbackRequest)).one())
    match_query.record_case_matches(db_session, item.callback_request.case_id)
    user = auth.create_user(
        db_session, "advocate@staff.example.org", "advocate", "correct horse battery staple"
    )
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    attempt = CallAttempt(queue_item_id=item.id, phone_hash=item.phone_hash, outcome="no_answer")
    db_session.add(attempt)
    db_session.flush()
    # one value as the code before key ids wrote it: rotation must carry it too
    _write_raw(
        db_session,
        "call_attempts",
        "note",
        attempt.id,
        seal_v1(A, "left a message", "call_attempts.note"),
    )
    match_query.invalidate()
    values = raw_values(db_session)
    assert {f"{table}.{column}" for table, column, _ in values} >= FILLED
    return values


def _write_raw(session, table_name: str, column: str, row_id: int, value: bytes) -> None:
    table = next(t for t in keys.sealed_tables() if t.name == table_name)
    raw = table.raw
    session.execute(raw.update().where(raw.c[table.key] == row_id).values({column: value}))


def raw_values(session) -> dict[tuple[str, str, int], bytes]:
    """Every non-null sealed value in the database, as stored."""
    found = {}
    for table in keys.sealed_tables():
        raw = table.raw
        for name, _ in table.columns:
            query = select(raw.c[table.key], raw.c[name]).where(raw.c[name].is_not(None))
            for row_id, value in session.execute(query):
                found[(table.name, name, row_id)] = bytes(value)
    return found


def plaintexts(session) -> dict[tuple[str, str, int], str]:
    """Every sealed value opened with the configured ring."""
    contexts = {
        (t.name, name): context for t in keys.sealed_tables() for name, context in t.columns
    }
    return {
        where: crypto.decrypt(value, contexts[where[:2]])
        for where, value in raw_values(session).items()
    }


def contact_by_phone(session, phone: str) -> Contact | None:
    """The contact found by the keyed hash of its phone (a look-up, not an identity)."""
    return session.scalars(select(Contact).where(Contact.phone_hash == phone_hash(phone))).first()


def assert_lookups_work(session) -> None:
    by_phone = session.scalars(select(Contact).where(Contact.phone_hash == phone_hash(PHONE))).one()
    by_email = session.scalars(select(Contact).where(Contact.email_hash == email_hash(EMAIL)))
    assert by_phone in by_email.all()
    assert find_contact(session, Person(first_name="x", email=EMAIL, phone=PHONE)) is by_phone
    assert by_phone.first_name == "Maria" and by_phone.phone == PHONE
    assert consent.has_consent(session, PURPOSE_ADVOCATE_CALLS, "phone", PHONE)


def run(app, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["keys", *args])


def test_rotation_end_to_end(app, db_session, sealed_under_a, use_keys):
    use_keys(A)
    before = plaintexts(db_session)
    assert_lookups_work(db_session)

    use_keys(B, (A,), hash_key=A)  # the new key, A still opens, hashes unchanged
    db_session.expire_all()
    assert plaintexts(db_session) == before
    assert_lookups_work(db_session)
    contact = contact_by_phone(db_session, PHONE)
    assert contact is not None
    contact.last_name = "Lopez-Garcia"  # written now: sealed by B before any rotation
    db_session.flush()
    key = ("contacts", "last_name", contact.id)
    before[key] = "Lopez-Garcia"
    sealed_by_b = raw_values(db_session)[key]

    result = run(app, "rotate", "--batch", "2")
    assert result.exit_code == 0, result.output
    assert "contacts: nothing to re-seal" not in result.output
    assert "case_matches: 2/5 rows" in result.output and "case_matches: 5/5 rows" in result.output
    after = raw_values(db_session)
    assert after.keys() == sealed_under_a.keys()
    header_b = crypto.keys().current.header
    assert all(value.startswith(header_b) for value in after.values())
    assert after[key] == sealed_by_b  # already current: left alone

    use_keys(B, hash_key=A)  # A retired
    db_session.expire_all()
    assert plaintexts(db_session) == before
    assert_lookups_work(db_session)
    assert db_session.scalars(select(GuideRequest)).one().postal_address["city"] == "Springfield"
    assert db_session.scalars(select(CallAttempt)).one().note == "left a message"


def test_rotating_again_changes_nothing(app, db_session, sealed_under_a, use_keys):
    use_keys(B, (A,), hash_key=A)
    assert run(app, "rotate").exit_code == 0
    first = raw_values(db_session)
    again = run(app, "rotate")
    assert again.exit_code == 0, again.output
    assert again.output.count("nothing to re-seal") == len(keys.sealed_tables())
    assert raw_values(db_session) == first


def test_a_stopped_rotation_keeps_its_batches_and_a_new_run_finishes(
    app, db_session, sealed_under_a, use_keys, monkeypatch
):
    use_keys(B, (A,), hash_key=A)
    header_b = crypto.keys().current.header
    real_reseal, calls = crypto.reseal, []

    def interrupted(blob: bytes, context: str) -> bytes:
        calls.append(context)
        if len(calls) == 12:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a batch
        return real_reseal(blob, context)

    monkeypatch.setattr(crypto, "reseal", interrupted)
    stopped = run(app, "rotate", "--batch", "1")
    assert stopped.exit_code == 130 and "Stopped" in stopped.output
    partly = raw_values(db_session)
    done = [where for where, value in partly.items() if value.startswith(header_b)]
    assert 0 < len(done) <= 11  # the committed batches, not the one interrupted

    monkeypatch.setattr(crypto, "reseal", real_reseal)
    resumed = run(app, "rotate", "--batch", "1")
    assert resumed.exit_code == 0, resumed.output
    assert all(value.startswith(header_b) for value in raw_values(db_session).values())
    assert all(partly[where] == raw_values(db_session)[where] for where in done)


def test_status_counts_values_by_key_and_prints_no_personal_data(
    app, db_session, sealed_under_a, use_keys
):
    use_keys(B, (A,), hash_key=A)
    id_a, id_b = (
        crypto.DataKeys.from_master(A).current.key_id.hex(),
        crypto.keys().current.key_id.hex(),
    )
    result = run(app, "status")
    assert result.exit_code == 0, result.output
    assert f"Current key {id_b}; old keys: {id_a}." in result.output
    assert "contact hashes checked, all match" in result.output
    assert "contacts.first_name: 2 old " + id_a in result.output
    assert "call_attempts.note: 1 format 1 (key not recorded)" in result.output
    assert "users.totp_pending: empty" in result.output
    assert "run `intake keys rotate`" in result.output
    for secret in (*PERSONAL, "JBSWY3DP", A, B):
        assert secret.lower() not in result.output.lower()

    run(app, "rotate")
    done = run(app, "status")
    assert done.exit_code == 0, done.output
    assert "contacts.first_name: 2 current" in done.output and f"old {id_a}" not in done.output
    assert "DATA_ENCRYPTION_OLD_KEYS can be emptied" in done.output


def test_status_fails_when_the_hash_key_changed_or_a_key_is_missing(
    app, db_session, sealed_under_a, use_keys
):
    use_keys(B, (A,))  # DATA_HASH_KEY forgotten: hashes now come from B
    wrong = run(app, "status")
    assert wrong.exit_code == 1
    assert "DATA_HASH_KEY is not the key the look-up hashes were made with" in wrong.output

    use_keys(B, hash_key=A)  # A dropped before rotating: its values are lost to this config
    missing = run(app, "status")
    assert missing.exit_code == 1 and "sealed by keys that are not configured" in missing.output
    rotate = run(app, "rotate")
    assert rotate.exit_code == 1
    assert "values open with no configured key (ids" in rotate.output
    assert "Maria" not in rotate.output + missing.output


def test_a_value_changed_while_rotating_is_not_overwritten(
    db_session, sealed_under_a, use_keys, monkeypatch
):
    use_keys(B, (A,), hash_key=A)
    contacts = next(t for t in keys.sealed_tables() if t.name == "contacts")
    contact = contact_by_phone(db_session, PHONE)
    assert contact is not None
    real_reseal = crypto.reseal

    def edited_meanwhile(blob: bytes, context: str) -> bytes:
        if context == "contacts.first_name":  # the app saves a correction between read and write
            fresh = crypto.encrypt("Mariana", context)
            _write_raw(db_session, "contacts", "first_name", contact.id, fresh)
        return real_reseal(blob, context)

    monkeypatch.setattr(crypto, "reseal", edited_meanwhile)
    result = keys.reseal_batch(db_session, contacts, None, 10)
    assert (result.rows, result.changed_meanwhile) == (2, 1)  # the other contact is re-sealed
    db_session.expire_all()
    assert contact.first_name == "Mariana"
    monkeypatch.setattr(crypto, "reseal", real_reseal)
    assert keys.reseal_batch(db_session, contacts, None, 10).resealed > 0
    assert keys.count_stale(db_session, contacts) == 0
    db_session.expire_all()
    assert contact.first_name == "Mariana" and contact.phone == PHONE


# ---------------------------------------------------------------- configuration


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", B)
    monkeypatch.delenv("DATA_ENCRYPTION_OLD_KEYS", raising=False)
    monkeypatch.delenv("DATA_HASH_KEY", raising=False)
    return monkeypatch


def test_old_keys_and_the_hash_key_are_read(production_env):
    production_env.setenv("DATA_ENCRYPTION_OLD_KEYS", f" {A}, ,{new_key()},")
    production_env.setenv("DATA_HASH_KEY", A)
    settings = config.load_settings()
    assert settings["DATA_ENCRYPTION_OLD_KEYS"][0] == A
    assert len(settings["DATA_ENCRYPTION_OLD_KEYS"]) == 2 and settings["DATA_HASH_KEY"] == A


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DATA_ENCRYPTION_OLD_KEYS", f"{A},x", "OLD_KEYS key 2 is not url-safe base64"),
        ("DATA_ENCRYPTION_OLD_KEYS", new_key()[:30], "OLD_KEYS key 1 must decode to 32 bytes"),
        ("DATA_ENCRYPTION_OLD_KEYS", "dBz0bI2InPsoUg5o_SNsVZGjKSwu8aLmGY4hnZjSLDY=", "published"),
        ("DATA_HASH_KEY", "c2hvcnQ=", "DATA_HASH_KEY must decode to 32 bytes"),
        ("DATA_ENCRYPTION_KEY", "c2hvcnQ=", "DATA_ENCRYPTION_KEY must decode to 32 bytes"),
    ],
)
def test_a_malformed_or_published_data_key_is_refused(production_env, name, value, says):
    production_env.setenv("DATA_HASH_KEY", A)
    production_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=says) as error:
        config.load_settings()
    assert value.split(",")[-1] not in str(error.value)


def test_old_keys_without_the_hash_key_are_refused(production_env):
    production_env.setenv("DATA_ENCRYPTION_OLD_KEYS", A)
    with pytest.raises(RuntimeError, match="DATA_HASH_KEY is not"):
        config.load_settings()


# ---------------------------------------------------------------- SQLite (the embedded mode)


def test_the_rotation_queries_run_on_sqlite(tmp_path, use_keys):
    """The byte comparisons and the census are plain SQL that SQLite runs as PostgreSQL does."""
    engine = create_engine(f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    Base.metadata.create_all(engine)
    use_keys(A)
    with Session(engine) as session:
        for number in range(5):
            phone = f"+1212555{number:04d}"
            session.add(
                Contact(first_name=f"Name {number}", phone=phone, phone_hash=phone_hash(phone))
            )
        session.flush()
        contacts = next(t for t in keys.sealed_tables() if t.name == "contacts")
        old = seal_v1(A, "Old Name", "contacts.last_name")
        _write_raw(session, "contacts", "last_name", 1, old)
        session.commit()

        use_keys(B, (A,), hash_key=A)
        id_a = crypto.DataKeys.from_master(A).current.key_id.hex()
        assert keys.census(session, contacts, "first_name") == {f"old {id_a}": 5}
        assert keys.census(session, contacts, "last_name") == {keys.V1: 1}
        assert keys.count_stale(session, contacts) == 5
        first = keys.reseal_batch(session, contacts, None, 2)
        session.commit()
        assert (first.rows, first.resealed, first.last_id) == (2, 5, 2)
        assert keys.count_stale(session, contacts) == 3
        rest = keys.reseal_batch(session, contacts, first.last_id, 10)
        session.commit()
        assert (rest.rows, rest.resealed, rest.unreadable) == (3, 6, [])
        assert keys.count_stale(session, contacts) == 0
        assert keys.census(session, contacts, "phone") == {"current": 5}

        use_keys(B, hash_key=A)
        session.expire_all()
        found = contact_by_phone(session, "+12125550001")
        assert found is not None and found.first_name == "Name 1"
        assert session.get(Contact, 1).last_name == "Old Name"
    engine.dispose()
