"""The new user's journey in a real browser: the README's first command, the guide form, and
the email with its PDF in the local mailbox a few seconds later.

A second copy runs on a port of its own while something holds the mailbox's
default port (2525), as when a first copy is still running: it moves its
mailbox and says so, and its emails' and PDF's links reach it.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import screenshot
from tests.embedded import Embedded, embedded_service, holding_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    with embedded_service(tmp_path_factory.mktemp("embedded")) as running:
        yield running


@pytest.fixture(scope="module")
def second_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    """Another copy, MAILBOX_PORT unset as a new user has it, while 2525 is taken."""
    with (
        holding_port(2525),
        embedded_service(tmp_path_factory.mktemp("second"), default_mailbox_port=True) as running,
    ):
        yield running


def _ask_for_the_guide(page: Any, service: Embedded, name: str) -> None:
    page.goto(service.base + "/guide")
    page.get_by_label("First name", exact=True).fill(name)
    page.get_by_label("Email address").fill(f"{name.lower()}@example.com")
    page.get_by_label("I am the patient").check()
    page.get_by_label("Type of mesothelioma").select_option("peritoneal")
    page.get_by_role("button", name="Send me the free guide").click()
    page.wait_for_url("**/guide/thanks**")


def _open_the_email_as_the_demo_admin(page: Any, service: Embedded, address: str) -> None:
    email, password = service.demo_sign_in("admin")
    page.goto(service.base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/second-factor")
    page.get_by_label("Code").fill(service.demo_second_step_code("admin"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    deadline = time.monotonic() + 60
    while True:
        page.goto(service.base + "/admin/mailbox")
        if address in page.content():
            break
        assert time.monotonic() < deadline, "the guide email did not reach the mailbox in 60 s"
        time.sleep(1)
    page.locator("tr", has_text=address).get_by_role("link").click()


def test_a_guide_asked_for_on_the_page_arrives_in_the_mailbox_with_its_pdf(
    service: Embedded, page: Any
) -> None:
    width = page.viewport_size["width"]
    _ask_for_the_guide(page, service, f"Nell{width}")
    assert "within a minute or two" in page.content()
    _open_the_email_as_the_demo_admin(page, service, f"nell{width}@example.com")
    frame = page.frame_locator("iframe.mail-frame")
    assert f"Dear Nell{width}" in frame.locator("body").inner_text()
    screenshot(page, "mailbox-message")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download mesothelioma-guide.pdf").click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_second_copy_on_another_port_moves_its_mailbox_and_its_links_reach_it(
    second_copy: Embedded, page: Any
) -> None:
    log = second_copy.log_path.read_text()
    moved = log.find("Port 2525 is in use (another copy of Intake?): the local mailbox listens on")
    assert -1 < moved < log.find(f"Intake is running: {second_copy.base}/"), log[-3000:]
    assert "Traceback" not in log

    width = page.viewport_size["width"]
    address = f"ruth{width}@example.com"
    _ask_for_the_guide(page, second_copy, f"Ruth{width}")
    _open_the_email_as_the_demo_admin(page, second_copy, address)
    links = page.frame_locator("iframe.mail-frame").locator("a[href^='http']")
    hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
    assert hrefs and all(href.startswith(second_copy.base + "/") for href in hrefs), hrefs
    text = page.locator("pre.mail-text").inner_text()
    assert f"{second_copy.base}/unsubscribe/" in text and ":5000" not in text

    # the PDF opens in the browser (no download), and its own address is this copy's
    downloads: list[Any] = []
    page.on("download", lambda download: downloads.append(download))
    # Chromium's own PDF viewer loads from the browser itself: not an outside request
    page.route(re.compile(r"^chrome(-extension)?://"), lambda route: route.continue_())
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="mesothelioma-guide.pdf", exact=True).click()
    response = navigation.value
    headers = response.all_headers()  # as sent (``.headers`` is the browser's shortened view)
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("inline;")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox;")
    page.wait_for_load_state()
    assert page.url.endswith("/attachments/0") and not downloads
    page.wait_for_timeout(1500)  # for the picture only: the viewer draws after the load event
    screenshot(page, "mailbox-pdf-inline")
    pdf = PdfReader(io.BytesIO(page.request.get(page.url).body()))
    printed = "".join(p.extract_text() for p in pdf.pages)
    assert f"Ruth{width}" in printed
    assert second_copy.base.removeprefix("http://") in printed and "127.0.0.1:5000" not in printed
