"""Column names and area ids of the cleaned dataset, defined once and imported everywhere."""
from __future__ import annotations

# The seed article's twelve skill areas, in the article's own order.
AREA_IDS: tuple[str, ...] = (
    "technical",
    "business_acumen",
    "communication",
    "math_statistics",
    "creative_thinking",
    "problem_solving",
    "networking",
    "security",
    "passion",
    "patience",
    "attention_to_detail",
    "teamwork",
)

# postings
POSTING_ID = "posting_id"
SOURCE = "source"
SOURCE_KIND = "source_kind"
SOURCE_ID = "source_id"
URL = "url"
TITLE = "title"
COMPANY = "company"
LOCATION = "location"
REMOTE = "remote"
POSTED_AT = "posted_at"
FIRST_SEEN_AT = "first_seen_at"
LAST_SEEN_AT = "last_seen_at"
WEEK = "week"
IS_ML = "is_ml"
ML_REASON = "ml_reason"
DESCRIPTION = "description"
CONTENT_HASH = "content_hash"
TAXONOMY_VERSION = "taxonomy_version"

POSTINGS_COLUMNS: tuple[str, ...] = (
    POSTING_ID, SOURCE, SOURCE_KIND, SOURCE_ID, URL, TITLE, COMPANY, LOCATION, REMOTE,
    POSTED_AT, FIRST_SEEN_AT, LAST_SEEN_AT, WEEK, IS_ML, ML_REASON, DESCRIPTION,
    CONTENT_HASH, TAXONOMY_VERSION,
)

# skill_mentions
AREA = "area"
SKILL = "skill"
SKILL_MENTIONS_COLUMNS: tuple[str, ...] = (POSTING_ID, AREA, SKILL)

# weekly_area_demand
POSTINGS = "postings"
MENTIONS = "mentions"
SHARE = "share"
WEEKLY_AREA_DEMAND_COLUMNS: tuple[str, ...] = (WEEK, AREA, POSTINGS, MENTIONS, SHARE, TAXONOMY_VERSION)

REMOTE_VALUES: tuple[str, ...] = ("remote", "hybrid", "onsite", "unknown")
