"""The public 'find a specialist' page: a GET search form and its ranked results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_babel import gettext as _

from intake.extensions import db, limiter
from intake.forms.match import DISTANCES, PAGE_LIMIT, MatchForm
from intake.matching.types import Match, MatchQuery, QueryError, language_label
from intake.matching.wording import SPECIALTY_WORDS, Wording, capitalised
from intake.services.directory import match_query, match_sections
from intake.views.language import current_language

bp = Blueprint("match", __name__)

# The engine names some fields differently from the form.
_FORM_FIELDS = {"telehealth_ok": "telehealth"}


@dataclass
class Outcome:
    """What the results part of the page says: the count in words, the sections, the way out."""

    heading: str
    matches: list[Match]
    more: bool
    max_miles: float | None = None
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    advocate_url: str = ""
    sections: list[match_sections.PageSection] = field(default_factory=list)


# a family tries a few searches; a scraper walking every ZIP is stopped
MATCH_RATE_LIMIT = "60 per minute; 600 per day"


@bp.get("/match")
@limiter.limit(MATCH_RATE_LIMIT)
def find_specialists() -> ResponseReturnValue:
    """Show the form; once asked, validate it and show ranked specialists or the errors."""
    asked = any(name in request.args for name in ("zip", "cancer_type"))
    # the page's language is the reader's until they choose another: it lifts doctors who speak it
    form = MatchForm(request.args if asked else None, language=current_language())
    if not asked:
        return _page(form, None)
    if not form.validate():
        return _page(form, None), 400
    query = form.to_query()
    try:
        matches = match_query.find_matches(db.session, query)
    except QueryError as error:  # the form should have caught it; say it next to the field
        getattr(form, _FORM_FIELDS.get(error.field, error.field), form.zip).errors.append(
            error.message
        )
        return _page(form, None), 400
    return _page(form, _outcome(query, matches))


def page_wording() -> Wording:
    """Reasons and notes in the page's language, from the request's catalogue."""
    return Wording(current_language(), gettext)


def _page(form: MatchForm, outcome: Outcome | None) -> str:
    words = page_wording()
    return render_template(
        "public/match.html",
        form=form,
        outcome=outcome,
        specialty_name=lambda code: (
            gettext(SPECIALTY_WORDS[code]) if code in SPECIALTY_WORDS else code
        ),
        treatment_names=lambda codes: capitalised(", ".join(words.treatments(codes))),
        language_names=language_names,
        say=lambda reason: capitalised(words.reason(reason)),
        miles=words.miles,
    )


def language_names(codes: frozenset[str]) -> str:
    """'English, Spanish' ('Inglés, español'): the page's language first, then the others."""
    language = current_language()
    if language == "en":
        others = sorted(language_label(code) for code in codes if code != "en")
        return ", ".join(["English", *others] if "en" in codes else others)
    names = Locale.parse(language).languages  # how the reader's language names each one
    own = [names[language]] if language in codes else []
    others = sorted(names.get(code, code) for code in codes if code != language)
    return capitalised(", ".join([*own, *others]))


def _outcome(query: MatchQuery, matches: list[Match]) -> Outcome:
    """Count the results honestly, title each section truly; with none, say how to widen."""
    shown = matches[:PAGE_LIMIT]
    outcome = Outcome(
        heading=count_sentence(query, shown, more=len(matches) > PAGE_LIMIT),
        matches=shown,
        more=len(matches) > PAGE_LIMIT,
        max_miles=query.max_miles,
        advocate_url=advocate_url(query),
        sections=match_sections.page_sections(db.session, query, shown, page_wording()),
    )
    if not shown:
        outcome.suggestions = _suggestions(query)
    return outcome


