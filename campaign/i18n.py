"""Which language a page is shown in, and which way it reads; the compiled catalogs."""

import hashlib
import logging
import os
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
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

log = logging.getLogger(__name__)

#: The translations as kept in the source: ``<locale>/LC_MESSAGES/messages.po``, and the
#: ``.mo`` compiled from each by ``make`` (not kept in git).
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: Where catalogs are compiled at startup when the source's are missing or stale.
COMPILED_FOLDER = "translations"

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


# --- compiled catalogs -------------------------------------------------------------------


def _stale(po: Path, mo: Path) -> bool:
    try:
        return mo.stat().st_mtime < po.stat().st_mtime
    except FileNotFoundError:
        return True


def _compile(po: Path, mo: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parts[-3])
    mo.parent.mkdir(parents=True, exist_ok=True)
    partial = mo.with_name(f"{mo.name}.{os.getpid()}")  # workers start at the same time
    with partial.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=True)
    partial.replace(mo)


def prepare_catalogs(app: Flask) -> None:
    """Before Flask-Babel starts: make sure every language has a compiled catalog, and name
    the catalogs' version (``CATALOG_VERSION``), which keys everything built from them.

    An install that never ran ``pybabel compile`` (``pip install .``, a copied tree, a
    checkout after ``git pull`` changed a ``.po``) served Persian and Urdu visitors English.
    When a ``.mo`` is missing or older than its ``.po``, every catalog is compiled into the
    instance folder, which is then the only translation folder (Flask-Babel merges every
    folder it is given, the later ones winning, so a stale ``.mo`` left beside would still
    be read). A deployment's own BABEL_TRANSLATION_DIRECTORIES is left as it is."""
    if app.config.get("BABEL_TRANSLATION_DIRECTORIES"):
        folders = [
            Path(app.root_path, d) for d in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
        ]
    else:
        folders = [_catalog_folder(app)]
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folders[0])
    app.config["CATALOG_VERSION"] = catalog_version(folders)


def _catalog_folder(app: Flask) -> Path:
    sources = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    stale = [po.parts[-3] for po in sources if _stale(po, po.with_suffix(".mo"))]
    if not stale:
        return TRANSLATIONS
    compiled = Path(app.instance_path) / COMPILED_FOLDER
    try:
        for po in sources:
            target = compiled / po.relative_to(TRANSLATIONS).with_suffix(".mo")
            if _stale(po, target):
                _compile(po, target)
    except (OSError, ValueError) as error:
        log.warning("Translations not compiled (%r): %s served in English", error, stale)
        return TRANSLATIONS
    log.warning(
        "Compiled translations missing or older than their .po (%s): compiled into %s. "
        "Run pybabel compile (make install does) to compile them with the code.",
        ", ".join(stale),
        compiled,
    )
    return compiled


def catalog_version(folders) -> str:
    """A digest of every compiled catalog in ``folders``: changes whenever a translation
    does, so built feeds and their ETags change with it."""
    digest = hashlib.sha256()
    for folder in folders:
        for mo in sorted(Path(folder).glob("*/LC_MESSAGES/*.mo")):
            digest.update(f"{mo.relative_to(folder)}\n".encode())
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:16]
