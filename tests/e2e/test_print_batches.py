"""An admin's print run in a real browser: tick the due printed guides, make a batch, download
its PDF and mailing list, and mark it mailed; the PDF holds each person's own guide in the
list's order."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from intake.models import FulfilmentItem
from tests.conftest import GOOD_GUIDE, submit
from tests.e2e.conftest import screenshot
from tests.views.admin.test_print_batches import PEOPLE, flat, packs, pdf_pages
from tests.views.conftest import TEST_PASSWORD, make_user, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_an_admin_prints_a_batch_of_three_and_marks_it_mailed(
    app, live_server, page, committed_db, tmp_path
):
    client = app.test_client()
    for person in PEOPLE:
        submit(client, "/guide", {**GOOD_GUIDE, **person, "deliver_mail": "y"})
    admin = make_user(committed_db, "admin", "printer@staff.example.org")
    committed_db.commit()

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/second-factor")
    page.get_by_label("Code").fill(totp_code(committed_db, admin))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/**")

    page.goto(live_server + "/admin/fulfilment")
    for name in ("Walter Brennan", "Dana Whitfield", "Lucía Ramírez"):
        page.get_by_label(name).check()
    screenshot(page, "admin-fulfilment")
    page.get_by_role("button", name="Make a print batch of the ticked copies").click()
    page.wait_for_url(re.compile(r".*/admin/fulfilment/batches/\d+$"))
    assert "Batch" in page.locator(".flash").inner_text()
    rows = page.locator("tbody th[scope=row]").all_inner_texts()
    assert [row.strip() for row in rows] == ["Walter Brennan", "Dana Whitfield", "Lucía Ramírez"]
    screenshot(page, "admin-print-batch")

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download the PDF to print").click()
    pdf = _saved(pdf_download.value, tmp_path)
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download the mailing list (CSV)").click()
    listing = _saved(csv_download.value, tmp_path).decode("utf-8")
    names = [row["name"] for row in csv.DictReader(io.StringIO(listing))]
    assert names == ["Walter Brennan", "Dana Whitfield", "Lucía Ramírez"]

    found = packs(pdf_pages(pdf, tmp_path))
    covers = ["Prepared for Walter Brennan", "Prepared for Dana Whitfield",
              "Preparada para Lucía Ramírez"]  # fmt: skip
    diagnoses = ["Pleural mesothelioma · Stage 4", "Peritoneal mesothelioma · Stage 1",
                 "Mesotelioma pleural · Etapa 2"]  # fmt: skip
    for (_, text), name, cover, diagnosis in zip(found, names, covers, diagnoses, strict=True):
        text = flat(text)
        assert cover in text and diagnosis in text
        assert not [other for other in names if other != name and other in text]
    assert "Benefits for veterans" in flat(found[0][1])
    assert "Benefits for veterans" not in flat(found[1][1])

    page.get_by_role("button", name="Mark the whole batch as mailed").click()
    page.wait_for_url("**/admin/fulfilment")
    assert "3 copies marked as mailed" in page.locator(".flash").inner_text()
    committed_db.expire_all()
    assert set(committed_db.scalars(select(FulfilmentItem.status))) == {"mailed"}


def _saved(download, tmp_path) -> bytes:
    path = tmp_path / download.suggested_filename
    download.save_as(str(path))
    return path.read_bytes()
