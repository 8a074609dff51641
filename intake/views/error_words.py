"""What our error pages say, in English and Spanish: our own words for every HTTP error status.

Werkzeug's stock sentences ("You don't have the permission to access the
requested resource", "The server could not verify ...") are written for
developers; a person who has just heard the word mesothelioma should read
what happened and what to do next.  Every status Werkzeug can raise has an
entry here, or falls back to the words for its class (4xx or 5xx), so no
page ever shows the framework's text.
"""

from __future__ import annotations

from typing import NamedTuple

LANGUAGES = ("en", "es")

TOO_MANY_MESSAGE = (
    "We have had a lot of requests from your connection in a short time. Please wait a few "
    "minutes and try again. Nothing you already sent is lost."
)
CSRF_MESSAGE = (
    "For your security this page timed out before it was sent. Nothing was saved yet: "
    "please check your details and press the button again."
)
TOO_LARGE_MESSAGE = (
    "What you sent was much longer than our forms accept, so nothing was saved. "
    "Please go back, shorten it and try again, or call us."
)


class Words(NamedTuple):
    """A page's heading and its one-paragraph explanation."""

    title: str
    message: str


_TRY_AGAIN = "Please go back and try again, or call us."
_VOLVER = "Vuelva a la página anterior e inténtelo de nuevo, o llámenos."

EN: dict[int, Words] = {
    400: Words(
        "We could not read that request",
        "Part of what your browser sent did not make sense to us, so nothing was saved. "
        + _TRY_AGAIN,
    ),
    401: Words("Please sign in first", "This page is only for people who have signed in."),
    403: Words(
        "This page is not open to you",
        "Your access does not include this page. If a link brought you here, it may "
        "have been meant for someone else.",
    ),
    404: Words(
        "We could not find that page",
        "The link may be old or mistyped. You can start again from our home page, or call us.",
    ),
    405: Words(
        "Not allowed",
        "This page cannot be used that way. Please go back and try again from the page itself.",
    ),
    406: Words(
        "We cannot send this page in that form", "Please open it in an ordinary web browser."
    ),
    408: Words("That took too long", f"We waited too long for what was being sent. {_TRY_AGAIN}"),
    409: Words(
        "That changed while you were on the page",
        "Something changed it at the same moment. Please reload the page and try again.",
    ),
    410: Words(
        "This page is gone",
        "What was here has been removed. You can start again from our home page, or call us.",
    ),
    413: Words("That was too much to send", TOO_LARGE_MESSAGE),
    414: Words(
        "That web address is too long",
        f"It is much longer than any address on our site. {_TRY_AGAIN}",
    ),
    429: Words("Too many requests", TOO_MANY_MESSAGE),
    451: Words("This page is not available", "We cannot show this page, for legal reasons."),
    500: Words("Something went wrong on our side", "Please try again in a moment, or call us."),
    501: Words("Our site does not do that", f"This page cannot be used that way. {_TRY_AGAIN}"),
    503: Words(
        "We are having trouble right now",
        "Part of our service is not answering. Please try again in a few minutes, or call us.",
    ),
}
EN_4XX = Words("We could not do that", f"Our site could not handle that request. {_TRY_AGAIN}")
EN_5XX = EN[500]
EN[502] = EN[504] = EN[503]

ES: dict[int, Words] = {
    400: Words(
        "No pudimos leer esa solicitud",
        f"Parte de lo que envió su navegador no tenía sentido para nosotros, así que no se "
        f"guardó nada. {_VOLVER}",
    ),
    401: Words(
        "Primero inicie sesión", "Esta página es solo para personas que han iniciado sesión."
    ),
    403: Words(
        "Esta página no está abierta para usted",
        "Su acceso no incluye esta página. Si llegó aquí por un enlace, puede que fuera "
        "para otra persona.",
    ),
    404: Words(
        "No encontramos esa página",
        "Puede que el enlace sea antiguo o tenga un error. Puede empezar de nuevo desde "
        "nuestra página de inicio, o llamarnos.",
    ),
    405: Words(
        "No está permitido",
        "Esta página no se puede usar de esa manera. Vuelva atrás e inténtelo de nuevo "
        "desde la misma página.",
    ),
    406: Words("No podemos enviar esta página de esa forma", "Ábrala en un navegador web normal."),
    408: Words("Tardó demasiado", f"Esperamos demasiado lo que se estaba enviando. {_VOLVER}"),
    409: Words(
        "Algo cambió mientras estaba en la página",
        "Algo la cambió en el mismo momento. Vuelva a cargar la página e inténtelo de nuevo.",
    ),
    410: Words(
        "Esta página ya no existe",
        "Lo que había aquí se ha quitado. Puede empezar de nuevo desde nuestra página de "
        "inicio, o llamarnos.",
    ),
    413: Words(
        "Era demasiado para enviar",
        "Lo que envió era mucho más largo de lo que aceptan nuestros formularios, así que no "
        "se guardó nada. Vuelva atrás, acórtelo e inténtelo de nuevo, o llámenos.",
    ),
    414: Words(
        "Esa dirección web es demasiado larga",
        f"Es mucho más larga que cualquier dirección de nuestro sitio. {_VOLVER}",
    ),
    429: Words(
        "Demasiadas solicitudes",
        "Hemos recibido muchas solicitudes desde su conexión en poco tiempo. Espere unos "
        "minutos e inténtelo de nuevo. No se ha perdido nada de lo que ya envió.",
    ),
    451: Words(
        "Esta página no está disponible", "No podemos mostrar esta página por motivos legales."
    ),
    500: Words("Algo salió mal de nuestro lado", "Inténtelo de nuevo en un momento, o llámenos."),
    501: Words(
        "Nuestro sitio no hace eso", f"Esta página no se puede usar de esa manera. {_VOLVER}"
    ),
    503: Words(
        "Estamos teniendo problemas ahora mismo",
        "Una parte de nuestro servicio no responde. Inténtelo de nuevo en unos minutos, o "
        "llámenos.",
    ),
}
ES_4XX = Words("No pudimos hacer eso", f"Nuestro sitio no pudo atender esa solicitud. {_VOLVER}")
ES_5XX = ES[500]
ES[502] = ES[504] = ES[503]
# Staff pages have no "home page or call us": what a colleague needs instead.
STAFF: dict[int, Words] = {
    404: Words("We could not find that page",
               "The link may be old or mistyped, or what it pointed to is gone."),
    410: Words("This page is gone", "What was here has been removed."),
    500: Words("Something went wrong on our side",
               "Please try again in a moment. If it keeps happening, tell an administrator "
               "what you were doing and when."),
}  # fmt: skip
CSRF = {
    "en": Words("This page timed out", CSRF_MESSAGE),
    "es": Words(
        "Esta página caducó",
        "Por su seguridad, esta página caducó antes de enviarse. Todavía no se guardó "
        "nada: revise sus datos y pulse el botón de nuevo.",
    ),
}

# The rest of each page (the way home, our phone number) in the same language.
CHROME = {
    "en": {"home": "Go to the home page", "call": "or call us on", "glad": "we're glad to help."},
    "es": {"home": "Ir a la página de inicio", "call": "o llámenos al",
           "glad": "con gusto le ayudamos."},
}  # fmt: skip


def words_for(status: int, language: str = "en", staff: bool = False) -> Words:
    """Our heading and message for ``status`` in ``language`` (English unless "es")."""
    if staff and status in STAFF:
        return STAFF[status]
    table, four, five = (ES, ES_4XX, ES_5XX) if language == "es" else (EN, EN_4XX, EN_5XX)
    if status in table:
        return table[status]
    return five if status >= 500 else four
