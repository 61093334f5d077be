"""The demo corpus (generated postings in the real API shapes) and the demo server that serves it."""
from __future__ import annotations

import html
import json
import re
import socket
import uuid
from datetime import date, datetime, time, timezone

import httpx
import pytest
from bs4 import BeautifulSoup

from pipeline.columns import AREA_IDS
from scraper.demo import texts
from scraper.demo.corpus import DEMO_ANCHOR, build_corpus, iso_week_label
from scraper.demo.server import DemoServer
from scraper.sources.hackernews import THREAD_TITLE

# What each area's demand looks like in text (after shared/LABELING.md's lists). The test uses them two
# ways: every bank phrase must say its own areas and no other, and every generated posting's text
# (without boilerplate) must show exactly the areas its truth row claims.
AREA_PATTERNS = {
    "technical": r"python|\bsql\b|pytorch|tensorflow|\bjax\b|spark|kubernetes|docker|c\+\+|\bjava\b|scala|\bgo\b|"
                 r"cloud|\baws\b|\bgcp\b|azure|algorithm|data structure|software|scikit|typescript|react|coding|"
                 r"\bcode\b|programming|framework|deep learning|machine learning|\bml\b|\bmodels?\b|modeling|"
                 r"terraform|looker|tableau|\bdbt\b|html|css|kubeflow|\bray\b|slurm|mlflow|\bgpus?\b|\bllm|"
                 r"transformer|\bnlp\b|vision|opencv|hugging face|vector|embedding|tensorrt|onnx|triton|airflow|"
                 r"dagster|xgboost|bigquery|next\.js|graphql|websocket|\buis?\b|frontend|dashboards?|spacy|gdal|"
                 r"\blora\b|langgraph|dspy|faiss|pgvector|fsdp|deepspeed|megatron|reinforcement learning|"
                 r"distributed|ci/cd|devops|platform|\bapis?\b|interfaces|feature store|training",
    "business_acumen": r"business|customer|product sense|commercial|strategy|strategic|\broi\b|revenue|marketing|"
                       r"financ|economic|domain knowledge|\bsales\b|quota|buyer|\bbudget\b|\bcost\b|\barr\b|"
                       r"churn|\baccounts?\b",
    "communication": r"communicat|\bpresent|writ(e|ing|ten)\b|explain|storytell|stories|documentation|documenting|"
                     r"design docs|\breports?\b|\bpapers?\b|\bpublish\b|visualiz|audience|stakeholder|\bdemos\b|"
                     r"outreach|blog|\btalks\b|informed",
    "math_statistics": r"statistic|probabilit|linear algebra|calculus|optimi[sz]ation|bayesian|markov|hypothesis|"
                       r"experimental design|experimentation|a/b test|regression|clustering|classification|causal|"
                       r"quantitative|mathemat|supervised|significance|time-series",
    "creative_thinking": r"creativ|innovat|novel|invent|outside-the-box|new methods?\b|new evaluation methods",
    "problem_solving": r"problem|analytical|critical thinking|troubleshoot|debug|root cause|root-cause|ambiguous|"
                       r"first principles",
    "networking": r"relationship|\bnetwork\b|conference|meetup|community|communities|\bpartners\b|partners'|"
                  r"partner labs|partnerships|universit|industry events|outside counsel|vendors|resellers|"
                  r"\brepresent",
    "security": r"secur|privacy|gdpr|hipaa|access control|threat|adversarial|compliance|clearance|sensitive|"
                r"confidential|data protection|red-teaming|\bpii\b|soc 2|iso 27001|prompt injection|poisoning|"
                r"membership inference|discretion|privileged",
    "passion": r"passion|enthusias|self-motivat|self-starter|curio|eager|keep(ing)? up with|latest research|"
               r"\bdrive\b|driven|ownership",
    "patience": r"patien|persist|persever|resilien|tenac|\bgrit\b|dedication|long-running|long, uncertain|\bslow\b",
    "attention_to_detail": r"detail|meticulous|thorough|rigor|accura|data quality|validation|carefully|proofread|"
                           r"errors|pixel-perfect|hygiene|follow-through|organized",
    "teamwork": r"collaborat|teamwork|team player|cross-functional|work(ing)? closely|mentor|partner with|pairing|"
                r"together",
}
COMPILED = {area: re.compile(pattern) for area, pattern in AREA_PATTERNS.items()}
TECH_FAMILIES = {k for k, f in texts.FAMILIES.items() if f["is_ml"] or f["rates"].get("technical", 0) >= 1.0}
NOT_HIRING_THREAD = re.compile(r"^Ask HN: (Who wants to be hired\?|Freelancer\? Seeking freelancer\?) \(\w+ \d{4}\)$")


