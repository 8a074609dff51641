"""The results as the page and the guide show them: titled sections, and notes that stay true.

The titles come from ``matching.sections``.  What needs the directory is
here: when a section that matters is empty (nothing within reach; no
supportive care within reach), the note names the nearest listing of its
kind with its distance, found by asking the index for that kind; and the
guide's line that says why when the nearest good match is far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from intake.matching import sections
from intake.matching.types import NOT_SURE, Listing, Match, MatchQuery
from intake.matching.wording import Wording, distance_words
from intake.services.directory import match_query
from intake.services.directory.match_query import AnySession

FIRST_SHOWN = 5  # then "show more": 20 cards are a very long scroll on a phone
# Past this, the guide says why its first specialist is so far (a day's drive, about).
FAR_MILES = 100.0


@dataclass
class PageSection:
    """One section of the page: its title, what it holds, and what to say when it is empty."""

    key: str
    title: str
    matches: list[Match] = field(default_factory=list)
    intro: str = ""
    note: str = ""  # an empty section's honest word: none within reach, the nearest is ...
    start: int = 1  # the number of its first card on the page

    @property
    def first(self) -> list[Match]:
        """The cards shown at once."""
        return self.matches[:FIRST_SHOWN]

    @property
    def rest(self) -> list[Match]:
        """The cards behind "show more"."""
        return self.matches[FIRST_SHOWN:]


def what_words(query: MatchQuery, words: Wording) -> str:
    """'pleural mesothelioma', or 'mesothelioma' when the type is not known."""
    return words.types(() if query.cancer_type == NOT_SURE else (query.cancer_type,))


def where(listing: Listing, miles: float, words: Wording) -> dict[str, str]:
    """The nearest listing's name, distance and place, for a sentence that names it."""
    place = f"{listing.city}, {listing.state}"
    return {"name": listing.name, "miles": words.miles(miles), "place": place}


def none_within(session: AnySession, query: MatchQuery, kind: str, words: Wording) -> str:
    """'No <kind> within 500 miles of 59801; the nearest is Dr. X, 612.3 miles away, in ...'."""
    reach = sections.miles_words(sections.reach_of(query))
    what = what_words(query, words)
    found = match_query.nearest(session, query, kind)
    if kind == "supportive":
        if found is None:
            return _(
                "No palliative care or lung specialist within %(reach)s miles of %(zip)s, "
                "and none in our directory treats %(what)s.",
                reach=reach,
                zip=query.zip,
                what=what,
            )
        return _(
            "No palliative care or lung specialist within %(reach)s miles of %(zip)s; "
            "the nearest is %(name)s, %(miles)s miles away, in %(place)s.",
            reach=reach,
            zip=query.zip,
            **where(*found, words),
        )
    if found is None:
        return _(
            "No specialist who treats %(what)s within %(reach)s miles of %(zip)s, "
            "and none in our directory treats %(what)s.",
            reach=reach,
            zip=query.zip,
            what=what,
        )
    return _(
        "No specialist who treats %(what)s within %(reach)s miles of %(zip)s; "
        "the nearest is %(name)s, %(miles)s miles away, in %(place)s.",
        what=what,
        reach=reach,
        zip=query.zip,
        **where(*found, words),
    )


def page_sections(
    session: AnySession, query: MatchQuery, shown: list[Match], words: Wording
) -> list[PageSection]:
    """The shown results as the page's sections, with a note for each empty one that matters.

    ``words`` are the page's (its language, and the request's catalogue, which the
    notes written here are looked up in too).
    """
    reach = sections.reach_of(query)
    groups = sections.group(shown, query.need, query.zip, reach, words.language)
    out = [PageSection(g.key, g.title, list(g.matches)) for g in groups]
    keys = {s.key for s in out}
    palliative = query.need == "palliative"
    if shown and "best" not in keys:
        kind = "supportive" if palliative else "treating"
        title = sections.title("best", query.need, query.zip, reach, words.language)
        empty = PageSection("best", title)
        empty.note = none_within(session, query, kind, words)
        out.insert(0, empty)
    if shown and not palliative and "support" not in keys:
        out.append(_support_elsewhere(session, query, reach, words))
    for section in out:
        if section.key == "support" and section.matches:
            section.intro = _(
                "Palliative care and lung specialists within %(reach)s miles of %(zip)s can help "
                "with breathing, pain and other symptoms, at any stage and alongside treatment.",
                reach=sections.miles_words(reach),
                zip=query.zip,
            )
        if section.key == "treating":
            section.intro = _(
                "If you also want to talk about treatment, these specialists treat it."
            )
    start = 1
    for section in out:
        section.start = start
        start += len(section.matches)
    return out


def _support_elsewhere(
    session: AnySession, query: MatchQuery, reach: float, words: Wording
) -> PageSection:
    """ "Care close to home" when no supportive care made the list: say where the nearest is."""
    title = sections.title("support", query.need, query.zip, reach, words.language)
    empty = PageSection("support", title)
    found = match_query.nearest(session, query, "supportive")
    if found is not None and found[1] <= reach:
        empty.note = _(
            "The nearest palliative care or lung specialist is %(name)s, %(miles)s miles away, "
            "in %(place)s. They can help with breathing, pain and other symptoms, at any stage "
            "and alongside treatment.",
            **where(*found, words),
        )
    else:
        empty.note = none_within(session, query, "supportive", words)
    return empty


_FAR = {
    "en": {
        "stage": "The nearest specialist who fits your stage is {miles} miles away, in {place}",
        "type": "The nearest specialist who fits your diagnosis is {miles} miles away, in {place}",
        "palliative": "The nearest palliative care or lung specialist is {miles} miles away, "
        "in {place}",
        "why": ": mesothelioma is rare, and few doctors specialize in it.",
        "video": ' Those marked "Offers video visits" can see you by video.',
    },
    "es": {
        "stage": "El especialista más cercano que se ajusta a su etapa está a {miles} millas, "
        "en {place}",
        "type": "El especialista más cercano que se ajusta a su diagnóstico está a {miles} "
        "millas, en {place}",
        "palliative": "El especialista en cuidados paliativos o pulmonar más cercano está a "
        "{miles} millas, en {place}",
        "why": ": el mesotelioma es poco común y pocos médicos se especializan en él.",
        "video": ' Los marcados con "Ofrece consultas por video" pueden atenderle por video.',
    },
}


def far_note(
    session: AnySession, query: MatchQuery, matches: list[Match], language: str = "en"
) -> str:
    """Why the guide's list starts far away: the nearest first-tier listing, if past FAR_MILES."""
    if not matches or query.need not in ("treatment", "palliative"):
        return ""
    found = match_query.nearest(session, query, "first_tier")
    if found is None or found[1] <= FAR_MILES:
        return ""
    listing, miles = found
    words = _FAR.get(language, _FAR["en"])
    if query.need == "palliative":
        lead = words["palliative"]
    else:
        lead = words["type"] if query.stage == NOT_SURE else words["stage"]
    shown = distance_words(miles, language)
    text = lead.format(miles=shown, place=f"{listing.city}, {listing.state}")
    text += words["why"]
    if any(m.listing.telehealth for m in matches):  # the card's own words for it
        text += words["video"]
    return text
