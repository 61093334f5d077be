"""The demo corpus: generated postings in the exact response shapes of Greenhouse, Lever and HN/Algolia.

`build_corpus()` composes every posting from the sentence banks in `texts.py` with one seeded
`random.Random`, so a seed always gives the same bytes. Each posting records, in `truth`, whether it is
an ML role and which skill areas its requirements/responsibilities ask for (the union of the areas of
the phrases it was built from; boilerplate adds none). Two trends are planted among ML postings:
security rises from about 15 % to 50 % of postings over the covered weeks, patience falls from 40 % to 10 %.

    corpus = build_corpus(weeks=24, seed=7)
    corpus.greenhouse["halvardlabs"]   # body of GET /v1/boards/halvardlabs/jobs?content=true
    corpus.lever["northloom"]          # body of GET /v0/postings/northloom?mode=json
    corpus.hn_threads[0]               # body of GET /api/v1/items/{id} for one "Who is hiring?" thread
"""
from __future__ import annotations

import html
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.columns import AREA_IDS
from scraper.demo import texts

DEMO_ANCHOR = date(2026, 11, 22)  # a Sunday
UTC = timezone.utc
PLANTED = {"security": "rising", "patience": "falling"}
ML_SHARE = 0.70
_SLOT_WEIGHT = {"resp": 1.0, "req": 1.2, "nice": 0.4}
_ALTERNATION = re.compile(r"\{([^{}]*\|[^{}]*)\}")
# Section headings per company style: responsibilities, requirements, nice to have.
_HEADINGS = [("What you'll do", "What you'll bring", "Nice to have"),
             ("Responsibilities", "Qualifications", "Preferred qualifications"),
             ("Your tasks", "Your profile", "Bonus points")]
_COUNTRY_NAMES = {"US": "the US", "CA": "Canada", "GB": "the UK", "DE": "Germany", "NL": "the Netherlands"}
_CURRENCY = {"US": ("USD", "$", 1.0), "CA": ("CAD", "C$", 1.15), "GB": ("GBP", "£", 0.62),
             "DE": ("EUR", "€", 0.55), "NL": ("EUR", "€", 0.58)}
_SALARY_FLOOR = {"ml_engineer": 170, "data_scientist": 150, "research_scientist": 200, "mlops": 165,
                 "applied_scientist": 175, "ai_engineer": 165, "nlp_engineer": 160, "cv_engineer": 160,
                 "account_exec": 120, "recruiter": 110, "paralegal": 80, "frontend": 150, "bi_analyst": 100,
                 "office_manager": 70}
_HN_NON_ML = {"frontend": 0.45, "account_exec": 0.20, "bi_analyst": 0.15, "recruiter": 0.10,
              "office_manager": 0.05, "paralegal": 0.05}
EMERGING_TERM = "model context protocol"


@dataclass
class DemoCorpus:
    anchor: date
    weeks: int
    seed: int
    greenhouse: dict[str, dict]
    lever: dict[str, list]
    hn_threads: list[dict]
    hn_search_hits: list[dict]
    hn_other_items: list[dict]      # the sibling threads ("Who wants to be hired?", "Freelancer?") with comments
    hn_comment_hits: list[dict]     # every comment as a search_by_date hit (tags=comment,story_<id>)
    truth: list[dict]
    planted: dict[str, str] = field(default_factory=lambda: dict(PLANTED))
    companies: dict[str, str] = field(default_factory=dict)  # source name -> company name
    # A skill the taxonomy does not name, asked for more and more: `jobtrends discover` must surface it.
    emerging_term: str = EMERGING_TERM

    def source_configs(self, base_url: str) -> list[dict[str, Any]]:
        """jobtrends source entries that read this corpus from a demo server at `base_url`."""
        base = base_url.rstrip("/")
        configs: list[dict[str, Any]] = [
            {"name": f"greenhouse-{token}", "kind": "greenhouse", "board_token": token,
             "company": self.companies[f"greenhouse-{token}"], "base_url": base}
            for token in self.greenhouse
        ]
        configs += [
            {"name": f"lever-{site}", "kind": "lever", "site": site, "company": self.companies[f"lever-{site}"],
             "base_url": base}
            for site in self.lever
        ]
        configs.append({"name": "hn-whoishiring", "kind": "hn", "months": len(self.hn_threads), "base_url": base})
        return configs

    @property
    def week_labels(self) -> list[str]:
        first = _monday(self.anchor) - timedelta(weeks=self.weeks - 1)
        return [iso_week_label(datetime.combine(first + timedelta(weeks=i), time(12), UTC))
                for i in range(self.weeks)]


@dataclass
class _Role:
    family: str
    is_ml: bool
    title: str
    summary: str
    resp: list[str]
    req: list[str]
    nice: list[str]
    areas: tuple[str, ...]


def iso_week_label(moment: datetime) -> str:
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def area_rate(family_id: str, area: str, progress: float) -> float:
    """Probability that a posting of the family asks for the area, `progress` in [0, 1] over the weeks."""
    family = texts.FAMILIES[family_id]
    if family["is_ml"]:
        if area == "security":
            return 0.15 + 0.35 * progress
        if area == "patience":
            return 0.40 - 0.30 * progress
        return family["rates"].get(area, texts.ML_BASE_RATES.get(area, 0.0))
    return family["rates"].get(area, 0.0)


