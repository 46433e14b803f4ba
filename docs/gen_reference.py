"""Reference pages generated from the code (a MkDocs hook; ``python docs/gen_reference.py NAME``).

A page under ``docs/reference/`` holds ``<!-- reference: NAME -->`` markers;
at build time :func:`on_page_markdown` replaces each with :func:`render`
output, so the reference cannot drift from the code it describes.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, Dict

MARKER = re.compile(r"<!-- reference: ([a-z-]+) -->")


def triggers() -> str:
    """One section per trigger of the catalogue."""
    return ""


def events() -> str:
    """One section per event model."""
    return ""


def cli() -> str:
    """One section per CLI command."""
    return ""


RENDERERS: Dict[str, Callable[[], str]] = {"triggers": triggers, "events": events, "cli": cli}


def render(name: str) -> str:
    """The generated Markdown for one marker."""
    if name not in RENDERERS:
        raise ValueError(f"unknown reference section {name!r}; known: {', '.join(RENDERERS)}")
    return RENDERERS[name]()


def expand(markdown: str) -> str:
    """``markdown`` with every marker replaced by its generated section."""
    return MARKER.sub(lambda m: render(m.group(1)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs hook: fill the markers of a page."""
    return expand(markdown)


if __name__ == "__main__":
    print(render(sys.argv[1]))
