"""Print batches: the due printed guides as one PDF, a mailing list in its order, mailed at once.

The PDF is read back with poppler's ``pdftotext``: a page per form feed.
Each address sheet ends with "Batch B · i of n · copy C", which is where one
person's pack starts.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from typing import Any

from sqlalchemy import select

from intake.models import AuditEvent, FulfilmentItem, PrintBatch
from intake.services.email import print_batches
from intake.services.privacy import erasure
from tests.conftest import GOOD_GUIDE, submit
from tests.views.conftest import post_form

VETERAN = {
    "first_name": "Walter", "last_name": "Brennan", "email": "walter.brennan@example.com",
    "diagnosis_type": "pleural", "stage": "4", "veteran": "yes",
    "topics": ["treatment", "va_benefits"], "address_line1": "12 Harbor Road", "city": "Quincy",
    "state": "MA", "postal_zip": "02169",
}  # fmt: skip
PERITONEAL = {
    "first_name": "Dana", "last_name": "Whitfield", "email": "dana.whitfield@example.com",
    "diagnosis_type": "peritoneal", "stage": "1", "veteran": "no", "topics": ["treatment"],
    "address_line1": "400 Elm Street", "address_line2": "Apt 3B", "city": "Springfield",
    "state": "IL", "postal_zip": "62701",
}  # fmt: skip
SPANISH = {
    "first_name": "Lucía", "last_name": "Ramírez", "email": "lucia.ramirez@example.com",
    "diagnosis_type": "pleural", "stage": "2", "veteran": "no", "topics": ["financial"],
    "language": "es", "address_line1": "85 Calle Sol", "city": "Miami", "state": "FL",
    "postal_zip": "33101",
}  # fmt: skip
PEOPLE = (VETERAN, PERITONEAL, SPANISH)
SHEET_FOOT = re.compile(r"Batch (\d+) · (\d+) of (\d+) · copy (\d+)")


def ask_by_post(client: Any, person: dict[str, Any]) -> None:
    response = submit(client, "/guide", {**GOOD_GUIDE, **person, "deliver_mail": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def pdf_pages(pdf: bytes, tmp_path: Any) -> list[str]:
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")


def packs(pages: list[str]) -> list[tuple[re.Match[str], str]]:
    """Each person's pages joined, keyed by their sheet's footer, in the PDF's order."""
    starts = [(i, SHEET_FOOT.search(page)) for i, page in enumerate(pages)]
    sheets = [(i, found) for i, found in starts if found]
    ends = [i for i, _ in sheets[1:]] + [len(pages)]
    return [(found, "\f".join(pages[i:end])) for (i, found), end in zip(sheets, ends, strict=True)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def make_batch(client: Any, db_session: Any) -> PrintBatch:
    ids = [str(item.id) for item in db_session.scalars(select(FulfilmentItem))]
    made = post_form(client, "/admin/fulfilment/batches", {"item": ids}, "/admin/fulfilment")
    assert made.status_code == 303 and "/admin/fulfilment/batches/" in made.headers["Location"]
    return db_session.scalars(select(PrintBatch)).one()


def test_a_batch_of_three_is_one_pdf_of_their_own_guides_in_the_lists_order(
    client, db_session, login_as, tmp_path
):
    for person in PEOPLE:
        ask_by_post(client, person)
    login_as("admin")
    batch = make_batch(client, db_session)

    pdf = client.get(f"/admin/fulfilment/batches/{batch.id}/guides.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    listing = client.get(f"/admin/fulfilment/batches/{batch.id}/mailing-list.csv")
    rows = list(csv.DictReader(io.StringIO(listing.get_data(as_text=True))))
    assert [row["name"] for row in rows] == ["Walter Brennan", "Dana Whitfield", "Lucía Ramírez"]
    assert [row["position"] for row in rows] == ["1", "2", "3"]

    found = packs(pdf_pages(pdf.data, tmp_path))
    assert [int(foot.group(2)) for foot, _ in found] == [1, 2, 3]
    assert [int(foot.group(4)) for foot, _ in found] == [int(row["item"]) for row in rows]
    expected = [
        ("Walter Brennan", "Quincy, MA 02169", "Prepared for Walter Brennan",
         "Pleural mesothelioma · Stage 4", ("Benefits for veterans", "Stage 4")),
        ("Dana Whitfield", "Springfield, IL 62701", "Prepared for Dana Whitfield",
         "Peritoneal mesothelioma · Stage 1", ("Stages 1 and 2", "Treatment options")),
        ("Lucía Ramírez", "Miami, FL 33101", "Preparada para Lucía Ramírez",
         "Mesotelioma pleural · Etapa 2", ("Etapas 1 y 2", "Ayuda con los gastos")),
    ]  # fmt: skip
    names = [name for name, *_ in expected]
    for (_, text), (name, place, cover, diagnosis, chapters) in zip(found, expected, strict=True):
        text = flat(text)
        assert name in text and place in text and cover in text and diagnosis in text
        assert all(chapter in text for chapter in chapters), (name, chapters)
        assert not [other for other in names if other != name and other in text]
    assert "Benefits for veterans" not in flat(found[1][1])  # not a veteran, did not ask
    actions = list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "fulfilment.batch_pdf" in actions and "fulfilment.batch_export" in actions


def test_two_people_with_the_same_guide_each_get_their_own_name(
    client, db_session, login_as, tmp_path
):
    twin = {**PERITONEAL, "first_name": "Noor", "last_name": "Haddad",
            "email": "noor.haddad@example.com", "address_line1": "7 Pine Court"}  # fmt: skip
    ask_by_post(client, PERITONEAL)
    ask_by_post(client, twin)
    login_as("admin")
    batch = make_batch(client, db_session)
    pdf = client.get(f"/admin/fulfilment/batches/{batch.id}/guides.pdf").data
    first, second = (flat(text) for _, text in packs(pdf_pages(pdf, tmp_path)))
    assert "Prepared for Dana Whitfield" in first and "Noor" not in first
    assert "Prepared for Noor Haddad" in second and "Dana" not in second
    assert "400 Elm Street Apt 3B" in first and "7 Pine Court Apt 3B" in second


def test_a_batch_with_no_copies_left_says_so(client, db_session, login_as):
    ask_by_post(client, VETERAN)
    admin = login_as("admin")
    batch = make_batch(client, db_session)
    item = print_batches.items(db_session, batch)[0]
    erasure.erase_contact(db_session, item.guide_request.contact_id, "request", admin)
    response = client.get(f"/admin/fulfilment/batches/{batch.id}/guides.pdf")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This batch has no copies left to print." in page
    assert "No copies left in this batch" in page


def test_a_batch_leaves_the_waiting_list_and_is_marked_mailed_whole(client, db_session, login_as):
    ask_by_post(client, VETERAN)
    ask_by_post(client, PERITONEAL)
    login_as("admin")
    batch = make_batch(client, db_session)
    page = client.get("/admin/fulfilment").get_data(as_text=True)
    assert "0 copies waiting" in page and f"Batch {batch.id}</a>" in page
    shown = client.get(f"/admin/fulfilment/batches/{batch.id}").get_data(as_text=True)
    assert shown.index("Walter Brennan") < shown.index("Dana Whitfield")

    path = f"/admin/fulfilment/batches/{batch.id}/mailed"
    done = post_form(client, path, token_from=f"/admin/fulfilment/batches/{batch.id}")
    assert done.status_code == 303
    db_session.refresh(batch)
    statuses = set(db_session.scalars(select(FulfilmentItem.status)))
    assert statuses == {"mailed"} and batch.mailed_at is not None
    assert f"Batch {batch.id}</a>" not in client.get("/admin/fulfilment").get_data(as_text=True)


def test_a_copy_already_in_a_batch_is_never_put_in_another(client, db_session, login_as):
    ask_by_post(client, VETERAN)
    admin = login_as("admin")
    first = make_batch(client, db_session)
    item = db_session.scalars(select(FulfilmentItem)).one()
    again = post_form(client, "/admin/fulfilment/batches", {"item": str(item.id)},
                      "/admin/fulfilment")  # fmt: skip
    assert again.status_code == 303 and again.headers["Location"].endswith("/admin/fulfilment")
    assert db_session.scalars(select(PrintBatch)).all() == [first]
    try:
        print_batches.create(db_session, [item.id], admin)
    except print_batches.BatchRefused as refused:
        assert "still waiting" in str(refused)
    else:
        raise AssertionError("a batched copy went into a second batch")


def test_each_printed_request_has_its_own_pdf(client, db_session, login_as, tmp_path):
    ask_by_post(client, SPANISH)
    login_as("admin")
    item = db_session.scalars(select(FulfilmentItem)).one()
    assert f"/admin/fulfilment/{item.id}/guide.pdf" in client.get("/admin/fulfilment").text
    pdf = client.get(f"/admin/fulfilment/{item.id}/guide.pdf")
    assert pdf.status_code == 200 and "attachment" in pdf.headers["Content-Disposition"]
    text = flat("\f".join(pdf_pages(pdf.data, tmp_path)))
    assert "Preparada para Lucía Ramírez" in text and "85 Calle Sol" in text
    assert "Estimado/a Lucía:" in text and f"copy {item.id}" in text
    copied = select(AuditEvent.target_id).where(AuditEvent.action == "fulfilment.copy_pdf")
    assert list(db_session.scalars(copied)) == [str(item.id)]


def test_an_erased_person_leaves_the_batch(client, db_session, login_as):
    ask_by_post(client, VETERAN)
    ask_by_post(client, PERITONEAL)
    admin = login_as("admin")
    batch = make_batch(client, db_session)
    first = print_batches.items(db_session, batch)[0]
    erasure.erase_contact(db_session, first.guide_request.contact_id, "request", admin)
    left = print_batches.items(db_session, batch)
    assert [item.guide_request.contact.first_name for item in left] == ["Dana"]
    rows = list(csv.DictReader(io.StringIO(print_batches.mailing_list(db_session, batch))))
    assert [(row["position"], row["name"]) for row in rows] == [("1", "Dana Whitfield")]


def test_advocates_cannot_reach_print_batches(client, db_session, login_as):
    ask_by_post(client, VETERAN)
    login_as("advocate")
    item = db_session.scalars(select(FulfilmentItem)).one()
    for path in ("/admin/fulfilment/batches/1", "/admin/fulfilment/batches/1/guides.pdf",
                 "/admin/fulfilment/batches/1/mailing-list.csv",
                 f"/admin/fulfilment/{item.id}/guide.pdf"):  # fmt: skip
        assert client.get(path).status_code == 403, path