_EMERGING_SENTENCE = "Hands-on experience with the Model Context Protocol (MCP) for wiring LLM tools into products"


class _Composer:
    """Turns a role family + context into the text of one posting and the areas that text asks for."""

    def __init__(self, rng: random.Random, emerging_rng: random.Random):
        self.rng = rng
        # Its own stream, so adding the emerging term leaves every other word of the corpus unchanged.
        self.emerging_rng = emerging_rng
        self._planted_sums: dict[tuple[str, float], float] = {}

    def asks_for(self, family_id: str, area: str, progress: float) -> bool:
        rate = area_rate(family_id, area, progress)
        if area not in PLANTED or not texts.FAMILIES[family_id]["is_ml"]:
            return self.rng.random() < rate
        # Planted areas: systematic sampling per week, so each week's share is the planted rate within one
        # posting whatever the seed; independent draws would let a small corpus hide the trend in noise.
        key = (area, progress)
        before = self._planted_sums.setdefault(key, self.rng.random())
        self._planted_sums[key] = before + rate
        return int(before + rate) > int(before)

    def expand(self, template: str, ctx: dict[str, Any]) -> str:
        chosen = _ALTERNATION.sub(lambda m: self.rng.choice(m.group(1).split("|")), template)
        return chosen.format_map(ctx)

    def candidates(self, family_id: str, area: str) -> list[tuple[str, str, tuple[str, ...]]]:
        family = texts.FAMILIES[family_id]
        banks = [family.get("phrases", {}).get(area, {})]
        if family["is_ml"]:
            banks.append(texts.ML_PHRASES.get(area, {}))
        banks.append(texts.GENERIC_PHRASES.get(area, {}))
        found = []
        for bank in banks:
            for slot in ("resp", "req", "nice"):
                for entry in bank.get(slot, []):
                    template, extra = (entry, ()) if isinstance(entry, str) else entry
                    found.append((slot, template, (area, *extra)))
        return found

    def role(self, family_id: str, ctx: dict[str, Any], progress: float, *, compact: bool) -> _Role:
        rng = self.rng
        family = texts.FAMILIES[family_id]
        ctx = dict(ctx, n=rng.choice([2, 3, 3, 4, 5, 5, 6, 7]), team=rng.choice(family["teams"]),
                   partners=rng.choice(family.get("partners", ["colleagues across the company"])))
        ctx["title"] = self.expand(rng.choice(family["titles"]), ctx)
        ctx["a_title"] = with_article(ctx["title"])
        summary_template, summary_areas = rng.choice(family["summary"])
        targets = {a for a in AREA_IDS if self.asks_for(family_id, a, progress)} | set(summary_areas)
        used = set(summary_areas)
        slots: dict[str, list[tuple[str, str]]] = {"resp": [], "req": [], "nice": []}
        taken: set[str] = set()
        for area in AREA_IDS:
            if area not in targets:
                continue
            if area == "technical":
                count = rng.randint(1, 2) if compact else rng.randint(2, 4)
            else:
                count = 2 if (not compact and rng.random() < 0.15) else 1
            pool = [c for c in self.candidates(family_id, area) if set(c[2]) <= targets and c[1] not in taken]
            for _ in range(min(count, len(pool))):
                pick = rng.choices(pool, weights=[_SLOT_WEIGHT[c[0]] for c in pool])[0]
                pool.remove(pick)
                taken.add(pick[1])
                slots[pick[0]].append((self.expand(pick[1], ctx), area))
                used.update(pick[2])
        self._pad(family_id, ctx, slots, taken, targets, used, compact)
        ordered = {}
        for name, items in slots.items():  # technical bullets lead, the others follow in random order
            rest = [text for text, area in items if area != "technical"]
            rng.shuffle(rest)
            ordered[name] = [text for text, area in items if area == "technical"] + rest
        if family["is_ml"] and "technical" in targets and self.emerging_rng.random() < 0.03 + 0.4 * progress:
            ordered["nice"].append(_EMERGING_SENTENCE)
        return _Role(family_id, family["is_ml"], ctx["title"], self.expand(summary_template, ctx),
                     ordered["resp"], ordered["req"], ordered["nice"], tuple(a for a in AREA_IDS if a in used))

    def _pad(self, family_id: str, ctx: dict[str, Any], slots: dict[str, list[tuple[str, str]]], taken: set[str],
             targets: set[str], used: set[str], compact: bool) -> None:
        """Fill short lists with bullets that add no area the posting does not already ask for."""
        family = texts.FAMILIES[family_id]
        minimum = {"resp": 1, "req": 2} if compact else {"resp": 3, "req": 3}
        for slot, need in minimum.items():
            fillers: list[tuple[str, tuple[str, ...]]] = []
            if "technical" in targets:
                fillers += [(c[1], c[2]) for c in self.candidates(family_id, "technical") if c[0] == slot]
            for entry in family.get("fillers", {}).get(slot, []):
                fillers.append((entry, ()) if isinstance(entry, str) else entry)
            fillers += [(e, ()) for e in texts.GENERIC_FILLERS.get(slot, [])]
            fillers = [f for f in fillers if f[0] not in taken and set(f[1]) <= targets]
            self.rng.shuffle(fillers)
            while len(slots[slot]) < need and fillers:
                template, areas = fillers.pop()
                taken.add(template)
                slots[slot].append((self.expand(template, ctx), areas[0] if areas else ""))
                used.update(areas)
        if not compact and not slots["nice"] and self.rng.random() < 0.5:
            slots["nice"].append((self.expand(self.rng.choice(texts.GENERIC_FILLERS["nice"]), ctx), ""))


