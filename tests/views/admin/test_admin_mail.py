"""Admin mail pages: failed emails with resend, printed copies, the local mailbox."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select, update

from intake.mail import mailbox
from intake.models import AuditEvent, EmailDelivery, FulfilmentItem, OutboxMessage
from tests.conftest import GOOD_GUIDE, submit
from tests.views.conftest import csrf_token, post_form

POSTAL = {
    "deliver_mail": "y", "address_line1": '=HYPERLINK("http://evil")', "city": "Springfield",
    "state": "IL", "postal_zip": "62701",
}  # fmt: skip


def _actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_failed_and_unknown_emails_are_listed_and_can_be_resent(client, db_session, login_as):
    submit(client, "/guide", GOOD_GUIDE)
    delivery = db_session.scalars(select(EmailDelivery)).one()
    db_session.execute(
        update(EmailDelivery)
        .where(EmailDelivery.id == delivery.id)
        .values(status="failed", attempts=8, reason="refused after 8 tries: transient at end")
    )
    login_as("admin")
    page = client.get("/admin/emails")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "refused after 8 tries" in html and "r•••@example.com" in html
    assert "robert.oneil@example.com" not in html  # masked on the list
    response = post_form(client, f"/admin/emails/{delivery.id}/resend", token_from="/admin/emails")
    assert response.status_code == 303
    db_session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    sends = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == "emails.send")
    ).all()
    assert len(sends) == 2  # the first job, and the resend's
    assert _actions(db_session)[-2:] == ["emails.view_failed", "email.resend"]
    again = post_form(client, f"/admin/emails/{delivery.id}/resend", token_from="/admin/emails")
    assert again.status_code == 303 and len(db_session.scalars(select(OutboxMessage)).all()) == 2


def test_printed_copies_are_listed_marked_mailed_and_exported_safely(client, db_session, login_as):
    submit(client, "/guide", GOOD_GUIDE, **POSTAL)
    login_as("admin")
    html = client.get("/admin/fulfilment").get_data(as_text=True)
    assert "Robert" in html and "Springfield, IL 62701" in html
    export = client.get("/admin/fulfilment/export")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][:2] == ["item", "name"] and rows[1][2] == '\'=HYPERLINK("http://evil")'
    item = db_session.scalars(select(FulfilmentItem)).one()
    marked = post_form(
        client, "/admin/fulfilment/mailed", {"item": str(item.id)}, token_from="/admin/fulfilment"
    )
    assert marked.status_code == 303
    db_session.refresh(item)
    assert item.status == "mailed" and item.mailed_at is not None
    assert _actions(db_session)[-4:] == [  # (post_form opens the page again for its token)
        "fulfilment.view", "fulfilment.export", "fulfilment.view", "fulfilment.mark_mailed",
    ]  # fmt: skip


def test_advocates_cannot_see_mail_pages(client, db_session, login_as):
    login_as("advocate")
    for path in (
        "/admin/emails",
        "/admin/fulfilment",
        "/admin/fulfilment/export",
        "/admin/mailbox",
    ):
        assert client.get(path).status_code == 403, path


@pytest.fixture
def local_mailbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOCAL_MAILBOX", True)
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path / "mailbox"))
    return Path(tmp_path / "mailbox")


def _sample() -> bytes:
    from intake.mail import compose

    message = compose.build(
        mail_from="Support <support@example.org>", to_name="Maria", to_address="m@example.com",
        subject="Your free mesothelioma guide", text="Dear Maria",
        html="<p>Dear Maria</p><script>alert(1)</script>", msg_id="<1@example.org>",
        unsubscribe_url="https://example.org/u/T", unsubscribe_mailto_url="mailto:u@example.org",
        attachments=(compose.Attachment("mesothelioma-guide.pdf", b"%PDF-1.7 test"),),
    )  # fmt: skip
    return message.data


def test_the_local_mailbox_shows_messages_safely(client, db_session, login_as, local_mailbox):
    message_id = mailbox.store(local_mailbox, _sample())
    login_as("admin")
    listing = client.get("/admin/mailbox").get_data(as_text=True)
    assert "Your free mesothelioma guide" in listing
    page = client.get(f"/admin/mailbox/{message_id}").get_data(as_text=True)
    assert "<iframe" in page and "sandbox" in page and "Dear Maria" in page
    assert "mesothelioma-guide.pdf" in page
    framed = client.get(f"/admin/mailbox/{message_id}/html")
    assert framed.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in framed.headers["Content-Security-Policy"]
    assert client.get("/admin/mailbox/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/admin/mailbox/{message_id}/attachments/5").status_code == 404
    assert client.get(f"/admin/mailbox/{message_id}/attachments/5/download").status_code == 404


def test_the_guide_pdf_opens_in_the_browser_and_can_be_downloaded(
    client, db_session, login_as, local_mailbox
):
    message_id = mailbox.store(local_mailbox, _sample())
    login_as("admin")
    page = client.get(f"/admin/mailbox/{message_id}").get_data(as_text=True)
    opened = client.get(f"/admin/mailbox/{message_id}/attachments/0")
    assert opened.get_data() == b"%PDF-1.7 test" and opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"] == 'inline; filename="mesothelioma-guide.pdf"'
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert opened.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in opened.headers["Content-Security-Policy"]
    saved = client.get(f"/admin/mailbox/{message_id}/attachments/0/download")
    assert saved.get_data() == b"%PDF-1.7 test"
    assert saved.headers["Content-Disposition"] == 'attachment; filename="mesothelioma-guide.pdf"'
    assert saved.headers["Content-Security-Policy"].startswith("sandbox;")
    for link in (f"/admin/mailbox/{message_id}/attachments/0",
                 f"/admin/mailbox/{message_id}/attachments/0/download"):  # fmt: skip
        assert f'href="{link}"' in page


def test_an_attachment_of_another_kind_is_only_ever_downloaded(
    client, db_session, login_as, local_mailbox
):
    from intake.mail import compose

    message = compose.build(
        mail_from="Support <support@example.org>", to_name="Maria", to_address="m@example.com",
        subject="A page", text="Dear Maria", html="<p>Dear Maria</p>", msg_id="<2@example.org>",
        unsubscribe_url="https://example.org/u/T", unsubscribe_mailto_url="mailto:u@example.org",
        attachments=(compose.Attachment("page.html", b"<script>1</script>", "text", "html"),),
    )  # fmt: skip
    message_id = mailbox.store(local_mailbox, message.data)
    login_as("admin")
    opened = client.get(f"/admin/mailbox/{message_id}/attachments/0")
    assert opened.status_code == 200
    assert opened.headers["Content-Disposition"].startswith("attachment;")
    assert opened.headers["Content-Security-Policy"].startswith("sandbox;")


def test_the_mailbox_is_a_404_when_mail_goes_to_a_real_server(client, db_session, login_as, app,
                                                             monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "LOCAL_MAILBOX", False)
    login_as("admin")
    assert client.get("/admin/mailbox").status_code == 404
    assert "Mailbox" not in client.get("/admin/").get_data(as_text=True)


def test_csrf_is_needed_to_resend(client, db_session, login_as):
    login_as("admin")
    token = csrf_token(client, "/admin/emails")
    assert token
    assert client.post("/admin/emails/1/resend").status_code == 400


def _password_link_in_mailbox(app, db_session, folder: Path, user) -> tuple[str, str]:
    """The worker emails ``user`` a set-your-password link into the local mailbox: (id, token)."""
    import re

    from intake.services.staff import staff_accounts
    from tests.services.email.test_emails import FakeTransport

    transport = FakeTransport()
    assert staff_accounts.email_link(db_session, user.id, transport)
    token = re.search(rb"/staff/set-password/([A-Za-z0-9_-]+)", transport.sent[-1]).group(1)
    return mailbox.store(folder, transport.sent[-1]), token.decode()


def test_another_admins_password_link_is_never_shown_to_an_admin(
    app, client, db_session, login_as, local_mailbox
):
    from tests.views.conftest import make_user, sign_in

    target = make_user(db_session, "admin", "second.admin@staff.example.org")
    message_id, token = _password_link_in_mailbox(app, db_session, local_mailbox, target)
    login_as("admin")  # the first admin, who must not take the second one's account over

    page = client.get(f"/admin/mailbox/{message_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set your staff password" in html  # the page was rendered
    assert token not in html and "/staff/set-password/" not in html
    assert "shown to nobody else" in html
    listing = client.get("/admin/mailbox").get_data(as_text=True)
    assert "Set your staff password" in listing and "second.admin@staff.example.org" in listing
    assert "its text is for its addressee only" in listing
    assert client.get(f"/admin/mailbox/{message_id}/html").status_code == 404
    assert client.get(f"/admin/mailbox/{message_id}/attachments/0").status_code == 404
    assert ("mailbox.view", {"withheld": True}) in [
        (e.action, e.detail) for e in db_session.scalars(select(AuditEvent))
    ]

    own = app.test_client()  # its addressee reads it whole
    assert sign_in(own, db_session, target).status_code == 303
    assert token in own.get(f"/admin/mailbox/{message_id}").get_data(as_text=True)


def test_a_patients_email_stays_readable_beside_staff_mail(
    app, client, db_session, login_as, local_mailbox
):
    from tests.views.conftest import make_user

    advocate = make_user(db_session, "advocate", "new.advocate@staff.example.org")
    staff_id, token = _password_link_in_mailbox(app, db_session, local_mailbox, advocate)
    patient_id = mailbox.store(local_mailbox, _sample())
    login_as("admin")
    assert "Dear Maria" in client.get(f"/admin/mailbox/{patient_id}").get_data(as_text=True)
    assert token not in client.get(f"/admin/mailbox/{staff_id}").get_data(as_text=True)
    listing = client.get("/admin/mailbox").get_data(as_text=True)
    assert listing.count("its text is for its addressee only") == 1


def test_an_international_address_the_form_took_fails_clearly_then_goes_where_it_can(
    client, db_session, login_as, smtp, monkeypatch
):
    """The forms take josé@ejemplo.es (email-validator allows SMTPUTF8): the whole way through.

    A server without SMTPUTF8 cannot take it: the email fails once, with its
    reason on the admins' page.  Resent once the server offers SMTPUTF8 (and
    not 8BITMIME), the guide email arrives, its text quoted-printable (the
    real composer; only the PDF is a stand-in: a process's first guide
    takes about 18 s to lay out).
    """
    from intake.services import outgoing
    from intake.services.email import guides

    monkeypatch.setattr(guides, "render_parts_for_request", lambda *_: (b"%PDF-1.7", b"\n"))

    submit(client, "/guide", GOOD_GUIDE, email="José@Ejemplo.es", language="es")
    delivery = db_session.scalars(select(EmailDelivery)).one()
    assert delivery.contact.email == "josé@ejemplo.es"
    assert outgoing.send_delivery(db_session, delivery.id) == "failed"
    login_as("admin")
    html = client.get("/admin/emails").get_data(as_text=True)
    assert "not sent: the mail server does not accept international addresses (SMTPUTF8)" in html
    assert "j•••@ejemplo.es" in html and smtp.mail_commands == []
    post_form(client, f"/admin/emails/{delivery.id}/resend", token_from="/admin/emails")
    smtp.script.smtputf8, smtp.script.eightbitmime = True, False
    outgoing.transport().close()  # a new connection, to the server as it is now
    assert outgoing.send_delivery(db_session, delivery.id) == "sent"
    [envelope] = smtp.envelopes
    assert (envelope.rcpt_tos, envelope.mail_options) == (["josé@ejemplo.es"], ["SMTPUTF8"])
    [message] = smtp.messages
    text = message.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Gracias por pedir nuestra guía" in text.get_content()
    assert "josé@ejemplo.es".encode() in smtp.raw[0]