def areas_in(text: str) -> set[str]:
    lowered = text.lower()
    return {area for area, pattern in COMPILED.items() if pattern.search(lowered)}


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module")
def server(corpus):
    with DemoServer(corpus) as running:
        yield running


# --- the sentence banks -----------------------------------------------------------------------------

def _bank_entries():
    """(where, template, areas it claims, whether technical words are allowed)."""
    def entries(bank, tech_ok, where):
        for area, slots in bank.items():
            for slot, items in slots.items():
                for entry in items:
                    template, extra = (entry, ()) if isinstance(entry, str) else entry
                    yield f"{where}/{area}/{slot}", template, {area, *extra}, tech_ok or area == "technical"

    yield from entries(texts.ML_PHRASES, True, "ML_PHRASES")
    yield from entries(texts.GENERIC_PHRASES, False, "GENERIC_PHRASES")
    for name, family in texts.FAMILIES.items():
        tech_ok = name in TECH_FAMILIES
        yield from entries(family.get("phrases", {}), tech_ok, name)
        for template, areas in family["summary"]:
            yield f"{name}/summary", template, set(areas), tech_ok
        for slot, items in family.get("fillers", {}).items():
            for entry in items:
                template, areas = (entry, ()) if isinstance(entry, str) else entry
                yield f"{name}/fillers/{slot}", template, set(areas), tech_ok
    for slot, items in texts.GENERIC_FILLERS.items():
        for template in items:
            yield f"GENERIC_FILLERS/{slot}", template, set(), False


@pytest.mark.parametrize("where, template, claimed, tech_ok", list(_bank_entries()))
def test_every_phrase_says_its_own_areas_and_no_other(where, template, claimed, tech_ok):
    text = re.sub(r"\{[a-z_]+\}", "X", template)
    found = areas_in(text)
    if not tech_ok:
        assert "technical" not in found or "technical" in claimed, (where, template)
    found.discard("technical")
    assert found <= claimed, (where, template, found - claimed)
    if claimed - {"technical"} and "summary" not in where:
        assert found & claimed, (where, template, "says none of its areas")


def test_context_values_carry_no_area_words():
    companies = texts.GREENHOUSE_COMPANIES + texts.LEVER_COMPANIES
    any_role = [c[k] for c in companies for k in ("domain", "mission")]  # filled into non-technical roles too
    any_role += [v for _, whoms, industry, _ in texts.HN_PRODUCTS for v in [industry, *whoms]]
    for value in any_role:
        assert not areas_in(value), value
    tech_roles = [f for c in companies for f in c["features"]]
    tech_roles += [f for _, _, _, features in texts.HN_PRODUCTS for f in features]
    tech_roles += [p for family in texts.FAMILIES.values() for p in family.get("partners", [])]
    for value in tech_roles:
        assert not areas_in(value) - {"technical"}, value


# --- the corpus -------------------------------------------------------------------------------------

def test_same_seed_same_corpus_other_seed_other_corpus():
    def dump(c):
        return json.dumps([c.greenhouse, c.lever, c.hn_threads, c.hn_search_hits, c.hn_other_items, c.truth],
                          sort_keys=True)

    first = build_corpus(weeks=16, seed=3)
    assert dump(first) == dump(build_corpus(weeks=16, seed=3))
    assert dump(first) != dump(build_corpus(weeks=16, seed=4))


def test_covers_every_week_with_realistic_volume(corpus):
    weeks = corpus.week_labels
    assert len(weeks) == 24 >= 16
    assert weeks[-1] == iso_week_label(datetime(2026, 11, 22, tzinfo=timezone.utc)) == "2026-W47"
    per_week = {w: 0 for w in weeks}
    for row in corpus.truth:
        per_week[row["week"]] += 1  # a KeyError here = a posting outside the covered weeks
    assert all(30 <= n <= 80 for n in per_week.values()), per_week
    assert 1000 <= len(corpus.truth) <= 1600
    assert {r["source_kind"] for r in corpus.truth} == {"greenhouse", "lever", "hn"}
    assert len({(r["source_kind"], r["source_id"]) for r in corpus.truth}) == len(corpus.truth)
    for kind in ("greenhouse", "lever", "hn"):
        rows = [r for r in corpus.truth if r["source_kind"] == kind]
        assert 0.6 <= sum(r["is_ml"] for r in rows) / len(rows) <= 0.8, kind