def build_corpus(anchor: date = DEMO_ANCHOR, weeks: int = 24, seed: int = 7) -> DemoCorpus:
    """The demo corpus covering the `weeks` ISO weeks that end with the week of `anchor`."""
    if weeks < 2:
        raise ValueError("the demo corpus needs at least 2 weeks")
    return _Builder(anchor, weeks, seed).build()


class _Builder:
    def __init__(self, anchor: date, weeks: int, seed: int):
        self.anchor, self.weeks, self.seed = anchor, weeks, seed
        self.rng = random.Random(seed)
        self.composer = _Composer(self.rng, random.Random(seed * 104729 + 3))
        self.first_monday = _monday(anchor) - timedelta(weeks=weeks - 1)
        self.window_start = datetime.combine(self.first_monday, time(0), UTC)
        self.window_end = datetime.combine(_monday(anchor) + timedelta(days=6), time(23, 59, 59), UTC)
        self.truth: list[dict[str, Any]] = []
        self.used_ids: set[int] = set()

    def build(self) -> DemoCorpus:
        companies: dict[str, str] = {}
        greenhouse = {}
        for index, company in enumerate(texts.GREENHOUSE_COMPANIES):
            greenhouse[company["token"]] = self.greenhouse_board(company, _HEADINGS[index % len(_HEADINGS)])
            companies[f"greenhouse-{company['token']}"] = company["name"]
        lever = {}
        for index, company in enumerate(texts.LEVER_COMPANIES):
            lever[company["site"]] = self.lever_site(company, _HEADINGS[(index + 1) % len(_HEADINGS)])
            companies[f"lever-{company['site']}"] = company["name"]
        threads, others, hits, comment_hits = self.hn_threads()
        self.plant_reposts(greenhouse, lever)
        return DemoCorpus(self.anchor, self.weeks, self.seed, greenhouse, lever, threads, hits, others,
                          comment_hits, self.truth, dict(PLANTED), companies)

    # --- shared helpers ---

    def progress(self, moment: datetime) -> float:
        week_index = (moment.astimezone(UTC).date() - self.first_monday).days // 7
        return min(1.0, max(0.0, week_index / (self.weeks - 1)))

    def pick_family(self, is_ml: bool, weights: dict[str, float] | None = None) -> str:
        if weights is None:
            weights = {k: f["weight"] for k, f in texts.FAMILIES.items() if f["is_ml"] == is_ml}
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def salary(self, family_id: str, country: str) -> tuple[int, int, str, str]:
        code, symbol, factor = _CURRENCY.get(country, _CURRENCY["US"])
        low = (_SALARY_FLOOR[family_id] + 5 * self.rng.randint(0, 10)) * factor
        high = low + 5 * self.rng.randint(6, 14) * factor
        return int(round(low / 5) * 5000), int(round(high / 5) * 5000), code, symbol

    def new_id(self, low: int, high: int) -> int:
        while True:
            candidate = self.rng.randint(low, high)
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def record(self, kind: str, source: str, source_id: str, posted: datetime, role: _Role, company: str) -> None:
        self.truth.append({
            "source_kind": kind, "source_id": source_id, "source": source, "week": iso_week_label(posted),
            "is_ml": role.is_ml, "areas": list(role.areas), "title": role.title, "company": company,
            "posted_at": posted.astimezone(UTC).isoformat(),
        })

    def ats_posting_time(self, week_index: int, tz: ZoneInfo) -> datetime:
        """A weekday, office-hours publication time in the company's zone (stays inside the ISO week in UTC)."""
        day = self.first_monday + timedelta(weeks=week_index, days=self.rng.randint(0, 4))
        local = datetime.combine(day, time(self.rng.randint(7, 17), self.rng.randint(0, 59), self.rng.randint(0, 59)))
        return local.replace(tzinfo=tz)

    def ats_role(self, company: dict, posted: datetime) -> tuple[_Role, tuple[str, str, str]]:
        location = self.rng.choice(company["locations"])
        family_id = self.pick_family(self.rng.random() < ML_SHARE)
        city = location[0].split(",")[0].replace("Remote - ", "").replace("Hybrid - ", "")
        ctx = {"company": company["name"], "feature": self.rng.choice(company["features"]),
               "domain": company["domain"], "mission": company["mission"], "city": city,
               "region": {"US": "North America", "CA": "North America"}.get(location[1], "Europe"),
               "country": _COUNTRY_NAMES[location[1]]}
        return self.composer.role(family_id, ctx, self.progress(posted), compact=False), location

    # --- reposts: the same job again under a new id, for deduplication to find ---

    def plant_reposts(self, greenhouse: dict[str, dict], lever: dict[str, list]) -> None:
        """Re-publish about 5 % of ATS postings one or two weeks later under a new id, text unchanged.

        A separate random stream keeps every other posting byte-identical to a corpus without reposts.
        Each repost's truth row names the original in `duplicate_of`.
        """
        rng = random.Random(self.seed * 7919 + 1)
        by_id = {(r["source_kind"], r["source_id"]): r for r in self.truth}
        for board in greenhouse.values():
            for job in list(board["jobs"]):
                moved = datetime.fromisoformat(job["first_published"]) + timedelta(days=rng.choice([7, 14]))
                if rng.random() >= 0.05 or moved > self.window_end:
                    continue
                repost = {**job, "id": self.new_id(4_000_000, 8_999_999) * 1000 + 9,
                          "first_published": moved.isoformat(), "updated_at": moved.isoformat()}
                repost["absolute_url"] = job["absolute_url"].replace(str(job["id"]), str(repost["id"]))
                board["jobs"].append(repost)
                self._record_repost(by_id[("greenhouse", str(job["id"]))], str(repost["id"]), moved)
            board["jobs"].sort(key=lambda j: j["first_published"], reverse=True)
            board["meta"]["total"] = len(board["jobs"])
        for postings in lever.values():
            for posting in list(postings):
                moved_ms = posting["createdAt"] + rng.choice([7, 14]) * 86_400_000
                moved = datetime.fromtimestamp(moved_ms / 1000, UTC)
                if rng.random() >= 0.05 or moved > self.window_end:
                    continue
                new_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                repost = {**posting, "id": new_id, "createdAt": moved_ms,
                          "hostedUrl": posting["hostedUrl"].replace(posting["id"], new_id),
                          "applyUrl": posting["applyUrl"].replace(posting["id"], new_id)}
                postings.append(repost)
                self._record_repost(by_id[("lever", posting["id"])], new_id, moved)
            postings.sort(key=lambda p: p["createdAt"], reverse=True)

    def _record_repost(self, original: dict[str, Any], new_id: str, moved: datetime) -> None:
        self.truth.append({**original, "source_id": new_id, "week": iso_week_label(moved),
                           "posted_at": moved.astimezone(UTC).isoformat(), "duplicate_of": original["source_id"]})

    # --- Greenhouse ---

    def greenhouse_board(self, company: dict, headings: tuple[str, str, str]) -> dict:
        tz = ZoneInfo(company["tz"])
        jobs = []
        for week_index in range(self.weeks):
            for _ in range(self.rng.randint(8, 10)):
                published = self.ats_posting_time(week_index, tz)
                role, location = self.ats_role(company, published)
                jobs.append(self.greenhouse_job(company, headings, role, location, published))
        jobs.sort(key=lambda j: j["first_published"], reverse=True)
        return {"jobs": jobs, "meta": {"total": len(jobs)}}

    def greenhouse_job(self, company: dict, headings: tuple[str, str, str], role: _Role,
                       location: tuple[str, str, str], published: datetime) -> dict:
        rng = self.rng
        job_id = self.new_id(4_000_000, 8_999_999) * 1000 + rng.choice([2, 3, 5, 7, 8])
        self.used_ids.add(job_id)
        edited = published + timedelta(days=rng.choice([0, 0, 0, 1, 3, 8, 15]), hours=rng.randint(0, 6))
        updated = edited if edited <= self.window_end else published
        if company["url_style"] == "greenhouse":
            url = f"https://job-boards.greenhouse.io/{company['token']}/jobs/{job_id}"
        else:
            url = f"https://{company['site']}/careers/open-roles?gh_jid={job_id}"
        family = texts.FAMILIES[role.family]
        pay = self.salary(role.family, location[1]) if (location[1] == "US" or rng.random() < 0.3) else None
        body = self.greenhouse_html(company, headings, role, pay)
        office = location[0].replace("Hybrid - ", "")
        self.record("greenhouse", f"greenhouse-{company['token']}", str(job_id), published, role, company["name"])
        title = role.title + (" " if rng.random() < 0.03 else "")  # real boards carry stray trailing spaces
        return {
            "absolute_url": url,
            "data_compliance": [{"type": "gdpr", "requires_consent": False, "requires_processing_consent": False,
                                 "requires_retention_consent": False, "retention_period": None}],
            "internal_job_id": rng.randint(2_000_000, 4_999_999),
            "location": {"name": location[0]},
            "metadata": [{"id": 4118221, "name": "Employment Type", "value": "Full-time",
                          "value_type": "single_select"}],
            "id": job_id,
            "updated_at": updated.isoformat(),
            "requisition_id": rng.choice([None, f"REQ-{rng.randint(1000, 9999)}", str(rng.randint(100, 999))]),
            "title": title,
            "company_name": company["name"],
            "first_published": published.isoformat(),
            "language": "en",
            "application_deadline": None,
            "content": entity_escape(body),
            "departments": [{"id": 40_000 + sum(map(ord, family["department"])), "name": family["department"],
                             "child_ids": [], "parent_id": None}],
            "offices": [{"id": 60_000 + sum(map(ord, office)), "name": office,
                         "location": None if office.startswith("Remote") else office,
                         "child_ids": [], "parent_id": None}],
        }

    def greenhouse_html(self, company: dict, headings: tuple[str, str, str], role: _Role,
                        pay: tuple[int, int, str, str] | None) -> str:
        e = _text
        parts = [f'<div class="content-intro"><p><strong>About {e(company["name"])}</strong></p>'
                 f"<p>{e(company['intro'])}</p></div>",
                 f"<p>&nbsp;</p><h2><strong>About the role</strong></h2><p>{e(role.summary)}</p>",
                 f"<h3><strong>{e(headings[0])}</strong></h3>{_ul(role.resp)}",
                 f"<h3><strong>{e(headings[1])}</strong></h3>{_ul(role.req)}"]
        if role.nice:
            parts.append(f"<h3><strong>{e(headings[2])}</strong></h3>{_ul(role.nice)}")
        if pay:
            low, high, code, symbol = pay
            parts.append('<div class="content-pay-transparency"><div class="pay-input"><div class="description">'
                         "<p>The expected base salary range for this role is below. Final pay depends on "
                         'experience and location.</p></div><div class="title">Annual base salary</div>'
                         f'<div class="pay-range"><span>{symbol}{low:,}</span><span class="divider">&mdash;</span>'
                         f"<span>{symbol}{high:,} {code}</span></div></div></div>")
        parts.append(f'<div class="content-conclusion"><p><strong>Benefits</strong></p>{_ul(company["benefits"])}'
                     f"<p>{e(company['eeo'])}</p><p>{e(company['notice'])}</p></div>")
        return "\n".join(parts)

    # --- Lever ---

    def lever_site(self, company: dict, headings: tuple[str, str, str]) -> list[dict]:
        tz = ZoneInfo(company["tz"])
        postings = []
        for week_index in range(self.weeks):
            for _ in range(self.rng.randint(5, 8)):
                created = self.ats_posting_time(week_index, tz)
                role, location = self.ats_role(company, created)
                postings.append(self.lever_posting(company, headings, role, location, created))
        postings.sort(key=lambda p: p["createdAt"], reverse=True)
        return postings

    def lever_posting(self, company: dict, headings: tuple[str, str, str], role: _Role,
                      location: tuple[str, str, str], created: datetime) -> dict:
        rng = self.rng
        posting_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        family = texts.FAMILIES[role.family]
        team = role.title.split(", ", 1)[1] if ", " in role.title else family["department"]
        opening = f"{company['name']} is hiring {with_article(role.title)} to join the {team} team ({location[0]})."
        lists = [{"text": headings[0], "content": _li(role.resp)}, {"text": headings[1], "content": _li(role.req)}]
        if role.nice:
            lists.append({"text": headings[2], "content": _li(role.nice)})
        about = f"About {company['name']}"
        additional_html = (f"<div><b>{_text(about)}</b></div><div>{_text(company['intro'])}</div><div><br></div>"
                           f"<div><b>Benefits</b></div><ul>{_li(company['benefits'])}</ul><div><br></div>"
                           f"<div>{_text(company['eeo'])}&nbsp;</div>")
        additional_plain = (f"{about}\n{company['intro']}\n\nBenefits\n" + "".join(f"{b}\n" for b in company["benefits"])
                            + f"\n{company['eeo']}\u00a0\n")
        all_locations = [location[0]]
        if rng.random() < 0.2:
            other = rng.choice(company["locations"])[0]
            all_locations += [other] if other != location[0] else []
        posting: dict[str, Any] = {
            "additionalPlain": additional_plain,
            "additional": additional_html,
            "categories": {"commitment": rng.choice(["Full-time", "Full-time", "Full Time - Salaried"]),
                           "department": company["departments"][family["department"]],
                           "location": location[0], "team": team, "allLocations": all_locations},
            "createdAt": int(created.timestamp() * 1000) + rng.randint(0, 999),
            "descriptionPlain": f"{opening}\n\nAbout the role\n{role.summary}\n",
            "description": (f"<div>{_text(opening)}</div><div><br></div><div><b>About the role</b></div>"
                            f"<div>{_text(role.summary)}</div>"),
            "id": posting_id,
            "lists": lists,
            "text": role.title,
            "country": location[1],
            "workplaceType": location[2] if rng.random() > 0.05 else "unspecified",
            "opening": f"<div>{_text(opening)}</div>",
            "openingPlain": f"{opening}\n",
            "descriptionBody": f"<div><b>About the role</b></div><div>{_text(role.summary)}</div>",
            "descriptionBodyPlain": f"About the role\n{role.summary}\n",
            "hostedUrl": f"https://jobs.lever.co/{company['site']}/{posting_id}",
            "applyUrl": f"https://jobs.lever.co/{company['site']}/{posting_id}/apply",
        }
        if rng.random() < (0.8 if location[1] == "US" else 0.2):
            low, high, code, _ = self.salary(role.family, location[1])
            posting["salaryRange"] = {"currency": code, "interval": "per-year-salary", "min": low, "max": high}
        self.record("lever", f"lever-{company['site']}", posting_id, created, role, company["name"])
        return posting


    # --- Hacker News (Algolia) ---

    def hn_threads(self) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
        """One "Who is hiring?" thread per month that has job posts inside the window, plus its two siblings."""
        companies = self.hn_companies()
        threads, others, story_hits, comment_hits = [], [], [], []
        month = date(self.window_start.year, self.window_start.month, 1)
        while month <= self.window_end.date():
            built = self.hn_month(month, companies)
            if built is not None:
                stories, hits, comments = built
                threads.append(stories[0])
                others.extend(stories[1:])
                story_hits.extend(hits)
                comment_hits.extend(comments)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        story_hits.sort(key=lambda h: h["created_at_i"], reverse=True)
        comment_hits.sort(key=lambda h: h["created_at_i"], reverse=True)
        return threads, others, story_hits, comment_hits

    def hn_companies(self) -> list[dict]:
        rng = self.rng
        names = [f"{a} {b}" for a in texts.HN_NAME_PARTS[0] for b in texts.HN_NAME_PARTS[1]]
        companies = []
        for name in rng.sample(names, 60):
            what, whoms, industry, features = rng.choice(texts.HN_PRODUCTS)
            location, country = rng.choice(texts.HN_LOCATIONS)
            workplace = "remote" if location.startswith("Remote") else rng.choices(
                ["on-site", "hybrid", "remote"], [0.45, 0.30, 0.25])[0]
            shown = f"{location} or Remote" if workplace == "remote" and not location.startswith("Remote") else location
            companies.append({
                "name": name, "site": name.lower().replace(" ", "") + ".example", "what": what,
                "whom": rng.choice(whoms), "industry": industry, "features": features, "location": shown,
                "country": country, "workplace": workplace, "poster": self.hn_handle(),
                "yc": f"YC {rng.choice('WS')}{rng.randint(19, 25)}" if rng.random() < 0.3 else "",
                "size": rng.choice(["We're 12 people and profitable.", "We raised a Series A last year.",
                                    "We're a team of 30, mostly engineers.", "We're seed-funded and growing.",
                                    "Our team is 45 people across two offices."]),
            })
        return companies

    def hn_handle(self) -> str:
        rng = self.rng
        stem = rng.choice(["ana", "ben", "cho", "dev", "eli", "fatima", "gus", "hana", "ivan", "jun", "kai", "lena",
                           "mo", "nia", "omar", "priya", "quinn", "raj", "sofia", "tom", "uma", "vik", "wei", "yara"])
        return stem + rng.choice(["", "_", ""]) + rng.choice(["k", "ml", "dev", "codes", "42", "hq", "b", "x", "99"])

    def hn_offset(self) -> timedelta:
        """How long after the thread a post arrives: most on day one, a tail over the month."""
        r = self.rng.random()
        low, high = (0.05, 24) if r < 0.45 else (24, 96) if r < 0.75 else (96, 240) if r < 0.92 else (240, 600)
        return timedelta(seconds=int(self.rng.uniform(low, high) * 3600))  # HN times are whole seconds

    def hn_month(self, month: date, companies: list[dict]) -> tuple[list[dict], list[dict], list[dict]] | None:
        rng = self.rng
        posted = _thread_time(month)
        if posted > self.window_end:
            return None
        months_since = (month.year - 2023) * 12 + month.month - 9
        story_id = 37_350_000 + months_since * 300_000 + rng.randint(0, 5_000)
        label = month.strftime("%B %Y")
        stories = [
            _Node(posted, "whoishiring", "", title=f"Ask HN: Who is hiring? ({label})", points=rng.randint(250, 520)),
            _Node(posted + timedelta(seconds=1), "whoishiring", "", title=f"Ask HN: Who wants to be hired? ({label})",
                  points=rng.randint(150, 350)),
            _Node(posted + timedelta(seconds=2), "whoishiring", "",
                  title=f"Ask HN: Freelancer? Seeking freelancer? ({label})", points=rng.randint(60, 160)),
        ]
        for offset, story in enumerate(stories):
            story.id = story_id + offset
        jobs = []
        for company in rng.sample(companies, rng.randint(30, 36)):
            moment = posted + self.hn_offset()
            if not self.window_start <= moment <= self.window_end:
                continue  # before the covered weeks, or after the scrape
            node = self.hn_job(company, moment)
            stories[0].children.append(node)
            jobs.append(node)
            if rng.random() < 0.12:
                self.hn_discussion(node)
        if not jobs:
            return None
        meta = _Node(posted + timedelta(minutes=rng.randint(2, 9)), "whoishiring", rng.choice(texts.WHOISHIRING_META))
        stories[0].children.insert(rng.randint(0, len(stories[0].children)), meta)
        for _ in range(rng.randint(4, 7)):
            self.hn_seeker(stories[1], posted, freelancer=False)
        for _ in range(rng.randint(3, 5)):
            self.hn_seeker(stories[2], posted, freelancer=True)
        for story in stories:
            story.children = [c for c in story.children if c.time <= self.window_end]
        self.hn_assign_ids(stories, story_id)
        urls = {f"{k}_url": _hn_link(s.id) for k, s in zip(("hiring", "hired", "freelancer"), stories)}
        stories[0].text = texts.STORY_TEXT_HIRING.format(**urls)
        stories[1].text = texts.STORY_TEXT_HIRED.format(**urls)
        stories[2].text = texts.STORY_TEXT_FREELANCER.format(**urls)
        for node in jobs:
            self.record("hn", "hn-whoishiring", str(node.id), node.time, node.role, node.company)
        items = [_algolia_item(story, None, story) for story in stories]
        hits = [_algolia_story_hit(story) for story in stories]
        comments = [_algolia_comment_hit(node, story) for story in stories for node in story.descendants()]
        return items, hits, comments

    def hn_assign_ids(self, stories: list[_Node], story_id: int) -> None:
        """Ids grow with time across the three threads, as HN's global item counter does."""
        nodes = sorted((n for s in stories for n in s.descendants()), key=lambda n: n.time)
        last = story_id + 2
        for node in nodes:
            elapsed = (node.time - stories[0].time).total_seconds()
            last = max(last + 1, story_id + 3 + int(elapsed * 0.114))  # ~300k new items a month
            node.id = last

    def hn_job(self, company: dict, moment: datetime) -> _Node:
        rng = self.rng
        is_ml = rng.random() < ML_SHARE
        family_id = self.pick_family(is_ml, None if is_ml else _HN_NON_ML)
        city = company["location"].split(",")[0].split(" or ")[0]
        ctx = {"company": company["name"], "feature": rng.choice(company["features"]), "domain": company["industry"],
               "mission": f"what AI can do for {company['whom']}", "city": city,
               "region": "Europe" if company["country"] in ("DE", "NL", "GB") else "North America",
               "country": _COUNTRY_NAMES[company["country"]]}
        role = self.composer.role(family_id, ctx, self.progress(moment), compact=True)
        if is_ml and rng.random() < 0.1:
            other = texts.FAMILIES[self.pick_family(True)]
            second = self.composer.expand(rng.choice(other["titles"]), {"team": rng.choice(other["teams"]), "city": city})
            if second != role.title:
                role.title = f"{role.title}, {second}"
        node = _Node(moment, company["poster"], self.hn_post_html(company, role))
        node.role, node.company = role, company["name"]
        return node

    def hn_post_html(self, company: dict, role: _Role) -> str:
        rng = self.rng
        paragraphs = [_text(self.hn_header(company, role)),
                      _text(f"{company['name']} {company['what']} {company['whom']}. {company['size']}"),
                      _text(role.summary)]
        if rng.random() < 0.5:
            paragraphs.append("What you'll do:")
            paragraphs += [_text(f"- {item}") for item in role.resp]
            paragraphs.append("What we're looking for:")
            paragraphs += [_text(f"- {item}") for item in role.req]
            if role.nice:
                paragraphs.append(_text("Nice to have: " + "; ".join(_lower_first(i) for i in role.nice) + "."))
        else:
            paragraphs.append(_text("You will: " + "; ".join(_lower_first(i) for i in role.resp) + "."))
            paragraphs.append(_text("You have: " + "; ".join(_lower_first(i) for i in role.req) + "."))
            if role.nice:
                paragraphs.append(_text("Bonus: " + "; ".join(_lower_first(i) for i in role.nice) + "."))
        if rng.random() < 0.35:
            paragraphs.append(_text(rng.choice(texts.HN_BENEFITS)))
        url = f"https://{company['site']}/careers"
        paragraphs.append(f'Apply: <a href="{url}" rel="nofollow">{url}</a> or email jobs@{company["site"]}')
        return "".join(f"<p>{p}</p>" for p in paragraphs)

    def hn_header(self, company: dict, role: _Role) -> str:
        """The first line, in the modern pipe convention with the variations real threads show."""
        rng = self.rng
        name = company["name"] + (f" ({company['yc']})" if company["yc"] else "")
        if rng.random() < 0.1:
            name += f" (https://{company['site']})"
        keyword = {"remote": "REMOTE", "hybrid": "HYBRID", "on-site": "ONSITE"}[company["workplace"]]
        pay = ""
        if rng.random() < 0.7:
            low, high, _, symbol = self.salary(role.family, company["country"])
            dash = rng.choice(["-", "–"])
            pay = f"{symbol}{low // 1000}k{dash}{symbol}{high // 1000}k" + rng.choice(["", "", " + equity"])
        style = rng.random()
        location = company["location"]
        if style < 0.55:
            fields = [name, role.title, location, keyword, "Full-time", pay]
        elif style < 0.70:
            fields = [name, location, role.title, keyword, "Full-time"]
        elif style < 0.80:
            where = {"remote": "Remote OK", "hybrid": "hybrid", "on-site": "onsite"}[company["workplace"]]
            return f"{name} - {role.title} - {location} ({where})"
        elif style < 0.90:
            fields = [name, role.title, location, keyword, "VISA", pay]
        else:
            where = {"remote": "remote is fine", "hybrid": "hybrid", "on-site": "onsite"}[company["workplace"]]
            tail = f" Salary {pay}." if pay else ""
            return f"{company['name']} is hiring {with_article(role.title)} in {location} ({where}).{tail}"
        return " | ".join(f for f in fields if f)

    def hn_discussion(self, job: _Node) -> None:
        question, answer = self.rng.choice(texts.HN_REPLIES)
        asked = _Node(job.time + timedelta(minutes=self.rng.randint(10, 2000)), self.hn_handle(), f"<p>{question}</p>")
        job.children.append(asked)
        if answer:
            asked.children.append(_Node(asked.time + timedelta(minutes=self.rng.randint(20, 900)), job.author,
                                        f"<p>{answer}</p>"))

    def hn_seeker(self, story: _Node, posted: datetime, *, freelancer: bool) -> None:
        rng = self.rng
        handle = self.hn_handle()
        city = rng.choice(texts.HN_LOCATIONS)[0]
        tech = rng.choice(texts.SEEKER_TECH)
        if freelancer:
            lead = rng.choice(["SEEKING WORK", "SEEKING WORK", "SEEKING FREELANCER"])
            text = (f"<p>{lead} | {_text(city)} | Remote</p><p>{_text(tech)}. Available for contracts of three "
                    f"to six months.</p><p>Email: {handle}@example.com</p>")
        else:
            text = (f"<p>Location: {_text(city)}\nRemote: {rng.choice(['Yes', 'Yes', 'No'])}\nWilling to relocate: "
                    f"{rng.choice(['Yes', 'No'])}\nTechnologies: {_text(tech)}\nRésumé/CV: https://{handle}.example/cv"
                    f"\nEmail: {handle}@example.com</p>")
        story.children.append(_Node(posted + self.hn_offset(), handle, text))


