"""What the page and the guide call each section of the results: only what is true of it.

A result's ``section`` (``rules.Plan.section``) says where it sits: ``best``
within reach, ``support`` (supportive care within reach, under every need but
palliative), ``video`` past the patient's distance but seen by video, and
``farther`` beyond reach.  Under the palliative need, ``best`` holds both the
supportive care within reach (tier 1) and the treating doctors within reach;
they are shown apart (``treating``) so that each title stays true.

Sections are listed in the order their first result ranks, and a section's
results in rank order, so the page and the guide show the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.matching.rules import REACH_MILES
from intake.matching.types import Match, MatchQuery

# words per language; "{reach}" and "{zip}" are filled in
_TITLES = {
    "en": {
        "best": "Within {reach} miles of {zip}",
        "best_palliative": "Care for symptoms within {reach} miles of {zip}",
        "treating": "Doctors who treat mesothelioma within {reach} miles of {zip}",
        "video": "Farther away, by video visit",
        "farther": "Farther away",
        "support": "Care close to home",
    },
    "es": {
        "best": "A menos de {reach} millas de {zip}",
        "best_palliative": "Atención para los síntomas a menos de {reach} millas de {zip}",
        "treating": "Médicos que tratan el mesotelioma a menos de {reach} millas de {zip}",
        "video": "Más lejos, por consulta de video",
        "farther": "Más lejos",
        "support": "Atención cerca de casa",
    },
}


@dataclass(frozen=True)
class Section:
    """One titled group of results, in rank order."""

    key: str  # best, treating, video, farther or support
    title: str
    matches: tuple[Match, ...]


def reach_of(query: MatchQuery) -> float:
    """How far the ``best`` section reaches: the patient's distance, or REACH_MILES."""
    return query.max_miles or REACH_MILES


def miles_words(miles: float) -> str:
    """'100', '37.5': a distance as people write it."""
    return f"{miles:g}"


def display_key(match: Match, need: str) -> str:
    """The section a result is shown under: the engine's, with palliative ``best`` split."""
    if need == "palliative" and match.section == "best" and match.tier != 1:
        return "treating"
    return match.section


def title(key: str, need: str, zip_code: str, reach: float, language: str = "en") -> str:
    """The heading of a section: what is true of every result in it."""
    words = _TITLES.get(language, _TITLES["en"])
    name = "best_palliative" if key == "best" and need == "palliative" else key
    return words[name].format(reach=miles_words(reach), zip=zip_code)


def group(
    matches: list[Match], need: str, zip_code: str, reach: float, language: str = "en"
) -> list[Section]:
    """The results as titled sections, ordered by their first result's rank."""
    found: dict[str, list[Match]] = {}
    for match in matches:
        found.setdefault(display_key(match, need), []).append(match)
    return [
        Section(key, title(key, need, zip_code, reach, language), tuple(members))
        for key, members in found.items()
    ]
