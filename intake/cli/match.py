"""``intake match``: the specialist match from the command line, as the API answers it."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from intake.matching.types import QueryError


@click.command("match")
@click.option("--zip", "zip_code", metavar="ZIP", help="The patient's 5-digit US ZIP code.")
@click.option("--cancer-type", metavar="TYPE", help="pleural, peritoneal, pericardial, ...")
@click.option("--stage", metavar="STAGE", help="1 to 4, or not_sure (default).")
@click.option("--cell-type", metavar="CELL", help="epithelioid, sarcomatoid, biphasic, not_sure.")
@click.option("--veteran", is_flag=True, help="The patient served in the US military.")
@click.option("--language", metavar="CODE", help="Preferred language, e.g. es (default en).")
@click.option("--telehealth", is_flag=True, help="Video visits are acceptable.")
@click.option("--max-miles", metavar="MILES", help="How far the patient can travel.")
@click.option("--limit", metavar="N", help="How many results, 1 to 50 (default 10).")
@click.option(
    "--need",
    metavar="NEED",
    help="treatment (default), second_opinion, clinical_trial or palliative.",
)
@with_appcontext
def match(zip_code: str | None, veteran: bool, telehealth: bool, **options: str | None) -> None:
    """Print ranked specialists as JSON (the API's /api/v1/match body)."""
    from intake import translator
    from intake.extensions import db
    from intake.forms import match as match_form
    from intake.services.directory import match_query

    # Every value goes through the API's own parser, so both refuse the same input alike;
    # options stay plain strings so a bad one gets our one-line message, not click's usage.
    params = {
        "zip": zip_code,
        **options,
        "veteran": "true" if veteran else "false",
        "telehealth": "true" if telehealth else "false",
    }
    try:
        query = match_form.query_from_params(params)
        matches = match_query.find_matches(db.session, query)
    except QueryError as error:
        option = "--" + error.field.removesuffix("_ok").replace("_", "-")
        raise click.ClickException(f"{option}: {error.message}") from None
    words = translator.wording(query.language)  # the API's body: reasons in its language
    click.echo(json.dumps(match_query.matches_payload(query, matches, words), indent=2))
