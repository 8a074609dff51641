"""``intake guide render``: a sample of any variant of the personalised guide, for staff review."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from intake import vocab
from intake.guide.outline import Variant

TYPES = [value for value, _ in vocab.DIAGNOSIS_TYPES]
STAGES = [value for value, _ in vocab.STAGES]
CELLS = [value for value, _ in vocab.CELL_TYPES]
TOPICS = [value for value, _ in vocab.GUIDE_TOPICS]


@click.group("guide")
def guide_group() -> None:
    """The free guide."""


def _one_of(option: str, value: str | None, allowed: list[str]) -> str | None:
    if value is None:
        return None
    if value.strip().lower() not in allowed:
        raise click.ClickException(f"{option}: must be one of {', '.join(allowed)}")
    return value.strip().lower()


@guide_group.command("render")
@click.option("--type", "diagnosis_type", required=True, metavar="TYPE", help=", ".join(TYPES))
@click.option("--stage", required=True, metavar="STAGE", help=", ".join(STAGES))
@click.option("--cell-type", metavar="CELL", help=", ".join(CELLS))
@click.option("--veteran", is_flag=True, help="The patient served in the US military.")
@click.option("--topics", metavar="a,b", help=f"Any of {', '.join(TOPICS)} (default: all).")
@click.option("--name", metavar="NAME", help="The name on the cover (default: none).")
@click.option("--zip", "zip_code", metavar="ZIP", help="Adds the 'Specialists near you' page.")
@click.option("--language", default="en", show_default=True, metavar="en|es")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def render(
    diagnosis_type: str,
    stage: str,
    cell_type: str | None,
    veteran: bool,
    topics: str | None,
    name: str | None,
    zip_code: str | None,
    language: str,
    output: Path,
) -> None:
    """Write the guide one reader would get to FILE.pdf (nothing is stored or sent)."""
    from intake.extensions import db
    from intake.guide.render import Personal
    from intake.matching import geo
    from intake.matching.types import MatchQuery, QueryError
    from intake.services.email import guides

    chosen = [t.strip().lower() for t in (topics or ",".join(TOPICS)).split(",") if t.strip()]
    for topic in chosen:
        _one_of("--topics", topic, TOPICS)
    variant = Variant(
        diagnosis_type=_one_of("--type", diagnosis_type, TYPES),
        stage=_one_of("--stage", stage, STAGES),
        cell_type=_one_of("--cell-type", cell_type, CELLS),
        veteran=True if veteran else None,
        topics=frozenset(chosen),
        language=_one_of("--language", language, ["en", "es"]) or "en",
    )
    cards: tuple = ()
    note = ""
    if zip_code:
        if geo.lookup(geo.normalize_zip(zip_code)) is None:
            raise click.ClickException("--zip: not a US ZIP code we know")
        query = MatchQuery(
            zip=geo.normalize_zip(zip_code),
            cancer_type=variant.diagnosis_type or "not_sure",
            stage=variant.stage or "not_sure",
            cell_type=variant.cell_type or "not_sure",
            veteran=veteran,
        )
        try:  # what a reader who asked with these answers would get
            query = guides.guide_query(query, variant.language)
            cards, note = guides.matches_for(db.session(), query, variant.language)
        except QueryError as error:
            raise click.ClickException(f"--zip: {error.message}") from None
    personal = Personal(
        name=name, prepared_on=date.today(), zip=zip_code, matches=cards, matches_note=note
    )
    pdf = guides.renderer().render(variant, personal)
    output.write_bytes(pdf)
    click.echo(f"Wrote {output} ({len(pdf) // 1024} KB).")
