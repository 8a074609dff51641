"""The guide's outline: which chapters a reader gets, in which order, and that each has a template.

Pure tests: no application, no database.  The template checks render with a plain Jinja
environment, the way the PDF renderer does, so a broken chapter fails here, not in a
patient's inbox.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

from intake.guide.matches_text import matches_text
from intake.guide.outline import (
    ALL_CHAPTER_IDS,
    CELL_TYPES,
    DIAGNOSIS_TYPES,
    ESSENTIAL_CHAPTERS,
    LANGUAGES,
    STAGES,
    TITLES,
    TOPIC_CHAPTERS,
    TOPICS,
    Chapter,
    Variant,
    chapter_ids,
    chapters_for,
    variant_key,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TYPE_CHAPTERS = {f"type_{t}" for t in DIAGNOSIS_TYPES} | {"types_overview"}
STAGE_CHAPTER_IDS = {"stage_early", "stage_3", "stage_4", "stage_unknown"}


def variant(
    diagnosis_type: str | None = "pleural",
    stage: str | None = "2",
    cell_type: str | None = None,
    veteran: bool | None = None,
    topics: tuple[str, ...] = (),
    language: str = "en",
    has_matches: bool = False,
) -> Variant:
    return Variant(
        diagnosis_type, stage, cell_type, veteran, frozenset(topics), language, has_matches
    )


def all_variants() -> list[Variant]:
    """Every combination a form can produce (unknowns as both None and "not_sure")."""
    topic_sets = [
        combo for n in range(len(TOPICS) + 1) for combo in itertools.combinations(TOPICS, n)
    ]
    return [
        variant(d, s, c, vet, topics, lang)
        for d in (*DIAGNOSIS_TYPES, "not_sure", None)
        for s in (*STAGES, "not_sure", None)
        for c in (*CELL_TYPES, None)
        for vet in (True, False, None)
        for topics in topic_sets
        for lang in LANGUAGES
    ]


# ---------- ordering and choice ----------


@pytest.mark.parametrize("diagnosis", DIAGNOSIS_TYPES)
def test_their_type_chapter_comes_right_after_welcome(diagnosis: str) -> None:
    ids = chapter_ids(variant(diagnosis_type=diagnosis))
    assert ids[:3] == ["welcome", f"type_{diagnosis}", "what_is"]


@pytest.mark.parametrize("diagnosis", [None, "not_sure", "NOT_SURE", "lung"])
def test_unknown_type_gets_the_overview_first(diagnosis: str | None) -> None:
    ids = chapter_ids(variant(diagnosis_type=diagnosis))
    assert ids[:3] == ["welcome", "types_overview", "what_is"]
    assert not (TYPE_CHAPTERS - {"types_overview"}) & set(ids)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("1", "stage_early"),
        ("2", "stage_early"),
        ("3", "stage_3"),
        ("4", "stage_4"),
        ("not_sure", "stage_unknown"),
        (None, "stage_unknown"),
    ],
)
def test_stage_chapter_follows_staging(stage: str | None, expected: str) -> None:
    ids = chapter_ids(variant(stage=stage))
    assert ids[ids.index("staging") + 1] == expected
    assert [i for i in ids if i in STAGE_CHAPTER_IDS] == [expected]


def test_full_order_with_every_topic() -> None:
    v = variant("peritoneal", "3", "biphasic", True, TOPICS)
    assert chapter_ids(v) == [
        "welcome",
        "type_peritoneal",
        "what_is",
        "cell_types",
        "staging",
        "stage_3",
        "treatments",
        "remission",
        "living_with",
        "financial",
        "va_benefits",
        "caregivers",
        "questions",
        "second_opinion",
        "glossary",
        "contact",
    ]


def test_no_topics_gives_only_the_essentials() -> None:
    ids = chapter_ids(variant("pleural", "1", veteran=False))
    assert ids == [
        "welcome",
        "type_pleural",
        "what_is",
        "cell_types",
        "staging",
        "stage_early",
        "caregivers",
        "questions",
        "second_opinion",
        "glossary",
        "contact",
    ]


@pytest.mark.parametrize("topic", ["treatment", "living_with", "financial"])
def test_each_topic_adds_its_chapters(topic: str) -> None:
    without = chapter_ids(variant(veteran=False))
    with_topic = chapter_ids(variant(veteran=False, topics=(topic,)))
    added = [i for i in with_topic if i not in without]
    assert added == list(TOPIC_CHAPTERS[topic])


@pytest.mark.parametrize(
    ("veteran", "asked", "included"),
    [
        (True, False, True),  # a veteran gets it whether or not they ticked it
        (True, True, True),
        (False, True, False),  # told us they did not serve: the topic alone is not enough
        (False, False, False),
        (None, True, True),  # did not say: follow the topic
        (None, False, False),
    ],
)
def test_va_rule(veteran: bool | None, asked: bool, included: bool) -> None:
    topics = ("va_benefits",) if asked else ()
    assert ("va_benefits" in chapter_ids(variant(veteran=veteran, topics=topics))) is included


def test_every_variant_has_the_essentials_once_and_in_order() -> None:
    for v in all_variants():
        ids = chapter_ids(v)
        assert len(ids) == len(set(ids)), ids
        assert set(ESSENTIAL_CHAPTERS) <= set(ids)
        assert len(TYPE_CHAPTERS & set(ids)) == 1
        assert len(STAGE_CHAPTER_IDS & set(ids)) == 1
        assert ids[0] == "welcome" and ids[1] in TYPE_CHAPTERS
        assert ids[-5:] == ["caregivers", "questions", "second_opinion", "glossary", "contact"]


# ---------- titles ----------


@pytest.mark.parametrize("language", LANGUAGES)
def test_chapters_carry_titles_in_the_readers_language(language: str) -> None:
    chapters = chapters_for(variant(topics=TOPICS, veteran=True, language=language))
    assert all(isinstance(c, Chapter) and c.title for c in chapters)
    assert [c.title for c in chapters] == [TITLES[language][c.id] for c in chapters]


def test_spanish_titles_are_translated_and_unknown_language_falls_back_to_english() -> None:
    assert chapters_for(variant(language="es"))[0].title == "Bienvenida"
    assert chapters_for(variant(language="fr"))[0].title == "Welcome"
    assert set(TITLES["es"]) == set(TITLES["en"]) == set(ALL_CHAPTER_IDS)


# ---------- variant_key ----------


def test_variant_key_is_stable_and_ignores_topic_order() -> None:
    a = variant("pleural", "4", "epithelioid", True, ("treatment", "financial"))
    b = variant("pleural", "4", "epithelioid", True, ("financial", "treatment"))
    assert variant_key(a) == variant_key(b) == variant_key(a)
    assert variant_key(a) == "en|pleural|4|epithelioid|vet:y|financial+treatment|-"


def test_variant_key_treats_not_sure_like_unknown() -> None:
    assert variant_key(variant("not_sure", "not_sure", "not_sure")) == variant_key(
        variant(None, None, None)
    )


def _meaning(v: Variant) -> tuple[object, ...]:
    """What a variant means once "not sure" and unknown values are read as one."""
    return (
        v.diagnosis_type if v.diagnosis_type in DIAGNOSIS_TYPES else None,
        v.stage if v.stage in STAGES else None,
        v.cell_type if v.cell_type in CELL_TYPES else None,
        v.veteran,
        v.topics,
        v.language,
        v.has_matches,
    )


def test_variant_keys_are_short_and_distinct_for_distinct_variants() -> None:
    meanings: dict[str, tuple[object, ...]] = {}
    for v in all_variants():
        for has_matches in (False, True):
            v2 = Variant(
                v.diagnosis_type, v.stage, v.cell_type, v.veteran, v.topics, v.language, has_matches
            )
            key = variant_key(v2)
            assert len(key) <= 80
            assert meanings.setdefault(key, _meaning(v2)) == _meaning(v2), key
    # one key per distinct meaning: 5 types x 5 stages x 4 cells x 3 x 16 topic sets x 2 x 2,
    # with "not_sure" and None collapsing together
    assert len(meanings) == 5 * 5 * 4 * 3 * 16 * len(LANGUAGES) * 2


# ---------- templates ----------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("chapter_id", [*ALL_CHAPTER_IDS, "toc"])
def test_every_chapter_has_a_template_in_each_language(language: str, chapter_id: str) -> None:
    path = TEMPLATES / "guide" / language / f"{chapter_id}.html"
    assert path.is_file(), path
    if chapter_id != "toc":
        text = path.read_text(encoding="utf-8")
        assert re.search(rf'<section class="chapter" id="{chapter_id}">\s*<h1>', text), path


ORG = SimpleNamespace(
    name="Mesothelioma Patient Support",
    phone="1-800-555-0199",
    website="www.example.org",
    postal_address="Mesothelioma Patient Support\n100 Example Street\nSpringfield, IL 62701",
)
MATCH = SimpleNamespace(
    name="Dr. Ana Ruiz",
    institution="Lakeside Cancer Institute",
    city="Chicago",
    state="IL",
    distance_miles=12.3,
    reasons=["treats pleural mesothelioma", "offers immunotherapy"],
    phone="312-555-0100",
    website="https://lakeside.example.org",
    telehealth=True,
    section_title="Within 500 miles of 60601",
)
NOTICE = {"en": "Information only, not medical advice", "es": "no es consejo médico"}


def render(v: Variant, name: str | None = None) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("guide/document.html").render(
        v=v,
        chapters=chapters_for(v),
        name=name,
        prepared_on="November 29, 2025",
        matches=[MATCH] if v.has_matches else [],
        mt=matches_text(
            v.language, "60601" if v.has_matches else None, (MATCH,) if v.has_matches else (), "1"
        ),
        zip="60601" if v.has_matches else None,
        org=ORG,
    )


SAMPLES = [
    variant("pleural", "4", "epithelioid", True, TOPICS, has_matches=True),
    variant("peritoneal", "2", None, False, ("treatment",)),
    variant(None, None, None, None, ()),
    variant("pericardial", "1", "biphasic", None, ("va_benefits", "living_with")),
    variant("testicular", "3", "sarcomatoid", False, ("financial",)),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sample", SAMPLES, ids=variant_key)
def test_document_renders_every_chapter_with_the_notice(sample: Variant, language: str) -> None:
    v = Variant(
        sample.diagnosis_type,
        sample.stage,
        sample.cell_type,
        sample.veteran,
        sample.topics,
        language,
        sample.has_matches,
    )
    html = render(v, name="Maria López")
    for chapter in chapters_for(v):
        assert f'id="{chapter.id}"' in html
        assert f'href="#{chapter.id}"' in html  # listed in the contents
    assert NOTICE[language] in html
    assert 'class="cover-name">Maria López<' in html
    assert ('id="matches"' in html) is v.has_matches
    assert "{{" not in html and "{%" not in html


def test_a_language_without_templates_renders_in_english() -> None:
    html = render(variant(language="fr"))
    assert '<html lang="en">' in html and NOTICE["en"] in html


def test_personal_text_is_escaped() -> None:
    html = render(SAMPLES[0], name="<b>Eve</b>")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve</b>" not in html


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_cell_type_chapter_highlights_their_cell_type(cell_type: str) -> None:
    html = render(variant(cell_type=cell_type))
    chapter = html[html.index('id="cell_types"') :]
    assert 'class="note yours"' in chapter.split("</aside>")[0]


def test_cell_type_chapter_explains_in_general_when_unknown() -> None:
    html = render(variant(cell_type=None))
    chapter = html[html.index('id="cell_types"') :]
    assert 'class="note yours"' not in chapter.split("</aside>")[0]
