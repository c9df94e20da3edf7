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
