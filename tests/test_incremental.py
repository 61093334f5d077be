"""Incremental processing: a new run costs its own new rows, and gives the tables a full rebuild gives.

The raw store is the demo corpus (12 weeks) scraped four times: each run returns the postings published
in the 5 weeks before it (so postings come back run after run, reposts join their originals later, and
last_seen_at moves), written with RawStore as `jobtrends scrape` writes them.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, time, timedelta, timezone
from unittest.mock import patch

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import columns as c
from pipeline import latest
from pipeline.affected import weeks_affected
from pipeline.cache import ProcessingCache, project_modules
from pipeline.cli import app
from pipeline.clean import raw_frame
from pipeline.dataset import TABLES, read_meta, read_processing_log, read_table
from pipeline.dedupe import PAIR_COLUMNS, NearDuplicates
from pipeline.matcher import prepared_header
from pipeline.process import build_tables, process
from pipeline.skills import load_taxonomy
from pipeline.trends import BASELINE_WEEKS, skill_mentions
from scraper.demo.corpus import build_corpus
from scraper.rawstore import RawStore
from tests.conftest import REPO, demo_postings

WEEKS = 12
RUN_WEEKS = (5, 7, 9, 12)  # a scrape at the start of each of these weeks (counted from 0)
OPEN_WEEKS = 5  # a posting stays on its board this long
WEEKLY_TABLES = ("weekly_area_demand", "weekly_skill_demand", "segment_area_demand")


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(REPO / "config" / "skills.yaml")


def scrape_runs(data_dir, runs=RUN_WEEKS):
    """Yield after writing each run's raw files: every source's postings open at the run's time."""
    corpus = build_corpus(weeks=WEEKS)
    by_source = demo_postings(corpus)
    first_monday = datetime.combine(corpus.anchor, time(), timezone.utc) - timedelta(weeks=WEEKS, days=-1)
    store = RawStore(data_dir)
    for week in runs:
        at = first_monday + timedelta(weeks=week)
        for source, postings in by_source.items():
            open_now = [p for p in postings if at - timedelta(weeks=OPEN_WEEKS) < p.posted_at <= at]
            store.write_postings(source, at.strftime("%Y%m%dT%H%M%SZ"), at, open_now)
        yield week


def tables(data_dir) -> dict[str, pd.DataFrame]:
    return {name: read_table(data_dir, name) for name in TABLES}


def assert_same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        keys = [col for col in (c.POSTING_ID, c.SEGMENT_TYPE, c.SEGMENT, c.WEEK, c.AREA, c.SKILL)
                if col in left[name].columns]
        a, b = (t[name].sort_values(keys, ignore_index=True) for t in (left, right))
        pd.testing.assert_frame_equal(a, b, obj=name)


