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
SEEN_ON = "seen_on"  # sources the posting (and its near-duplicates) appeared on, sorted
DUPLICATES = "duplicates"  # near-duplicate postings merged into this one
WEEK = "week"
IS_ML = "is_ml"
ML_REASON = "ml_reason"
DESCRIPTION = "description"
CONTENT_HASH = "content_hash"
TAXONOMY_VERSION = "taxonomy_version"

POSTINGS_COLUMNS: tuple[str, ...] = (
    POSTING_ID, SOURCE, SOURCE_KIND, SOURCE_ID, URL, TITLE, COMPANY, LOCATION, REMOTE,
    POSTED_AT, FIRST_SEEN_AT, LAST_SEEN_AT, SEEN_ON, DUPLICATES, WEEK, IS_ML, ML_REASON, DESCRIPTION,
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

# Demand statistics, after WEEKLY_AREA_DEMAND_COLUMNS in weekly_area_demand and weekly_skill_demand
# (definitions in pipeline/trends.py and the README's data dictionary).
CI_LOW = "ci_low"
CI_HIGH = "ci_high"
SHARE_MA4 = "share_ma4"
INDEX = "index"
NEW_POSTINGS = "new_postings"
NEW_MENTIONS = "new_mentions"
NEW_SHARE = "new_share"
ACTIVE_POSTINGS = "active_postings"
ACTIVE_MENTIONS = "active_mentions"
ACTIVE_SHARE = "active_share"
CHANGE = "change"
P_VALUE = "p_value"
DIRECTION = "direction"
DIRECTION_VALUES: tuple[str, ...] = ("rising", "falling", "flat")
DEMAND_COUNT_COLUMNS: tuple[str, ...] = (POSTINGS, MENTIONS, SHARE)
DEMAND_STAT_COLUMNS: tuple[str, ...] = (
    CI_LOW, CI_HIGH, SHARE_MA4, INDEX, NEW_POSTINGS, NEW_MENTIONS, NEW_SHARE,
    ACTIVE_POSTINGS, ACTIVE_MENTIONS, ACTIVE_SHARE, CHANGE, P_VALUE, DIRECTION,
)

# weekly_skill_demand (then DEMAND_STAT_COLUMNS)
WEEKLY_SKILL_DEMAND_COLUMNS: tuple[str, ...] = (WEEK, AREA, SKILL, POSTINGS, MENTIONS, SHARE, TAXONOMY_VERSION)

# segment_area_demand
SEGMENT_TYPE = "segment_type"
SEGMENT = "segment"
SEGMENT_AREA_DEMAND_COLUMNS: tuple[str, ...] = (
    SEGMENT_TYPE, SEGMENT, WEEK, AREA, POSTINGS, MENTIONS, SHARE, CI_LOW, CI_HIGH, TAXONOMY_VERSION,
)

# postings: normalized fields (pipeline/normalize.py)
HINTS = "hints"  # structured fields from the raw payload, carried from clean.py to normalize.py; not written
TITLE_NORMALIZED = "title_normalized"
ROLE_FAMILY = "role_family"
SENIORITY = "seniority"
EMPLOYMENT_TYPE = "employment_type"
CITY = "city"
REGION = "region"
COUNTRY = "country"
SALARY_MIN = "salary_min"
SALARY_MAX = "salary_max"
SALARY_CURRENCY = "salary_currency"
SALARY_PERIOD = "salary_period"
SALARY_ANNUAL_MIN = "salary_annual_min"
SALARY_ANNUAL_MAX = "salary_annual_max"
SALARY_SOURCE = "salary_source"

NORMALIZED_COLUMNS: tuple[str, ...] = (
    TITLE_NORMALIZED, ROLE_FAMILY, SENIORITY, EMPLOYMENT_TYPE, CITY, REGION, COUNTRY,
    SALARY_MIN, SALARY_MAX, SALARY_CURRENCY, SALARY_PERIOD, SALARY_ANNUAL_MIN, SALARY_ANNUAL_MAX, SALARY_SOURCE,
)
SALARY_NUMBER_COLUMNS: tuple[str, ...] = (SALARY_MIN, SALARY_MAX, SALARY_ANNUAL_MIN, SALARY_ANNUAL_MAX)
POSTINGS_COLUMNS = POSTINGS_COLUMNS + NORMALIZED_COLUMNS

ROLE_FAMILIES: tuple[str, ...] = (
    "ml_engineer", "data_scientist", "research_scientist", "applied_scientist", "mlops", "ai_engineer",
    "data_engineer", "analyst", "other",
)
SENIORITY_LEVELS: tuple[str, ...] = (
    "intern", "junior", "mid", "senior", "lead", "staff", "principal", "manager", "director", "unknown",
)
EMPLOYMENT_TYPES: tuple[str, ...] = ("full_time", "part_time", "contract", "temporary", "internship", "unknown")
SALARY_PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "year")
SALARY_SOURCES: tuple[str, ...] = ("structured", "text", "")
