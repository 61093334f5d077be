"""Skill mentions and weekly demand: the tables the report and analysts read."""
from __future__ import annotations

import pandas as pd

from pipeline import columns as c
from pipeline.boilerplate import demand_text
from pipeline.classify import classify_ml
from pipeline.skills import Taxonomy


def mark_ml(postings: pd.DataFrame) -> pd.DataFrame:
    """Add is_ml and the reason for it (see ../shared/LABELING.md)."""
    verdicts = [classify_ml(t, d) for t, d in zip(postings[c.TITLE], postings[c.DESCRIPTION])]
    out = postings.copy()
    out[c.IS_ML] = pd.Series([v[0] for v in verdicts], index=postings.index, dtype=bool)
    out[c.ML_REASON] = [v[1] for v in verdicts]
    return out


def posting_skills(taxonomy: Taxonomy, title: str, text: str) -> list[tuple[str, str]]:
    """(area, skill) pairs a posting asks for.

    Matching runs on the title plus the description with boilerplate (about us, benefits, EEO)
    removed, so company-wide text does not count as demand.
    """
    return taxonomy.match(f"{title}\n{demand_text(text)}")


def skill_mentions(postings: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Long table (posting_id, area, skill): one row per skill a posting asks for."""
    rows: list[tuple[str, str, str]] = []
    for pid, title, text in zip(postings[c.POSTING_ID], postings[c.TITLE], postings[c.DESCRIPTION]):
        for area, skill in posting_skills(taxonomy, title, text):
            rows.append((pid, area, skill))
    frame = pd.DataFrame(rows, columns=list(c.SKILL_MENTIONS_COLUMNS))
    return frame.sort_values(list(c.SKILL_MENTIONS_COLUMNS), ignore_index=True)


def weekly_area_demand(postings: pd.DataFrame, mentions: pd.DataFrame, taxonomy_version: str) -> pd.DataFrame:
    """Per ISO week and area: ML postings that week, how many mention the area, and the share.

    Every area appears every week (zero when unmentioned), so a missing row never reads as "no data".
    """
    ml = postings.loc[postings[c.IS_ML] & postings[c.WEEK].notna(), [c.POSTING_ID, c.WEEK]]
    weeks = sorted(ml[c.WEEK].unique())
    grid = pd.MultiIndex.from_product([weeks, list(c.AREA_IDS)], names=[c.WEEK, c.AREA])
    per_week = ml.groupby(c.WEEK)[c.POSTING_ID].nunique()
    hits = (
        mentions[[c.POSTING_ID, c.AREA]]
        .drop_duplicates()
        .merge(ml, on=c.POSTING_ID)
        .groupby([c.WEEK, c.AREA])[c.POSTING_ID]
        .nunique()
    )
    out = pd.DataFrame(index=grid).reset_index()
    out[c.POSTINGS] = out[c.WEEK].map(per_week).fillna(0).astype("int64")
    out[c.MENTIONS] = (
        pd.Series(hits.reindex(grid).to_numpy(), index=out.index).fillna(0).astype("int64")
    )
    out[c.SHARE] = (out[c.MENTIONS] / out[c.POSTINGS]).astype("float64")
    out[c.TAXONOMY_VERSION] = taxonomy_version
    return out[list(c.WEEKLY_AREA_DEMAND_COLUMNS)]
