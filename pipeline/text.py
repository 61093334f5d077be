"""HTML to plain text, once per posting, keeping block structure as line breaks.

Three engines; lxml gives exactly bs4's text, lexbor the same up to blank lines (tests/test_html_text.py
checks it on the demo corpus, real postings and generated markup):

* ``"lxml"`` (the default): libxml2's tree walked once in Python;
* ``"bs4"``: the reference, BeautifulSoup on the same libxml2 parser, editing the tree and calling
  ``get_text()``; the lxml engine reproduces what BeautifulSoup adds on top of libxml2 (whitespace-only
  strings collapsed to one space or newline outside ``<pre>``/``<textarea>``, ``<rt>``/``<rp>`` text left out);
* ``"lexbor"``: selectolax's HTML5 parser (optional). It parses faster, but walking the tree in Python
  costs as much as with lxml, and its HTML5 tree builder differs from libxml2's on misnested markup: HN's
  "<p>…<pre>…</pre>text</p>" gets an extra empty paragraph (a blank line) for the stray "</p>".

Measured in tests/bench/bench_html_text.py: on one core, lxml and lexbor about 9-20 MB/s, bs4 1-2 MB/s.
"""
from __future__ import annotations

import html as _html
import importlib.util
import re
import threading
from typing import Literal

from lxml import etree

Engine = Literal["lxml", "bs4", "lexbor"]
DEFAULT_ENGINE: Engine = "lxml"

_BLOCKS = frozenset((
    "p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "table", "section", "article", "pre", "blockquote", "dd", "dt",
))
_DEAD = frozenset(("script", "style", "noscript", "template"))
# BeautifulSoup keeps these tags' own text in string classes that get_text() leaves out.
_RUBY = frozenset(("rt", "rp"))
# Inside these BeautifulSoup keeps whitespace-only strings as they are.
_PRESERVE = frozenset(("pre", "textarea"))
# Every run of these characters becomes one space. A lone " " already is one, so it is left unmatched
# (most matches otherwise: one per word).
_SPACE_CHARS = r" \t\r\f\v\u00a0\u200b"
_SPACES = re.compile(rf"[{_SPACE_CHARS}]{{2,}}|[{_SPACE_CHARS[1:]}]")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_parsers = threading.local()
# libxml2 builds at most 2048 levels even with huge_tree and silently drops what lies deeper (BeautifulSoup,
# fed libxml2's events, keeps it): such documents, never a real posting, go to the reference engine.
_DEEPEST = 2000
_BOM = "\ufeff"
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"  # BeautifulSoup.ASCII_SPACES


def available_engines() -> list[Engine]:
    """The engines that can run here: lexbor only when selectolax is installed."""
    engines: list[Engine] = ["lxml", "bs4"]
    if importlib.util.find_spec("selectolax") is not None:
        engines.append("lexbor")
    return engines


def html_to_text(html: str, engine: Engine = DEFAULT_ENGINE) -> str:
    """Readable text of an HTML fragment: one line per block element, whitespace collapsed.

    List items keep a leading "- " so sentence-level rules can tell bullets apart.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return normalize_whitespace(html)
    if engine == "lxml":
        return normalize_whitespace(_lxml_text(html))
    if engine == "bs4":
        return normalize_whitespace(_bs4_text(html))
    if engine == "lexbor":
        return normalize_whitespace(_lexbor_text(html))
    raise ValueError(f"unknown HTML-to-text engine {engine!r}: lxml, bs4 or lexbor")


# The references escaped HTML is usually made of (Greenhouse content: about 200 in a posting), "&amp;" last.
_COMMON_REFERENCES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&nbsp;", "\xa0"), ("&amp;", "&"))


def unescape(text: str) -> str:
    """html.unescape, several times faster on escaped HTML. When every "&" starts one of the common
    references (they cannot overlap: each holds one "&"), replacing them one kind after another gives
    html.unescape's result: no replacement makes a new "&" before "&amp;" is replaced, and a "&amp;lt;"
    holds no "&lt;". Anything else goes to html.unescape."""
    ampersands = text.count("&")
    if ampersands == 0:
        return text
    if ampersands != sum(text.count(ref) for ref, _ in _COMMON_REFERENCES):
        return _html.unescape(text)
    for ref, char in _COMMON_REFERENCES:
        text = text.replace(ref, char)
    return text


def normalize_whitespace(text: str) -> str:
    # _SPACES never matches "\n": one substitution over the whole text equals one per line, and is faster
    lines = _SPACES.sub(" ", text.replace("\r\n", "\n")).split("\n")
    joined = "\n".join([line.strip() for line in lines])
    return _BLANK_LINES.sub("\n\n", joined).strip()


def _bs4_text(html: str) -> str:
    from bs4 import BeautifulSoup  # the reference engine only

    soup = BeautifulSoup(html, "lxml")
    for dead in soup(list(_DEAD)):
        dead.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert(0, "\n- ")
    for block in soup.find_all(list(_BLOCKS)):
        block.insert(0, "\n")
        block.append("\n")
    return soup.get_text()


def _kept(text: str, pre: bool) -> str:
    """BeautifulSoup's rule for a string of ASCII whitespace outside <pre>: one newline or one space."""
    if pre or text.strip(_ASCII_SPACES):
        return text
    return "\n" if "\n" in text else " "


