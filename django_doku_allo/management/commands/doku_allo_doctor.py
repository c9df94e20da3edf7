"""``manage.py doku_allo_doctor [--live] [--notify-self [--url [URL]]] [--public-key FILE]``.

Offline it checks every DOKU_ALLO setting and key and says, for each problem, what to
do. ``--live`` asks the configured DOKU for a B2B token; ``--notify-self`` sends our
own notification endpoint a notification signed as DOKU signs it. Exits 1 when
anything failed (2 with ``--fail-on-warning`` and only warnings), for CI. See
docs/doctor.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...doctor import Level, diagnose


class Command(BaseCommand):
    help = "Check the DOKU Allo settings and keys; with --live, DOKU itself."
    requires_system_checks: list[str] = []  # it reports those problems itself, in words

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--live", action="store_true",
                            help="Ask the configured DOKU for a B2B token (and probe the "
                                 "client secret with a read-only status inquiry).")
        parser.add_argument("--notify-self", action="store_true",
                            help="Send our notification endpoint a notification signed as "
                                 "DOKU signs it, in-process (rolled back) unless --url.")
        parser.add_argument("--url", nargs="?", const="", default=None, metavar="URL",
                            help="With --notify-self: send over HTTP to URL (default: "
                                 "PUBLIC_BASE_URL) instead of in-process.")
        parser.add_argument("--public-key", metavar="FILE",
                            help="The public key uploaded to DOKU, to compare with "
                                 "PRIVATE_KEY.")
        parser.add_argument("--fail-on-warning", action="store_true",
                            help="Exit non-zero on warnings too.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["url"] is not None and not options["notify_self"]:
            raise CommandError("--url goes with --notify-self.")
        report = diagnose(live=options["live"], notify_self=options["notify_self"],
                          url=options["url"], public_key=options["public_key"])
        styles = {Level.OK: self.style.SUCCESS, Level.WARN: self.style.WARNING,
                  Level.FAIL: self.style.ERROR, Level.SKIP: self.style.NOTICE}
        colour = self.stdout.isatty() and not options.get("no_color")
        paint = (lambda level, text: styles.get(level, str)(text)) if colour else None
        self.stdout.write(report.render(paint), ending="")
        if report.failed:
            raise CommandError(f"doku_allo_doctor: {report.count(Level.FAIL)} problem(s).",
                               returncode=1)
        if options["fail_on_warning"] and report.count(Level.WARN):
            raise CommandError(f"doku_allo_doctor: {report.count(Level.WARN)} warning(s).",
                               returncode=2)
