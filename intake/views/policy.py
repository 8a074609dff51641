"""Who may use each route: one table, enforced on every request and tested as a matrix.

Every endpoint the app serves is named here with its audience:

    public        anyone (the patient pages, the API, health checks, sign-in)
    staff         a signed-in advocate or admin (the console, the session keepalive)
    claim_holder  staff, and for an advocate only the lead they hold, or their own call
                  back read ahead before it is due (``services/queue/lead_access.py``
                  decides; admins may open any lead)
    admin         a signed-in admin
    scraper       a Prometheus scraper: with the ``METRICS_TOKEN`` once one is set (from
                  anywhere, this machine too); without one, from this machine only
    partner       a partner site's API key (``Authorization: Bearer``; never a cookie, so
                  these routes are the documented exception to CSRF)

An endpoint missing from the table is refused (403) and logged: a new route
is closed until someone decides who it is for, and
``tests/views/test_access_matrix.py`` fails until they do.  The blueprints'
own hooks stay as a second lock.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, request
from flask.typing import ResponseReturnValue

from intake.views.access import deny_unless, require_staff

log = logging.getLogger(__name__)

PUBLIC, STAFF, CLAIM_HOLDER, ADMIN = "public", "staff", "claim_holder", "admin"
SCRAPER = "scraper"
PARTNER = "partner"

_PUBLIC = (
    "static", "public.index", "public.privacy", "public.guide", "public.guide_thanks",
    "public.callback", "public.callback_thanks", "public.unsubscribe_page",
    "public.privacy_delete", "public.privacy_delete_confirm",
    "match.find_specialists", "api.match", "api.openapi_document", "ops.healthz", "ops.readyz",
    "auth.login", "auth.logout", "auth.second_factor", "auth.set_password",
    "api_docs.reference",
)  # fmt: skip
_PARTNER = ("api_leads.create_lead", "api_leads.lead_status_page")
_STAFF = (
    "auth.keepalive", "advocate.queue_page", "advocate.queue_panel", "advocate.claim_next",
    "advocate.my_callbacks", "advocate.me",
)  # fmt: skip
_CLAIM_HOLDER = (
    "advocate.lead", "advocate.log_outcome", "advocate.renew", "advocate.release",
    "advocate.link_household", "advocate.unlink_household",
)  # fmt: skip
_ADMIN = (
    "admin.dashboard", "admin.list_specialists", "admin.create_specialist",
    "admin.edit_specialist", "admin.deactivate_specialist", "admin.reactivate_specialist",
    "admin.export_specialists", "admin.import_specialists", "admin.confirm_import",
    "admin.failed_emails", "admin.resend_email", "admin.printed_copies", "admin.mark_mailed",
    "admin.export_mailing_list", "admin.create_print_batch", "admin.print_batch",
    "admin.print_batch_pdf", "admin.print_batch_mailing_list", "admin.mark_batch_mailed",
    "admin.printed_copy_pdf", "admin.mailbox_list", "admin.mailbox_message",
    "admin.mailbox_html", "admin.mailbox_attachment", "admin.mailbox_attachment_download",
    "admin.staff_list", "admin.staff_settings",
    "admin.reset_second_step", "admin.new_staff", "admin.password_link", "admin.deactivate_staff",
    "admin.reactivate_staff", "admin.audit_page", "admin.audit_export",
    "admin.people_page", "admin.export_person", "admin.erase_person",
    "admin.api_keys_page", "admin.create_api_key", "admin.revoke_api_key",
)  # fmt: skip

POLICIES: dict[str, str] = {
    "ops.metrics": SCRAPER,
    **dict.fromkeys(_PUBLIC, PUBLIC),
    **dict.fromkeys(_STAFF, STAFF),
    **dict.fromkeys(_CLAIM_HOLDER, CLAIM_HOLDER),
    **dict.fromkeys(_ADMIN, ADMIN),
    **dict.fromkeys(_PARTNER, PARTNER),
}


def unpoliced(app: Flask) -> list[str]:
    """Endpoints the app serves that the table does not name (each is closed)."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(POLICIES))


def enforce() -> ResponseReturnValue | None:
    """A ``before_request`` hook for the whole app: the table decides, closed by default."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 or 405 handler answers
        return None
    audience = POLICIES.get(endpoint)
    if audience is None:
        log.error("refused %s: the route has no access policy (intake/views/policy.py)", endpoint)
        abort(403)
    if audience == PUBLIC:
        return None
    if audience == SCRAPER:
        from intake.views.ops import scraper_allowed

        return None if scraper_allowed() else ("", 401, {"WWW-Authenticate": "Bearer"})
    if audience == PARTNER:
        from intake.views.api.leads import require_partner_key

        return require_partner_key()
    if audience == ADMIN:
        return deny_unless("admin")
    return require_staff()


def register(app: Flask) -> None:
    """Install the hook; say at start-up which routes are closed for want of a policy."""
    app.before_request(enforce)
    missing = unpoliced(app)
    if missing:
        log.warning("routes without an access policy, refused to everyone: %s", missing)
