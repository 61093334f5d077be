"""The large-corpus generator (tests/bench/gen_large_corpus.py) at a small size, and the pipeline on it."""
from __future__ import annotations

import gzip
import html
import json
import random
import shutil
from pathlib import Path

import pytest

from pipeline.classify import classify_ml
from pipeline.clean import clean_postings, iso_week, raw_frame
from pipeline.dedupe import deduplicate
from pipeline.process import process
from pipeline.settings import DEFAULT_TAXONOMY
from pipeline.skills import load_taxonomy
from pipeline.text import html_to_text
from pipeline.trends import posting_skills
from scraper.rawstore import RawStore
from scraper.sources.greenhouse import job_body_html
from tests.bench import gen_large_corpus as gen

POSTINGS = 2_000
# A year rather than the default 3: a third of the raw files, so processing stays well under the time budget
# (each raw file costs ~20 ms of cleaning and caching however small it is).
WEEKS = 52


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    data_dir = tmp_path_factory.mktemp("large")
    return data_dir, gen.generate(data_dir, POSTINGS, seed=3, weeks=WEEKS, workers=1)


def _files(data_dir: Path) -> dict[str, bytes]:
    store = RawStore(data_dir)
    return {p.relative_to(store.raw_dir).as_posix(): p.read_bytes() for p in store.raw_files()}


def test_same_seed_same_bytes_whatever_the_workers(corpus, tmp_path):
    data_dir, manifest = corpus
    again = gen.generate(tmp_path / "again", POSTINGS, seed=3, weeks=WEEKS, workers=2)
    assert _files(tmp_path / "again") == _files(data_dir)
    assert {k: again[k] for k in ("rows", "distinct", "reposts")} == {k: manifest[k] for k in ("rows", "distinct", "reposts")}
    other = gen.generate(tmp_path / "other", POSTINGS, seed=4, weeks=WEEKS, workers=1)
    assert _files(tmp_path / "other") != _files(data_dir) and other["rows"] > 0


def test_size_sources_weeks_and_texts(corpus):
    data_dir, manifest = corpus
    assert abs(manifest["rows"] - POSTINGS) < 0.1 * POSTINGS
    store = RawStore(data_dir)
    kinds = {p.parent.name.split("-")[0] for p in store.raw_files()}
    assert kinds == {"greenhouse", "lever", "hn"}
    # one raw file per source per weekly run over the 3 years (none when a small source has nothing open)
    assert manifest["files"] == len(store.raw_files())
    assert 0.95 * manifest["sources"] * WEEKS <= manifest["files"] <= manifest["sources"] * WEEKS
    cleaned = clean_postings(raw_frame(store.iter_rows()))
    assert len(cleaned) == manifest["rows"]
    assert iso_week(cleaned["fetched_at"]).nunique() == WEEKS
    assert iso_week(cleaned["posted_at"]).nunique() >= 0.9 * WEEKS
    sizes = cleaned["description"].str.len()
    assert 2_600 < sizes.mean() < 3_800, sizes.describe()
    assert set(cleaned["source_kind"]) == {"greenhouse", "lever", "hn"}


def test_greenhouse_rows_are_what_the_adapter_makes(corpus):
    data_dir, _ = corpus
    store = RawStore(data_dir)
    path = next(p for p in store.raw_files() if p.parent.name.startswith("greenhouse-"))
    for row in list(store.iter_rows([path]))[:10]:
        adapter = job_body_html(row["payload"]["content"])
        assert html_to_text(adapter) == html_to_text(row["description_html"])


def test_duplicates_it_plants_are_what_the_pipeline_finds(corpus):
    data_dir, manifest = corpus
    rows = [json.loads(line) for p in RawStore(data_dir).raw_files()
            for line in gzip.open(p, "rt", encoding="utf-8")]
    distinct = {(r["source"], r["source_id"]) for r in rows}
    assert len(distinct) == manifest["distinct"]
    assert manifest["exact_duplicates"] == len(rows) - len(distinct) > 0.4 * len(rows)
    assert manifest["reposts"] > 0 and manifest["cross_copies"] > 0 and manifest["edits"] > 0

    summary = process(data_dir, load_taxonomy(DEFAULT_TAXONOMY))
    assert summary.raw_rows == manifest["rows"]
    assert summary.dedup.exact_duplicates == manifest["exact_duplicates"]
    planted = manifest["near_duplicates_planted"]
    # Nearly every planted repost and copy is merged, and hardly anything else.
    assert 0.85 * planted <= summary.dedup.near_duplicates <= planted + 3, (summary.dedup, planted)
    assert 0 < summary.ml_postings < summary.postings
    assert summary.weeks >= 0.9 * WEEKS


