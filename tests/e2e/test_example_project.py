"""The example project still starts: checks pass, migrations apply and match the models.

Cheap, so CI notices a broken example shop even where the browser test is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import example_env, manage

pytestmark = pytest.mark.slow


def test_example_project_checks_migrates_and_creates_demo_users(tmp_path: Path) -> None:
    env = example_env(tmp_path)
    manage(env, "check", "--fail-level", "WARNING")
    manage(env, "makemigrations", "--check", "--dry-run")
    manage(env, "migrate", "--noinput")
    result = manage(env, "create_demo_user")
    assert "demo / demo-pass-123" in result.stdout


def test_example_project_without_environment_makes_its_own_keys(tmp_path: Path) -> None:
    # Only the database is redirected: keys come from example_project/var/, made on
    # first use, which is what `bash scripts/demo` relies on.
    env = example_env(tmp_path)
    for name in ("DOKU_ALLO_PRIVATE_KEY_PATH", "DOKU_ALLO_SIMULATOR_PRIVATE_KEY_PATH",
                 "DOKU_ALLO_TOKEN_ENCRYPTION_KEY", "DOKU_ALLO_BASE_URL"):
        env.pop(name)
    manage(env, "check", "--fail-level", "WARNING")
