"""Result files and their rendering.

Every benchmark writes ``benchmarks/results/<name>.json``::

    {"benchmark": name, "title": ..., "command": ..., "machine": {...}, "config": {...},
     "tables": [{"title": ..., "columns": [...], "rows": [[...], ...]}],
     "notes": [...], "data": {...raw figures...}}

``update_readme.py`` renders ``title``, ``machine``, ``tables`` and ``notes``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.locations import REPO, RESULTS_DIR
from benchmarks.machine import machine_line


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"title": title, "columns": list(columns),
            "rows": [[str(cell) for cell in row] for row in rows]}


def render_text(result: dict[str, Any]) -> str:
    """The result as plain text tables, for the terminal."""
    lines = [result["title"], "=" * len(result["title"]),
             "machine: " + machine_line(result["machine"]), ""]
    for tab in result["tables"]:
        columns = tab["columns"]
        widths = [max(len(str(c)), *(len(row[i]) for row in tab["rows"])) if tab["rows"]
                  else len(str(c)) for i, c in enumerate(columns)]
        lines.append(tab["title"])
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for row in tab["rows"]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        lines.append("")
    lines.extend(f"* {note}" for note in result.get("notes", []))
    return "\n".join(lines)


def _md(text: str) -> str:
    """Plain text safe in a Markdown table cell or list item."""
    return text.replace("|", "\\|").replace("*", "\\*")


def render_markdown(result: dict[str, Any]) -> str:
    """The result as a README subsection."""
    out = [f"### {result['title']}", "",
           f"`{result['command']}` on {machine_line(result['machine'])}.", ""]
    for tab in result["tables"]:
        out.append(f"**{tab['title']}**")
        out.append("")
        out.append("| " + " | ".join(tab["columns"]) + " |")
        out.append("|" + "|".join("---" for _ in tab["columns"]) + "|")
        out.extend("| " + " | ".join(_md(cell) for cell in row) + " |" for row in tab["rows"])
        out.append("")
    out.extend(f"- {_md(note)}" for note in result.get("notes", []))
    if result.get("notes"):
        out.append("")
    return "\n".join(out)


def finish(name: str, result: dict[str, Any]) -> None:
    """Print the result and write it to ``results/<name>.json``."""
    path = write_result(name, result)
    print(render_text(result))
    print(f"\nwritten to {path.relative_to(REPO)}")
