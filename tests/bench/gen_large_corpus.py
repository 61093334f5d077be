"""Generate a large, realistic raw store for the scale benchmarks (issue 8).

    .venv/bin/python tests/bench/gen_large_corpus.py --data-dir /tmp/jt1m [--postings 1000000] [--seed 8]
                                                     [--weeks 156] [--workers 2]

`--postings` counts **raw rows**, what the scrapers would have stored (and what `process` must read and clean):
about 44 % distinct postings, the rest the same postings again in later weekly scrapes. The store covers
`--weeks` ISO weeks (3 years) ending with the demo's anchor week, one raw file per source per weekly run
(`raw/<source>/<run_id>.jsonl.gz`, written with RawStore.write_postings, as `jobtrends scrape` would; a
source with nothing open that week writes none):

* sources: Greenhouse boards (~50 % of distinct postings), Lever sites (~35 %) and the HN "Who is hiring?"
  source (~15 %), in the payload shapes of scraper/demo/corpus.py and the RawPosting fields the real adapters
  (scraper/sources/{greenhouse,lever,hackernews}.py) derive from them. The number of boards grows with
  `--postings` so a weekly file holds about ROWS_PER_FILE rows (1M rows: 26 Greenhouse + 18 Lever + 1 HN).
* texts: the demo corpus over the same weeks (build_corpus(weeks=156, seed=7)) parsed into its sections;
  each generated posting takes one demo posting of its week (title, summary, bullets: so the demo's planted
  trends and ML share carry over) and adds bullets from other postings of nearby weeks with the same ML
  verdict until its description holds about 3 KB of text (about 2.7–4.1 KB).
* variation: the demo pool has 97 titles and 526 distinct bullets, so recombined as they are, 99.5 % of the
  sentence characters of generated postings were in other postings too (real postings: 5–26 %) and there
  were 0.01 distinct titles per posting (real: 0.55–0.93). Each company has its own teams and title style;
  a posting's title may name a seniority and a team, and most of its bullets and summary sentences end in a
  clause of its own (words that name no skill and no ML cue): at 20,000 raw rows 15 % repeated, 0.27
  distinct titles per posting (`repeated_sentence_share`).
* exact duplicates: a posting stays open 1–6 weeks (mean LIFETIME_MEAN) and each weekly scrape of its source
  returns it again, same content; EDIT_SHARE of those re-scraped come back once edited (a bullet added).
* near duplicates: REPOST_SHARE of ATS postings are reposted 1–2 weeks after they close under a new id (half
  with the text unchanged, half with one bullet replaced); CROSS_SHARE of Greenhouse postings are also posted
  on HN by the same company, same title and text, with an HN header line.

Writes `<data_dir>/large_corpus.json`: the parameters and what was planted (raw rows, distinct postings,
reposts, cross-source copies, edits, files, bytes, seconds). Deterministic: each source is generated from
its own random stream (seed, source name), so `--workers` never changes a byte.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import random
import re
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scraper.collect import new_run_id  # noqa: E402
from scraper.demo import texts  # noqa: E402
from scraper.demo.corpus import DEMO_ANCHOR, build_corpus, entity_escape, with_article  # noqa: E402
from scraper.rawstore import RawStore  # noqa: E402
from scraper.records import RawPosting  # noqa: E402
from scraper.sources.hackernews import first_line, parse_header  # noqa: E402
from scraper.sources.lever import full_description_html  # noqa: E402

UTC = timezone.utc
WEEKS = 156
ROWS_PER_FILE = 125
KIND_SHARE = {"greenhouse": 0.50, "lever": 0.35, "hn": 0.15}  # of distinct native postings
LIFETIME = ((1, 0.40), (2, 0.25), (3, 0.15), (4, 0.10), (6, 0.10))  # weeks open -> probability
LIFETIME_MEAN = sum(w * p for w, p in LIFETIME)
EDIT_SHARE = 0.08
REPOST_SHARE = 0.04
CROSS_SHARE = 0.03
TEXT_CHARS = (1750, 2500, 3600)  # low, mode, high of a description's text length
HN_SOURCE = "hn-whoishiring"
MANIFEST = "large_corpus.json"
_HEADINGS = [("What you'll do", "What you'll bring", "Nice to have"),
             ("Responsibilities", "Qualifications", "Preferred qualifications"),
             ("Your tasks", "Your profile", "Bonus points")]
_GH_SECTION = re.compile(r"<h3><strong>(.*?)</strong></h3><ul>(.*?)</ul>", re.S)
_GH_SUMMARY = re.compile(r"<h2><strong>About the role</strong></h2><p>(.*?)</p>", re.S)
_LI = re.compile(r"<li>(.*?)</li>", re.S)


# --- variation: what makes each posting's text and title its own ------------------------------------
# Real postings repeat few of their sentences across postings (5-26 % of sentence characters in the four
# real sets, ../shared/data/real/postings) and few titles (0.55-0.93 distinct titles per posting); the demo
# pool has 526 distinct bullets and 97 titles. So a generated posting names its team and seniority in the
# title, and most of its bullets and its summary carry a clause of its own. No word here is a skill of the
# taxonomy, a boilerplate cue or an ML cue (tests/test_large_corpus.py checks), so the demo's skills and ML
# verdicts carry over unchanged.
_TEAMS = (
    "Search", "Ads Ranking", "Subscriptions", "Checkout", "Growth", "Maps", "Pricing", "Fraud Prevention", "Risk",
    "Trust and Safety", "Core Platform", "Marketplace", "Logistics", "Routing", "Catalog", "Merchandising",
    "Discovery", "Feeds", "Notifications", "Onboarding", "Billing", "Lending", "Underwriting", "Claims",
    "Care Delivery", "Clinical Operations", "Imaging", "Loyalty", "Drug Discovery", "Autonomy",
    "Mapping", "Fleet", "Energy", "Grid Operations", "Forecasting", "Supply Chain", "Inventory",
    "Fulfillment", "Retail", "Merchant Tools", "Creator Tools", "Video", "Audio", "Music", "Podcasts", "Games",
    "Messaging", "Voice", "Translation", "Docs", "Reviews", "Calendar", "Email", "Identity", "Accounts",
    "Developer Tools", "Compilers", "Storage", "Ticketing", "Edge", "Mobile", "Web", "Hardware", "Chips",
    "Robotics Manipulation", "Warehouse", "Agriculture", "Climate", "Weather", "Insurance", "Wealth",
    "Trading", "Tax", "Travel", "Hotels", "Flights", "Food Delivery", "Grocery", "Real Estate", "Education",
)
_SENIORITY = (("", 0.45), ("Senior ", 0.25), ("Staff ", 0.08), ("Principal ", 0.04), ("Lead ", 0.05),
              ("Junior ", 0.05), ("II", 0.05), ("III", 0.03))
_TEAM_STYLES = (", {team}", " - {team}", " ({team})")
_PRODUCTS = (
    "checkout flow", "merchant dashboard", "rider app", "driver app", "booking engine", "claims portal",
    "search bar", "home feed", "order tracker", "partner portal", "pricing engine", "routing service",
    "catalog service", "inbox", "calendar sync", "trip planner", "meal planner", "loan workflow",
    "onboarding wizard", "billing service", "inventory planner", "returns flow", "store locator",
    "shipping estimator", "delivery tracker", "seller console", "creator studio", "video player",
    "playlist builder", "podcast player", "voice assistant", "photo editor", "map tiles", "traffic layer",
    "parking finder", "charging map", "energy planner", "weather alerts", "crop planner", "fleet console",
    "warehouse robots", "picking robots", "scheduling tool", "appointment finder", "triage tool",
    "patient portal", "care navigator", "benefits portal", "payroll tool", "expense tool", "tax filing flow",
)
_AUDIENCES = ("merchants", "riders", "drivers", "shoppers", "sellers", "clinicians", "patients", "farmers",
              "travelers", "students", "teachers", "listeners", "viewers", "creators", "small businesses",
              "hospitals", "warehouses", "restaurants", "growers", "homeowners", "renters", "pharmacies")
_REGIONS = ("North America", "Europe", "Latin America", "Southeast Asia", "the Nordics", "Germany", "Japan",
            "Brazil", "India", "Canada", "the UK", "Australia", "Mexico", "Spain", "France", "Kenya")
# Four or five slots each: about a million ways to end each pool bullet, so that two postings rarely share one
# (at a million raw rows a pool bullet is used about 17,000 times).
_TASK_TAILS = (" for the {product} our {team} group runs for {k},000 {audience} in {region}",
               ", starting with the {product} for {audience} in {region} ({n} cities)",
               " as the {team} group takes the {product} to {audience} in {region}",
               " across {n} {audience} sites in {region}, with the {team} group",
               " so that {k},000 {audience} in {region} get a faster {product}")
_NEED_TAILS = (", ideally around {audience} in {region} or on a {product} like ours ({n} cities)",
               " (our {team} group of {n} leans on it for the {product} in {region})",
               ", as {k},000 {audience} in {region} rely on our {product}",
               " in a group of {n} that owns the {product} for {audience} in {region}",
               ", which the {team} group uses daily on the {product} for {audience}")
TEAM_SHARE = 0.6  # of ATS titles that name a team
VARIED_SHARE = 0.85  # of bullets that carry a clause of their own


@dataclass(frozen=True, slots=True)
class Variation:
    """One company's teams and title style: what its generated postings' titles and clauses draw on."""

    teams: tuple[str, ...]
    style: str

    @classmethod
    def of_company(cls, rng: random.Random) -> "Variation":
        return cls(tuple(rng.sample(_TEAMS, rng.randint(6, 24))), rng.choice(_TEAM_STYLES))

    def title(self, rng: random.Random, title: str) -> str:
        r, acc, level = rng.random(), 0.0, ""
        for level, p in _SENIORITY:
            acc += p
            if r < acc:
                break
        if level in ("II", "III"):
            title = f"{title} {level}"
        elif level and not re.match(r"(?:Senior|Sr\.?|Staff|Principal|Lead|Junior|Head|Director|VP)\b", title):
            title = level + title
        if rng.random() < TEAM_SHARE and not re.search(r", | - |\(", title):  # none if it names one
            title += self.style.format(team=rng.choice(self.teams))
        return title

    def _fill(self, rng: random.Random, form: str) -> str:
        return form.format(team=rng.choice(self.teams), team2=rng.choice(_TEAMS).lower(), product=rng.choice(_PRODUCTS),
                           audience=rng.choice(_AUDIENCES), region=rng.choice(_REGIONS), n=rng.randint(3, 40),
                           k=rng.randint(2, 900))

    def bullet(self, rng: random.Random, text: str, tails: tuple[str, ...]) -> str:
        return text + self._fill(rng, rng.choice(tails)) if rng.random() < VARIED_SHARE else text

    def summary(self, rng: random.Random, text: str) -> str:
        """Each sentence of the summary varied like a task bullet (before its full stop)."""
        return _SENTENCE_END.sub(lambda m: self.bullet(rng, "", _TASK_TAILS) + m.group(0), text)


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
ANY_COMPANY = Variation(_TEAMS, _TEAM_STYLES[0])  # HN: a different company each posting


_UNIT_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def repeated_sentence_share(texts) -> float:
    """Of the characters in sentences and lines of 30 characters or more (lower-cased, spaces collapsed),
    the share in ones that another of `texts` holds too: how much text postings repeat. The four real sets
    of ../shared/data/real/postings: 5.3-25.8 %; the demo pool recombined without variation: 99.5 %."""
    per_text = [{u for u in (" ".join(part.lower().split()) for part in _UNIT_SPLIT.split(text or "")) if len(u) >= 30}
                for text in texts]
    counts: dict[str, int] = {}
    for units in per_text:
        for unit in units:
            counts[unit] = counts.get(unit, 0) + 1
    total = sum(len(u) for units in per_text for u in units)
    return sum(len(u) for units in per_text for u in units if counts[u] > 1) / total if total else 0.0


# --- the text pool: sections of demo postings -------------------------------------------------

@dataclass(frozen=True, slots=True)
class Section:
    """One demo posting's parts, HTML-escaped text: what a generated posting is recombined from."""

    week: int
    is_ml: bool
    title: str
    summary: str
    resp: tuple[str, ...]
    req: tuple[str, ...]
    nice: tuple[str, ...]


