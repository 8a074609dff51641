"""``intake keys``: re-seal personal data with the current data key, and see which keys seal it.

Both commands print table and column names, key ids, counts and row ids:
never a value.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from intake import crypto

if TYPE_CHECKING:
    from intake.services.ops.keys import SealedTable


@click.group("keys")
def keys_group() -> None:
    """The data encryption keys: rotate to a new one, and see when an old one can go."""


@keys_group.command("rotate")
@click.option(
    "--batch", "batch_size", default=500, show_default=True, type=click.IntRange(min=1),
    help="Rows re-sealed and committed together.",
)  # fmt: skip
@with_appcontext
def rotate(batch_size: int) -> None:
    """Re-seal every value not sealed by the current key; stop (Ctrl-C) and run again at will."""
    from intake.extensions import db
    from intake.services.ops import keys

    session = db.session()
    click.echo(f"Sealing with key {crypto.keys().current.key_id.hex()}.")
    unreadable: list[str] = []
    try:
        for table in keys.sealed_tables():
            unreadable += _rotate_table(session, table, batch_size)
    except KeyboardInterrupt:
        _rollback_quietly(session)
        click.echo("Stopped. Committed batches are kept: run `intake keys rotate` to go on.")
        raise click.exceptions.Exit(130) from None
    left = sum(keys.count_stale(session, table) for table in keys.sealed_tables())
    for line in unreadable:
        click.echo(line, err=True)
    if left:
        raise click.ClickException(
            f"{left} rows still hold values not sealed by the current key "
            "(changed while rotating, or opened by no configured key): run it again"
        )
    click.echo("Every sealed value now uses the current key (see `intake keys status`).")


def _rotate_table(session: Session, table: SealedTable, batch_size: int) -> list[str]:
    """One table, batch by batch, committing each; returns the unreadable values (no data)."""
    from intake.services.ops import keys
    from intake.services.staff import audit

    total = keys.count_stale(session, table)
    if not total:
        click.echo(f"{table.name}: nothing to re-seal")
        return []
    after: int | None = None
    done = resealed = 0
    unreadable: dict[str, list[int]] = {}
    while True:
        result = keys.reseal_batch(session, table, after, batch_size)
        if not result.rows:
            break
        after, done, resealed = result.last_id, done + result.rows, resealed + result.resealed
        for column, row_id in result.unreadable:
            unreadable.setdefault(column, []).append(row_id)
        session.commit()
        click.echo(f"{table.name}: {done}/{total} rows")
    if resealed:
        detail = {"key": crypto.keys().current.key_id.hex(), "values": resealed}
        audit.record(session, "cli", "keys.rotate", "table", table.name, detail)
        session.commit()
    return [
        f"{table.name}.{column}: {len(ids)} values open with no configured key "
        f"(ids {', '.join(map(str, ids[:10]))}{' ...' if len(ids) > 10 else ''})"
        for column, ids in unreadable.items()
    ]


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be mid-statement; closing resets it
        session.close()


@keys_group.command("status")
@with_appcontext
def status() -> None:
    """Per sealed column, how many values each key sealed, and whether old keys can go."""
    from intake.extensions import db
    from intake.services.ops import keys

    session = db.session()
    ring = crypto.keys()
    old = ", ".join(key.key_id.hex() for key in ring.old) or "none"
    click.echo(f"Current key {ring.current.key_id.hex()}; old keys: {old}.")
    problems = _check_hashes(session, ring.hash_key_id)
    totals: Counter[str] = Counter()
    for table in keys.sealed_tables():
        for column, _ in table.columns:
            counts = keys.census(session, table, column)
            totals.update(counts)
            shown = ", ".join(f"{number} {label}" for label, number in sorted(counts.items()))
            click.echo(f"{table.name}.{column}: {shown or 'empty'}")
    waiting = sum(n for label, n in totals.items() if label.startswith("old") or label == keys.V1)
    lost = sum(
        n
        for label, n in totals.items()
        if label not in {"current", keys.V1} and not label.startswith("old")
    )
    if lost:
        problems.append(f"{lost} values were sealed by keys that are not configured")
    if waiting:
        click.echo(f"{waiting} values are not sealed by the current key: run `intake keys rotate`.")
    elif not lost:
        retire = ": DATA_ENCRYPTION_OLD_KEYS can be emptied" if ring.old else ""
        click.echo(f"Every value uses the current key{retire}.")
    if problems:
        raise click.ClickException("; ".join(problems))


def _check_hashes(session: Session, hash_key_id: str) -> list[str]:
    """Print whether the look-up hash key still matches the stored hashes; the problems."""
    from intake.services.ops import keys

    try:
        checked, mismatched = keys.check_lookup_hashes(session)
    except crypto.UnreadableValue as exc:
        click.echo(f"Look-up hash key {hash_key_id}: not checked ({exc}).")
        return []
    if mismatched:
        click.echo(f"Look-up hash key {hash_key_id}: {mismatched} of {checked} hashes differ.")
        return ["DATA_HASH_KEY is not the key the look-up hashes were made with"]
    found = f"{checked} contact hashes checked, all match" if checked else "no contact hashes yet"
    click.echo(f"Look-up hash key {hash_key_id}: {found}.")
    return []
