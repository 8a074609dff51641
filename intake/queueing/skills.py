"""The skills calls are routed by: a language callers can choose, or VA benefits (``va``).

A skill nobody's call can ever need ("xx", a typo of "es") would be kept
silently and route nothing, so an advocate believed to speak Spanish would
never get a Spanish call first.  Only these codes are accepted; English
needs no skill, since every advocate takes English calls.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake import vocab

VA = "va"
# code -> the English name an admin reads ("es" -> "Spanish")
KNOWN: dict[str, str] = {
    **{code: name.split(" (")[0] for code, name in vocab.LANGUAGES if code != "en"},
    VA: "VA benefits",
}
CODES_IN_WORDS = ", ".join(f"{code} {name}" for code, name in KNOWN.items())


def split(text: str | Iterable[str]) -> list[str]:
    """'es, VA' -> ['es', 'va']: lower case, sorted, each once."""
    parts = text.split(",") if isinstance(text, str) else text
    return sorted({part.strip().lower() for part in parts if part.strip()})


def problem(codes: str | Iterable[str], list_codes: bool = True) -> str | None:
    """Why these skills cannot be saved, in words; None when they can.

    A form's hint already lists the codes (``list_codes=False``); the command line does not.
    """
    codes = split(codes)
    if "en" in codes:
        return "English needs no skill: every advocate takes English calls. Remove en."
    unknown = [code for code in codes if code not in KNOWN]
    if not unknown:
        return None
    named = ", ".join(f"“{code}”" for code in unknown)
    said = (
        f"Unknown skill{'s' if len(unknown) > 1 else ''} {named}: no call is routed by "
        f"{'them' if len(unknown) > 1 else 'it'}. Use the code of a language callers can "
        "choose (es for Spanish, for example), or va for VA benefits"
    )
    return f"{said}: {CODES_IN_WORDS}." if list_codes else f"{said}."
