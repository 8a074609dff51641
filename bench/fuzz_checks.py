"""What ``bench/fuzz.py`` checks after the requests: the worker's steps, the mail, the pages.

In this process, as the worker would: the inbox processes every received
form, then every outbox job runs (leads, queue items, matches, guide
emails to an SMTP sink of the run's own, deletion notices) until none is
left.  Then every message the sink holds must parse with exactly the
headers an email of ours has, each once, and none holding a line break;
every guide PDF must open; every case the run made must give a match query
the matcher accepts; and every lead made must open in the staff console.
"""

from __future__ import annotations

import collections
import email
import io
import logging
import re
import threading
from dataclasses import dataclass, field
from email import policy
from typing import Any

from sqlalchemy import select, text

REQUIRED_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
ALLOWED_HEADERS = REQUIRED_HEADERS | {
    "List-Unsubscribe", "List-Unsubscribe-Post", "Content-Transfer-Encoding", "DKIM-Signature",
    "Auto-Submitted", "Reply-To", "Precedence",
}  # fmt: skip
FINDINGS_KEPT = 40


@dataclass
class Findings:
    """Counts by kind, and the first few of each kind in words."""

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, what: str) -> None:
        self.counts[kind] += 1
        if sum(1 for line in self.examples if line.startswith(f"[{kind}]")) < 5:
            self.examples.append(f"[{kind}] {what}"[:600])

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class MissingGlyphs(logging.Handler):
    """WeasyPrint's ".notdef glyph rendered" warnings, split by whether a font we ship has it.

    A character DejaVu Sans has but the PDF drew as a box is our stylesheet's fault (a
    finding); one that no installed font has (Thai, CJK... on a machine with DejaVu only)
    is counted apart: the fix for those is installing a font, not code.
    """

    def __init__(self, findings: Findings) -> None:
        super().__init__(logging.WARNING)
        self.findings = findings
        self.uncovered: collections.Counter[str] = collections.Counter()
        self._dejavu: set[int] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        found = re.search(r"\(U\+([0-9A-F]+)\)", message)
        if ".notdef glyph" not in message or not found:
            return
        char = int(found.group(1), 16)
        if char in self.dejavu():
            self.findings.add("glyph", f"U+{char:04X} drawn as a box though DejaVu Sans has it")
        else:
            self.uncovered[f"U+{char:04X}"] += 1

    def dejavu(self) -> set[int]:
        if self._dejavu is None:
            from fontTools.ttLib import TTFont

            self._dejavu = set(TTFont(DEJAVU).getBestCmap())
        return self._dejavu


DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class Sink:
    """An aiosmtpd server in this process that keeps every message whole (SMTPUTF8 offered)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"

    def start(self) -> Sink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=True, data_size_limit=None)  # fmt: skip
        self.controller.start()
        return self

    def take(self) -> list[tuple[list[str], bytes]]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def process_inbox(app: Any, findings: Findings) -> int:
    """Every received form through ``submissions.process_many``, as the worker's task; how many."""
    from intake.extensions import db
    from intake.models import Submission
    from intake.services.inbox import submissions

    with app.app_context():
        pending = select(Submission.id).where(Submission.processed_at.is_(None))
        ids = list(db.session.scalars(pending.order_by(Submission.id)))
        failed = submissions.process_many(db.session(), ids, relay=lambda _ids: None)
        for submission_id in failed:
            row = db.session.get(Submission, submission_id)
            findings.add("inbox", f"submission {submission_id} failed: {row and row.last_error}")
        db.session.remove()
    return len(ids)


OPEN_JOBS = text(
    "SELECT id, task_name, args FROM outbox_messages WHERE processed_at IS NULL "
    "AND gave_up_at IS NULL AND failures = 0 AND due_at <= now() + interval '1 minute' "
    "ORDER BY id"
)


def run_jobs(app: Any, findings: Findings, seen_failed: set[int]) -> collections.Counter[str]:
    """Every open outbox job run as the worker runs it, until none is left; jobs run by task."""
    from intake.extensions import db

    tasks = app.extensions["celery"].tasks
    ran: collections.Counter[str] = collections.Counter()
    with app.app_context():
        for _round in range(6):  # a job's jobs (a guide's email) come due in the next round
            rows = db.session.execute(OPEN_JOBS).all()
            db.session.rollback()
            if not rows:
                break
            for row in rows:
                try:
                    tasks[row.task_name].run(*row.args, outbox_id=row.id)
                except Exception as exc:  # run_job keeps failures; anything else is a finding
                    db.session.rollback()
                    findings.add("job", f"{row.task_name}{row.args}: {type(exc).__name__}: {exc}")
                ran[row.task_name] += 1
            db.session.remove()
        failed = db.session.execute(
            text(
                "SELECT id, task_name, args, last_error FROM outbox_messages "
                "WHERE failures > 0 OR gave_up_at IS NOT NULL"
            )  # fmt: skip
        ).all()
        for row in failed:
            if row.id not in seen_failed:
                seen_failed.add(row.id)
                findings.add("job", f"{row.task_name}{row.args} failed: {row.last_error}")
        db.session.remove()
    return ran


