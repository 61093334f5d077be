"""The large-corpus generator (tests/bench/gen_large_corpus.py) at a small size, and the pipeline on it."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from pipeline.clean import clean_postings, iso_week, raw_frame
from pipeline.process import process
from pipeline.settings import DEFAULT_TAXONOMY
from pipeline.skills import load_taxonomy
from pipeline.text import html_to_text
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
