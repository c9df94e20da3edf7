"""The simulator ships its Indonesian catalogue complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import django_doku_allo.simulator

#: A ``msgstr`` (or ``msgstr[n]``) and its continuation lines.
MSGSTR = re.compile(r'^msgstr(?:\[\d\])? ("(?:[^"\\]|\\.)*")((?:\n"(?:[^"\\]|\\.)*")*)', re.M)
MESSAGES = Path(django_doku_allo.simulator.__file__).parent / "locale" / "id" / "LC_MESSAGES"


def _entries(po: str) -> list[str]:
    return [block for block in po.split("\n\n")[1:] if "msgid" in block]


def test_indonesian_catalogue_has_no_fuzzy_or_empty_translation() -> None:
    po = (MESSAGES / "django.po").read_text(encoding="utf-8")

    assert "#, fuzzy" not in po
    for entry in _entries(po):
        translations = MSGSTR.findall(entry)
        assert translations, entry
        for first, rest in translations:
            assert (first + rest).replace('"', "").replace("\n", "").strip(), entry


def test_indonesian_catalogue_is_compiled_with_every_message() -> None:
    po = (MESSAGES / "django.po").read_text(encoding="utf-8")
    with (MESSAGES / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)

    assert 'Plural-Forms: nplurals=1; plural=0;' in po
    assert catalogue.info()["language"] == "id"
    # The compiled file holds every entry of the source (a stale .mo would lag behind).
    assert len(catalogue._catalog) - 1 == len(_entries(po))  # type: ignore[attr-defined]
    assert catalogue.gettext("Cancel") == "Batalkan"
