"""What our error pages say: our own words for every HTTP error status, in the page's language.

Werkzeug's stock sentences ("You don't have the permission to access the
requested resource", "The server could not verify ...") are written for
developers; a person who has just heard the word mesothelioma should read
what happened and what to do next.  Every status Werkzeug can raise has an
entry here, or falls back to the words for its class (4xx or 5xx), so no
page ever shows the framework's text.

Each sentence is an English msgid of the message catalogue, marked with
``_`` so ``pybabel extract`` finds it; the Spanish lives in
``translations/es/LC_MESSAGES/messages.po`` with every other public page's
words.  ``words_for`` chooses them when the page is drawn, in the language
the page speaks.  Whole sentences, not fragments joined here: another
language's sentence need not be built the way the English one is.  Staff
pages speak English (our team's language), so their own words are not
marked.
"""

from __future__ import annotations

from typing import NamedTuple

from intake.translator import gettext_for


def _(message: str) -> str:
    """Marks a msgid for the catalogue; ``words_for`` translates it when the page is drawn."""
    return message


TOO_MANY_MESSAGE = _(
    "We have had a lot of requests from your connection in a short time. Please wait a few "
    "minutes and try again. Nothing you already sent is lost."
)
CSRF_MESSAGE = _(
    "For your security this page timed out before it was sent. Nothing was saved yet: "
    "please check your details and press the button again."
)
TOO_LARGE_MESSAGE = _(
    "What you sent was much longer than our forms accept, so nothing was saved. "
    "Please go back, shorten it and try again, or call us."
)


class Words(NamedTuple):
    """A page's heading and its one-paragraph explanation."""

    title: str
    message: str


PUBLIC: dict[int, Words] = {
    400: Words(
        _("We could not read that request"),
        _("Part of what your browser sent did not make sense to us, so nothing was saved. "
          "Please go back and try again, or call us."),
    ),
    401: Words(_("Please sign in first"), _("This page is only for people who have signed in.")),
    403: Words(
        _("This page is not open to you"),
        _("Your access does not include this page. If a link brought you here, it may "
          "have been meant for someone else."),
    ),
    404: Words(
        _("We could not find that page"),
        _("The link may be old or mistyped. You can start again from our home page, or call us."),
    ),
    405: Words(
        _("Not allowed"),
        _("This page cannot be used that way. Please go back and try again from the page itself."),
    ),
    406: Words(
        _("We cannot send this page in that form"), _("Please open it in an ordinary web browser.")
    ),
    408: Words(
        _("That took too long"),
        _("We waited too long for what was being sent. Please go back and try again, or call us."),
    ),
    409: Words(
        _("That changed while you were on the page"),
        _("Something changed it at the same moment. Please reload the page and try again."),
    ),
    410: Words(
        _("This page is gone"),
        _("What was here has been removed. You can start again from our home page, or call us."),
    ),
    413: Words(_("That was too much to send"), TOO_LARGE_MESSAGE),
    414: Words(
        _("That web address is too long"),
        _("It is much longer than any address on our site. Please go back and try again, or "
          "call us."),
    ),
    429: Words(_("Too many requests"), TOO_MANY_MESSAGE),
    451: Words(_("This page is not available"), _("We cannot show this page, for legal reasons.")),
    500: Words(
        _("Something went wrong on our side"), _("Please try again in a moment, or call us.")
    ),
    501: Words(
        _("Our site does not do that"),
        _("This page cannot be used that way. Please go back and try again, or call us."),
    ),
    503: Words(
        _("We are having trouble right now"),
        _("Part of our service is not answering. Please try again in a few minutes, or call us."),
    ),
}  # fmt: skip
PUBLIC[502] = PUBLIC[504] = PUBLIC[503]
OTHER_4XX = Words(
    _("We could not do that"),
    _("Our site could not handle that request. Please go back and try again, or call us."),
)
OTHER_5XX = PUBLIC[500]
CSRF = Words(_("This page timed out"), CSRF_MESSAGE)

# Staff pages have no "home page or call us": what a colleague needs instead, in English.
STAFF: dict[int, Words] = {
    404: Words("We could not find that page",
               "The link may be old or mistyped, or what it pointed to is gone."),
    410: Words("This page is gone", "What was here has been removed."),
    500: Words("Something went wrong on our side",
               "Please try again in a moment. If it keeps happening, tell an administrator "
               "what you were doing and when."),
}  # fmt: skip


def english_words_for(status: int) -> Words:
    """The public page's heading and message for ``status``: the catalogue's msgids."""
    if status in PUBLIC:
        return PUBLIC[status]
    return OTHER_5XX if status >= 500 else OTHER_4XX


def words_for(status: int, language: str = "en", staff: bool = False) -> Words:
    """Our heading and message for ``status``, in ``language`` (a staff page's own in English)."""
    if staff:
        return STAFF.get(status) or english_words_for(status)
    return in_language(english_words_for(status), language)


def in_language(words: Words, language: str) -> Words:
    """A page's words as the catalogue says them in ``language`` (English: the msgids)."""
    gettext = gettext_for(language)
    return Words(gettext(words.title), gettext(words.message))
