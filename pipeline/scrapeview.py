"""What `jobtrends scrape` shows: a progress line per source while it runs, then one table of the results."""
from __future__ import annotations

from typing import Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from scraper.rawstore import SourceRun

STATUS_STYLE = {"ok": "green", "empty": "yellow", "blocked": "yellow", "failed": "red"}


class RichScrapeProgress:
    """A rich progress bar per source: requests so far while it runs, its postings once done.

    Sources have no known total (a listing's size shows only as it is read), so a bar pulses until its
    source finishes, then fills. Drawn on stderr-like transient output: the table that follows stays.
    """

    def __init__(self, console: Console):
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[source]}", markup=False),
            BarColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> "RichScrapeProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def started(self, source: str) -> None:
        self._tasks[source] = self.progress.add_task("", total=None, source=source, detail="starting")

    def requests(self, source: str, count: int) -> None:
        self.progress.update(self._tasks[source], detail=f"{count} requests")

    def finished(self, run: SourceRun) -> None:
        self.progress.update(self._tasks[run.source], total=1, completed=1,
                             detail=f"{run.status}: {run.postings} postings, {run.requests} requests")


def results_table(runs: Sequence[SourceRun]) -> Table:
    """Cells are Text, never markup: error messages quote scraped URLs and bodies."""
    table = Table(title="Scrape")
    for col, justify in (("source", "left"), ("status", "left"), ("fetched", "right"), ("new", "right"),
                         ("updated", "right"), ("errors", "right"), ("duration", "right"), ("note", "left")):
        table.add_column(col, justify=justify, overflow="fold", no_wrap=col != "note")
    for run in runs:
        errors = run.rejected + (1 if run.status == "failed" else 0)
        notes = []
        if run.error:
            notes.append(Text(f"{run.error_class}: {run.error}", style="red" if run.status == "failed" else "yellow"))
        if run.rejected:
            notes.append(Text(f"{run.rejected} items quarantined ({run.raw_file.replace('.jsonl.gz', '.rejected.jsonl.gz')})"))
        if run.possibly_broken:
            notes.append(Text(f"possibly broken: {run.possibly_broken}", style="bold red"))
        if run.ignore_robots_reason:
            notes.append(Text(f"robots.txt ignored by config: {run.ignore_robots_reason}", style="yellow"))
        if run.not_modified:
            notes.append(Text(f"{run.not_modified} not modified (304)"))
        table.add_row(Text(run.source), Text(run.status, style=STATUS_STYLE.get(run.status, "")), str(run.postings),
                      str(run.new), str(run.updated), str(errors), f"{run.duration_seconds:.1f} s",
                      Text("\n").join(notes))
    return table


def exit_code(runs: Sequence[SourceRun], keep_going: bool) -> int:
    """1 when a source failed, unless the config chose keep_going (the failure is still shown and logged)."""
    return 0 if keep_going or not any(run.status == "failed" for run in runs) else 1
