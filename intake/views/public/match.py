"""The public 'find a specialist' page: a GET search form and its ranked results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from intake.extensions import db, limiter
from intake.forms.match import DISTANCES, PAGE_LIMIT, MatchForm
from intake.matching.types import (
    SPECIALTY_LABELS,
    TREATMENT_LABELS,
    TREATMENTS,
    Match,
    MatchQuery,
    QueryError,
    language_label,
)
from intake.services.directory import match_query, match_sections

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
    form = MatchForm(request.args if asked else None)
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


def _page(form: MatchForm, outcome: Outcome | None) -> str:
    return render_template(
        "public/match.html",
        form=form,
        outcome=outcome,
        specialty_labels=SPECIALTY_LABELS,
        treatment_names=treatment_names,
        language_names=language_names,
    )


def treatment_names(codes: frozenset[str]) -> str:
    """'Cytoreductive surgery with HIPEC, chemotherapy': vocabulary order, first word capital."""
    text = ", ".join(TREATMENT_LABELS[code] for code in TREATMENTS if code in codes)
    return text[:1].upper() + text[1:]


def language_names(codes: frozenset[str]) -> str:
    """'English, Spanish': English first, then the others by name."""
    others = sorted(language_label(code) for code in codes if code != "en")
    return ", ".join(["English", *others] if "en" in codes else others)


def _outcome(query: MatchQuery, matches: list[Match]) -> Outcome:
    """Count the results honestly, title each section truly; with none, say how to widen."""
    shown = matches[:PAGE_LIMIT]
    outcome = Outcome(
        heading=count_sentence(query, shown, more=len(matches) > PAGE_LIMIT),
        matches=shown,
        more=len(matches) > PAGE_LIMIT,
        max_miles=query.max_miles,
        advocate_url=advocate_url(query),
        sections=match_sections.page_sections(db.session, query, shown),
    )
    if not shown:
        outcome.suggestions = _suggestions(query)
    return outcome


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def count_sentence(query: MatchQuery, shown: list[Match], more: bool) -> str:
    """'12 specialists treat peritoneal mesothelioma within 250 miles of 10001', and variants.

    Every number and distance in it is true of the cards shown: those past the
    patient's distance are counted apart, as video visits.
    """
    what = match_sections.what_words(query)
    where = f"within {query.max_miles:g} miles of {query.zip}" if query.max_miles else ""
    if not shown:
        place = where or "in our directory"
        return f"We found no specialists who treat {what} {place}"
    near = [m for m in shown if not query.max_miles or m.distance_miles <= query.max_miles]
    far = len(shown) - len(near)
    if more:  # only the shown cards are counted: there are more of every kind
        best = f"The {len(shown)} best matches"
        if not far:
            return f"{best} among specialists who treat {what} {where}".strip()
        if not near:
            past = f"farther than {query.max_miles:g} miles from {query.zip}"
            return f"{best} for {what} are {past}, by video visit"
        return f"{best} for {what}: {len(near)} {where}, {far} farther away by video visit"
    if not near:
        return f"No specialists treat {what} {where}; {far} farther away offer video visits"
    sentence = f"{_plural(len(near), 'specialist treats', 'specialists treat')} {what} {where}"
    if far:
        sentence += f", and {far} more by video visit"
    return sentence.strip()


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
            label = f"Search up to {wider[0]} miles"
            suggestions.append((label, _search_url(query, max_miles=str(wider[0]))))
        suggestions.append(("Search at any distance", _search_url(query, max_miles="")))
    if not query.telehealth_ok:
        label = "Include specialists who offer video visits (telehealth)"
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