class TextPool:
    def __init__(self, weeks: int, seeds: tuple[int, ...]):
        self.weeks = weeks
        sections: list[Section] = []
        for seed in seeds:
            corpus = build_corpus(weeks=weeks, seed=seed)
            truth = {(t["source_kind"], t["source_id"]): t for t in corpus.truth}
            week_of = {label: i for i, label in enumerate(corpus.week_labels)}
            for board in corpus.greenhouse.values():
                for job in board["jobs"]:
                    t = truth[("greenhouse", str(job["id"]))]
                    content = html.unescape(job["content"])
                    summary = _GH_SUMMARY.search(content)
                    lists = [tuple(_LI.findall(body)) for _, body in _GH_SECTION.findall(content)] + [(), (), ()]
                    sections.append(Section(week_of[t["week"]], t["is_ml"], job["title"].strip(),
                                            summary.group(1) if summary else "", *lists[:3]))
            for postings in corpus.lever.values():
                for item in postings:
                    t = truth[("lever", item["id"])]
                    plain = item["descriptionBodyPlain"].removeprefix("About the role\n").strip()
                    lists = [tuple(_LI.findall(block["content"])) for block in item["lists"]] + [(), (), ()]
                    sections.append(Section(week_of[t["week"]], t["is_ml"], item["text"],
                                            html.escape(plain, quote=False), *lists[:3]))
        self.by_week: list[list[Section]] = [[] for _ in range(weeks)]
        self.by_week_ml: dict[tuple[int, bool], list[Section]] = {}
        for s in sections:
            self.by_week[s.week].append(s)
            self.by_week_ml.setdefault((s.week, s.is_ml), []).append(s)
        for w in range(weeks):  # a week without demo postings borrows the nearest one's
            if not self.by_week[w]:
                self.by_week[w] = self.by_week[min(range(weeks), key=lambda v: (not self.by_week[v], abs(v - w)))]

    def compose(self, rng: random.Random, week: int, target: int, variation: Variation) -> "Spec":
        """One posting's parts: a demo posting of the week, plus bullets of others until ~`target` chars, the
        title and most bullets varied by `variation`."""
        base = rng.choice(self.by_week[week])
        resp = [variation.bullet(rng, i, _TASK_TAILS) for i in base.resp]
        req = [variation.bullet(rng, i, _NEED_TAILS) for i in base.req]
        nice = [variation.bullet(rng, i, _NEED_TAILS) for i in base.nice]
        summary = variation.summary(rng, base.summary)
        size = len(summary) + sum(map(len, resp)) + sum(map(len, req)) + sum(map(len, nice))
        seen = set(base.resp) | set(base.req) | set(base.nice)
        for _ in range(40):
            if size >= target:
                break
            near = min(self.weeks - 1, max(0, week + rng.randint(-3, 3)))
            donor = rng.choice(self.by_week_ml.get((near, base.is_ml)) or self.by_week[week])
            for target_list, items, tails in ((resp, donor.resp, _TASK_TAILS), (req, donor.req, _NEED_TAILS),
                                              (nice, donor.nice, _NEED_TAILS)):
                for item in items:
                    if item not in seen and rng.random() < 0.7:
                        seen.add(item)
                        item = variation.bullet(rng, item, tails)
                        target_list.append(item)
                        size += len(item) + 3
        return Spec(variation.title(rng, base.title), base.is_ml, summary, tuple(resp), tuple(req), tuple(nice))