def count_sentence(query: MatchQuery, shown: list[Match], more: bool) -> str:
    """'12 specialists treat peritoneal mesothelioma within 250 miles of 10001', and variants.

    Every number and distance in it is true of the cards shown: those past the
    patient's distance are counted apart, as video visits.
    """
    what = match_sections.what_words(query, page_wording())
    limit = f"{query.max_miles:g}" if query.max_miles else ""
    place = {"what": what, "miles": limit, "zip": query.zip}
    if not shown:
        if limit:
            return _(
                "We found no specialists who treat %(what)s within %(miles)s miles of %(zip)s",
                **place,
            )
        return _("We found no specialists who treat %(what)s in our directory", what=what)
    near = [m for m in shown if not query.max_miles or m.distance_miles <= query.max_miles]
    far = len(shown) - len(near)
    if more:  # only the shown cards are counted: there are more of every kind
        return _best_of_more(place, len(shown), len(near), far)
    if not near:
        return _(
            "No specialists treat %(what)s within %(miles)s miles of %(zip)s; %(far)s "
            "farther away offer video visits",
            far=far,
            **place,
        )
    if limit:
        sentence = ngettext(
            "%(num)s specialist treats %(what)s within %(miles)s miles of %(zip)s",
            "%(num)s specialists treat %(what)s within %(miles)s miles of %(zip)s",
            len(near),
            **place,
        )
    else:
        sentence = ngettext(
            "%(num)s specialist treats %(what)s",
            "%(num)s specialists treat %(what)s",
            len(near),
            what=what,
        )
    if far:
        sentence = _("%(sentence)s, and %(far)s more by video visit", sentence=sentence, far=far)
    return sentence


def _best_of_more(place: dict[str, str], shown: int, near: int, far: int) -> str:
    """The heading when there are more results than shown: the shown ones, near and by video."""
    if not far and place["miles"]:
        return _(
            "The %(count)s best matches among specialists who treat %(what)s within "
            "%(miles)s miles of %(zip)s",
            count=shown,
            **place,
        )
    if not far:
        return _(
            "The %(count)s best matches among specialists who treat %(what)s",
            count=shown,
            what=place["what"],
        )
    if not near:
        return _(
            "The %(count)s best matches for %(what)s are farther than %(miles)s miles "
            "from %(zip)s, by video visit",
            count=shown,
            **place,
        )
    return _(
        "The %(count)s best matches for %(what)s: %(near)s within %(miles)s miles of "
        "%(zip)s, %(far)s farther away by video visit",
        count=shown,
        near=near,
        far=far,
        **place,
    )


def _search_url(query: MatchQuery, **changes: Any) -> str:
    """This search again with some answers changed (the page's own query string)."""
    args: dict[str, Any] = {
        "cancer_type": query.cancer_type,
        "zip": query.zip,
        "stage": query.stage,
        "cell_type": query.cell_type,
        "language": query.language,
        "max_miles": f"{query.max_miles:g}" if query.max_miles else "",
    }
    if query.veteran:
        args["veteran"] = "yes"
    if query.telehealth_ok:
        args["telehealth"] = "y"
    args.update(changes)
    return url_for("match.find_specialists", **args) + "#results"


def _suggestions(query: MatchQuery) -> list[tuple[str, str]]:
    """Links that widen a search that found nothing: farther, or by video visit."""
    suggestions = []
    if query.max_miles:
        wider = [d for d in DISTANCES if d > query.max_miles]
        if wider:
            label = _("Search up to %(miles)s miles", miles=wider[0])
            suggestions.append((label, _search_url(query, max_miles=str(wider[0]))))
        suggestions.append((_("Search at any distance"), _search_url(query, max_miles="")))
    if not query.telehealth_ok:
        label = _("Include specialists who offer video visits (telehealth)")
        suggestions.append((label, _search_url(query, telehealth="y")))
    return suggestions


def advocate_url(query: MatchQuery) -> str:
    """The callback form, prefilled with what the patient already told us here."""
    args: dict[str, Any] = {
        "diagnosis_type": query.cancer_type,
        "stage": query.stage,
        "zip": query.zip,
    }
    if query.veteran:
        args["veteran"] = "yes"
    elif request.args.get("veteran") == "no":
        args["veteran"] = "no"
    return url_for("public.callback", **args)
