"""What ships: the API docs render offline, the package data is declared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_static_files_not_a_cdn(client: Any, settings: Any,
                                                             admin_user: Any) -> None:
    from drf_spectacular.settings import patched_settings

    from example_project import settings as shop

    client.force_login(admin_user)
    # drf-spectacular reads SPECTACULAR_SETTINGS once, at import: patch its settings object.
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "drf_spectacular_sidecar"]
                           ), patched_settings(shop.SPECTACULAR_SETTINGS):
        page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page
    assert "drf_spectacular_sidecar" in shop.INSTALLED_APPS


def test_the_sidecar_is_part_of_the_drf_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("drf-spectacular-sidecar")
               for d in project["optional-dependencies"]["drf"])
    assert set(project["urls"]) == {"Homepage", "Documentation", "Changelog", "Issues"}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_wheel_ships_the_compiled_catalogues(tmp_path: Path) -> None:
    """Without the .mo files an installed app is English whatever LANGUAGE_CODE says."""
    import shutil
    import subprocess
    import sys
    import zipfile

    # From a clean copy of what ships, as the quickstart test builds it.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "django_doku_allo", source / "django_doku_allo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet",
                    "--disable-pip-version-check", "--no-deps", "-w", str(wheels),
                    str(source)], check=True, timeout=300)
    (wheel,) = wheels.glob("django_doku_allo-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    expected = {path.relative_to(ROOT).as_posix()
                for path in (ROOT / "django_doku_allo").rglob("locale/*/LC_MESSAGES/*.[mp]o")}
    assert "django_doku_allo/locale/id/LC_MESSAGES/django.mo" in expected
    assert expected <= names, sorted(expected - names)
