"""What the source adapter tests share: running an adapter's collect, and payloads for its parser's property tests.

The property tests feed a parser random JSON and real recorded payloads with parts dropped or swapped for odd
values; the parser may raise SourceFormatError for a wrong overall shape and nothing else, and every posting it
emits must pass `check_posting`.
"""
from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from types import ModuleType
from typing import Any, Iterable

from hypothesis import HealthCheck, settings as hsettings, strategies as st

from scraper.fetch import Fetcher
from scraper.records import RawPosting
from scraper.settings import FetchSettings
from scraper.sources.base import ParsedPage, SourceContext


def run_collect(
    adapter: ModuleType, source: Any, settings: FetchSettings, context: SourceContext | None = None, **options: Any
) -> ParsedPage:
    """`adapter.collect` for one source with a fresh Fetcher, run to the end; `options` go to that collect."""

    async def main() -> ParsedPage:
        async with Fetcher(settings) as fetcher:
            return await adapter.collect(fetcher, source, context, **options)

    return asyncio.run(main())


def property_settings(max_examples: int = 300):
    """No deadline and no size/speed health checks: payloads with 200 kB strings are slow and large on purpose."""
    return hsettings(max_examples=max_examples, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- random JSON ----------------------------------------------------------------------------------

HUGE_TEXT = "x" * 200_000
# Beyond what hypothesis draws by itself: a number no float holds, a huge string, whitespace that str.split eats.
_HARD_SCALARS = [10**400, HUGE_TEXT, " \u00a0\n"]
_JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50) | st.sampled_from(_HARD_SCALARS)
)


def json_values(*extra_scalars: Any) -> st.SearchStrategy[Any]:
    """Any JSON value, nested a few levels; `extra_scalars` mixes in values a test wants seen (e.g. URLs)."""
    scalars = _JSON_SCALARS | st.sampled_from(extra_scalars) if extra_scalars else _JSON_SCALARS
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=20,
    )


JSON_VALUES = json_values()

# Values a field should not hold but one day will: empty, control and bidi characters, numbers and dates at the
# edge of what parses, entity-escaped markup, the wrong type.
_ODD_SCALARS = [
    "", " ", "\x00", "\u202e", "\u202e\x00\ufeff名前", "9" * 500, "nan", "inf", "-1e400", "1e400",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-13-45T99:99:99", "99999-01-01",
    "&amp;lt;p&amp;gt;", "&lt;p&gt;", "&", 10**400, -(10**30), float("nan"), float("inf"), True, [], {},
]


def odd_values(*near_misses: Any) -> st.SearchStrategy[Any]:
    """Odd values for any field, plus `near_misses`: a source's own almost-valid values ("1 YEAR", "2026-02-30")."""
    strategies = [JSON_VALUES, st.text(min_size=2000, max_size=6000), st.sampled_from(_ODD_SCALARS)]
    if near_misses:
        strategies.append(st.sampled_from(near_misses))
    return st.one_of(strategies)


ODD_VALUES = odd_values()


# --- real payloads, mutated -------------------------------------------------------------------------

@st.composite
def with_odd_fields(draw, items: list[Any], keys: Iterable[str], odd: st.SearchStrategy[Any] = ODD_VALUES):
    """Copies of `items` in any order, each with up to 4 of `keys` dropped or set to an odd value, among up to
    2 random JSON values."""
    keys = sorted(keys)
    items = [copy.deepcopy(item) for item in items]  # one copy each, even of an item listed twice
    for item in items:
        for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
            if draw(st.booleans()):
                item.pop(key, None)
            else:
                item[key] = draw(odd)
    items.extend(draw(st.lists(JSON_VALUES, max_size=2)))
    return draw(st.permutations(items))


def _slots(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON tree, so a mutation can hit any depth."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found.append((node, key))
        _slots(value, found)
    return found


@st.composite
def mutated_at_slots(draw, original: Any, values: st.SearchStrategy[Any] = JSON_VALUES):
    """`original` after 1 to 6 edits, each at any depth: a dict entry deleted, or any entry replaced by `values`."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 6))):
        slots = _slots(data, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(values)
    return data


@st.composite
def mutated_throughout(draw, value: Any, odd: st.SearchStrategy[Any], appended: st.SearchStrategy[Any], depth=0):
    """`value` with every dict entry kept, dropped, swapped for `odd` or mutated in turn, every scalar perhaps
    swapped for `odd`; the top list and some inner ones get up to 2 `appended` items."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            action = draw(st.sampled_from(["keep", "keep", "recurse", "drop", "odd"]))
            if action == "keep":
                out[key] = item
            elif action == "recurse":
                out[key] = draw(mutated_throughout(item, odd, appended, depth + 1))
            elif action == "odd":
                out[key] = draw(odd)
        return out
    if isinstance(value, list):
        items = [draw(mutated_throughout(item, odd, appended, depth + 1)) for item in value]
        return items + draw(st.lists(appended, max_size=2)) if depth == 0 or draw(st.booleans()) else items
    return value if draw(st.booleans()) else draw(odd)


# --- what every posting promises --------------------------------------------------------------------

REMOTE_HINTS = ("", "remote", "hybrid", "onsite")
# The hint keys RawPosting documents (scraper/records.py).
STATED_HINTS = {"employment", "country", "salary_min", "salary_max", "salary_currency", "salary_interval", "pay_range"}


def check_posting(posting: RawPosting) -> None:
    """An id and a title, a UTC time or none, a known remote hint, documented hints with a string value, string
    descriptions, and a record that serialises: whatever the payload was."""
    assert posting.source_id and posting.title
    assert posting.posted_at is None or posting.posted_at.utcoffset() == timedelta(0)
    assert posting.remote_hint in REMOTE_HINTS
    assert set(posting.hints) <= STATED_HINTS
    assert all(isinstance(v, str) and v for v in posting.hints.values())
    assert isinstance(posting.description_html, str) and isinstance(posting.description_text, str)
    json.dumps(posting.to_json())
