"""What the doctor found: findings grouped in sections, rendered as plain text."""

from __future__ import annotations

import enum
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Finding", "Level", "Report", "Section"]


class Level(enum.Enum):
    OK = "ok"
    INFO = "info"
    SKIP = "skip"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    #: What to do about it (a problem) or what it means (information).
    advice: str = ""
    #: A block printed verbatim below, unindented, e.g. a PEM or the string that was signed.
    detail: str = ""
    #: A short stable name, for tests and scripts: "private_key.password", ...
    code: str = ""


@dataclass
class Section:
    title: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: Level, message: str, advice: str = "", *, detail: str = "",
            code: str = "") -> Finding:
        finding = Finding(level, message, advice, detail, code)
        self.findings.append(finding)
        return finding

    def ok(self, message: str, advice: str = "", **kw: str) -> Finding:
        return self.add(Level.OK, message, advice, **kw)

    def info(self, message: str, advice: str = "", **kw: str) -> Finding:
        return self.add(Level.INFO, message, advice, **kw)

    def skip(self, message: str, advice: str = "", **kw: str) -> Finding:
        return self.add(Level.SKIP, message, advice, **kw)

    def warn(self, message: str, advice: str = "", **kw: str) -> Finding:
        return self.add(Level.WARN, message, advice, **kw)

    def fail(self, message: str, advice: str = "", **kw: str) -> Finding:
        return self.add(Level.FAIL, message, advice, **kw)


class Report:
    def __init__(self, heading: str = "") -> None:
        self.heading = heading
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        section = Section(title)
        self.sections.append(section)
        return section

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sections for f in s.findings]

    def count(self, level: Level) -> int:
        return sum(1 for f in self.findings if f.level is level)

    def codes(self, level: Level | None = None) -> set[str]:
        return {f.code for f in self.findings if f.code and (level is None or f.level is level)}

    @property
    def failed(self) -> bool:
        return self.count(Level.FAIL) > 0

    def summary(self) -> str:
        failures, warnings = self.count(Level.FAIL), self.count(Level.WARN)
        if not failures and not warnings:
            return "No problems found."
        parts = []
        if failures:
            parts.append(f"{failures} problem{'s' if failures != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        return f"{' and '.join(parts)} found." + (
            " Fix each FAIL above; the line below it says how." if failures else "")

    def render(self, paint: Callable[[Level, str], str] | None = None, width: int = 88) -> str:
        paint = paint or (lambda level, text: text)
        lines = [self.heading, ""] if self.heading else []
        for section in self.sections:
            if not section.findings:
                continue
            lines.append(section.title)
            for f in section.findings:
                tag = paint(f.level, f"{f.level.value:<4}")
                lines.extend(_wrap(f.message, width, f"  {tag}  ", "        "))
                if f.advice:
                    lines.extend(_wrap(f.advice, width, "        -> ", "           "))
                if f.detail:
                    # Verbatim at the margin, so a PEM can be copied as it is.
                    lines.extend(f.detail.rstrip("\n").splitlines())
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    # The tag may carry colour codes: wrap the text, then put the tag in front.
    visible = len(first) if "\x1b" not in first else 8
    wrapped = textwrap.wrap(text, width - visible, break_long_words=False,
                            break_on_hyphens=False) or [""]
    return [first + wrapped[0], *(rest + line for line in wrapped[1:])]