@dataclass
class _Node:
    """An HN item before it is rendered in the Algolia shapes."""

    time: datetime
    author: str
    text: str
    title: str | None = None
    points: int | None = None
    id: int = 0
    children: list["_Node"] = field(default_factory=list)
    role: _Role | None = None
    company: str = ""

    def descendants(self) -> list["_Node"]:
        found = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found


def _thread_time(month: date) -> datetime:
    """whoishiring posts on the first weekday of the month at 11:00 New York time."""
    day = month
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(11, 0, 0), ZoneInfo("America/New_York")).astimezone(UTC)


def _algolia_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _algolia_item(node: _Node, parent: _Node | None, story: _Node) -> dict:
    """`items/{id}` shape: normalized HTML, int ids, nested children."""
    is_story = parent is None
    return {
        "id": node.id,
        "created_at": _algolia_time(node.time),
        "created_at_i": int(node.time.timestamp()),
        "type": "story" if is_story else "comment",
        "author": node.author,
        "title": node.title if is_story else None,
        "url": None,
        "text": node.text,
        "points": node.points,
        "parent_id": None if is_story else parent.id,
        "story_id": None if is_story else story.id,
        "children": [_algolia_item(child, node, story) for child in node.children],
        "options": [],
    }


def _algolia_story_hit(story: _Node) -> dict:
    """`search_by_date` shape of a story: string objectID, HN-native HTML in story_text."""
    return {
        "created_at": _algolia_time(story.time),
        "title": story.title,
        "url": None,
        "author": story.author,
        "points": story.points,
        "story_text": hn_native_html(story.text),
        "comment_text": None,
        "num_comments": len(story.descendants()),
        "story_id": None,
        "story_title": None,
        "story_url": None,
        "parent_id": None,
        "created_at_i": int(story.time.timestamp()),
        "_tags": ["story", f"author_{story.author}", f"story_{story.id}", "ask_hn"],
        "objectID": str(story.id),
        "_highlightResult": {
            "title": {"value": story.title, "matchLevel": "none", "matchedWords": []},
            "author": {"value": story.author, "matchLevel": "none", "matchedWords": []},
        },
    }


