"""The subject-facing languages: English, French, German and Spanish.

Translations are kept as ``.po`` files beside this module (``<lang>/LC_MESSAGES/
messages.po``) and compiled to ``.mo`` when the app starts, into the instance folder, so
nobody has to run ``pybabel compile`` by hand and no binary catalog is committed.

The language of a page is the visitor's choice (``?lang=fr``, kept in the session), else
the best match of the browser's ``Accept-Language``, else English. Messages to a subject
are written in the language of their request (``force_locale`` in ``dsar.mail``).
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_request_context, request, session
from flask_babel import get_babel, refresh

#: Language code -> its own name, in the order the switcher shows them.
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español"}
DEFAULT = "en"
CATALOGS = Path(__file__).resolve().parent
DOMAIN = "messages"

# Compiled catalogs per process: (po path, mtime) -> .mo bytes. Test suites build many
# apps; each writes the bytes into its own instance folder without parsing again.
_compiled: dict[tuple[str, int], bytes] = {}


def init_app(app: Flask) -> None:
    """Compile the catalogs for ``app`` and install the locale choice (after babel.init_app)."""
    directory = compile_catalogs(Path(app.instance_path) / "translations")
    config = get_babel(app)
    config.translation_directories = [str(directory)]
    config.locale_selector = select_locale
    app.before_request(_remember_choice)
    app.context_processor(lambda: {"languages": LANGUAGES, "current_language": g.get("lang", DEFAULT)})


def supported(language: str | None) -> str:
    """``language`` if the portal speaks it, else English."""
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT


def compile_catalogs(target: Path) -> Path:
    """Write ``<target>/<lang>/LC_MESSAGES/messages.mo`` for every ``.po`` here; return target.

    Falls back to a private temporary folder when the instance folder is read-only.
    """
    try:
        _write_catalogs(target)
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="dsar-translations-"))
        _write_catalogs(target)
    return target


def _write_catalogs(target: Path) -> None:
    for po in sorted(CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(CATALOGS).with_suffix(".mo")
        data = _compile(po)
        if mo.exists() and mo.read_bytes() == data:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_suffix(".mo.tmp")
        partial.write_bytes(data)
        partial.replace(mo)  # atomic: a concurrent worker never reads half a catalog


def _compile(po: Path) -> bytes:
    key = (str(po), po.stat().st_mtime_ns)
    if key not in _compiled:
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        _compiled[key] = buffer.getvalue()
    return _compiled[key]


def select_locale() -> str:
    """The page language: the visitor's explicit choice, else their browser's, else English."""
    if not has_request_context():
        return DEFAULT
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def _remember_choice() -> None:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen
    refresh()  # a locale cached on ``g`` by an earlier request of the same app context is stale
    g.lang = select_locale()
