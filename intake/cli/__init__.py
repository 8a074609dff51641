"""The ``intake`` command line: a Flask CLI group whose commands live on ``app.cli``.

Each command module holds one area's commands; ``register`` puts them on the
app (so ``app.test_cli_runner()`` reaches every one) and ``main`` is the
console script, which loads the app and finds them there.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from intake.cli import (
        api_keys,
        data,
        demo,
        guide,
        keys,
        mailbox,
        match,
        outbox,
        queue,
        serve,
        specialists,
        submissions,
        users,
    )

    for command in (
        serve.serve,
        demo.demo,
        specialists.specialists,
        users.users,
        match.match,
        submissions.submissions_group,
        outbox.outbox_group,
        guide.guide_group,
        mailbox.mailbox_group,
        queue.queue_group,
        queue.calling_hours,
        data.data_group,
        keys.keys_group,
        api_keys.api_keys_group,
    ):
        app.cli.add_command(command)


def _build_main() -> FlaskGroup:
    from intake import create_app

    def app_or_stop() -> Any:
        """The app; a setting that stops the start (a bad key or zone) is one line, not a trace."""
        try:
            return create_app()
        except RuntimeError as problem:
            raise click.ClickException(str(problem)) from None

    return FlaskGroup(create_app=app_or_stop, help="Mesothelioma intake service commands.")


main = _build_main()
