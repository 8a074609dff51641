"""Admin CSV import in two steps: check the file (dry run), then confirm to import it.

Between the two steps the checked text waits in a private file under the
instance folder, named by a random id that is also kept in the admin's
session, so only the admin who checked a file can import it, and exactly
the text that was checked is what gets imported.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.forms.specialist import IMPORT_ID_PATTERN, ConfirmImportForm, ImportForm
from intake.services.directory import specialist_admin
from intake.services.directory.specialists import ImportReport
from intake.views.admin.specialists import current_admin

SESSION_KEY = "specialist_import"
UPLOAD_MAX_AGE = 3600.0
MAX_PROBLEMS_SHOWN = 1000
NOT_UTF8 = "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and try again."
EXPIRED = "That check has expired or was already imported. Please choose the file again."


def register(bp: Blueprint) -> None:
    """Attach the import views to the admin blueprint."""
    bp.add_url_rule("/specialists/import", view_func=import_specialists, methods=["GET", "POST"])
    bp.add_url_rule("/specialists/import/confirm", view_func=confirm_import, methods=["POST"])


def import_specialists() -> ResponseReturnValue:
    """Step one: upload a CSV and see every problem, or what an import would change."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form), 400 if form.errors else 200
    try:
        text = form.csv_file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.csv_file.errors.append(NOT_UTF8)
        return render_template("admin/import.html", form=form), 400
    report = specialist_admin.import_listings(
        db.session(), text, current_admin(), request.remote_addr, dry_run=True
    )
    confirm = None
    if report.ok:
        confirm = ConfirmImportForm(upload_id=_store(text))
        session[SESSION_KEY] = confirm.upload_id.data
    return _preview(report, form.csv_file.data.filename, confirm)


def _preview(
    report: ImportReport, filename: str | None = None, confirm: ConfirmImportForm | None = None
) -> ResponseReturnValue:
    """The check's result, with a fresh upload form to try another file."""
    return render_template(
        "admin/import.html",
        form=ImportForm(formdata=None),
        report=report,
        filename=filename,
        confirm=confirm,
        max_problems=MAX_PROBLEMS_SHOWN,
    )


def confirm_import() -> ResponseReturnValue:
    """Step two: import the checked file, once, for the admin who checked it."""
    form = ConfirmImportForm()
    upload_id: str = (form.upload_id.data or "") if form.validate_on_submit() else ""
    text = _claim(upload_id) if upload_id and upload_id == session.get(SESSION_KEY) else None
    if text is None:
        flash(EXPIRED, "error")
        return redirect(url_for("admin.import_specialists"), 303)
    report = specialist_admin.import_listings(
        db.session(), text, current_admin(), request.remote_addr
    )
    if not report.ok:  # cannot happen for a checked file, but never import half of one
        db.session.rollback()
        return _preview(report)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    flash(
        f"Imported: {len(report.created)} new, {len(report.updated)} changed, "
        f"{len(report.unchanged)} unchanged listing(s).",
        "success",
    )
    return redirect(url_for("admin.list_specialists"), 303)


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "specialist-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _path(upload_id: str) -> Path | None:
    """The file for an id, or None for anything that is not one of our random ids."""
    if not re.fullmatch(IMPORT_ID_PATTERN, upload_id):
        return None
    return _folder() / f"{upload_id}.csv"


def _store(text: str) -> str:
    """Keep checked text until it is confirmed; returns its random id."""
    _sweep()
    upload_id = secrets.token_urlsafe(32)
    path = _path(upload_id)
    assert path is not None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return upload_id


def _claim(upload_id: str) -> str | None:
    """Take the checked text exactly once: a double submit finds nothing left to import."""
    path = _path(upload_id)
    if path is None:
        return None
    claimed = path.with_suffix(".importing")
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_MAX_AGE:
            return None
        path.rename(claimed)  # atomic: only one request wins
    except FileNotFoundError:
        return None
    try:
        return claimed.read_text(encoding="utf-8")
    finally:
        claimed.unlink(missing_ok=True)


def _sweep() -> None:
    """Forget checks nobody confirmed within the hour."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for path in [*_folder().glob("*.csv"), *_folder().glob("*.importing")]:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue  # another worker swept it first
