"""The `jobtrends` command: wires scraper -> pipeline -> reports."""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.advise import advise_command
from pipeline.errors import JobtrendsError
from pipeline.settings import AppConfig, load_config, load_taxonomy_for

app = typer.Typer(
    help="Track demand for machine-learning skill areas in public job postings, week by week.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

ConfigOpt = typer.Option(None, "--config", "-c", help="Config file (default: config/jobtrends.yaml).")
DataDirOpt = typer.Option(None, "--data-dir", "-d", help="Data directory (overrides the config's data_dir).")


# Exit codes beyond 0/1: 2 = bad config or usage; 3 = another `jobtrends schedule` holds the data directory.
# A service manager should not restart on either (see deploy/jobtrends.service).
EXIT_ALREADY_RUNNING = 3


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(Text("error: ", style="bold red") + Text(message), highlight=False)
    return typer.Exit(code)


def _load(config: Optional[Path], data_dir: Optional[Path]) -> AppConfig:
    try:
        return load_config(config, data_dir)
    except JobtrendsError as exc:
        raise _fail(str(exc)) from None


@app.callback()
def _main(ctx: typer.Context,
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each request and retry.")) -> None:
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# --- the stages, shared by the commands -------------------------------------------------------

def _scrape(cfg: AppConfig, only: list[str] | None = None) -> list[Any]:
    from pipeline.scrapeview import RichScrapeProgress, results_table
    from scraper.collect import scrape_sources
    from scraper.rawstore import RawStore

    sources = [s for s in cfg.sources if not only or s.name in only]
    unknown = sorted(set(only or []) - {s.name for s in cfg.sources})
    if unknown:
        raise _fail(f"no source named {unknown} in the config")
    if not sources:
        raise _fail("the config lists no sources to scrape")
    with RichScrapeProgress(err_console) as progress:
        runs = asyncio.run(scrape_sources(sources, cfg.fetch, RawStore(cfg.data_dir), progress=progress))
    console.print(results_table(runs))
    return runs


def _process(cfg: AppConfig, full: bool = False, **engine: Any) -> Any:
    taxonomy = _taxonomy(cfg)
    from pipeline.process import process

    summary = process(cfg.data_dir, taxonomy, full=full, **engine)
    dedup = summary.dedup
    console.print(
        f"processed {summary.raw_rows} raw rows -> {summary.postings} postings "
        f"({summary.ml_postings} ML), {summary.mentions} skill mentions, {summary.weeks} weeks; "
        f"taxonomy {summary.taxonomy_version}; dataset at {summary.dataset_dir}\n"
        f"dedup: {dedup.exact_duplicates} exact duplicates removed, {dedup.near_duplicates} near duplicates "
        f"merged; dedup rate {dedup.dedup_rate:.1%} (near duplicates {dedup.near_duplicate_rate:.1%})\n"
        f"{'full' if summary.full else 'incremental'}: {summary.raw_files_parsed} raw files parsed, "
        f"{summary.raw_files_reused} from the cache; {summary.postings_enriched} postings matched; "
        f"{summary.weeks_affected} of {summary.weeks} weeks affected; {summary.seconds:.1f} s",
        highlight=False,
    )
    return summary


def _report(cfg: AppConfig, output_dir: Optional[Path] = None) -> Path:
    from reports.build import report_from_dataset

    taxonomy = _taxonomy(cfg)
    page = report_from_dataset(cfg.data_dir, taxonomy, output_dir or cfg.report_dir(),
                               generated_at=datetime.now(timezone.utc))
    console.print(f"report: {page}")
    return page


def _taxonomy(cfg: AppConfig):
    try:
        return load_taxonomy_for(cfg)
    except JobtrendsError as exc:
        raise _fail(str(exc)) from None


def _guard(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except JobtrendsError as exc:
        raise _fail(str(exc)) from None


# --- commands ---------------------------------------------------------------------------------

@app.command()
def demo(
    data_dir: Path = typer.Option(Path("data/demo"), "--data-dir", "-d", help="Where the demo's data and report go."),
    weeks: int = typer.Option(24, min=16, max=104, help="Weeks of demo history."),
    seed: int = typer.Option(7, help="Seed of the generated demo corpus."),
    serve: bool = typer.Option(False, "--serve", help="Only serve the demo sources, until Ctrl-C, and write a "
                               "config that scrapes them every minute (try scrape, schedule, status with it)."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="With --serve: the port (0: any free one)."),
) -> None:
    """Serve the built-in demo sources on 127.0.0.1, then scrape, process and report them (no internet)."""
    from scraper.demo.corpus import build_corpus
    from scraper.demo.server import DemoServer

    started = time.perf_counter()
    corpus = build_corpus(weeks=weeks, seed=seed)
    if serve:
        _serve_demo(corpus, data_dir, port)
        return
    with DemoServer(corpus) as server:
        console.print(f"demo sources served at {server.base_url}")
        cfg = _guard(demo_config, corpus.source_configs(server.base_url), data_dir)
        runs = _scrape(cfg)
    if any(run.status == "failed" for run in runs):
        raise _fail("a demo source failed; see the table above", 1)
    _process(cfg)
    page = _report(cfg)
    console.print(f"demo finished in {time.perf_counter() - started:.1f} s")
    typer.echo(str(page.resolve()))


def _serve_demo(corpus: Any, data_dir: Path, port: int) -> None:
    import signal
    import threading

    from scraper.demo.server import DemoServer

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server = DemoServer(corpus, port=port).start()
    except OSError as exc:
        raise _fail(f"cannot serve the demo on 127.0.0.1:{port}: {exc}", 1) from None
    try:
        path = _guard(write_demo_serve_config, corpus.source_configs(server.base_url), data_dir)
        console.print(f"demo sources served at {server.base_url}\nconfig: {path}\n"
                      f"try:  jobtrends scrape --config {path}\n"
                      f"      jobtrends schedule --config {path}   (every source each minute)\n"
                      f"      jobtrends status --config {path}\n"
                      "Ctrl-C stops the server.", highlight=False, soft_wrap=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    console.print("demo server stopped")


DEMO_SERVE_CONFIG = "jobtrends-demo.yaml"


def write_demo_serve_config(sources: list[dict[str, Any]], data_dir: Path) -> Path:
    """A config file for the served demo: every source each minute, a report every five minutes."""
    import yaml

    from pipeline.settings import DEFAULT_TAXONOMY
    from scraper.rawstore import atomic_write_bytes

    data_dir = Path(data_dir).resolve()
    body = {
        "data_dir": str(data_dir),
        "taxonomy": str(DEFAULT_TAXONOMY),
        "fetch": {"min_interval_seconds": 0.0, "max_retries": 1, "backoff_seconds": 0.1},
        "schedule": {"report": "*/5 * * * *", "process_delay_seconds": 5, "jitter_seconds": 0,
                     "misfire_grace_seconds": 300},
        "sources": [{**source, "schedule": "* * * * *"} for source in sources],
    }
    AppConfig.model_validate(body)  # what we write must load
    header = ("# Written by `jobtrends demo --serve`: the demo sources on a local server, scraped every minute.\n"
              "# Valid while that server runs (its port is below).\n")
    path = data_dir / DEMO_SERVE_CONFIG
    atomic_write_bytes(path, (header + yaml.safe_dump(body, sort_keys=False)).encode("utf-8"))
    return path


def demo_config(sources: list[dict[str, Any]], data_dir: Path) -> AppConfig:
    """The app config for demo sources: the default taxonomy, no pacing needed on loopback."""
    from pipeline.settings import DEFAULT_TAXONOMY

    return AppConfig.model_validate(
        {
            "data_dir": Path(data_dir).resolve(),
            "taxonomy": DEFAULT_TAXONOMY,
            "fetch": {"min_interval_seconds": 0.0, "max_retries": 1, "backoff_seconds": 0.1},
            "sources": sources,
        }
    )


@app.command()
def scrape(
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="Only these sources (repeatable)."),
) -> None:
    """Fetch every configured source once into the raw store; a table of results at the end.

    Exits 1 if any source failed (the others are still stored), unless `fetch.keep_going: true` in the config.
    """
    from pipeline.scrapeview import exit_code

    cfg = _load(config, data_dir)
    runs = _scrape(cfg, source)
    raise typer.Exit(exit_code(runs, cfg.fetch.keep_going))


@app.command()
def process(
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
    full: bool = typer.Option(False, "--full", help="Empty the processing cache and rebuild from every raw "
                              "file (same result; taxonomy and code changes are detected without it)."),
    engine: str = typer.Option("pandas", "--engine", help="pandas: this process, with the processing cache. "
                               "dask: a Dask cluster, every raw file each run (same dataset; see README)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: the address of a "
                                            "running cluster (tcp://host:8786); default a LocalCluster here."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes that match postings (pandas), "
                                          "or of the LocalCluster (dask without --scheduler); default one per core."),
    raw_url: Optional[str] = typer.Option(None, "--raw-url", help="With --engine dask: where the workers read the "
                                          "raw store (a shared path or s3://bucket/prefix; default: the data dir)."),
) -> None:
    """Build the cleaned dataset (Parquet) from the raw store: only new raw files are read and matched."""
    from pipeline.process import ENGINES

    if engine not in ENGINES:
        raise _fail(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine != "dask" and (scheduler or raw_url):
        raise _fail("--scheduler and --raw-url go with --engine dask")
    cfg = _load(config, data_dir)
    if engine == "dask":
        from pipeline.dask_engine import require_dask

        _guard(require_dask)
    _guard(_process, cfg, full, engine=engine, scheduler=scheduler, workers=workers, raw_url=raw_url)


@app.command()
def report(
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o", help="Default: <data_dir>/reports."),
) -> None:
    """Write the weekly HTML report from the cleaned dataset and print its path."""
    cfg = _load(config, data_dir)
    page = _guard(_report, cfg, output_dir)
    typer.echo(str(page.resolve()))


@app.command()
def run(config: Optional[Path] = ConfigOpt, data_dir: Optional[Path] = DataDirOpt) -> None:
    """Scrape the configured (internet) sources, process and report. Exits 1 if any source failed."""
    cfg = _load(config, data_dir)
    runs = _scrape(cfg)
    _guard(_process, cfg)
    page = _guard(_report, cfg)
    typer.echo(str(page.resolve()))
    from pipeline.scrapeview import exit_code

    raise typer.Exit(exit_code(runs, cfg.fetch.keep_going))


@app.command()
def schedule(ctx: typer.Context, config: Optional[Path] = ConfigOpt, data_dir: Optional[Path] = DataDirOpt) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C: each source on its cron, processing after scrapes, the weekly report.

    One per data directory. Logs to stdout and <data_dir>/logs/jobtrends.log.
    """
    cfg = _load(config, data_dir)
    taxonomy = _taxonomy(cfg)  # everything is validated before the job store is opened
    from pipeline.errors import DaemonRunning
    from pipeline.lock import DaemonLock
    from pipeline.schedule import Daemon, setup_logging
    from pipeline.settings import DEFAULT_CONFIG

    lock = DaemonLock(cfg.data_dir)
    try:
        lock.acquire()
    except DaemonRunning as exc:
        raise _fail(str(exc), EXIT_ALREADY_RUNNING) from None
    try:
        log_path = setup_logging(cfg.data_dir, verbose=bool(ctx.obj and ctx.obj.get("verbose")))
        logging.getLogger("pipeline.cli").info(
            "jobtrends schedule: config %s, data %s, log %s", config or DEFAULT_CONFIG, cfg.data_dir, log_path)
        asyncio.run(Daemon(cfg, taxonomy).serve())
    finally:
        lock.release()


@app.command()
def status(
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
    fmt: str = typer.Option("table", "--format", "-f", help="table | json"),
) -> None:
    """The schedule (next run of each job), each source's last run, sources that look broken, data size."""
    from pipeline.status import collect_status, print_status, status_json

    if fmt not in ("table", "json"):
        raise _fail(f"--format must be table or json, not {fmt!r}")
    cfg = _load(config, data_dir)
    snapshot = _guard(collect_status, cfg)
    if fmt == "json":
        sys.stdout.write(json.dumps(status_json(snapshot), indent=2) + "\n")
    else:
        print_status(snapshot, console)


@app.command()
def extract(
    input_path: Path = typer.Argument(..., help='JSONL of {"id", "title", "description"} (description may be HTML).'),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output JSONL (default: stdout)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Classify postings and extract skill areas: one {"id", "is_ml", "areas", "skills"} line per input line."""
    from pipeline.process import extract_records

    cfg = _load(config, None)
    taxonomy = _taxonomy(cfg)
    try:
        records = list(_read_jsonl(input_path))
    except (OSError, ValueError) as exc:
        raise _fail(f"{input_path}: {exc}") from None
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in extract_records(records, taxonomy)]
    if output is None:
        sys.stdout.write("".join(lines))
    else:
        from scraper.rawstore import atomic_write_bytes

        atomic_write_bytes(output, "".join(lines).encode("utf-8"))
        err_console.print(f"wrote {len(lines)} lines to {output}")


def _read_jsonl(path: Path):
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise ValueError(f"line {number} is not a JSON object")
            yield record


QUERY_FORMATS = ("table", "csv", "json", "parquet")
# With -o and no --format, the file's suffix says which format.
_FORMAT_OF_SUFFIX = {".txt": "table", ".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


@app.command()
def query(
    sql: str = typer.Argument(..., help="DuckDB SQL over postings, skill_mentions, weekly_area_demand, "
                              "weekly_skill_demand, segment_area_demand, runs, processing."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table | csv | json | parquet (parquet needs "
                                      "-o). Default: table, or with -o the file's suffix."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result to this file "
                                          "(atomically) instead of stdout."),
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
) -> None:
    """Run SQL over the cleaned dataset; print the result, or write it to a file with -o."""
    import duckdb

    from pipeline.dataset import connect

    fmt = _query_format(fmt, output)
    cfg = _load(config, data_dir)
    con = _guard(connect, cfg.data_dir)
    try:
        frame = con.execute(sql).df()
    except duckdb.Error as exc:
        from pipeline.dataset import dataset_dir

        hint = "" if (dataset_dir(cfg.data_dir) / "postings.parquet").exists() else (
            " (only `runs` exists before the first `jobtrends process`)")
        raise _fail(f"query failed: {exc}{hint}") from None
    if output is None:
        _print_frame(frame, fmt)
        return
    from scraper.rawstore import atomic_write_bytes

    try:
        atomic_write_bytes(output, _frame_bytes(frame, fmt))
    except (OSError, ValueError, ImportError) as exc:
        raise _fail(f"cannot write {output}: {exc}") from None
    err_console.print(Text(f"wrote {len(frame)} row{'' if len(frame) == 1 else 's'} ({fmt}) to {output}"),
                      highlight=False)


def _query_format(fmt: Optional[str], output: Optional[Path]) -> str:
    if fmt is None:
        if output is None:
            return "table"
        fmt = _FORMAT_OF_SUFFIX.get(output.suffix.lower())
        if fmt is None:
            raise _fail(f"cannot tell the format from {output.name!r}: pass --format "
                        f"({' | '.join(QUERY_FORMATS)})")
    if fmt not in QUERY_FORMATS:
        raise _fail(f"--format must be table, csv, json or parquet, not {fmt!r}")
    if fmt == "parquet" and output is None:
        raise _fail("--format parquet writes a binary file: give it one with -o FILE.parquet")
    return fmt


def _frame_bytes(frame: Any, fmt: str) -> bytes:
    """A query result as a file's bytes: the stdout formats, or Parquet."""
    if fmt == "parquet":
        import io

        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt == "table":
        import io

        text = io.StringIO()
        # Wide enough that no cell is folded: a file has no terminal width.
        Console(file=text, width=10_000, no_color=True, highlight=False).print(_frame_table(frame))
        return "\n".join(line.rstrip() for line in text.getvalue().splitlines()).encode("utf-8") + b"\n"
    return _frame_text(frame, fmt).encode("utf-8")


def _frame_text(frame: Any, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    return frame.to_json(orient="records", date_format="iso", force_ascii=False) + "\n"


def _print_frame(frame: Any, fmt: str, title: str | None = None) -> None:
    """A DataFrame as CSV, JSON records, or a rich table whose cells are plain text (never markup)."""
    if fmt in ("csv", "json"):
        sys.stdout.write(_frame_text(frame, fmt))
    else:
        console.print(_frame_table(frame, title))


def _frame_table(frame: Any, title: str | None = None) -> Table:
    table = Table(show_lines=False, title=title)
    for col in frame.columns:
        table.add_column(Text(str(col)), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(Text(_cell(v)) for v in row))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # DuckDB sums come back as floats (HUGEINT): show whole numbers as whole numbers.
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return str(value)


@app.command()
def export(
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet | csv (list columns as JSON text)."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o", help="Folder to write (default: "
                                              "<data_dir>/export); replaced whole if it holds an earlier export."),
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
) -> None:
    """Write every table of the dataset to one folder, one file per table, with a manifest.json."""
    if fmt not in ("parquet", "csv"):
        raise _fail(f"--format must be parquet or csv, not {fmt!r}")
    cfg = _load(config, data_dir)
    from pipeline.api import open_dataset
    from pipeline.export import export_dataset

    dataset = _guard(open_dataset, cfg.data_dir)
    try:
        summary = _guard(export_dataset, dataset, output_dir or Path(cfg.data_dir) / "export", fmt)
    except OSError as exc:
        raise _fail(f"export failed, nothing written: {exc}", 1) from None
    finally:
        dataset.close()
    table = Table(title=Text(f"Exported to {summary.folder} ({fmt}, taxonomy {summary.taxonomy_version})"))
    table.add_column("table")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("columns", justify="right")
    for item in summary.tables:
        table.add_row(item.name, item.file, str(item.rows), str(len(item.columns)))
    console.print(table)
    typer.echo(str(summary.folder.resolve()))


@app.command()
def discover(
    weeks: Optional[int] = typer.Option(None, "--weeks", "-w", min=2, help="Only the newest N weeks."),
    top: int = typer.Option(20, min=1, max=500, help="Rows in each list."),
    min_postings: int = typer.Option(5, min=1, help="Ignore phrases used by fewer postings."),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json"),
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
) -> None:
    """Phrases ML postings ask for that match no taxonomy skill: most common, and rising."""
    from pipeline.dataset import read_table
    from pipeline.discover import discover_terms

    if fmt not in ("table", "json"):
        raise _fail(f"--format must be table or json, not {fmt!r}")
    cfg = _load(config, data_dir)
    taxonomy = _taxonomy(cfg)
    postings = _guard(read_table, cfg.data_dir, "postings")
    try:
        common, rising = (
            discover_terms(postings, taxonomy, weeks=weeks, min_postings=min_postings, top=top, sort=order)
            for order in ("share", "rise")
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        import json as _json

        payload = {name: _json.loads(result.terms.to_json(orient="records", force_ascii=False))
                   for name, result in (("common", common), ("rising", rising))}
        payload.update(ml_postings=common.ml_postings, weeks=[common.weeks[0], common.weeks[-1]])
        sys.stdout.write(_json.dumps(payload, ensure_ascii=False) + "\n")
        return
    span = f"{common.ml_postings} ML postings, {common.weeks[0]} to {common.weeks[-1]}"
    _print_frame(_discover_view(common.terms), "table", title=f"Most common untracked phrases ({span})")
    _print_frame(_discover_view(rising.terms), "table", title="Rising untracked phrases (second half vs first, p < 0.05)")


def _discover_view(terms: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({
        "term": terms["term"],
        "postings": terms["postings"],
        "share": (100 * terms["share"]).map("{:.1f}%".format),
        "first→second half": [f"{100 * a:.1f}% → {100 * b:.1f}%" for a, b in zip(terms["early_share"], terms["late_share"])],
        "p": terms["p_value"].map("{:.2g}".format),
        "example": terms["example"].str.slice(0, 90),
    })


# --- backfill: months a regular scrape no longer sees ------------------------------------------

backfill_app = typer.Typer(help="Fetch past months a regular scrape no longer sees (resumable).",
                           no_args_is_help=True)
app.add_typer(backfill_app, name="backfill")


class _BackfillProgress:
    """scraper.backfill's observer: threads done/total and comments parsed, as a rich bar on stderr."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("threads, {task.fields[comments]} comments parsed"), TimeElapsedColumn(),
                            console=err_console)
        self.task: Any = None
        self.stored = 0
        self.comments = 0

    def planned(self, found: list[Any], to_fetch: list[Any]) -> None:
        self.bar.console.print(f"{len(found)} hiring threads found, {len(found) - len(to_fetch)} already stored, "
                               f"{len(to_fetch)} to fetch", highlight=False)
        self.task = self.bar.add_task("backfill", total=len(to_fetch), comments=0)

    def thread_done(self, outcome: Any) -> None:
        self.stored += outcome.status != "failed"
        self.comments += outcome.postings + outcome.rejected
        self.bar.update(self.task, advance=1, comments=self.comments, description=outcome.thread.label)


@backfill_app.command("hn")
def backfill_hn_command(
    since: str = typer.Option(..., "--since", help="First month to fetch, YYYY-MM (2011-04 or later)."),
    source: Optional[str] = typer.Option(None, "--source", "-s",
                                         help="The hn source to store under (default: the config's first)."),
    config: Optional[Path] = ConfigOpt,
    data_dir: Optional[Path] = DataDirOpt,
) -> None:
    """Every monthly "Ask HN: Who is hiring?" thread since --since, oldest first, one raw file per thread.

    Threads already stored (by an earlier backfill or by the regular scrape) are skipped, so an interrupted
    backfill goes on where it stopped. Exits 1 if any thread failed (recorded in runs.jsonl).
    """
    from scraper.backfill import BackfillError, parse_since, pick_source, run_backfill
    from scraper.rawstore import RawStore

    cfg = _load(config, data_dir)
    progress = _BackfillProgress()
    try:
        month = parse_since(since)
        hn_source = pick_source(cfg.sources, source)
        with progress.bar:
            summary = asyncio.run(run_backfill(cfg.fetch, hn_source, month, RawStore(cfg.data_dir), progress))
    except BackfillError as exc:
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise _fail(f"interrupted after storing {progress.stored} threads; the same command goes on from there",
                    130) from None
    table = Table(title=f"Backfill {summary.source} since {month:%Y-%m}")
    for col in ("threads found", "fetched", "skipped (stored)", "postings written", "failed"):
        table.add_column(col, justify="right")
    table.add_row(str(len(summary.found)), str(summary.fetched), str(len(summary.skipped)), str(summary.postings),
                  Text(str(len(summary.failed)), style="red" if summary.failed else ""))
    console.print(table)
    for failure in summary.failed:
        console.print(Text(f"failed: {failure.thread.label} thread {failure.thread.id}: {failure.error}", style="red"))
    if summary.failed:
        raise typer.Exit(1)


# `jobtrends advise`: its options and rendering live with the ranking (pipeline/advise.py)
app.command("advise")(advise_command)


if __name__ == "__main__":
    app()
