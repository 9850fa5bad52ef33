"""Which language a page is shown in, and which way it reads."""

from babel import Locale, UnknownLocaleError
from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    make_response,
    redirect,
    request,
)
from flask_babel import get_locale

from campaign.navigation import local_path

#: Languages written right to left; ``<html dir="rtl">`` for these.
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "sd", "yi"})
LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """The visitor's language; English outside a request (the CLI, services under test)."""
    if not has_request_context():
        return "en"
    return locale_of(request, current_app.config["LANGUAGES"])


def locale_of(http_request, languages) -> str:
    """The language chosen with the switcher (a cookie), else the best of Accept-Language.
    ``http_request`` is Flask's request or a plain werkzeug one (``exports.fastpath``)."""
    chosen = http_request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return http_request.accept_languages.best_match(languages.keys()) or "en"


#: The regional form each interface language is formatted in (dates, month names, country
#: names, digits): the campaign's Persian readers are mostly Afghan, who read Dari and its
#: month names (جنوری، دسمبر), not Iranian Persian (ژانویه، دسامبر); Urdu as in Pakistan.
FORMAT_LOCALES = {"fa": "fa_AF", "ur": "ur_PK"}


def formatting_locale(language: str | None = None) -> str:
    """The Babel locale that dates and names of ``language`` (the page's) are written in."""
    language = language or str(get_locale() or "en")
    return FORMAT_LOCALES.get(language, language)


def language_name(code: str) -> str:
    """The language's own name for itself ("فارسی", "اردو", "English"), else the code."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (ValueError, UnknownLocaleError):
        return code


def text_direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def init_app(app: Flask) -> None:
    @app.context_processor
    def language_context():
        language = str(get_locale() or "en")
        return {
            "html_lang": language,
            "html_dir": text_direction(language),
            "ui_languages": current_app.config["LANGUAGES"],
        }


bp = Blueprint("i18n", __name__)


@bp.get("/language/<code>")
def choose_language(code: str):
    """The language switcher: remember the choice in a cookie, go back where we were."""
    response = make_response(redirect(local_path(request.args.get("next")) or "/"))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response
