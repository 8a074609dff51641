"""The intake service: public forms, advocate queue, admin, API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from intake.config import PROJECT_ROOT, instance_path, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, Celery. Never touches the schema."""
    app = Flask(
        __name__,
        instance_path=str(instance_path()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from intake.body_limit import LimitedRequest

    app.request_class = LimitedRequest  # a streamed body past the limit is a 413, not cut short
    app.config.from_mapping(load_settings())
    if config:
        app.config.from_mapping(config)
    register_logging(app)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    from intake import cli
    from intake.tasking import init_celery

    cli.register(app)

    init_celery(app)
    return app


def register_logging(app: Flask) -> None:
    """Plain timestamped logs; personal data never goes into them (ids only)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # a guide's layout logs a line per page, and its font subsetting every glyph name: at INFO
    # they bury the worker's log and fill `intake guide render`'s screen (warnings still show)
    for name in ("weasyprint", "fontTools", "pikepdf"):
        logging.getLogger(name).setLevel(logging.WARNING)


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXY_HOPS`` reverse proxies, take the client's address from them.

    Rate limits and the consent ledger key on ``request.remote_addr``: behind
    a proxy that is the proxy's address unless ProxyFix reads the last
    ``X-Forwarded-For`` entries those proxies added.  With 0 hops (the
    default: gunicorn facing the network) forwarded headers are ignored, so
    nobody can choose their own address by sending one.
    """
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions and the encryption keys."""
    from intake import crypto
    from intake.extensions import csrf, db, init_autocommit_engine, limiter, migrate

    crypto.configure(
        app.config["DATA_ENCRYPTION_KEY"],
        app.config.get("DATA_ENCRYPTION_OLD_KEYS") or (),
        app.config.get("DATA_HASH_KEY"),
    )
    db.init_app(app)
    init_autocommit_engine(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    from intake.views.access import init_login

    init_login(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per audience."""
    from intake.views import errors, ops
    from intake.views.public import public

    app.register_blueprint(public.bp)
    app.register_blueprint(ops.bp)
    from intake.views.api import docs as api_docs
    from intake.views.api import leads as api_leads
    from intake.views.api import match as api
    from intake.views.public import match

    app.register_blueprint(match.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_leads.bp)
    app.register_blueprint(api_docs.bp)
    from intake.views import auth
    from intake.views.admin import blueprint as admin
    from intake.views.advocate import queue as advocate

    app.register_blueprint(auth.bp)
    app.register_blueprint(advocate.bp)
    app.register_blueprint(admin.bp)
    errors.register(app)
    from intake.views import filters, language, policy

    filters.register(app)
    language.register(app)
    policy.register(app)  # last: it checks every route registered above has a policy
