"""The consent ledger: record exactly what was shown, check before contacting."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from intake import crypto
from intake.models.consent import (
    PURPOSE_ADVOCATE_CALLS,
    PURPOSE_FOLLOWUP_EMAILS,
    PURPOSE_GUIDE_EMAIL,
    ConsentRecord,
)
from intake.models.contact import Contact


@dataclass(frozen=True)
class ConsentText:
    """A consent wording as shown on a form; the version never changes meaning."""

    version: str
    purpose: str
    channel: str
    text: str
    language: str = "en"  # the language of ``text``: each language's words are a version

    @property
    def sha256(self) -> str:
        """Fingerprint of the exact words, stored with every grant."""
        return hashlib.sha256(self.text.encode()).hexdigest()


# Changing a wording means adding a new version here, never editing one:
# the ledger must be able to show the exact words each person agreed to.
CALLBACK_CONSENT = ConsentText(
    version="callback-calls-2026-11-01",
    purpose=PURPOSE_ADVOCATE_CALLS,
    channel="phone",
    text=(
        "Yes, I want a patient advocate to call me at the phone number above about "
        "mesothelioma support. I understand calls may come from our advocates between "
        "8:00 AM and 9:00 PM my local time, that I do not have to agree to this to get "
        "help, and that I can ask you to stop calling at any time."
    ),
)
GUIDE_EMAIL_CONSENT = ConsentText(
    version="guide-email-2026-11-01",
    purpose=PURPOSE_GUIDE_EMAIL,
    channel="email",
    text=(
        "By requesting the guide you ask us to email it to the address above. "
        "Every email has a link to stop further emails."
    ),
)
FOLLOWUP_EMAIL_CONSENT = ConsentText(
    version="followup-email-2026-11-01",
    purpose=PURPOSE_FOLLOWUP_EMAILS,
    channel="email",
    text=(
        "Email me occasional follow-up information, and let an advocate email me "
        "if they cannot reach me by phone. I can unsubscribe at any time."
    ),
)
# The guide form asks no phone number, so its follow-up box says nothing about calls.
GUIDE_FOLLOWUP_CONSENT = ConsentText(
    version="followup-email-guide-2026-11-29",
    purpose=PURPOSE_FOLLOWUP_EMAILS,
    channel="email",
    text=(
        "Also email me now and then with follow-up information about mesothelioma support. "
        "I can unsubscribe at any time."
    ),
)
# The same promises in Spanish, written by us (not from the catalogue: a translator's later
# edit must never change words a person already agreed to). Each is a version of its own.
CALLBACK_CONSENT_ES = ConsentText(
    version="callback-calls-2026-12-05-es",
    purpose=PURPOSE_ADVOCATE_CALLS,
    channel="phone",
    text=(
        "Sí, quiero que un defensor de pacientes me llame al número de teléfono que escribí "
        "arriba para hablar sobre el apoyo para el mesotelioma. Entiendo que los defensores "
        "pueden llamarme entre las 8:00 a.m. y las 9:00 p.m., según mi hora local, que no "
        "tengo que aceptar esto para recibir ayuda y que puedo pedirles que dejen de llamarme "
        "en cualquier momento."
    ),
    language="es",
)
GUIDE_EMAIL_CONSENT_ES = ConsentText(
    version="guide-email-2026-12-05-es",
    purpose=PURPOSE_GUIDE_EMAIL,
    channel="email",
    text=(
        "Al pedir la guía, usted nos pide que se la enviemos por correo electrónico a la "
        "dirección que escribió arriba. Cada correo tiene un enlace para dejar de recibir "
        "nuestros correos."
    ),
    language="es",
)
FOLLOWUP_EMAIL_CONSENT_ES = ConsentText(
    version="followup-email-2026-12-05-es",
    purpose=PURPOSE_FOLLOWUP_EMAILS,
    channel="email",
    text=(
        "Envíenme de vez en cuando información de seguimiento por correo electrónico, y que un "
        "defensor me escriba si no logra comunicarse conmigo por teléfono. Puedo darme de baja "
        "en cualquier momento."
    ),
    language="es",
)
GUIDE_FOLLOWUP_CONSENT_ES = ConsentText(
    version="followup-email-guide-2026-12-05-es",
    purpose=PURPOSE_FOLLOWUP_EMAILS,
    channel="email",
    text=(
        "Envíenme también, de vez en cuando, información de seguimiento sobre el apoyo para el "
        "mesotelioma por correo electrónico. Puedo darme de baja en cualquier momento."
    ),
    language="es",
)
# What each form shows now, in each language, one wording per purpose.
FORM_TEXTS = {
    "guide": {
        "en": (GUIDE_EMAIL_CONSENT, GUIDE_FOLLOWUP_CONSENT),
        "es": (GUIDE_EMAIL_CONSENT_ES, GUIDE_FOLLOWUP_CONSENT_ES),
    },
    "callback": {
        "en": (CALLBACK_CONSENT, FOLLOWUP_EMAIL_CONSENT),
        "es": (CALLBACK_CONSENT_ES, FOLLOWUP_EMAIL_CONSENT_ES),
    },
}
CURRENT = (
    CALLBACK_CONSENT, GUIDE_EMAIL_CONSENT, FOLLOWUP_EMAIL_CONSENT, GUIDE_FOLLOWUP_CONSENT,
    CALLBACK_CONSENT_ES, GUIDE_EMAIL_CONSENT_ES, FOLLOWUP_EMAIL_CONSENT_ES,
    GUIDE_FOLLOWUP_CONSENT_ES,
)  # fmt: skip
# Every version ever shown stays here: a form received under an older wording is
# recorded with the words it showed, even if the worker runs after a new release.
TEXTS = {t.version: t for t in CURRENT}


def shown_on(form: str, language: str = "en") -> dict[str, ConsentText]:
    """Purpose -> the wording a form shows now in ``language`` (English for one we lack)."""
    by_language = FORM_TEXTS[form]
    return {t.purpose: t for t in by_language.get(language, by_language["en"])}


def versions_shown(form: str, language: str = "en") -> dict[str, str]:
    """Purpose -> version of the wordings a form shows now, stored with each submission."""
    return {purpose: t.version for purpose, t in shown_on(form, language).items()}


def wording(versions: dict[str, Any], current: ConsentText) -> ConsentText:
    """The wording a submission showed for ``current``'s purpose.

    A partner's lead (``forms/partner_lead.py``) names either a version we
    published or its own words, which are recorded under a version made from
    their fingerprint.  An unknown version raises (KeyError) rather than
    record words the person never saw; the submission then stays
    unprocessed and visible.
    """
    shown = versions.get(current.purpose, current.version)
    if isinstance(shown, dict):
        if "text" in shown:
            return ConsentText(shown["version"], current.purpose, current.channel, shown["text"])
        shown = shown["version"]
    return TEXTS[shown]


def covers_hash(channel: str, value: str) -> str:
    """The ledger's keyed hash of the phone number or email a consent covers."""
    return crypto.lookup_hash(value, f"consent-{channel}")