def check_cases(app: Any, findings: Findings, after_id: int) -> tuple[int, int]:
    """Every new case's match query must be one the matcher takes; (cases, last id)."""
    from intake.extensions import db
    from intake.matching.rules import validate_query
    from intake.matching.types import QueryError
    from intake.models import Case
    from intake.services.directory.match_query import query_for_case

    checked, last = 0, after_id
    with app.app_context():
        for case in db.session.scalars(select(Case).where(Case.id > after_id).order_by(Case.id)):
            last, checked = case.id, checked + 1
            query = query_for_case(case)
            if query is None:
                continue
            try:
                validate_query(query)
            except QueryError as error:
                findings.add("case", f"case {case.id}: {error.field}: {error.message} "
                                     f"({query!r:.200})")  # fmt: skip
        db.session.remove()
    return checked, last


def check_message(rcpts: list[str], raw: bytes, findings: Findings) -> int:
    """One message as sent: parses, headers exactly ours, one line each; PDFs open. PDFs read."""
    try:  # an international address goes as UTF-8 in the headers (SMTPUTF8): read it so
        message = email.message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)
    except UnicodeDecodeError:
        message = email.message_from_bytes(raw, policy=policy.default)
    names = [name for name, _value in message.raw_items()]
    counts = collections.Counter(_canonical(name) for name in names)
    extra = set(counts) - ALLOWED_HEADERS
    missing = REQUIRED_HEADERS - set(counts)
    doubled = {name for name, n in counts.items() if n > 1}
    where = f"to {rcpts!r:.120}"
    if extra or missing or doubled:
        findings.add("header", f"{where}: extra {sorted(extra)}, missing {sorted(missing)}, "
                               f"twice {sorted(doubled)}")  # fmt: skip
    for name, value in message.raw_items():
        unfolded = value.replace("\r\n ", " ").replace("\r\n\t", "\t").replace("\n ", " ")
        if "\r" in unfolded or "\n" in unfolded.rstrip("\n") or "\x00" in unfolded:
            findings.add("header", f"{where}: a line break in {name}: {value!r:.200}")
    if message.defects:
        findings.add("header", f"{where}: defects {message.defects!r:.200}")
    to = message.get("To")
    addresses = [a.addr_spec.lower() for a in to.addresses] if to is not None else []
    if sorted(addresses) != sorted(r.lower() for r in rcpts):
        findings.add("header", f"{where}: To names {addresses!r:.200}")
    return _check_pdfs(message, where, findings)


def _canonical(name: str) -> str:
    known = {n.lower(): n for n in ALLOWED_HEADERS}
    return known.get(name.lower(), name)


def _check_pdfs(message: Any, where: str, findings: Findings) -> int:
    from pypdf import PdfReader

    opened = 0
    for part in message.iter_attachments():
        if part.get_content_type() != "application/pdf":
            continue
        try:
            reader = PdfReader(io.BytesIO(part.get_content()))
            if not reader.pages or "Prepared for" not in reader.pages[0].extract_text():
                findings.add("pdf", f"{where}: the PDF has no cover page")
            opened += 1
        except Exception as exc:
            findings.add("pdf", f"{where}: the PDF does not open: {type(exc).__name__}: {exc}")
    return opened


def check_pages(app: Any, staff: Any, findings: Findings, after: dict[str, int]) -> int:
    """Each new lead's console page and each new contact's admin search row; pages rendered."""
    from intake.extensions import db

    with app.app_context():
        items = list(db.session.scalars(
            text("SELECT id FROM queue_items WHERE id > :after ORDER BY id"),
            {"after": after["item"]},
        ))  # fmt: skip
        contacts = list(db.session.scalars(
            text("SELECT id FROM contacts WHERE id > :after ORDER BY id"),
            {"after": after["contact"]},
        ))  # fmt: skip
        db.session.remove()
    rendered = 0
    for item_id in items:
        response = staff.client.get(f"/advocate/leads/{item_id}")
        rendered += _page_ok(response, f"lead page {item_id}", findings)
        after["item"] = item_id
    for contact_id in contacts:
        data = {"csrf_token": staff.token, "contact_id": str(contact_id)}
        response = staff.client.post("/admin/people", data=data)
        ok = _page_ok(response, f"person search {contact_id}", findings)
        if ok and f"Contact {contact_id}" not in response.get_data(as_text=True):
            findings.add("page", f"person search {contact_id}: the contact is not shown")
        rendered += ok
        after["contact"] = contact_id
    return rendered


def _page_ok(response: Any, what: str, findings: Findings) -> bool:
    status = response.status_code
    response.close()
    if status != 200:
        findings.add("page", f"{what}: status {status}")
    return status == 200
