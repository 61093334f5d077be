"""`advise`: what to learn next, ranked by share and significant momentum, minus the user's skills."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time, timedelta, timezone

import pandas as pd
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from pipeline import columns as c
from pipeline.advise import (
    ADVICE_COLUMNS,
    SCORE,
    UnknownSkills,
    advice_table,
    advise_command,
    learn_next,
    learn_next_by_role,
    match_have,
    split_have,
)
from pipeline.dataset import read_table
from pipeline.skills import load_taxonomy
from pipeline.stats import two_proportion_p_value, wilson_interval
from tests.conftest import REPO

TAXONOMY = load_taxonomy(REPO / "config" / "skills.yaml")
ALL_SKILLS = [s for a in TAXONOMY.area_ids for s in TAXONOMY.skills_of(a)]
WEEKS = ["2026-W01", "2026-W02", "2026-W03", "2026-W04"]


class Market:
    """A hand-built dataset: add postings (week, role, skills); then the three tables learn_next reads."""

    def __init__(self, skills: list[tuple[str, str]]):
        self.skills = skills  # (area, skill) in taxonomy order
        self.postings: list[dict] = []
        self.mentions: list[dict] = []

    def add(self, n: int, week: str, skills: tuple[str, ...] = (), *, role: str = "ml_engineer",
            is_ml: bool = True) -> "Market":
        area_of = {skill: area for area, skill in self.skills}
        for _ in range(n):
            pid = f"p{len(self.postings)}"
            self.postings.append({c.POSTING_ID: pid, c.WEEK: week, c.IS_ML: is_ml, c.ROLE_FAMILY: role})
            self.mentions += [{c.POSTING_ID: pid, c.AREA: area_of[s], c.SKILL: s} for s in skills]
        return self

    def tables(self, weeks: list[str] = WEEKS) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        demand = pd.DataFrame([{c.WEEK: w, c.AREA: a, c.SKILL: s} for w in weeks for a, s in self.skills])
        return (demand, pd.DataFrame(self.postings),
                pd.DataFrame(self.mentions, columns=[c.POSTING_ID, c.AREA, c.SKILL]))


SKILLS = [("technical", "Python"), ("technical", "SQL and databases"), ("math_statistics", "Statistics")]


def steady(market: Market, per_week: int, counts: dict[str, int], **kw) -> Market:
    """`per_week` postings each week, of which counts[skill] ask for the skill (disjoint, for simplicity)."""
    for week in WEEKS:
        used = 0
        for skill, k in counts.items():
            market.add(k, week, (skill,), **kw)
            used += k
        assert used <= per_week
        market.add(per_week - used, week, **kw)
    return market


def test_ranking_by_score_with_shares_intervals_and_every_column():
    market = steady(Market(SKILLS), 10, {"Statistics": 3, "Python": 2, "SQL and databases": 1})
    market.add(50, "2026-W02", ("SQL and databases",), is_ml=False)  # not ML: never counted
    ranked = learn_next(*market.tables(), taxonomy=TAXONOMY, weeks=4)
    assert list(ranked.columns) == list(ADVICE_COLUMNS)
    assert ranked[c.SKILL].tolist() == ["Statistics", "Python", "SQL and databases"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked[c.POSTINGS].tolist() == [40] * 3 and ranked[c.MENTIONS].tolist() == [12, 8, 4]
    assert ranked[c.SHARE].tolist() == pytest.approx([0.3, 0.2, 0.1])
    low, high = wilson_interval([12, 8, 4], [40] * 3)
    assert ranked[c.CI_LOW].to_numpy() == pytest.approx(low) and ranked[c.CI_HIGH].to_numpy() == pytest.approx(high)
    assert (ranked[c.DIRECTION] == "flat").all() and ranked[c.CHANGE].tolist() == pytest.approx([0, 0, 0])
    assert ranked[SCORE].tolist() == pytest.approx([0.3, 0.2, 0.1])
    assert ranked["area_name"].tolist() == ["Math & statistics", "Technical skills", "Technical skills"]


def test_only_the_newest_weeks_count_and_skills_nobody_asks_for_are_left_out():
    market = steady(Market(SKILLS), 10, {"Python": 5})
    market.add(30, "2026-W01", ("Statistics",))  # only in the first week, outside a 2-week window
    ranked = learn_next(*market.tables(), weeks=2)
    assert ranked[c.SKILL].tolist() == ["Python"]
    assert ranked[c.POSTINGS].iloc[0] == 20 and ranked[c.SHARE].iloc[0] == pytest.approx(0.5)
    assert "Statistics" in set(learn_next(*market.tables(), weeks=4)[c.SKILL])
    with pytest.raises(ValueError, match="at least 2"):
        learn_next(*market.tables(), weeks=1)


def test_the_users_skills_are_excluded_and_the_rest_ranked_again():
    market = steady(Market(SKILLS), 10, {"Statistics": 3, "Python": 2, "SQL and databases": 1})
    ranked = learn_next(*market.tables(), have={"statistics", "PYTHON"}, taxonomy=TAXONOMY, weeks=4)
    assert ranked[c.SKILL].tolist() == ["SQL and databases"] and ranked["rank"].tolist() == [1]
    ranked = learn_next(*market.tables(), have={"stats"}, taxonomy=TAXONOMY, weeks=4, top=1)
    assert ranked[c.SKILL].tolist() == ["Python"]


def test_matching_forgives_case_spacing_punctuation_and_uses_the_taxonomys_terms():
    names = ["PYTHON", "  python3 ", "stats", "Statistical", "scikit-learn", "Scikit Learn", "sklearn",
             "c++", "C#", "r", "Bayesian", "presentation", "k8s", "sql server", "javascript"]
    match = match_have(names, ALL_SKILLS, TAXONOMY)
    assert match.unknown == ()
    got = {name: set(skills) for name, skills in match.recognised.items()}
    assert got["PYTHON"] == got["  python3 "] == {"Python"}
    assert got["stats"] == got["Statistical"] == {"Statistics"}
    assert got["scikit-learn"] == got["Scikit Learn"] == got["sklearn"] == {"ML and data frameworks"}
    assert got["c++"] == {"C++"} and got["C#"] == {"C#"} and got["r"] == {"R"}  # C++ and C# are not C
    assert got["Bayesian"] == {"Bayes' theorem"}  # a regex term, tried on the whole name
    assert got["presentation"] == {"Presenting"}  # the term is "presentations"
    assert got["k8s"] == {"Cloud and infrastructure"}
    assert got["sql server"] == {"SQL and databases"} and got["javascript"] == {"JavaScript / TypeScript"}


def test_unknown_names_are_reported_with_suggestions_never_ignored():
    match = match_have(["pyhton", "underwater basket weaving", "python"], ALL_SKILLS, TAXONOMY)
    assert match.unknown == ("pyhton", "underwater basket weaving")
    assert match.suggestions["pyhton"] == ("Python",) and match.suggestions["underwater basket weaving"] == ()
    assert match.skills == {"Python"}
    market = steady(Market(SKILLS), 10, {"Python": 4})
    with pytest.raises(UnknownSkills, match="pyhton.*did you mean Python") as raised:
        learn_next(*market.tables(), have=["python", "pyhton"], taxonomy=TAXONOMY, weeks=4)
    assert raised.value.match.unknown == ("pyhton",)
    # Without the taxonomy only skill names are known: the term "python3" is then unknown, not silently dropped.
    assert learn_next(*market.tables(), have=["python3"], taxonomy=TAXONOMY, weeks=4).empty
    with pytest.raises(UnknownSkills, match="python3"):
        learn_next(*market.tables(), have=["python3"], weeks=4)


def test_split_have_separates_on_commas_and_drops_blanks_and_repeats():
    assert split_have(" python, SQL ;stats,, Python ,") == ["python", "SQL", "stats"]


def test_role_filter_counts_only_that_role_family():
    market = steady(Market(SKILLS), 10, {"Python": 8}, role="ml_engineer")
    steady(market, 10, {"SQL and databases": 6, "Statistics": 3}, role="data_scientist")
    ranked = learn_next(*market.tables(), role="Data Scientist", weeks=4)
    assert ranked[c.SKILL].tolist() == ["SQL and databases", "Statistics"]
    assert ranked[c.POSTINGS].tolist() == [40, 40] and ranked[c.SHARE].tolist() == pytest.approx([0.6, 0.3])
    assert learn_next(*market.tables(), role="ml_engineer", weeks=4)[c.SKILL].tolist() == ["Python"]
    assert learn_next(*market.tables(), weeks=4)[c.POSTINGS].iloc[0] == 80
    empty = learn_next(*market.tables(), role="mlops", weeks=4)  # a valid family with no postings
    assert empty.empty and list(empty.columns) == list(ADVICE_COLUMNS)
    with pytest.raises(ValueError, match="unknown role 'astronaut'.*ml_engineer.*data_scientist"):
        learn_next(*market.tables(), role="astronaut", weeks=4)


def rising_vs_flat(per_half_week: int, flat: tuple[int, int], rising: tuple[int, int]) -> pd.DataFrame:
    """Statistics (flat, first in taxonomy order) against Python (rising), same overall share."""
    market = Market([("math_statistics", "Statistics"), ("technical", "Python")])
    for i, week in enumerate(WEEKS):
        half = i // 2
        market.add(flat[half], week, ("Statistics",))
        market.add(rising[half], week, ("Python",))
        market.add(per_half_week - flat[half] - rising[half], week)
    return learn_next(*market.tables(), weeks=4)


def test_a_rising_skill_outranks_a_flat_one_of_the_same_share_only_when_significant():
    ranked = rising_vs_flat(50, flat=(15, 15), rising=(5, 25)).set_index(c.SKILL)
    assert ranked.loc["Python", c.SHARE] == ranked.loc["Statistics", c.SHARE] == pytest.approx(0.3)
    assert ranked.loc["Python", c.DIRECTION] == "rising" and ranked.loc["Python", c.P_VALUE] < 0.05
    assert ranked.loc["Python", c.P_VALUE] == pytest.approx(two_proportion_p_value(50, 100, 10, 100))
    assert ranked.loc["Python", c.CHANGE] == pytest.approx(0.4)
    assert ranked.loc["Python", SCORE] == pytest.approx(0.3 * (1 + 0.4 / 0.5))
    assert ranked.loc["Python", "rank"] == 1 and ranked.loc["Statistics", "rank"] == 2

    small = rising_vs_flat(5, flat=(2, 2), rising=(1, 3)).set_index(c.SKILL)  # 2/10 -> 6/10: p > 0.05
    assert small.loc["Python", c.SHARE] == small.loc["Statistics", c.SHARE]
    assert small.loc["Python", c.CHANGE] == pytest.approx(0.4) and small.loc["Python", c.P_VALUE] > 0.05
    assert small.loc["Python", c.DIRECTION] == "flat"
    assert small.loc["Python", SCORE] == small.loc["Python", c.SHARE]  # the noise moves it not at all
    assert small.loc["Statistics", "rank"] == 1 and small.loc["Python", "rank"] == 2


def test_a_significant_fall_lowers_the_score_below_the_share():
    ranked = rising_vs_flat(50, flat=(15, 15), rising=(25, 5)).set_index(c.SKILL)
    assert ranked.loc["Python", c.DIRECTION] == "falling"
    assert ranked.loc["Python", SCORE] == pytest.approx(0.3 * (1 - 0.4 / 0.5))
    assert ranked.loc["Statistics", "rank"] == 1


def test_by_role_gives_each_family_with_enough_postings_its_own_list():
    market = steady(Market(SKILLS), 10, {"Python": 8}, role="ml_engineer")
    steady(market, 10, {"SQL and databases": 6, "Statistics": 3}, role="data_scientist")
    market.add(3, "2026-W04", ("Statistics",), role="mlops")  # too few to say anything
    by_role = learn_next_by_role(*market.tables(), TAXONOMY, weeks=4, top=1, min_postings=30)
    assert by_role[[c.ROLE_FAMILY, c.SKILL]].values.tolist() == [
        ["ml_engineer", "Python"], ["data_scientist", "SQL and databases"]]
    assert list(by_role.columns) == [c.ROLE_FAMILY, *ADVICE_COLUMNS]


def test_the_table_shows_names_as_text_never_markup():
    market = Market([("technical", "[bold red]Py[/]")]).add(4, "2026-W01", ("[bold red]Py[/]",))
    market.add(4, "2026-W03", ("[bold red]Py[/]",))
    console = Console(record=True, width=120)
    console.print(advice_table(learn_next(*market.tables(), weeks=4), "t"))
    assert "[bold red]Py[/]" in console.export_text()


def test_importing_the_module_does_not_load_pandas():
    """The CLI imports it at start-up; `jobtrends --help` should not pay for pandas."""
    code = "import sys, pipeline.advise; sys.exit('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


# --- the command, end to end on a processed demo dataset --------------------------------------------

DEMO_WEEKS = 16


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """The demo corpus, parsed by the real adapters, stored in one scrape and processed."""
    from pipeline.process import process
    from scraper.demo.corpus import build_corpus
    from scraper.rawstore import RawStore
    from tests.conftest import demo_postings

    data_dir = tmp_path_factory.mktemp("advise-demo")
    corpus = build_corpus(weeks=DEMO_WEEKS)
    at = datetime.combine(corpus.anchor, time(12), timezone.utc) + timedelta(days=1)
    store = RawStore(data_dir)
    for source, postings in demo_postings(corpus).items():
        store.write_postings(source, at.strftime("%Y%m%dT%H%M%SZ"), at, postings)
    process(data_dir, TAXONOMY)
    return data_dir


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("advise")(advise_command)

    @app.callback()
    def _main() -> None:  # a group, so the command is called by name as in `jobtrends advise`
        pass

    return app


runner = CliRunner()


def invoke(demo_dir, *args: str):
    return runner.invoke(cli(), ["advise", "--data-dir", str(demo_dir), *args])


def test_command_json_ranks_the_demo_without_the_users_skills(demo_dir):
    result = invoke(demo_dir, "--have", "Python, stats, pyhton", "--format", "json", "--top", "10")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["have_recognised"] == {"Python": ["Python"], "stats": ["Statistics"]}
    assert payload["have_unknown"] == ["pyhton"] and payload["have_suggestions"]["pyhton"] == ["Python"]
    assert payload["role"] is None and payload["weeks"] == 12
    skills = payload["skills"]
    assert len(skills) == 10 and [s["rank"] for s in skills] == list(range(1, 11))
    assert not {"Python", "Statistics"} & {s["skill"] for s in skills}
    assert [s["score"] for s in skills] == sorted((s["score"] for s in skills), reverse=True)
    assert set(skills[0]) == set(ADVICE_COLUMNS)

    # The counts agree with weekly_skill_demand's new postings and mentions over the same 12 weeks.
    demand = read_table(demo_dir, "weekly_skill_demand")
    window = sorted(demand[c.WEEK].unique())[-12:]
    assert payload["window"] == [window[0], window[-1]]
    in_window = demand[demand[c.WEEK].isin(window)]
    assert skills[0][c.POSTINGS] == in_window.drop_duplicates(c.WEEK)[c.NEW_POSTINGS].sum()
    mentions = in_window.groupby(c.SKILL)[c.NEW_MENTIONS].sum()
    assert all(s[c.MENTIONS] == mentions[s["skill"]] for s in skills)


def test_command_table_with_a_role_and_unknown_names_listed(demo_dir):
    result = invoke(demo_dir, "--have", "sql, [red]quantum[/red]", "--role", "data-scientist", "--top", "5")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "What to learn next" in out and "ML postings of role family data_scientist" in out
    assert "share (95% CI)" in out and "trend" in out and "%" in out
    assert "recognised: sql → SQL and databases" in out
    assert "not recognised: [red]quantum[/red]" in out  # shown as typed, not as markup
    postings = read_table(demo_dir, "postings")
    json_out = json.loads(invoke(demo_dir, "--have", "sql", "--role", "data_scientist", "--format", "json").stdout)
    window = sorted(postings[c.WEEK].unique())[-12:]
    expected = int((postings[c.IS_ML] & (postings[c.ROLE_FAMILY] == "data_scientist")
                    & postings[c.WEEK].isin(window)).sum())
    assert json_out["role"] == "data_scientist" and json_out["skills"][0][c.POSTINGS] == expected


def test_command_unknown_role_exits_2_naming_the_valid_ones(demo_dir):
    result = invoke(demo_dir, "--have", "python", "--role", "astronaut")
    assert result.exit_code == 2
    assert "astronaut" in result.output and "ml_engineer" in result.output and "data_scientist" in result.output
    assert invoke(demo_dir, "--have", "python", "--format", "xml").exit_code == 2


def test_command_without_a_dataset_fails_with_a_message(tmp_path):
    result = invoke(tmp_path, "--have", "python")
    assert result.exit_code == 2 and "jobtrends process" in result.output