def copy_of(data_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(data_dir, target)
    return target


@pytest.fixture(scope="module")
def incremental(tmp_path_factory, taxonomy):
    """The data directory processed after each run; each run's meta and tables."""
    data_dir = tmp_path_factory.mktemp("incremental")
    metas, snapshots = [], []
    for _ in scrape_runs(data_dir):
        process(data_dir, taxonomy)
        metas.append(read_meta(data_dir))
        snapshots.append(tables(data_dir))
    return data_dir, metas, snapshots


def test_incremental_processing_gives_the_full_rebuild_tables(incremental, tmp_path):
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    result = CliRunner().invoke(app, ["process", "--full", "--data-dir", str(copy)])
    assert result.exit_code == 0, result.output
    assert "full: 24 raw files parsed, 0 from the cache" in " ".join(result.output.split())
    meta = read_meta(copy)
    assert meta["mode"] == "full" and meta["postings_enriched"] == meta["postings"]
    assert_same_tables(snapshots[-1], tables(copy))


def test_the_cached_path_gives_the_in_memory_tables(incremental, taxonomy, tmp_path):
    data_dir, metas, snapshots = incremental
    first_run = RawStore(data_dir).raw_files()[:: len(metas)]  # <source>/<run_id>: each source's first run
    in_memory = build_tables(raw_frame(RawStore(data_dir).iter_rows(first_run)), taxonomy)
    for name, frame in in_memory.items():  # through Parquet, as the dataset is
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
    assert_same_tables(snapshots[0], {name: pd.read_parquet(tmp_path / f"{name}.parquet") for name in TABLES})
    # the enrichment's mention lists give what matching each posting directly gives
    direct = skill_mentions(in_memory["postings"], taxonomy)
    pd.testing.assert_frame_equal(in_memory["skill_mentions"].astype(str), direct.astype(str))


def test_each_run_parses_only_its_new_raw_files_and_matches_only_new_postings(incremental):
    data_dir, metas, snapshots = incremental
    sources = len(demo_postings(build_corpus(weeks=WEEKS)))
    for run, meta in enumerate(metas):
        assert (meta["mode"], meta["raw_files_parsed"], meta["raw_files_reused"]) == ("incremental", sources, run * sources)
        if run:
            before = set(snapshots[run - 1]["postings"][c.POSTING_ID])
            new = (~snapshots[run]["postings"][c.POSTING_ID].isin(before)).sum()
            assert meta["postings_enriched"] == new  # the demo never edits a posting: only new ones are matched
            assert meta["postings_enrichment_reused"] == meta["postings"] - new
    log = read_processing_log(data_dir)
    assert [line["built_at"] for line in log] == [meta["built_at"] for meta in metas]
    assert all(0 <= line["near_duplicate_rate"] < 1 and 0 <= line["dedup_rate"] < 1 for line in log)
    # a posting comes back on every scrape while open (exact duplicates); reposts are near duplicates
    last = metas[-1]
    assert last["raw_rows"] == last["exact_duplicates"] + last["near_duplicates"] + last["postings"]
    assert last["exact_duplicates"] > 0 and last["near_duplicates"] > 0


def test_weeks_before_the_first_affected_week_keep_their_rows(incremental):
    _, metas, snapshots = incremental
    partial = 0
    for run in range(1, len(metas)):
        first, affected, weeks = (metas[run][k] for k in ("first_affected_week", "weeks_affected", "weeks"))
        assert first is not None and 0 < affected <= weeks
        partial += affected < weeks
        for name in WEEKLY_TABLES:
            old, new = snapshots[run - 1][name], snapshots[run][name]
            pd.testing.assert_frame_equal(old[old[c.WEEK] < first].reset_index(drop=True),
                                          new[new[c.WEEK] < first].reset_index(drop=True), obj=name)
    assert partial >= 2  # most runs leave the early weeks alone


def test_weeks_affected_reaches_back_to_the_start_through_the_baseline(incremental):
    _, _, snapshots = incremental
    postings = snapshots[-1]["postings"]
    weeks = sorted(snapshots[-1]["weekly_area_demand"][c.WEEK].unique())
    ml = postings[postings[c.IS_ML]]

    def edited(week):
        out = postings.copy()
        out.loc[out[c.POSTING_ID] == ml.loc[ml[c.WEEK] == week, c.POSTING_ID].iloc[0], c.TITLE] = "Edited"
        return out

    assert weeks_affected(postings, postings, weeks, BASELINE_WEEKS) == []
    assert weeks_affected(postings, edited(weeks[-3]), weeks, BASELINE_WEEKS) == weeks[-3:]
    assert weeks_affected(postings, edited(weeks[BASELINE_WEEKS - 1]), weeks, BASELINE_WEEKS) == weeks
    assert weeks_affected(None, postings, weeks, BASELINE_WEEKS) == weeks


def test_processing_again_without_new_files_does_no_work(incremental, taxonomy, tmp_path):
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    summary = process(copy, taxonomy)
    assert (summary.raw_files_parsed, summary.postings_enriched, summary.weeks_affected) == (0, 0, 0)
    assert_same_tables(snapshots[-1], tables(copy))


def test_exact_dedup_scans_only_the_cleaned_files_its_state_does_not_cover(incremental, taxonomy, tmp_path):
    """The copy's state names the original folder's files: a moved data directory is scanned whole once
    (and gets a state of its own), then a run without new raw files scans nothing and leaves the state as
    it is; without a state, everything is scanned again and the tables are the same."""
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    cleaned = {str(cache.cleaned_path(path)) for path in RawStore(copy).raw_files()}
    scanned: list[list[str]] = []
    real_scan = latest._scan

    def process_recording_scans() -> None:
        scanned.clear()
        with patch("pipeline.latest._scan", side_effect=lambda names, *rest: scanned.append(list(names))
                   or real_scan(names, *rest)):
            process(copy, taxonomy)

    assert not set(cache.read_latest().files) & cleaned  # the original's paths
    process_recording_scans()
    assert set(scanned[0]) == cleaned and set(cache.read_latest().files) == cleaned
    written = (cache.latest_path.stat().st_ino, cache.latest_path.stat().st_mtime_ns)  # a rewrite is a new file
    process_recording_scans()
    assert scanned == [[]] and (cache.latest_path.stat().st_ino, cache.latest_path.stat().st_mtime_ns) == written
    cache.latest_path.unlink()
    process_recording_scans()
    assert set(scanned[0]) == cleaned and cache.latest_path.exists()
    assert_same_tables(snapshots[-1], tables(copy))


def test_a_taxonomy_change_matches_everything_again(incremental, tmp_path):
    data_dir, _, snapshots = incremental
    spec = (REPO / "config" / "skills.yaml").read_text(encoding="utf-8")
    assert "Python: [python, pyspark, python3]" in spec
    changed_path = tmp_path / "skills.yaml"
    changed_path.write_text(spec.replace("Python: [python, pyspark, python3]", "Python: [python, pyspark, python3, prototype]"))
    changed = load_taxonomy(changed_path)
    copy = copy_of(data_dir, tmp_path)
    old_enriched = ProcessingCache(RawStore(copy), snapshots[-1]["postings"][c.TAXONOMY_VERSION].iloc[0]).enriched_dir
    summary = process(copy, changed)
    # cleaning does not depend on the taxonomy; every posting is matched again, every week recomputed
    assert summary.raw_files_parsed == 0
    assert summary.postings_enriched == summary.postings
    assert summary.weeks_affected == summary.weeks
    assert not old_enriched.exists()  # the old taxonomy's cache is gone
    assert (read_table(copy, "postings")[c.TAXONOMY_VERSION] == changed.version).all()
    assert (read_table(copy, "skill_mentions")[c.SKILL] == "Python").sum() > (
        snapshots[-1]["skill_mentions"][c.SKILL] == "Python").sum()


def test_a_corrupt_or_missing_cache_file_is_computed_again(incremental, taxonomy, tmp_path):
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    raw_paths = RawStore(copy).raw_files()
    cache.cleaned_path(raw_paths[0]).write_bytes(b"PAR1 not parquet at all")
    cache.cleaned_path(raw_paths[-1]).unlink()
    enrichment_file = sorted(cache.enriched_dir.glob("*.parquet"))[0]
    enrichment_file.write_bytes(enrichment_file.read_bytes()[:100])
    summary = process(copy, taxonomy)
    meta = read_meta(copy)
    assert summary.raw_files_parsed == 2 and meta["cache_files_discarded"] == 2
    assert summary.postings_enriched > 0  # the truncated file's rows
    assert_same_tables(snapshots[-1], tables(copy))
    assert process(copy, taxonomy).raw_files_parsed == 0  # and they are cached again


def test_near_duplicate_pairs_of_unchanged_postings_come_from_the_state(incremental, taxonomy, tmp_path):
    """The runs above gave the full rebuild's tables while taking the pairs of unchanged postings from the
    state: a pair planted in it merges two postings that are not alike, until a --full run."""
    data_dir, metas, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    state = cache.read_near_duplicates()
    assert len(state.members) == metas[-1]["raw_rows"] - metas[-1]["exact_duplicates"]  # every posting
    assert len(state.pairs) >= metas[-1]["near_duplicates"] > 0
    alone = snapshots[-1]["postings"].query("duplicates == 0")[c.POSTING_ID].sort_values()
    planted = pd.DataFrame({PAIR_COLUMNS[0]: [alone.iloc[0]], PAIR_COLUMNS[1]: [alone.iloc[1]]})
    cache.write_near_duplicates(NearDuplicates(state.members, pd.concat([state.pairs, planted], ignore_index=True)))
    assert process(copy, taxonomy).postings == len(snapshots[-1]["postings"]) - 1
    assert read_meta(copy)["near_duplicates"] == metas[-1]["near_duplicates"] + 1
    process(copy, taxonomy, full=True)
    assert_same_tables(snapshots[-1], tables(copy))


def test_a_corrupt_near_duplicate_state_is_discarded_and_computed_again(incremental, taxonomy, tmp_path):
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    state = cache.read_near_duplicates()
    cache.near_duplicates_path.write_bytes(cache.near_duplicates_path.read_bytes()[:200])
    process(copy, taxonomy)
    assert read_meta(copy)["cache_files_discarded"] == 1
    assert_same_tables(snapshots[-1], tables(copy))
    again = cache.read_near_duplicates()  # written again, whole
    assert again.members.sort_index().equals(state.members.sort_index())
    assert set(again.pairs.itertuples(index=False)) == set(state.pairs.itertuples(index=False))


def test_an_interrupted_cache_write_leaves_no_partial_file(incremental, taxonomy, tmp_path, monkeypatch):
    data_dir, _, snapshots = incremental
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    target = cache.cleaned_path(RawStore(copy).raw_files()[0])
    target.unlink()
    built_at = read_meta(copy)["built_at"]

    def power_cut(src, dst):
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", power_cut)
        with pytest.raises(RuntimeError, match="power cut"):
            process(copy, taxonomy)
    assert not target.exists()
    assert list((copy / "cache").rglob("*.tmp")) == []
    assert read_meta(copy)["built_at"] == built_at  # the dataset was not touched
    # a temp file a killed process left behind is never read
    (target.parent / f".{target.name}.leftover.tmp").write_bytes(b"half a file")
    assert process(copy, taxonomy).raw_files_parsed == 1
    assert_same_tables(snapshots[-1], tables(copy))


def test_the_cache_version_covers_the_code_that_computes_it():
    enrichment = project_modules("pipeline.enrich")
    assert {"pipeline.classify", "pipeline.normalize", "pipeline.skills", "pipeline.matcher",
            "pipeline.boilerplate", "pipeline.trends"} <= enrichment
    assert {"pipeline.clean", "pipeline.text", "pipeline.normalize"} <= project_modules("pipeline.clean")
    # attaching rows to postings changes no enrichment result: editing it must not discard the cache
    assert "pipeline.mentions" not in enrichment and "pipeline.memory" not in enrichment


@pytest.mark.parametrize("damage", ["garbage", "one database byte"])
def test_the_matcher_compilations_are_kept_and_damaged_ones_compiled_again(incremental, tmp_path, damage):
    """Enrichment workers build the skill matcher from the compilations the cache keeps (about 4.5 s each
    otherwise); damaged ones are compiled again and replaced, with the same tables."""
    data_dir, _, snapshots = incremental
    taxonomy = load_taxonomy(REPO / "config" / "skills.yaml")
    if taxonomy.engine != "hyperscan":
        pytest.skip("the Python engine compiles nothing worth keeping")
    copy = copy_of(data_dir, tmp_path)
    cache = ProcessingCache(RawStore(copy), taxonomy.version)
    kept = cache.read_matcher()
    assert prepared_header(kept) is not None  # kept by the fixture's first run
    cache.write_matcher(b"damaged" if damage == "garbage" else kept[:-1] + bytes([kept[-1] ^ 1]))
    for enrichment_file in cache.enriched_dir.glob("*.parquet"):
        enrichment_file.unlink()  # so that this run matches postings again
    summary = process(copy, taxonomy)
    assert summary.postings_enriched > 0
    assert cache.read_matcher() == kept
    assert_same_tables(snapshots[-1], tables(copy))
