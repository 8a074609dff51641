"""The words of the "Specialists near you" page, worked out once for both ways of drawing it.

The page is laid out by WeasyPrint from ``templates/guide/matches.html``
(any script, the slow way) or drawn by ``matches_drawn.py`` (Latin text, in
a few milliseconds).  Both take their words from here, so the two can never
say different things.  Text is plain (the template escapes it); a ``Run``
says which parts are bold.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.guide.types import MatchCard
from intake.matching.wording import distance_words

Run = tuple[bool, str]  # (bold, text)

_WORDS = {
    "en": {
        "heading": "Specialists near you",
        "based_zip": "Based on ZIP {zip} and what you told us",
        "based": "Based on what you told us",
        "intro": ", these specialists treat mesothelioma and offer care that often fits a "
        "situation like yours. ",
        "not_endorsement": "This list is a starting point, not an endorsement.",
        "miles": "miles",
        "video": "Offers video visits",
        "why": "Why we listed them:",
        "phone": "Phone:",
        "after": "We do not endorse any particular doctor or hospital. Call first to check "
        "that they are taking new patients and accept your insurance. A patient advocate can "
        "help you make these calls and send your records: ",
        "notice": "Information only, not medical advice",
        "page": "Page",
    },
    "es": {
        "heading": "Especialistas cerca de usted",
        "based_zip": "Según el código postal {zip} y lo que nos contó",
        "based": "Según lo que nos contó",
        "intro": ", estos especialistas tratan el mesotelioma y ofrecen atención que suele "
        "ajustarse a una situación como la suya. ",
        "not_endorsement": "Esta lista es un punto de partida, no una recomendación.",
        "miles": "millas",
        "video": "Ofrece consultas por video",
        "why": "Por qué aparece:",
        "phone": "Teléfono:",
        "after": "No respaldamos a ningún médico ni hospital en particular. Llame antes para "
        "confirmar que aceptan pacientes nuevos y su seguro. Un defensor de pacientes puede "
        "ayudarle con estas llamadas y con el envío de sus registros: ",
        "notice": "Solo para información, no es consejo médico",
        "page": "Página",
    },
}


@dataclass(frozen=True)
class CardText:
    """One specialist: name, "place · city, ST · distance · video", why, how to reach them."""

    number: int
    name: str
    place: tuple[str, ...]  # shown joined by a middle dot
    why_label: str
    why: str  # "" when the listing gave no reason
    phone_label: str
    phone: str
    website: str  # the address as a link ("" if none); shown without its scheme
    website_shown: str
    section: str = ""  # a section's heading, shown above its first card only


@dataclass(frozen=True)
class MatchesText:
    """Everything the page says, in order."""

    heading: str
    intro: tuple[Run, ...]
    note: str  # why the nearest good match is far ("" when it is not)
    cards: tuple[CardText, ...]
    after: tuple[Run, ...]
    notice: str
    page_label: str

    def strings(self) -> list[str]:
        """Every string drawn (to check a font has each character)."""
        out = [self.heading, self.notice, self.page_label, self.note]
        out += [text for _, text in (*self.intro, *self.after)]
        for card in self.cards:
            out += [card.name, *card.place, card.why_label, card.why, card.phone_label]
            out += [card.phone, card.website_shown, card.section]
        return out


def words(language: str) -> dict[str, str]:
    """The page's fixed words in this language (English for any other)."""
    return _WORDS.get(language, _WORDS["en"])


def matches_text(
    language: str,
    zip_code: str | None,
    cards: tuple[MatchCard, ...],
    org_phone: str,
    note: str = "",
) -> MatchesText:
    """The page's words for these matches; each section's title above its first card."""
    w = words(language)
    based = w["based_zip"].format(zip=zip_code) if zip_code else w["based"]
    texts = []
    for n, card in enumerate(cards, start=1):
        new = n == 1 or card.section_title != cards[n - 2].section_title
        texts.append(_card(n, card, w, card.section_title if new else "", language))
    return MatchesText(
        heading=w["heading"],
        intro=((False, based + w["intro"]), (True, w["not_endorsement"])),
        note=note,
        cards=tuple(texts),
        after=((False, w["after"]), (True, org_phone), (False, ".")),
        notice=w["notice"],
        page_label=w["page"],
    )


def _card(number: int, card: MatchCard, w: dict[str, str], section: str, language: str) -> CardText:
    place = [card.institution, f"{card.city}, {card.state}"]
    if card.distance_miles is not None:
        place.append(f"{distance_words(card.distance_miles, language)} {w['miles']}")
    if card.telehealth:
        place.append(w["video"])
    why = ""
    if card.reasons:
        first, *rest = card.reasons
        why = "; ".join([first[:1].upper() + first[1:], *rest]) + "."
    website = card.website
    linked = website.startswith(("https://", "http://"))
    shown = website.replace("https://", "").replace("http://", "").strip("/")
    return CardText(
        number=number,
        name=card.name,
        place=tuple(place),
        why_label=w["why"],
        why=why,
        phone_label=w["phone"],
        phone=card.phone,
        website=website if linked else "",
        website_shown=shown,
        section=section,
    )