def test_added_postings_are_one_new_raw_file(corpus, tmp_path):
    data_dir, manifest = corpus
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    before = set(RawStore(copy).raw_files())
    path = gen.add_postings(copy, 50, seed=3, weeks=WEEKS)
    assert set(RawStore(copy).raw_files()) - before == {path}
    rows = list(RawStore(copy).iter_rows([path]))
    assert len(rows) == len({r["source_id"] for r in rows}) == 50
    last = max(r["fetched_at"] for r in RawStore(copy).iter_rows(sorted(before)))
    assert min(r["fetched_at"] for r in rows) > last


def test_added_postings_can_be_spread_over_every_board(corpus, tmp_path):
    data_dir, _ = corpus
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    store = RawStore(copy)
    before = set(store.raw_files())
    boards = {p.parent.name for p in before if not p.parent.name.startswith("hn")}
    gen.add_postings(copy, 50, seed=3, weeks=WEEKS, spread=True)
    added = sorted(set(store.raw_files()) - before)
    assert {p.parent.name for p in added} == boards and len(added) == len(boards)  # one new file per board
    rows = list(store.iter_rows(added))
    assert len(rows) == len({(r["source"], r["source_id"]) for r in rows}) == 50


def test_texts_and_titles_vary_as_real_postings_do(corpus):
    """Real postings share 5-26 % of their sentence characters with other postings and have 0.55-0.93
    distinct titles per posting (../shared/data/real/postings); the demo pool recombined as it is shares
    99.5 % and has 0.01."""
    data_dir, _ = corpus
    postings, _ = deduplicate(clean_postings(raw_frame(RawStore(data_dir).iter_rows())))
    assert 0.05 < gen.repeated_sentence_share(postings["description"]) < 0.30
    assert postings["title"].nunique() > 0.3 * len(postings)
    assert gen.repeated_sentence_share(["Exactly the same sentence, thirty characters or more."] * 2) == 1.0


def test_variation_adds_no_skill_and_keeps_every_ml_verdict():
    """The words a variation adds name no skill and no ML cue; on demo pool postings, varied, the ML verdicts
    stay and skills are only ever lost, never gained: a clause between two bullets breaks a phrase that the
    matcher reads across the line break ("…in industry" / "Knowledge of…" as "industry knowledge")."""
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY)
    words = [*gen._TEAMS, *gen._PRODUCTS, *gen._AUDIENCES, *gen._REGIONS]
    assert not [w for w in words if taxonomy.match(w) or taxonomy.match(w.lower())]
    everything = {"team": " ".join(gen._TEAMS), "team2": " ".join(gen._TEAMS).lower(), "product": " ".join(gen._PRODUCTS),
                  "audience": " ".join(gen._AUDIENCES), "region": " ".join(gen._REGIONS), "n": 40, "k": 900}
    assert not [f for f in gen._TASK_TAILS + gen._NEED_TAILS if taxonomy.match(f.format(**everything))]

    pool = gen._pool(WEEKS)
    titles = sorted({s.title for week in pool.by_week for s in week})
    rng = random.Random(5)
    for title in titles:
        expected = classify_ml(title, "")[0]
        for style in gen._TEAM_STYLES:
            variation = gen.Variation(gen._TEAMS, style)
            assert {classify_ml(variation.title(rng, title), "")[0] for _ in range(60)} == {expected}, title

    def text(summary, resp, req, nice):
        return html.unescape("\n".join(["About the role", summary, "What you'll do", *resp, "What you'll bring",
                                        *req, *(["Nice to have", *nice] if nice else [])]))

    sections = sorted((s for week in pool.by_week for s in week), key=lambda s: (s.week, s.title, s.summary))
    lost = 0
    for s in rng.sample(sections, 300):
        varied = gen.Variation.of_company(rng)
        title = varied.title(rng, s.title)
        before = text(s.summary, s.resp, s.req, s.nice)
        after = text(varied.summary(rng, s.summary), *([varied.bullet(rng, b, tails) for b in bullets] for bullets, tails in
                     ((s.resp, gen._TASK_TAILS), (s.req, gen._NEED_TAILS), (s.nice, gen._NEED_TAILS))))
        assert after != before
        assert classify_ml(title, after)[0] == classify_ml(s.title, before)[0]
        skills, varied_skills = set(posting_skills(taxonomy, s.title, before)), set(posting_skills(taxonomy, title, after))
        assert varied_skills <= skills, (title, varied_skills - skills)
        lost += varied_skills != skills
    assert lost <= 6  # 0.2 % of postings measured (8 of 4,500)