def record_consent(
    session: Session,
    contact: Contact,
    wording: ConsentText,
    covers: str,
    source: str,
    ip: str | None,
    at: datetime | None = None,
) -> ConsentRecord:
    """Add one grant to the ledger for the exact value (E.164 phone or normalised email).

    ``at`` is when the person ticked the box (the form's arrival), which may
    be a moment before the worker writes the row.
    """
    record = ConsentRecord(**grant_values(contact.id, wording, covers, source, ip, at))
    session.add(record)
    return record


def grant_values(
    contact_id: int,
    wording: ConsentText,
    covers: str,
    source: str,
    ip: str | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The ledger row of one grant, as column values (``record_consent``'s, or a batch's)."""
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "purpose": wording.purpose,
        "channel": wording.channel,
        "covers": covers,
        "covers_hash": covers_hash(wording.channel, covers),
        "text_version": wording.version,
        "text_sha256": wording.sha256,
        "source": source,
        "ip_address": ip,
    }
    if at is not None:
        values["granted_at"] = at
    return values


def has_consent(session: Session, purpose: str, channel: str, value: str) -> bool:
    """True when an unrevoked grant for this purpose covers this exact phone or email."""
    return bool(session.execute(select(consent_exists(purpose, channel, value))).scalar())


def consent_exists(purpose: str, channel: str, value: str) -> Exists:
    """``has_consent`` as an SQL expression, for a caller that asks more in the same query."""
    return exists().where(
        ConsentRecord.covers_hash == covers_hash(channel, value),
        ConsentRecord.purpose == purpose,
        ConsentRecord.revoked_at.is_(None),
    )