def test_every_area_appears_at_a_plausible_base_rate(corpus):
    ml = [r for r in corpus.truth if r["is_ml"]]
    share = {a: sum(a in r["areas"] for r in ml) / len(ml) for a in AREA_IDS}
    assert all(share[a] > 0.05 for a in AREA_IDS), share
    assert share["technical"] > 0.95
    assert share["networking"] < share["teamwork"] and share["networking"] < 0.3
    for row in corpus.truth:
        assert row["areas"] == [a for a in AREA_IDS if a in row["areas"]]  # known ids, canonical order


def test_planted_trends_hold_in_truth(corpus):
    weeks = corpus.week_labels
    quarter = len(weeks) // 4
    ml = [r for r in corpus.truth if r["is_ml"]]

    def share(area, which):
        rows = [r for r in ml if r["week"] in which]
        return sum(area in r["areas"] for r in rows) / len(rows)

    first, last = set(weeks[:quarter]), set(weeks[-quarter:])
    assert corpus.planted == {"security": "rising", "patience": "falling"}
    assert share("security", first) < 0.25 and share("security", last) > 0.38
    assert share("patience", first) > 0.32 and share("patience", last) < 0.2
    for area in set(AREA_IDS) - set(corpus.planted):
        assert abs(share(area, last) - share(area, first)) < 0.12, area


def _greenhouse_body(content: str) -> str:
    soup = BeautifulSoup(html.unescape(content), "lxml")
    for block in soup.find_all(class_=["content-intro", "content-conclusion", "content-pay-transparency"]):
        block.decompose()
    return soup.get_text(" ")


def test_greenhouse_boards_have_the_real_shape(corpus):
    assert len(corpus.greenhouse) == 3
    iso_offset = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    for token, board in corpus.greenhouse.items():
        assert board["meta"]["total"] == len(board["jobs"]) > 100
        for job in board["jobs"]:
            assert isinstance(job["id"], int) and len(str(job["id"])) == 10
            assert iso_offset.match(job["first_published"]) and iso_offset.match(job["updated_at"])
            assert datetime.fromisoformat(job["updated_at"]) >= datetime.fromisoformat(job["first_published"])
            assert job["location"]["name"] and job["company_name"] and job["title"].strip()
            assert job["metadata"][0]["name"] == "Employment Type"
            assert "<" not in job["content"] and "&lt;p&gt;" in job["content"]
            once = html.unescape(job["content"])
            assert once.startswith('<div class="content-intro">') and '<div class="content-conclusion">' in once
            assert "&nbsp;" in once  # entities inside the HTML survive a single unescape


def test_lever_postings_have_the_real_shape(corpus):
    assert len(corpus.lever) == 2
    year, week = map(int, corpus.week_labels[0].split("-W"))
    start = datetime.combine(date.fromisocalendar(year, week, 1), time(0), timezone.utc)
    for site, postings in corpus.lever.items():
        for posting in postings:
            uuid.UUID(posting["id"])
            created = datetime.fromtimestamp(posting["createdAt"] / 1000, tz=timezone.utc)  # milliseconds
            assert start <= created <= datetime(2026, 11, 23, tzinfo=timezone.utc)
            assert posting["workplaceType"] in {"remote", "hybrid", "on-site", "unspecified"}
            assert posting["lists"] and all(item["content"].startswith("<li>") for item in posting["lists"])
            assert posting["categories"]["location"] in posting["categories"]["allLocations"]
            assert posting["hostedUrl"].endswith(posting["id"]) and posting["applyUrl"].endswith("/apply")
            assert posting["additional"] and posting["descriptionPlain"] and posting["text"]
        assert any("salaryRange" in p for p in postings)


def test_hn_threads_follow_the_algolia_shapes(corpus):
    months = {t["title"] for t in corpus.hn_threads}
    assert len(corpus.hn_threads) == 6 and all(THREAD_TITLE.match(t) for t in months)
    truth_ids = {r["source_id"] for r in corpus.truth if r["source_kind"] == "hn"}
    top_level = set()
    for thread in corpus.hn_threads:
        assert thread["type"] == "story" and thread["author"] == "whoishiring" and isinstance(thread["id"], int)
        authors = [c["author"] for c in thread["children"]]
        assert authors.count("whoishiring") == 1  # the meta comment, not a job
        for comment in thread["children"]:
            assert comment["parent_id"] == comment["story_id"] == thread["id"]
            assert comment["text"].startswith("<p>") and comment["created_at"].endswith(".000Z")
            if comment["author"] != "whoishiring":
                top_level.add(str(comment["id"]))
            for reply in comment["children"]:
                assert str(reply["id"]) not in truth_ids and reply["parent_id"] == comment["id"]
    assert top_level == truth_ids
    assert sum(len(c["children"]) > 0 for t in corpus.hn_threads for c in t["children"]) >= 5
    hits = corpus.hn_search_hits
    assert [h["created_at_i"] for h in hits] == sorted((h["created_at_i"] for h in hits), reverse=True)
    assert sum(bool(NOT_HIRING_THREAD.match(h["title"])) for h in hits) == 2 * len(corpus.hn_threads)
    assert all(isinstance(h["objectID"], str) and not h["story_text"].startswith("<p>") for h in hits)


