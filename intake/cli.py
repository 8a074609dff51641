"""The ``intake`` command group (a Flask CLI group: ``intake db upgrade`` etc.)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from intake import create_app


def _build_cli() -> FlaskGroup:
    group = FlaskGroup(create_app=create_app, help="Mesothelioma intake service commands.")
    from intake.commands import register

    register(group)
    return group


main = _build_cli()
