"""The Quickstart page works on a fresh machine, as written.

Builds the wheel, installs it (its dependencies from PyPI, through pip's cache) into a
fresh virtual environment, creates a project with ``django-admin startproject``,
appends the page's own code blocks to its ``settings.py`` and ``urls.py``, runs the
page's shell block (keys, environment), ``migrate`` and ``runserver``, then, inside
that environment: links an account at the simulator over HTTP, posts a notification
signed with ``django_doku_allo.testing`` and checks it verified and the payment paid,
and fetches the admin login page.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.md"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(shutil.which("openssl") is None,
                       reason="the Quickstart's shell block makes its keys with openssl"),
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the Quickstart makes its own SQLite project: it runs once, in "
                              "the SQLite pass"),
]

_BLOCK_RE = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```$', re.S | re.M)

CHECK_SCRIPT = textwrap.dedent('''
    """Run inside the fresh venv, against the project's runserver at sys.argv[1]."""
    import os, sys, time, urllib.error, urllib.request
    from decimal import Decimal

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from django_doku_allo import services
    from django_doku_allo.models import Binding, Notification, Payment
    from django_doku_allo.snap.messages import CustomerContext
    from django_doku_allo.snap.signing import minify, new_external_id
    from django_doku_allo.testing import notification_body, notification_headers, \\
        notification_path

    base = sys.argv[1]
    for _ in range(150):
        try:
            page = urllib.request.urlopen(base + "/admin/login/", timeout=5)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        sys.exit("runserver never answered")
    assert page.status == 200 and b"csrfmiddlewaretoken" in page.read()
    print("admin login page: 200")

    user = get_user_model().objects.create_user("siti", password="pw-12345678")
    start = services.begin_binding(
        user=user, phone_number="6281100000001",
        customer=CustomerContext(ip_address="127.0.0.1", device_id="web"),
        return_url=base + "/doku-allo/binding/return/")
    assert start.redirect_url.startswith(base + "/doku-simulator/"), start.redirect_url
    print("binding registered at the simulator:", start.binding.status)

    binding = Binding.objects.create(
        user=user, phone_number="6281100000009", cust_id_merchant="c-9", status="active",
        external_id=new_external_id(), customer_ip="127.0.0.1")
    payment = Payment.objects.create(
        binding=binding, user=user, partner_reference_no="ALLO" + new_external_id(),
        reference_no="DOKU" + new_external_id()[:12], external_id=new_external_id(),
        amount=Decimal("150000.00"), description="Batik shirt", status="pending",
        customer_ip="127.0.0.1")
    body = minify(notification_body(payment, status="00"))
    request = urllib.request.Request(
        base + notification_path(), data=body.encode(), method="POST",
        headers={**notification_headers(body), "Content-Type": "application/json"})
    answer = urllib.request.urlopen(request, timeout=30)
    assert answer.status == 200, answer.status
    payment.refresh_from_db()
    notification = Notification.objects.get()
    assert notification.verified and notification.processed, notification.verification_error
    assert payment.status == "succeeded", payment.status
    print("notification verified; payment", payment.status)
    print("QUICKSTART-OK")
''')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], *, timeout: float, **kwargs: object) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def quickstart_blocks() -> dict[str, str]:
    """The Quickstart's titled code blocks: title -> code."""
    text = QUICKSTART.read_text(encoding="utf-8")
    return {title: code for _lang, title, code in _BLOCK_RE.findall(text)}


def test_the_quickstart_page_has_the_blocks_this_test_applies() -> None:
    blocks = quickstart_blocks()
    assert blocks["install"].strip() == "pip install django-doku-allo"
    for title in ("settings.py", "urls.py", "shell (try it without DOKU)",
                  "settings.py (try it without DOKU)", "urls.py (try it without DOKU)"):
        assert blocks.get(title, "").strip(), title
    assert "env(" not in blocks["settings.py"].replace("environ", "")


def test_a_new_project_following_only_the_quickstart_works(tmp_path: Path) -> None:
    blocks = quickstart_blocks()
    # The wheel, from a clean copy of what ships (no build/ or egg-info in the worktree).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "django_doku_allo", source / "django_doku_allo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
          "--no-deps", "-w", str(wheels), str(source)], timeout=300)
    (wheel,) = wheels.glob("django_doku_allo-*.whl")

    # "pip install django-doku-allo", with this wheel standing in for PyPI's.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          str(wheel)], timeout=300)

    project = tmp_path / "project"
    project.mkdir()
    _run([str(venv / "bin" / "django-admin"), "startproject", "mysite", str(project)],
         timeout=60)
    with (project / "mysite" / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write("\n" + blocks["settings.py"] + "\n"
                       + blocks["settings.py (try it without DOKU)"] + "\n")
    with (project / "mysite" / "urls.py").open("a", encoding="utf-8") as urls:
        urls.write("\n" + blocks["urls.py"] + "\n" + blocks["urls.py (try it without DOKU)"]
                   + "\n")
    (project / "check_quickstart.py").write_text(CHECK_SCRIPT, encoding="utf-8")

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    script = "\n".join([
        "set -euo pipefail",
        f'export PATH="{venv / "bin"}:$PATH"',
        blocks["shell (try it without DOKU)"],
        # The page's default is port 8000; this test takes a free one.
        f'export DOKU_ALLO_BASE_URL="{base}/doku-simulator"',
        "python manage.py migrate --noinput",
        "python manage.py check",
        f"python manage.py runserver 127.0.0.1:{port} --noreload > runserver.log 2>&1 &",
        "server=$!",
        'trap \'kill "$server" 2>/dev/null || true\' EXIT',
        f"python check_quickstart.py {base} || {{ cat runserver.log; exit 1; }}",
    ])
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DOKU_ALLO", "PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run(["bash", "-c", script], cwd=project, env=env, capture_output=True,
                            text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "QUICKSTART-OK" in result.stdout, output
