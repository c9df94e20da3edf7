"""Every marked string has an Indonesian translation, and the compiled .mo matches the .po.

For each catalogue, ``makemessages`` runs on a copy of its tree (so the committed
``.po`` is never rewritten by a test run) and merges the strings marked today into
the committed ``.po``: any entry that comes out empty or fuzzy names a string that is
marked but not (or no longer) translated. Then the committed ``.mo`` must give the
``.po``'s translation for every entry, or a running site would show something else.
"""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "id"


@dataclass(frozen=True)
class Catalogue:
    name: str
    root: Path
    ignore: tuple[str, ...] = ()

    @property
    def po(self) -> Path:
        return self.root / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")


CATALOGUES = (
    Catalogue("django_doku_allo", ROOT / "django_doku_allo", ignore=("simulator/*",)),
    Catalogue("simulator", ROOT / "django_doku_allo" / "simulator"),
    Catalogue("example_project", ROOT / "example_project", ignore=("var/*",)),
)


@dataclass
class Entry:
    context: str | None
    msgid: str
    plural: str | None
    msgstrs: list[str]
    fuzzy: bool

    @property
    def label(self) -> str:
        return f"[{self.context}] {self.msgid}" if self.context else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The live entries of a PO file (the header and obsolete ``#~`` ones left out)."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        fuzzy, current = False, None
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current is not None:
                fields[current] += ast.literal_eval(line)
            elif " " in line:
                key, _, value = line.partition(" ")
                current = key
                fields[key] = ast.literal_eval(value)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        strs = [fields[key] for key in sorted(fields) if key.startswith("msgstr")]
        entries.append(Entry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"),
                             strs, fuzzy))
    return entries


def _skip_unbuilt(catalogue: Catalogue) -> None:
    if not catalogue.po.exists():
        pytest.skip(f"{catalogue.po.relative_to(ROOT)} does not exist yet (built by its own "
                    "slice; the skip goes at the merge)")


def _untranslated(entries: list[Entry]) -> list[str]:
    return [entry.label for entry in entries
            if entry.fuzzy or not entry.msgstrs or not all(entry.msgstrs)]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_every_marked_string_has_an_indonesian_translation(
        catalogue: Catalogue, tmp_path: Path) -> None:
    _skip_unbuilt(catalogue)
    if shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (msgmerge) is not installed; scripts/test installs it")
    copy = tmp_path / catalogue.root.name
    shutil.copytree(catalogue.root, copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "var"))
    command = [sys.executable, "-m", "django", "makemessages", "-l", LANGUAGE,
               "--no-obsolete"]
    for pattern in catalogue.ignore:
        command += ["--ignore", pattern]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=240)

    merged = read_po(copy / catalogue.po.relative_to(catalogue.root))

    assert _untranslated(merged) == [], (
        f"marked but not translated in {catalogue.po.relative_to(ROOT)} (run makemessages "
        "and translate them; see docs/translations.md)")


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_the_compiled_catalogue_matches_the_po(catalogue: Catalogue) -> None:
    _skip_unbuilt(catalogue)
    assert catalogue.mo.exists(), f"{catalogue.mo.relative_to(ROOT)} is missing: compile it"
    with catalogue.mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for entry in read_po(catalogue.po):
        if entry.fuzzy:
            continue
        if entry.plural is not None:
            got = (compiled.npgettext(entry.context, entry.msgid, entry.plural, 1)
                   if entry.context else compiled.ngettext(entry.msgid, entry.plural, 1))
        else:
            got = (compiled.pgettext(entry.context, entry.msgid) if entry.context
                   else compiled.gettext(entry.msgid))
        if got != entry.msgstrs[0]:
            stale.append(entry.label)

    assert stale == [], f"recompile {catalogue.mo.relative_to(ROOT)} (compilemessages)"


def test_representative_strings_come_out_in_indonesian() -> None:
    from django_doku_allo.api.errors import DeviceIdInvalid
    from django_doku_allo.models import Payment, PaymentStatus
    from django_doku_allo.wording import customer_message_for_code

    with translation.override(LANGUAGE):
        assert str(Payment._meta.verbose_name) == "Pembayaran Allo Bank"
        assert str(PaymentStatus.SUCCEEDED.label) == "Berhasil"
        assert customer_message_for_code("declined", "4035414") == (
            "Saldo Allo Bank Anda tidak cukup. Isi saldo Anda, lalu coba lagi.")
        assert str(DeviceIdInvalid().detail).startswith("Header X-Device-ID harus")


@pytest.mark.django_db
def test_a_system_check_speaks_indonesian(settings) -> None:
    from django_doku_allo.checks import check_settings

    settings.DOKU_ALLO = {**settings.DOKU_ALLO, "CLIENT_ID": ""}
    with translation.override(LANGUAGE):
        messages = {message.id: message for message in check_settings()}

    assert messages["doku_allo.E002"].msg == "DOKU_ALLO['CLIENT_ID'] belum diisi."
