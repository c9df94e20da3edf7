"""The documentation site builds strictly, and its settings page keeps up with the code."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from django_doku_allo.conf import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    # Never --quiet: mkdocs then drops the warnings that --strict counts.
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=config.parent, capture_output=True, text=True, timeout=120,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None
                    or importlib.util.find_spec("material") is None,
                    reason="mkdocs and mkdocs-material are not installed (the docs extra: "
                           'pip install -e ".[docs]")')
def test_the_docs_build_with_mkdocs_strict(tmp_path: Path) -> None:
    result = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "quickstart" / "index.html").exists()


def test_a_broken_link_fails_the_strict_build(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec(
            "material") is None:
        pytest.skip("mkdocs and mkdocs-material are not installed (the docs extra)")
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "index.md").write_text("# Home\n\n[gone](no-such-page.md)\n", encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "docs_dir: docs", f"docs_dir: {docs}")
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    result = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout + result.stderr


def test_every_setting_is_documented_with_its_default() -> None:
    page = (ROOT / "docs" / "reference" / "settings.md").read_text(encoding="utf-8")
    rows = {match.group(1): match.group(2) for match in
            re.finditer(r"^\| `([A-Z_]+)`(?: / `[A-Z_]+`)? \| `?([^|]*?)`? \|", page, re.M)}
    pairs = re.findall(r"^\| `([A-Z_]+)` / `([A-Z_]+)` \| `?([^|]*?)`? \|", page, re.M)
    for first, second, default in pairs:
        both = default.split("` / `")
        rows[first], rows[second] = (both[0], both[-1])
    missing = sorted(set(DEFAULTS) - set(rows))
    assert not missing, f"docs/reference/settings.md lacks {missing}"
    for key, default in DEFAULTS.items():
        if isinstance(default, (bool, int, float)) and not isinstance(default, bool):
            assert float(rows[key]) == float(default), key
        elif isinstance(default, bool) or default is None:
            assert rows[key] == repr(default), key


def test_readme_is_short_and_links_only_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).exists(), target