def test_hn_headers_vary_like_real_threads(corpus):
    firsts = [re.match(r"<p>(.*?)</p>", c["text"]).group(1)
              for t in corpus.hn_threads for c in t["children"] if c["author"] != "whoishiring"]
    assert sum(" | " in f for f in firsts) > 0.7 * len(firsts)
    assert any(" - " in f and " | " not in f for f in firsts)
    assert any(" is hiring " in f for f in firsts)
    assert any(re.search(r"[$€£]\d+k", f) for f in firsts) and any(not re.search(r"\d+k", f) for f in firsts)


def _posting_texts(corpus):
    """(truth row, the posting's own text without boilerplate) for every posting."""
    rows = {(r["source_kind"], r["source_id"]): r for r in corpus.truth}
    for board in corpus.greenhouse.values():
        for job in board["jobs"]:
            yield rows[("greenhouse", str(job["id"]))], _greenhouse_body(job["content"])
    for postings in corpus.lever.values():
        for p in postings:
            lists = " ".join(f"{item['text']} {item['content']}" for item in p["lists"])
            yield rows[("lever", p["id"])], re.sub(r"<[^>]+>", " ", f"{p['description']} {lists}")
    for thread in corpus.hn_threads:
        for comment in thread["children"]:
            if comment["author"] == "whoishiring":
                continue
            paragraphs = re.findall(r"<p>(.*?)</p>", comment["text"])[2:]  # drop header and company blurb
            own = [p for p in paragraphs if not p.startswith("Apply:") and html.unescape(p) not in texts.HN_BENEFITS]
            yield rows[("hn", str(comment["id"]))], html.unescape(" ".join(own))


def test_truth_matches_what_each_posting_says(corpus):
    mismatches = []
    for row, text in _posting_texts(corpus):
        for part in row["title"].split(", "):  # a title is not a requirement ("Business Intelligence Analyst")
            text = text.replace(part.strip(), " ")
        found = areas_in(text)
        if found != set(row["areas"]):
            mismatches.append((row["source_kind"], row["source_id"], sorted(found ^ set(row["areas"]))))
    assert not mismatches, mismatches[:5]


def test_boilerplate_holds_the_trap_words(corpus):
    greenhouse = [html.unescape(j["content"]) for b in corpus.greenhouse.values() for j in b["jobs"][:1]]
    joined = " ".join(greenhouse + [p[0]["additional"] for p in corpus.lever.values()]).lower()
    for trap in ("communications platform", "cybersecurity", "social security", "conference budget", "patients",
                 "passionate"):
        assert trap in joined, trap


def test_source_configs_point_at_the_server(corpus):
    configs = corpus.source_configs("http://127.0.0.1:9/")
    assert [c["kind"] for c in configs] == ["greenhouse"] * 3 + ["lever"] * 2 + ["hn"]
    assert all(c["base_url"] == "http://127.0.0.1:9" for c in configs)
    assert configs[-1]["months"] == len(corpus.hn_threads)
    from scraper.settings import SourceConfig
    from pydantic import TypeAdapter

    TypeAdapter(list[SourceConfig]).validate_python(configs)


def test_default_anchor_is_a_sunday():
    assert DEMO_ANCHOR.weekday() == 6


# --- the server -------------------------------------------------------------------------------------

