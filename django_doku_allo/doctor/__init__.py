"""``manage.py doku_allo_doctor``: is this site ready to talk to DOKU?

:func:`diagnose` runs the offline checks (:mod:`.offline`), then optionally asks DOKU
for a token (:mod:`.live`) and sends our own notification endpoint a notification
signed as DOKU signs it (:mod:`.notify`). It returns a :class:`~.report.Report`; the
management command prints it and exits non-zero when anything failed.
"""

from __future__ import annotations

from ..conf import doku_settings
from .report import Finding, Level, Report

__all__ = ["Finding", "Level", "Report", "diagnose"]


def diagnose(*, live: bool = False, notify_self: bool = False, url: str | None = None,
             public_key: str | None = None) -> Report:
    """Check the settings (and, on request, DOKU and our own endpoint); never raises."""
    from .offline import check_offline

    doku_settings.reset()
    report = Report(f"django-doku-allo doctor: ENVIRONMENT {doku_settings.ENVIRONMENT!r}")
    keys = check_offline(report, uploaded_public_key=public_key)
    if live:
        from .live import check_live

        check_live(report, keys)
    if notify_self:
        from .notify import check_notify_self

        check_notify_self(report, keys, url=url)
    return report
