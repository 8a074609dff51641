"""``intake mailbox serve``: the local mailbox on its own (``intake serve`` starts it too)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("mailbox")
def mailbox_group() -> None:
    """The local mailbox that keeps outgoing mail when SMTP_HOST is unset."""


@mailbox_group.command("serve")
@with_appcontext
def serve_mailbox() -> None:
    """Accept mail on 127.0.0.1:MAILBOX_PORT and keep it for /admin/mailbox."""
    from intake.mail import mailbox

    config = current_app.config
    if not config["LOCAL_MAILBOX"]:
        raise click.ClickException("SMTP_HOST is set: mail goes to that server, not a mailbox")
    folder = Path(config["MAILBOX_DIR"])
    port = int(config["MAILBOX_PORT"])
    try:
        controller = mailbox.start(folder, "127.0.0.1", port)
    except OSError as error:  # the port is taken: one line, not a traceback
        raise click.ClickException(
            f"The local mailbox cannot listen on port {port} ({error.strerror or error}): "
            "set MAILBOX_PORT to a free port."
        ) from None
    click.echo(f"Local mailbox on 127.0.0.1:{port}, keeping mail in {folder}")
    mailbox.serve(controller)
