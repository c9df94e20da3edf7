"""Running the doctor as a merchant would: the command, its output and its exit code."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from django_doku_allo.doctor import Level, Report
from django_doku_allo.management.commands import doku_allo_doctor as command


@dataclass
class Run:
    exit_code: int
    output: str
    report: Report

    @property
    def text(self) -> str:
        """The output with its line wrapping undone, for assertions on phrases."""
        return " ".join(self.output.split())

    @property
    def failures(self) -> set[str]:
        return self.report.codes(Level.FAIL)

    @property
    def warnings(self) -> set[str]:
        return self.report.codes(Level.WARN)


def run_doctor(*args: str) -> Run:
    """``manage.py doku_allo_doctor *args``: exit code, what it printed, and its findings."""
    out = StringIO()
    reports: list[Report] = []
    diagnose = command.diagnose

    def keep(**kwargs: Any) -> Report:
        reports.append(diagnose(**kwargs))
        return reports[-1]

    command.diagnose = keep
    try:
        call_command("doku_allo_doctor", *args, stdout=out)
        exit_code = 0
    except CommandError as exc:
        exit_code = exc.returncode
    finally:
        command.diagnose = diagnose
    return Run(exit_code, out.getvalue(), reports[-1])
