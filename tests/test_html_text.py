"""The HTML-to-text engines agree: the default (lxml) gives exactly the reference's (bs4) text.

lexbor (selectolax, optional) builds its tree by the HTML5 rules, libxml2 by its own: on misnested markup
(HN's "<p>…<pre>…</pre>\\ntext</p>") HTML5 opens an empty <p> for the stray "</p>", a blank line more.
So lexbor is held to the reference text with blank lines removed, and to the same skills.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text import DEFAULT_ENGINE, available_engines, html_to_text

FIXTURE = Path(__file__).parent / "fixtures" / "html_text_real.jsonl"
REAL = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def without_blank_lines(text: str) -> str:
    """The normalisation under which lexbor agrees: paragraph breaks (blank lines) not counted."""
    return "\n".join(line for line in text.split("\n") if line)


@pytest.fixture(scope="module")
def demo_html() -> list[str]:
    from scraper.demo.corpus import build_corpus
    from tests.conftest import demo_postings

    return [p.description_html for ps in demo_postings(build_corpus()).values() for p in ps]


@pytest.fixture(scope="module")
def lexbor():
    pytest.importorskip("selectolax.lexbor")
    return "lexbor"


def test_default_engine_is_lxml_and_the_reference_stays():
    assert DEFAULT_ENGINE == "lxml"
    assert {"lxml", "bs4"} <= set(available_engines())
    html = "<p>Hello&nbsp;&amp; welcome</p><ul><li>Python</li><li>SQL</li></ul><script>x()</script>"
    assert html_to_text(html) == html_to_text(html, "bs4") == "Hello & welcome\n\n- Python\n- SQL"
    with pytest.raises(ValueError, match="unknown HTML-to-text engine"):
        html_to_text("<p>x</p>", "html.parser")


@pytest.mark.parametrize("html, text", [
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<pre>  x  y\n\n\nz</pre>", "x y\n\nz"),
    ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "ab\n\nc"),
    ("<ul><li><p>nested</p></li></ul>", "-\nnested"),
    ("x<b>a</b>\n\n<b>b</b>", "xa\nb"),  # bs4 collapses a whitespace-only string to one newline
    ("<ruby>漢<rt>kan</rt></ruby>字", "漢字"),  # bs4's get_text leaves <rt> text out
    ("<p>a<!-- c -->b<?pi x?>c<style>p{}</style>d<noscript>n</noscript>e</p>", "abcde"),
    ("R&D &copy &notanentity; &#x41;&#65;", "R&D © ¬anentity; AA"),
    ("\ufeff<p>bom</p>", "bom"),
    ("\ufeff\ufeff&amp;", "&"),  # bs4 drops one byte-order mark, libxml2 the next
    ("<html></html><p></p>0", "0"),  # markup after </html>: a second root in libxml2's tree
    ("<p></p>0</html> 0", "0 0"),
    ("<div>" * 3000 + "deep" + "</div>" * 3000 + "after", "deep\n\nafter"),  # past libxml2's 2048 levels
])
def test_engines_agree_on_edge_cases(html, text):
    assert html_to_text(html, "bs4") == text
    assert html_to_text(html, "lxml") == text


def test_lxml_equals_reference_on_every_demo_posting(demo_html):
    differing = [h for h in demo_html if html_to_text(h, "lxml") != html_to_text(h, "bs4")]
    assert len(demo_html) > 1000 and differing == []


@pytest.mark.parametrize("row", REAL, ids=[row["origin"] for row in REAL])
def test_lxml_equals_reference_on_real_postings(row):
    assert html_to_text(row["html"], "lxml") == html_to_text(row["html"], "bs4")


def test_lexbor_agrees_on_demo_postings(demo_html, lexbor):
    assert [h for h in demo_html if html_to_text(h, lexbor) != html_to_text(h, "bs4")] == []


def test_lexbor_agrees_on_real_postings_without_blank_lines_and_in_skills(lexbor):
    from pipeline.skills import load_taxonomy
    from pipeline.trends import posting_skills

    taxonomy = load_taxonomy(Path(__file__).parent.parent / "config" / "skills.yaml")
    exact = 0
    for row in REAL:
        ref, got = html_to_text(row["html"], "bs4"), html_to_text(row["html"], lexbor)
        exact += ref == got
        assert without_blank_lines(got) == without_blank_lines(ref), row["origin"]
        assert posting_skills(taxonomy, "", got) == posting_skills(taxonomy, "", ref), row["origin"]
    assert exact == len(REAL) - 3  # the three HN posts with a <pre> inside a <p>


# ---- generated markup ---------------------------------------------------------------------------
_TAGS = ["p", "div", "br", "ul", "ol", "li", "h2", "pre", "textarea", "table", "tr", "td", "tbody", "span", "b",
         "a", "i", "code", "blockquote", "dd", "dt", "section", "script", "style", "noscript", "template",
         "ruby", "rt", "rp", "head", "body", "html", "title", "o:p", "img", "hr", "x-unknown", "P", "BR"]
_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&;#x0123\n\r\t\x0c\u00a0\u200b\u2028é€\ufeff\"'=/!-?")),
                max_size=12)
_PIECES = st.one_of(
    _TEXT,
    st.sampled_from(["&amp;", "&nbsp;", "&copy", "&notit;", "&#x41;", "&#0;", "&#xD800;", "&#129;", "&", "&lt",
                     "<!-- c -->", "<!--", "<?pi x?>", "<!DOCTYPE html>", "<![CDATA[x]]>", "</", "<", ">",
                     "\r\n", "\n\n", "  ", "<br/>", "</br>", "<p/>"]),
    st.builds(lambda t, attr: f"<{t}{attr}>", st.sampled_from(_TAGS),
              st.sampled_from(["", ' class="x"', " title='a>b'", " hidden", ' a="&amp;"'])),
    st.builds(lambda t: f"</{t}>", st.sampled_from(_TAGS)),
)
_NESTED = st.recursive(
    st.lists(_PIECES, max_size=6).map("".join),
    lambda inner: st.builds(lambda t, body, tail: f"<{t}>{body}</{t}>{tail}",
                            st.sampled_from(_TAGS), inner, _TEXT),
    max_leaves=20,
)
_HTML = st.lists(st.one_of(_NESTED, _PIECES), min_size=1, max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_HTML)
def test_lxml_equals_reference_on_generated_html(html):
    assert html_to_text(html, "lxml") == html_to_text(html, "bs4")


@settings(max_examples=500, deadline=None)
@given(_HTML)
def test_lexbor_never_fails(html):
    pytest.importorskip("selectolax.lexbor")
    assert isinstance(html_to_text(html, "lexbor"), str)


ESCAPED = ["&lt;", "&gt;", "&quot;", "&#39;", "&nbsp;", "&amp;", "&amp;lt;", "&ampx", "&lt", "&#391;", "&#x27;",
           "&copy;", "&", ";", "lt;", "<p>", "a", " ", "é"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(ESCAPED) | st.text(max_size=3), max_size=30).map("".join))
def test_unescape_is_html_unescape(text):
    import html

    from pipeline.text import unescape

    assert unescape(text) == html.unescape(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\r\f\v\u00a0\u200b\nab\u2028", max_size=40))
def test_whitespace_runs_become_one_space(text):
    """Lone spaces are left unmatched (speed); every run still becomes exactly one space."""
    import re

    from pipeline.text import _SPACES

    assert _SPACES.sub(" ", text) == re.sub("[ \t\r\f\v\u00a0\u200b]+", " ", text)