def _algolia_comment_hit(node: _Node, story: _Node) -> dict:
    parent = next(p for p in [story, *story.descendants()] if node in p.children)
    return {
        "created_at": _algolia_time(node.time),
        "title": None,
        "url": None,
        "author": node.author,
        "points": None,
        "story_text": None,
        "comment_text": hn_native_html(node.text),
        "num_comments": None,
        "story_id": story.id,
        "story_title": story.title,
        "story_url": None,
        "parent_id": parent.id,
        "created_at_i": int(node.time.timestamp()),
        "_tags": ["comment", f"author_{node.author}", f"story_{story.id}"],
        "objectID": str(node.id),
    }


def _hn_link(item_id: int) -> str:
    url = f"https://news.ycombinator.com/item?id={item_id}"
    return f'<a href="{url}">{url}</a>'


def hn_native_html(normalized: str) -> str:
    """Normalized item HTML -> HN-native HTML as search hits carry it.

    The first paragraph is bare, later ones are introduced by a lone `<p>`, and `'`, `/` and `"` in text
    and link targets are entity-escaped (`&#x27;`, `&#x2F;`, `&quot;`).
    """
    blocks = re.findall(r"<p>(.*?)</p>|(<pre>.*?</pre>)", normalized, flags=re.S)
    joined = "<p>".join(para or pre for para, pre in blocks)
    out = []
    for part in re.split(r"(<[^>]+>)", joined):
        if part.startswith("<"):
            out.append(re.sub(r'href="([^"]*)"', lambda m: 'href="' + m.group(1).replace("/", "&#x2F;") + '"', part))
        else:
            out.append(part.replace("'", "&#x27;").replace("/", "&#x2F;").replace('"', "&quot;"))
    return "".join(out)


def with_article(title: str) -> str:
    """'an ML Engineer', 'a BI Analyst', 'an Applied Scientist': by sound, so initialisms count."""
    initialism = len(title) > 1 and title[1].isupper()
    vowel_sound = title[0] in "AEIOU" or (initialism and title[0] in "FHLMNRSX")
    return ("an " if vowel_sound else "a ") + title


def _lower_first(item: str) -> str:
    return item if len(item) > 1 and item[1].isupper() else item[:1].lower() + item[1:]


# --- HTML helpers ---

def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _li(items: list[str]) -> str:
    return "".join(f"<li>{_text(item)}</li>" for item in items)


def _ul(items: list[str]) -> str:
    return f"<ul>{_li(items)}</ul>"


def entity_escape(markup: str) -> str:
    """Greenhouse's escaping of `content`: the whole HTML entity-escaped once (`<p>` -> `&lt;p&gt;`)."""
    return (markup.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
