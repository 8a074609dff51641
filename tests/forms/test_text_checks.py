"""The text checks' fast paths answer exactly as the rules they shortcut.

``no_control_characters`` returns at once for printable text and
``person_name`` skips the per-character look-up for ASCII names (both on
every public POST).  Generated text from every plane, controls and marks
included, must get the same answer as the rule written out in full.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms import ValidationError

from intake.forms.fields import no_control_characters, person_name

JOINERS = {"\u200c", "\u200d"}
NAME = re.compile(r"^[^\W_](?:[\w .,'’\-]*[\w.])?$", re.UNICODE)
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="ascii")),
    st.text(alphabet=st.sampled_from("ab é\u0301\u200c\u200d\n\t\x00\u202e\u00ad-'.")),
)


class _Field:
    def __init__(self, data: str) -> None:
        self.data = data


def _refused(check, value: str) -> bool:
    try:
        check(None, _Field(value))
    except ValidationError:
        return True
    return False


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in JOINERS for ch in value)


def _bad_name(value: str) -> bool:
    letters = "".join(
        ch for ch in value if not unicodedata.category(ch).startswith("M") and ch not in JOINERS
    )
    return bool(value) and (
        not NAME.match(letters) or unicodedata.category(value[0]).startswith("M")
    )


@settings(max_examples=400)
@given(TEXT)
def test_control_characters_are_refused_exactly_as_the_rule_says(value):
    assert _refused(no_control_characters, value) == _has_control(value)


@settings(max_examples=400)
@given(TEXT)
def test_names_are_refused_exactly_as_the_rule_says(value):
    assert _refused(person_name, value) == _bad_name(value)


def test_the_rules_refuse_and_take_what_they_should():
    # the controls: the generated checks compare answers that differ across inputs
    assert _refused(no_control_characters, "Ann\nBcc: x")
    assert _refused(no_control_characters, "\u202e")
    assert not _refused(no_control_characters, "می\u200cخواهم")
    assert _refused(person_name, "<script>") and not _refused(person_name, "O'Neil-Smith")
    assert not _refused(person_name, "José") and not _refused(person_name, "Jose\u0301")
