"""Render ``benchmarks/results/*.json`` into docs/performance.md (the "Performance" page).

Only the text between ``<!-- benchmarks:start -->`` and ``<!-- benchmarks:end -->`` is
replaced; the rest of README.md is left byte for byte as it is (others edit it too).

Run: ``.venv/bin/python benchmarks/update_readme.py [--check]``
(``--check`` exits 1 when README.md is not up to date with the results, writing nothing.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import locations
from benchmarks.results import render_markdown

README = locations.REPO / "docs" / "performance.md"
START = "<!-- benchmarks:start -->"
END = "<!-- benchmarks:end -->"
#: Rendered in this order. scale_1m.json and results/before/ feed docs/performance-lists.md
#: (bench_scale.py renders it), hostile*.json docs/security.md.
ORDER = ("client", "notifications", "scale", "sync")


def load_results() -> list[dict[str, Any]]:
    files = {path.stem: path for path in sorted(locations.RESULTS_DIR.glob("*.json"))}
    return [json.loads(files[name].read_text(encoding="utf-8")) for name in ORDER
            if name in files]


def render(results: list[dict[str, Any]]) -> str:
    if not results:
        return ("\n_No results yet: run the benchmarks, then "
                "`.venv/bin/python benchmarks/update_readme.py`._\n")
    return "\n" + "\n".join(render_markdown(result) for result in results) + "\n"


def updated(text: str, section: str) -> str:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"README.md has no '{START}' ... '{END}' markers: add them under "
                         "'## Performance' first.")
    return text[:start + len(START)] + section + text[end:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report whether README.md is up to date")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = updated(text, render(load_results()))
    if args.check:
        if new != text:
            print("README.md's Performance section is out of date with benchmarks/results/.")
            raise SystemExit(1)
        print("README.md is up to date.")
        return
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"README.md: Performance section rendered from {len(load_results())} result(s).")
    else:
        print("README.md already up to date.")


if __name__ == "__main__":
    main()