def test_robots_and_unknown_paths(server):
    robots = httpx.get(f"{server.base_url}/robots.txt")
    assert robots.status_code == 200 and robots.text == "User-agent: *\nAllow: /\n"
    assert robots.headers["content-type"].startswith("text/plain")
    missing = httpx.get(f"{server.base_url}/nothing/here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json; charset=utf-8"


def test_greenhouse_route(server, corpus):
    token = next(iter(corpus.greenhouse))
    full = httpx.get(f"{server.base_url}/v1/boards/{token}/jobs", params={"content": "true"})
    assert full.status_code == 200 and full.headers["content-type"] == "application/json; charset=utf-8"
    assert int(full.headers["content-length"]) == len(full.content)
    assert full.json() == corpus.greenhouse[token]
    bare = httpx.get(f"{server.base_url}/v1/boards/{token}/jobs").json()
    assert bare["meta"]["total"] == len(bare["jobs"]) == len(corpus.greenhouse[token]["jobs"])
    assert not {"content", "departments", "offices"} & set(bare["jobs"][0])
    job_id = bare["jobs"][0]["id"]
    assert httpx.get(f"{server.base_url}/v1/boards/{token}/jobs/{job_id}").json()["content"]
    unknown = httpx.get(f"{server.base_url}/v1/boards/no-such-board/jobs", params={"content": "true"})
    assert unknown.status_code == 404 and unknown.json() == {"status": 404, "error": "Job board not found"}


def test_lever_route_pages_with_skip_and_limit(server, corpus):
    site, postings = next(iter(corpus.lever.items()))
    url = f"{server.base_url}/v0/postings/{site}"
    assert httpx.get(url, params={"mode": "json"}).json() == postings
    collected, skip = [], 0
    while True:
        page = httpx.get(url, params={"mode": "json", "skip": skip, "limit": 40}).json()
        collected += page
        skip += 40
        if len(page) < 40:
            break
    assert [p["id"] for p in collected] == [p["id"] for p in postings]
    assert httpx.get(url, params={"mode": "json", "skip": 10_000, "limit": 5}).json() == []
    assert httpx.get(url).headers["content-type"].startswith("text/html")  # mode=json forgotten
    unknown = httpx.get(f"{server.base_url}/v0/postings/nobody", params={"mode": "json"})
    assert unknown.status_code == 404 and unknown.json() == {"ok": False, "error": "Document not found"}


def test_algolia_search_pages_newest_first(server, corpus):
    url = f"{server.base_url}/api/v1/search_by_date"
    params = {"tags": "story,author_whoishiring", "query": "hiring", "hitsPerPage": 5}
    first = httpx.get(url, params={**params, "page": 0}).json()
    assert first["nbHits"] == len(corpus.hn_search_hits) == 18 and first["nbPages"] == 4
    assert first["page"] == 0 and first["hitsPerPage"] == 5
    titles = []
    for page in range(first["nbPages"]):
        titles += [h["title"] for h in httpx.get(url, params={**params, "page": page}).json()["hits"]]
    assert titles == [h["title"] for h in corpus.hn_search_hits]
    assert httpx.get(url, params={**params, "page": first["nbPages"]}).json()["hits"] == []
    only_or = httpx.get(url, params={"tags": "story,(author_nobody,author_whoishiring)", "hitsPerPage": 100}).json()
    assert only_or["nbHits"] == 18
    thread = corpus.hn_threads[-1]
    comments = httpx.get(url, params={"tags": f"comment,story_{thread['id']}", "hitsPerPage": 1000}).json()
    assert comments["nbHits"] == sum(1 + len(c["children"]) + sum(len(r["children"]) for r in c["children"])
                                     for c in thread["children"])
    newer = httpx.get(url, params={**params, "numericFilters": f"created_at_i>{thread['created_at_i'] - 10}"})
    assert newer.json()["nbHits"] == 3
    assert httpx.get(url, params={"hitsPerPage": "many"}).status_code == 400


def test_algolia_items_route(server, corpus):
    thread = corpus.hn_threads[0]
    item = httpx.get(f"{server.base_url}/api/v1/items/{thread['id']}")
    assert item.status_code == 200 and item.json() == thread
    comment = thread["children"][0]
    assert httpx.get(f"{server.base_url}/api/v1/items/{comment['id']}").json() == comment
    missing = httpx.get(f"{server.base_url}/api/v1/items/1")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json; charset=utf-8"


def test_stop_frees_the_port():
    demo = DemoServer(build_corpus(weeks=16, seed=1)).start()
    port = demo.port
    assert httpx.get(f"{demo.base_url}/robots.txt").status_code == 200
    demo.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/robots.txt")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    demo.stop()  # idempotent


def test_reposts_are_planted_for_deduplication(corpus):
    reposts = [r for r in corpus.truth if r.get("duplicate_of")]
    originals = {(r["source_kind"], r["source_id"]): r for r in corpus.truth if not r.get("duplicate_of")}
    assert 20 <= len(reposts) <= 0.1 * len(corpus.truth)
    for repost in reposts:
        original = originals[(repost["source_kind"], repost["duplicate_of"])]
        assert repost["title"] == original["title"] and repost["areas"] == original["areas"]
        assert repost["posted_at"] > original["posted_at"]
    served = {str(j["id"]): j for board in corpus.greenhouse.values() for j in board["jobs"]}
    for repost in (r for r in reposts if r["source_kind"] == "greenhouse"):
        assert served[repost["source_id"]]["content"] == served[repost["duplicate_of"]]["content"]