def _lxml_text(html: str) -> str:
    parser = getattr(_parsers, "html", None)
    if parser is None:  # a parser serves one thread at a time; after close() it takes the next document
        # huge_tree: without it libxml2 drops the whole tree past 255 levels of nesting, where
        # BeautifulSoup (which builds its own tree from libxml2's events) keeps everything
        parser = _parsers.html = etree.HTMLParser(recover=True, huge_tree=True)
    # Fed like BeautifulSoup feeds it: without a leading byte-order mark (libxml2 drops a second one), in
    # one feed, then close; so libxml2 sees the same input the same way.
    parser.feed(html.removeprefix(_BOM))
    root = parser.close()
    if root is None:  # nothing but comments or a doctype: no document element, no text
        return ""
    out: list[str] = []
    add = out.append
    if root.getnext() is not None:
        # Markup after "</html>": libxml2's tree puts it in a second root and loses some of its whitespace,
        # where BeautifulSoup, fed libxml2's events, keeps it. Never a real posting: the reference does it.
        return _bs4_text(html)
    # Iterative (nesting is unbounded): a frame is (children left, inside <pre>/<textarea>, inside
    # <rt>/<rp>, the element they belong to, and the same two flags for that element's own tail).
    stack: list[tuple] = [(iter((root,)), False, False, None, False, False)]
    while stack:
        children, pre, ruby, owner, owner_pre, owner_ruby = stack[-1]
        for el in children:
            tag = el.tag
            if tag.__class__ is str and tag not in _DEAD:  # comments, processing instructions: tail only
                if tag == "br":
                    add("\n")
                else:
                    if tag == "li":
                        add("\n- ")
                    elif tag in _BLOCKS:
                        add("\n")
                    inner_pre = pre or tag in _PRESERVE
                    inner_ruby = ruby or tag in _RUBY
                    text = el.text
                    if text and not inner_ruby:
                        add(_kept(text, inner_pre))
                    if len(el):
                        if len(stack) >= _DEEPEST:
                            return _bs4_text(html)
                        stack.append((iter(el), inner_pre, inner_ruby, el, pre, ruby))
                        break
                    if tag in _BLOCKS:
                        add("\n")
            tail = el.tail
            if tail and not ruby:
                add(_kept(tail, pre))
        else:
            stack.pop()
            if owner is not None:
                if owner.tag in _BLOCKS:
                    add("\n")
                tail = owner.tail
                if tail and not owner_ruby:
                    add(_kept(tail, owner_pre))
    return "".join(out)


def _lexbor_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser  # optional: only this engine needs selectolax

    # BeautifulSoup drops a leading byte-order mark, then libxml2 one more; lexbor would keep them as text
    root = LexborHTMLParser(html.removeprefix(_BOM).removeprefix(_BOM)).root
    out: list[str] = []
    # (node, inside <pre>/<textarea>, inside <rt>/<rp>, leaving it): iterative, as lexbor nests without limit
    stack = [(root, False, False, False)] if root is not None else []
    while stack:
        node, pre, ruby, leaving = stack.pop()
        if node.is_text_node:
            text = node.text_content
            if text and not ruby:
                out.append(_kept(text, pre))
            continue
        tag = node.tag
        if leaving:
            if tag in _BLOCKS:
                out.append("\n")
        elif tag == "br":
            out.append("\n")
        elif node.is_element_node and tag not in _DEAD:
            if tag == "li":
                out.append("\n- ")
            elif tag in _BLOCKS:
                out.append("\n")
            inner_pre, inner_ruby = pre or tag in _PRESERVE, ruby or tag in _RUBY
            stack.append((node, pre, ruby, True))
            children = []
            child = node.child
            while child is not None:
                children.append((child, inner_pre, inner_ruby, False))
                child = child.next
            stack.extend(reversed(children))
    return "".join(out)
