"""HTML to plain text, once per posting, keeping block structure as line breaks."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup

_BLOCKS = (
    "p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "table", "section", "article", "pre", "blockquote", "dd", "dt",
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(html: str) -> str:
    """Readable text of an HTML fragment: one line per block element, whitespace collapsed.

    List items keep a leading "- " so sentence-level rules can tell bullets apart.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return normalize_whitespace(html)
    soup = BeautifulSoup(html, "lxml")
    for dead in soup(["script", "style", "noscript", "template"]):
        dead.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert(0, "\n- ")
    for block in soup.find_all(_BLOCKS):
        block.insert(0, "\n")
        block.append("\n")
    return normalize_whitespace(soup.get_text())


def normalize_whitespace(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()