@dataclass(frozen=True, slots=True)
class Spec:
    """What a posting says; rendering it in a source's shape is separate, so copies say the same."""

    title: str
    is_ml: bool
    summary: str
    resp: tuple[str, ...]
    req: tuple[str, ...]
    nice: tuple[str, ...]


# --- sources ----------------------------------------------------------------------------------

@dataclass
class SourcePlan:
    name: str
    kind: str
    index: int
    company: dict[str, Any]
    headings: tuple[str, str, str]
    new_per_week: float  # mean distinct new postings a week (before growth and noise)
    variation: Variation = ANY_COMPANY


def company_names(count: int) -> list[str]:
    first, second = texts.HN_NAME_PARTS
    names = [f"{a} {b}" for b in second for a in first]
    suffixes = ["", " Systems", " Labs", " AI", " Health", " Robotics", " Analytics", " Cloud"]
    return [names[i % len(names)] + suffixes[(i // len(names)) % len(suffixes)] for i in range(count)]


def _board_company(template: dict[str, Any], name: str) -> dict[str, Any]:
    old = template["name"]
    slug = re.sub(r"[^a-z0-9]+", "", name.lower())
    out = {k: (v.replace(old, name) if isinstance(v, str) else v) for k, v in template.items()}
    # Greenhouse boards are named by a token and have a web site; Lever sites are named by their site slug.
    out.update(name=name, token=slug, slug=slug, site=f"{slug}.example" if "token" in template else slug)
    return out


def plan_sources(postings: int, weeks: int) -> list[SourcePlan]:
    """Sources sized so each weekly file holds about ROWS_PER_FILE rows."""
    extras = 1 + REPOST_SHARE * (KIND_SHARE["greenhouse"] + KIND_SHARE["lever"]) + CROSS_SHARE * KIND_SHARE["greenhouse"]
    distinct = postings / LIFETIME_MEAN / extras
    boards = {kind: max(1, round(postings * KIND_SHARE[kind] / (ROWS_PER_FILE * weeks)))
              for kind in ("greenhouse", "lever")}
    names = iter(company_names(boards["greenhouse"] + boards["lever"]))
    plans: list[SourcePlan] = []
    for kind, templates in (("greenhouse", texts.GREENHOUSE_COMPANIES), ("lever", texts.LEVER_COMPANIES)):
        for i in range(boards[kind]):
            company = _board_company(templates[i % len(templates)], next(names))
            plans.append(SourcePlan(f"{kind}-{company['slug']}", kind, len(plans), company,
                                    _HEADINGS[len(plans) % len(_HEADINGS)],
                                    distinct * KIND_SHARE[kind] / boards[kind] / weeks,
                                    Variation.of_company(_stream(len(plans), company["slug"]))))
    plans.append(SourcePlan(HN_SOURCE, "hn", len(plans), {}, _HEADINGS[0], distinct * KIND_SHARE["hn"] / weeks))
    return plans


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(f"{seed}\x1f{name}".encode()).digest()[:8], "big"))


def _lifetime(rng: random.Random) -> int:
    r, acc = rng.random(), 0.0
    for weeks, p in LIFETIME:
        acc += p
        if r < acc:
            return weeks
    return LIFETIME[-1][0]


# --- rendering in each source's shape -------------------------------------------------------------

@dataclass
class Posting:
    """An open posting of one source: its parts, its rendered raw row, and its weeks left."""

    spec: Spec
    raw: RawPosting
    weeks_left: int
    week: int
    ctx: dict[str, Any] = field(default_factory=dict)
    edited: bool = False
    repost: bool = False  # a repost is not reposted again


class Renderer:
    def __init__(self, anchor: date, weeks: int):
        self.first_monday = anchor - timedelta(days=anchor.weekday()) - timedelta(weeks=weeks - 1)

    def scrape_time(self, week: int) -> datetime:
        """Each weekly run fetches on the week's Sunday evening (UTC)."""
        return datetime.combine(self.first_monday + timedelta(weeks=week, days=6), datetime.min.time(), UTC) \
            + timedelta(hours=21)

    def posted_time(self, rng: random.Random, week: int) -> datetime:
        day = self.first_monday + timedelta(weeks=week, days=rng.randint(0, 4))
        return datetime.combine(day, datetime.min.time(), UTC) + timedelta(seconds=rng.randint(12 * 3600, 22 * 3600))

    @staticmethod
    def greenhouse(plan: SourcePlan, spec: Spec, job_id: int, posted: datetime, ctx: dict[str, Any]) -> RawPosting:
        company, (h_resp, h_req, h_nice) = plan.company, plan.headings
        e = html.escape
        role = (f"<p>&nbsp;</p><h2><strong>About the role</strong></h2><p>{spec.summary}</p>\n"
                f"<h3><strong>{e(h_resp)}</strong></h3><ul>{''.join(f'<li>{i}</li>' for i in spec.resp)}</ul>\n"
                f"<h3><strong>{e(h_req)}</strong></h3><ul>{''.join(f'<li>{i}</li>' for i in spec.req)}</ul>")
        if spec.nice:
            role += f"\n<h3><strong>{e(h_nice)}</strong></h3><ul>{''.join(f'<li>{i}</li>' for i in spec.nice)}</ul>"
        pay = ctx.get("pay")
        if pay:
            low, high, code, symbol = pay
            role += ('\n<div class="content-pay-transparency"><div class="pay-input"><div class="description">'
                     "<p>The expected base salary range for this role is below. Final pay depends on "
                     'experience and location.</p></div><div class="title">Annual base salary</div>'
                     f'<div class="pay-range"><span>{symbol}{low:,}</span><span class="divider">&mdash;</span>'
                     f"<span>{symbol}{high:,} {code}</span></div></div></div>")
        intro = (f'<div class="content-intro"><p><strong>About {e(company["name"])}</strong></p>'
                 f"<p>{e(company['intro'])}</p></div>")
        outro = (f'<div class="content-conclusion"><p><strong>Benefits</strong></p>'
                 f"<ul>{''.join(f'<li>{e(b)}</li>' for b in company['benefits'])}</ul>"
                 f"<p>{e(company['eeo'])}</p><p>{e(company['notice'])}</p></div>")
        location = ctx["location"]
        office = location[0].replace("Hybrid - ", "")
        url = f"https://job-boards.greenhouse.io/{company['token']}/jobs/{job_id}"
        stamp = posted.isoformat()
        payload = {
            "absolute_url": url,
            "data_compliance": [{"type": "gdpr", "requires_consent": False, "requires_processing_consent": False,
                                 "requires_retention_consent": False, "retention_period": None}],
            "internal_job_id": job_id // 7,
            "location": {"name": location[0]},
            "metadata": [{"id": 4118221, "name": "Employment Type", "value": "Full-time",
                          "value_type": "single_select"}],
            "id": job_id, "updated_at": stamp, "requisition_id": f"REQ-{job_id % 9000 + 1000}",
            "title": spec.title, "company_name": company["name"], "first_published": stamp, "language": "en",
            "application_deadline": None, "content": entity_escape(f"{intro}\n{role}\n{outro}"),
            "departments": [{"id": 40_001, "name": "Engineering" if spec.is_ml else "Operations",
                             "child_ids": [], "parent_id": None}],
            "offices": [{"id": 60_000 + len(office), "name": office,
                         "location": None if office.startswith("Remote") else office, "child_ids": [], "parent_id": None}],
        }
        # What greenhouse.parse_board makes of it (job_body_html drops the intro/conclusion blocks).
        return RawPosting(source=plan.name, source_kind="greenhouse", source_id=str(job_id), url=url,
                          title=spec.title, company=company["name"], location=location[0], posted_at=posted,
                          description_html=role, payload=payload)

    @staticmethod
    def lever(plan: SourcePlan, spec: Spec, posting_id: str, posted: datetime, ctx: dict[str, Any]) -> RawPosting:
        company, (h_resp, h_req, h_nice) = plan.company, plan.headings
        location = ctx["location"]
        opening = html.escape(f"{company['name']} is hiring {with_article(spec.title)} ({location[0]}).", quote=False)
        summary_plain = html.unescape(spec.summary)
        lists = [{"text": h_resp, "content": "".join(f"<li>{i}</li>" for i in spec.resp)},
                 {"text": h_req, "content": "".join(f"<li>{i}</li>" for i in spec.req)}]
        if spec.nice:
            lists.append({"text": h_nice, "content": "".join(f"<li>{i}</li>" for i in spec.nice)})
        e = html.escape
        about = f"About {company['name']}"
        item: dict[str, Any] = {
            "additionalPlain": f"{about}\n{company['intro']}\n\nBenefits\n" + "".join(f"{b}\n" for b in company["benefits"])
                               + f"\n{company['eeo']}\n",
            "additional": (f"<div><b>{e(about)}</b></div><div>{e(company['intro'])}</div><div><br></div>"
                           f"<div><b>Benefits</b></div><ul>{''.join(f'<li>{e(b)}</li>' for b in company['benefits'])}</ul>"
                           f"<div><br></div><div>{e(company['eeo'])}&nbsp;</div>"),
            "categories": {"commitment": "Full-time", "department": "Engineering" if spec.is_ml else "G&A",
                           "location": location[0], "team": "Engineering", "allLocations": [location[0]]},
            "createdAt": int(posted.timestamp() * 1000),
            "descriptionPlain": f"{html.unescape(opening)}\n\nAbout the role\n{summary_plain}\n",
            "description": (f"<div>{opening}</div><div><br></div><div><b>About the role</b></div>"
                            f"<div>{spec.summary}</div>"),
            "id": posting_id, "lists": lists, "text": spec.title, "country": location[1],
            "workplaceType": location[2],
            "hostedUrl": f"https://jobs.lever.co/{company['site']}/{posting_id}",
            "applyUrl": f"https://jobs.lever.co/{company['site']}/{posting_id}/apply",
        }
        pay = ctx.get("pay")
        if pay:
            item["salaryRange"] = {"currency": pay[2], "interval": "per-year-salary", "min": pay[0], "max": pay[1]}
        remote = {"remote": "remote", "hybrid": "hybrid", "on-site": "onsite"}.get(location[2], "")
        return RawPosting(source=plan.name, source_kind="lever", source_id=posting_id, url=item["hostedUrl"],
                          title=spec.title, company=company["name"], location=location[0], posted_at=posted,
                          description_html=full_description_html(item), description_text=item["descriptionPlain"],
                          remote_hint=remote, payload=item)

    @staticmethod
    def hn(spec: Spec, item_id: int, posted: datetime, ctx: dict[str, Any]) -> RawPosting:
        company, location, keyword = ctx["company"], ctx["hn_location"], ctx["keyword"]
        header = " | ".join(f for f in (company, spec.title, location, keyword, "Full-time", ctx.get("hn_pay", "")) if f)
        headings = ctx.get("headings", _HEADINGS[0])
        paragraphs = [header, spec.summary, f"{headings[0]}:", *(f"- {i}" for i in spec.resp),
                      f"{headings[1]}:", *(f"- {i}" for i in spec.req)]
        if spec.nice:
            paragraphs += [f"{headings[2]}:", *(f"- {i}" for i in spec.nice)]
        site = re.sub(r"[^a-z0-9]+", "", company.lower()) + ".example"
        paragraphs.append(f'Apply: <a href="https://{site}/careers" rel="nofollow">https://{site}/careers</a>')
        text = "".join(f"<p>{p}</p>" for p in paragraphs)
        month_start = posted.replace(day=1, hour=15, minute=0, second=0, microsecond=0)
        thread_id = 37_000_000 + (posted.year - 2020) * 12 * 300_000 + posted.month * 300_000
        comment = {"id": item_id, "created_at": posted.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                   "created_at_i": int(posted.timestamp()), "type": "comment", "author": ctx["author"],
                   "title": None, "url": None, "text": text, "points": None, "parent_id": thread_id,
                   "story_id": thread_id, "children": [], "options": [],
                   "thread_title": f"Ask HN: Who is hiring? ({month_start.strftime('%B %Y')})"}
        head = parse_header(first_line(text))  # what hackernews.parse_thread makes of the first line
        return RawPosting(source=HN_SOURCE, source_kind="hn", source_id=str(item_id),
                          url=f"https://news.ycombinator.com/item?id={item_id}", title=head.title,
                          company=head.company, location=head.location, posted_at=posted,
                          description_html=text, remote_hint=head.remote, payload=comment)


# --- one source, week by week ------------------------------------------------------------------

_POOL: TextPool | None = None


def _pool(weeks: int) -> TextPool:
    global _POOL
    if _POOL is None or _POOL.weeks != weeks:
        _POOL = TextPool(weeks, (7,))
    return _POOL


def _pay(rng: random.Random, is_ml: bool, country: str) -> tuple[int, int, str, str]:
    code, symbol, factor = {"US": ("USD", "$", 1.0), "CA": ("CAD", "C$", 1.15), "GB": ("GBP", "£", 0.62),
                            "DE": ("EUR", "€", 0.55), "NL": ("EUR", "€", 0.58)}.get(country, ("USD", "$", 1.0))
    low = ((170 if is_ml else 110) + 5 * rng.randint(0, 10)) * factor
    high = low + 5 * rng.randint(6, 14) * factor
    return int(round(low / 5) * 5000), int(round(high / 5) * 5000), code, symbol


def _growth(week: int, weeks: int) -> float:
    return 0.75 + 0.5 * week / max(1, weeks - 1)  # the market grows 2x over the window; mean 1


def generate_source(plan: SourcePlan, data_dir: str, seed: int, weeks: int, anchor: date,
                    copies: list[tuple[int, Spec, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Write every weekly raw file of one source; return its counts (and, for ATS, the HN copies to make)."""
    started = time.perf_counter()
    pool, render, store = _pool(weeks), Renderer(anchor, weeks), RawStore(data_dir)
    rng = _stream(seed, plan.name)
    counts = {"rows": 0, "distinct": 0, "reposts": 0, "reposts_identical": 0, "edits": 0, "cross_copies": 0,
              "files": 0, "bytes": 0}
    open_: list[Posting] = []
    reposts_due: dict[int, list[Posting]] = {}
    copies_out: list[tuple[int, Spec, dict[str, Any]]] = []
    copies_in: dict[int, list[tuple[Spec, dict[str, Any]]]] = {}
    for week, spec, ctx in copies or []:
        copies_in.setdefault(week, []).append((spec, ctx))
    next_id = 4_000_000_000 + plan.index * 50_000_000
    hn_companies = company_names(400)
    for week in range(weeks):
        mean = plan.new_per_week * _growth(week, weeks)
        new_count = int(mean * rng.uniform(0.8, 1.2) + rng.random())
        fresh: list[Posting] = []
        for _ in range(new_count):
            spec = pool.compose(rng, week, int(rng.triangular(*TEXT_CHARS[::2], TEXT_CHARS[1])), plan.variation)
            posted = render.posted_time(rng, week)
            next_id += rng.randint(1, 40)
            if plan.kind == "hn":
                country = rng.choice(["US", "US", "US", "GB", "DE", "CA", "NL"])
                city, kw = rng.choice([("San Francisco, CA", "ONSITE"), ("New York, NY", "HYBRID"),
                                       ("Remote (US)", "REMOTE"), ("London, UK", "HYBRID"), ("Berlin, Germany", "ONSITE"),
                                       ("Remote (Europe)", "REMOTE"), ("Toronto, Canada", "HYBRID")])
                low, high, _, _ = _pay(rng, spec.is_ml, "US")
                ctx = {"company": rng.choice(hn_companies), "hn_location": city, "keyword": kw,
                       "author": f"user{rng.randint(1, 99_999)}", "country": country,
                       "hn_pay": f"${low // 1000}k-${high // 1000}k" if rng.random() < 0.6 else ""}
                raw = Renderer.hn(spec, next_id, posted, ctx)
            else:
                location = rng.choice(plan.company["locations"])
                ctx = {"location": location}
                if location[1] == "US" or rng.random() < 0.3:
                    ctx["pay"] = _pay(rng, spec.is_ml, location[1])
                cross = plan.kind == "greenhouse" and rng.random() < CROSS_SHARE
                if cross:
                    ctx.pop("pay", None)  # the HN copy states pay in its header line instead
                raw = _render_ats(plan, rng, spec, next_id, posted, ctx)
                if cross:
                    kw = {"remote": "REMOTE", "hybrid": "HYBRID", "on-site": "ONSITE"}[location[2]]
                    copies_out.append((week, spec, {"company": plan.company["name"], "hn_location": location[0],
                                                    "keyword": kw, "author": f"{plan.company['slug'][:12]}_jobs",
                                                    "headings": plan.headings,
                                                    "posted": posted + timedelta(hours=rng.randint(1, 30))}))
                    counts["cross_copies"] += 1
            fresh.append(Posting(spec, raw, _lifetime(rng), week, ctx))
        for spec, ctx in copies_in.get(week, []):
            next_id += rng.randint(1, 40)
            posted = min(ctx["posted"], render.scrape_time(week) - timedelta(hours=1))
            fresh.append(Posting(spec, Renderer.hn(spec, next_id, posted, ctx), _lifetime(rng), week, ctx))
        for original in reposts_due.pop(week, []):
            next_id += rng.randint(1, 40)
            spec = original.spec
            if rng.random() < 0.5:
                counts["reposts_identical"] += 1
            else:  # one requirement replaced by another posting's
                donor = rng.choice(pool.by_week[week])
                if spec.req and donor.req:
                    req = list(spec.req)
                    req[rng.randrange(len(req))] = donor.req[0]
                    spec = replace(spec, req=tuple(req))
            posted = original.raw.posted_at + timedelta(weeks=week - original.week)
            raw = _render_ats(plan, rng, spec, next_id, posted, original.ctx)
            fresh.append(Posting(spec, raw, _lifetime(rng), week, original.ctx, repost=True))
            counts["reposts"] += 1
        counts["distinct"] += len(fresh)
        open_ += fresh
        for posting in open_:  # a re-scrape now and then finds a posting edited
            if posting.week < week and not posting.edited and rng.random() < EDIT_SHARE / LIFETIME_MEAN:
                extra = rng.choice(pool.by_week[week])
                posting.spec = replace(posting.spec, req=posting.spec.req + extra.req[:1])
                posting.edited = True
                counts["edits"] += 1
                if plan.kind == "hn":
                    posting.raw = Renderer.hn(posting.spec, int(posting.raw.source_id), posting.raw.posted_at, posting.ctx)
                else:
                    posting.raw = _render_ats(plan, rng, posting.spec, posting.raw.source_id, posting.raw.posted_at,
                                              posting.ctx)
        if open_:
            when = render.scrape_time(week)
            path = store.write_postings(plan.name, new_run_id(when), when, [p.raw for p in open_])
            counts["files"] += 1
            counts["bytes"] += path.stat().st_size
            counts["rows"] += len(open_)
        still: list[Posting] = []
        for posting in open_:
            posting.weeks_left -= 1
            if posting.weeks_left > 0:
                still.append(posting)
            elif plan.kind != "hn" and not posting.repost and rng.random() < REPOST_SHARE:
                reposts_due.setdefault(week + rng.choice([1, 2]), []).append(posting)
        open_ = still
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return {"source": plan.name, "kind": plan.kind, **counts, "copies": copies_out}


def _render_ats(plan: SourcePlan, rng: random.Random, spec: Spec, pid: Any, posted: datetime,
                ctx: dict[str, Any]) -> RawPosting:
    if plan.kind == "greenhouse":
        return Renderer.greenhouse(plan, spec, int(pid), posted, ctx)
    posting_id = pid if isinstance(pid, str) and "-" in pid else str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return Renderer.lever(plan, spec, posting_id, posted, ctx)


def _run(args: tuple) -> dict[str, Any]:
    return generate_source(*args)


def generate(data_dir: str | Path, postings: int = 1_000_000, seed: int = 8, weeks: int = WEEKS,
             anchor: date = DEMO_ANCHOR, workers: int | None = None) -> dict[str, Any]:
    """Write the corpus under `data_dir` (which must hold no raw store yet); return the manifest."""
    started = time.perf_counter()
    data_dir = Path(data_dir)
    if RawStore(data_dir).raw_files():
        raise FileExistsError(f"{data_dir} already holds a raw store")
    plans = plan_sources(postings, weeks)
    ats = [p for p in plans if p.kind != "hn"]
    hn = next(p for p in plans if p.kind == "hn")
    workers = workers or min(len(ats), os.cpu_count() or 1)
    _pool(weeks)  # built once here; forked workers inherit it
    jobs = [(plan, str(data_dir), seed, weeks, anchor) for plan in ats]
    if workers > 1:
        with ProcessPoolExecutor(workers) as executor:
            results = list(executor.map(_run, jobs))
    else:
        results = [_run(job) for job in jobs]
    copies = sorted((c for r in results for c in r.pop("copies")), key=lambda c: (c[0], c[2]["posted"], c[1].title))
    hn_result = generate_source(hn, str(data_dir), seed, weeks, anchor, copies)
    hn_result.pop("copies")
    results.append(hn_result)
    totals = {key: sum(r[key] for r in results)
              for key in ("rows", "distinct", "reposts", "reposts_identical", "edits", "cross_copies", "files", "bytes")}
    seconds = time.perf_counter() - started
    manifest = {"postings_requested": postings, "seed": seed, "weeks": weeks, "anchor": anchor.isoformat(),
                **totals, "exact_duplicates": totals["rows"] - totals["distinct"],
                "near_duplicates_planted": totals["reposts"] + totals["cross_copies"],
                "sources": len(results), "seconds": round(seconds, 2),
                "rows_per_second": round(totals["rows"] / seconds), "per_source": results}
    (data_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
    return manifest


def add_postings(data_dir: str | Path, count: int, seed: int = 8, weeks: int = WEEKS,
                 anchor: date = DEMO_ANCHOR, spread: bool = False) -> Path:
    """One more weekly run: `count` new postings on the first Greenhouse board, in one new raw file (the
    worst case for near-duplicate comparison: every new posting joins that company's blocks); with
    `spread`, shared round-robin among every Greenhouse and Lever board, one new raw file each (as a week of
    scrapes adds them). Returns the first file written."""
    manifest = json.loads((Path(data_dir) / MANIFEST).read_text(encoding="utf-8"))
    boards = [p for p in plan_sources(manifest["postings_requested"], weeks) if p.kind in ("greenhouse", "lever")]
    if not spread:
        boards = [next(p for p in boards if p.kind == "greenhouse")]
    shares = [count // len(boards) + (i < count % len(boards)) for i in range(len(boards))]
    pool, render = _pool(weeks), Renderer(anchor, weeks)
    week = weeks  # the week after the corpus
    written = []
    for plan, share in zip(boards, shares):
        if not share:
            continue
        rng = _stream(seed, f"{plan.name}\x1fadded\x1f{len(RawStore(data_dir).source_files(plan.name))}")
        rows, next_id = [], 9_000_000_000 + rng.randint(0, 10**8)
        for _ in range(share):
            spec = pool.compose(rng, week - 1, int(rng.triangular(*TEXT_CHARS[::2], TEXT_CHARS[1])),
                                plan.variation)
            location = rng.choice(plan.company["locations"])
            ctx = {"location": location, **({"pay": _pay(rng, spec.is_ml, location[1])} if location[1] == "US" else {})}
            next_id += rng.randint(1, 40)
            rows.append(_render_ats(plan, rng, spec, next_id, render.posted_time(rng, week), ctx))
        when = render.scrape_time(week)
        while (RawStore(data_dir).raw_dir / plan.name / f"{new_run_id(when)}.jsonl.gz").exists():
            when += timedelta(hours=1)
        written.append(RawStore(data_dir).write_postings(plan.name, new_run_id(when), when, rows))
    return written[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--postings", type=int, default=1_000_000, help="raw rows to write (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    args = parser.parse_args(argv)
    m = generate(args.data_dir, args.postings, args.seed, args.weeks, workers=args.workers)
    mb = m["bytes"] / 1e6
    print(f"{m['rows']:,} raw rows ({m['distinct']:,} distinct postings, {m['exact_duplicates']:,} re-scraped, "
          f"{m['reposts']:,} reposts, {m['cross_copies']:,} cross-source copies, {m['edits']:,} edits) in "
          f"{m['files']:,} files of {m['sources']} sources, {mb:,.0f} MB gzipped; {m['seconds']:.1f} s = "
          f"{m['rows_per_second']:,} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
