"""``intake api-keys``: partner API keys, made and revoked by admins from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("api-keys")
def api_keys_group() -> None:
    """Partner API keys (for POST /api/v1/leads)."""


@api_keys_group.command("create")
@click.option("--partner", required=True, help="The partner organisation (made on first use).")
@with_appcontext
def create_api_key(partner: str) -> None:
    """Make a key and print it once: only its hash is kept."""
    from intake.extensions import db
    from intake.services.inbox import api_keys

    try:
        issued = api_keys.create_key(db.session(), partner, "cli")
    except api_keys.KeyError_ as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(issued.secret)
    click.echo(
        f"Key {issued.key.id} for {issued.key.partner.name}: shown this once, keep it safe.",
        err=True,
    )


@api_keys_group.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def revoke_api_key(key_id: int) -> None:
    """Stop a key working from the next request on."""
    from intake.extensions import db
    from intake.services.inbox import api_keys

    try:
        key = api_keys.revoke_key(db.session(), key_id, "cli")
    except api_keys.KeyError_ as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Key {key.id} ({key.partner.name}) is revoked.")


@api_keys_group.command("list")
@with_appcontext
def list_api_keys() -> None:
    """Every key: id, partner, public prefix, state (never a secret)."""
    from intake.extensions import db
    from intake.services.inbox import api_keys

    for key in api_keys.list_keys(db.session()):
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.partner.name}\tmik_{key.prefix}_...\t{state}")
