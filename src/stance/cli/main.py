"""The `stance` command line: a thin typer layer over `stance.pipeline` and `stance.io.models`.

Domain errors become one clear line on stderr and a documented exit code (see
`stance.core.errors`); heavy libraries are imported only inside the commands, so
`stance --help` is instant.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stance.cli.common import (
    AgeOption,
    CsvOption,
    DropThresholdOption,
    EstimatorOption,
    JsonOption,
    LeanThresholdOption,
    MaxFpsOption,
    ModelOption,
    ReportPaths,
    fail,
    frames_progress,
    make_settings,
    stderr_console,
    write_reports,
)
from stance.cli.history import BatchKeeper, DateOption, Keeper, PersonOption, history
from stance.cli.live import live
from stance.core.errors import BadInputError, ModelError, NoValidTestError, StanceError

if TYPE_CHECKING:
    from stance.pipeline import Analysis, Settings

app = typer.Typer(
    help="Single-leg stance analyzer: watches the single-leg stance (Trendelenburg) test "
    "and tells which hip abductor (gluteus medius) looks weak.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="List, fetch and verify the pose models.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.command()(history)


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log what happens (native libraries' logs too)."),
    ] = False,
) -> None:
    """Single-leg stance analyzer."""
    from stance.vision.native import QUIET_ENV, block_usage_upload, silence_native_stderr

    # MediaPipe's usage report never leaves the machine (stance.vision.native); set before any
    # thread starts, inherited by batch workers.
    block_usage_upload()
    # Our own one-line errors say what is wrong; silence OpenCV's and FFmpeg's native chatter
    # (set before cv2 is imported, inherited by batch workers) and MediaPipe's log lines.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    if verbose:
        os.environ[QUIET_ENV] = "0"
    elif sys.stderr is sys.__stderr__:  # the real command line, not a test runner calling it
        os.environ[QUIET_ENV] = "1"
        if ctx.invoked_subcommand != "batch":  # batch workers silence themselves
            silence_native_stderr()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def analyze(
    path: Annotated[
        Path | None,
        typer.Argument(help="Video file to analyse. Default: the bundled sample clip."),
    ] = None,
    json_path: JsonOption = None,
    csv_path: CsvOption = None,
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="Write a self-contained HTML report to this file."),
    ] = None,
    annotated_path: Annotated[
        Path | None,
        typer.Option(
            "--annotated",
            help="Write the input video with the overlay (skeleton, pelvis line, drop, shift, "
            "phase) as an H.264 MP4 to this file.",
        ),
    ] = None,
    mirrored: Annotated[
        bool,
        typer.Option(
            "--mirrored", help="The recording is mirrored (selfie camera): un-mirror it first."
        ),
    ] = False,
    model: ModelOption = None,
    age: AgeOption = None,
    estimator: EstimatorOption = None,
    max_fps: MaxFpsOption = None,
    drop_threshold: DropThresholdOption = None,
    lean_threshold: LeanThresholdOption = None,
    person: PersonOption = None,
    date: DateOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Analyse a recorded single-leg stance test and name the weak side.

    Exit codes: 0 judged (weak side or none), 2 bad input, 3 no valid test found
    ("cannot tell"), 4 no pose model, 1 internal error.
    """
    from rich.console import Console

    console = Console()
    if path is None:
        from stance.io.resources import sample_clip

        path = sample_clip()
    reports = ReportPaths(json=json_path, csv=csv_path, html=html_path, annotated=annotated_path)
    try:
        settings = make_settings(
            model=model,
            mirrored=mirrored,
            age=age,
            estimator=estimator,
            max_fps=max_fps,
            drop_threshold=drop_threshold,
            lean_threshold=lean_threshold,
        )
        reports.check(inputs=[path])
        reports.check_space_for(path, settings)
        keep = Keeper.open(person, date, clip=path)
        try:
            analysis = _run_with_progress(path, settings, quiet=quiet)
        except NoValidTestError as err:
            keep.failure(settings, str(err))
            raise
        write_reports(analysis, reports, console, quiet=quiet)
        keep.analysis(analysis, reports)
    except StanceError as err:
        raise fail(err) from None
    from stance.analysis.judge import Outcome

    if analysis.verdict.outcome is Outcome.CANNOT_TELL:
        raise typer.Exit(NoValidTestError.exit_code)


def _run_with_progress(path: Path, settings: Settings, *, quiet: bool) -> Analysis:
    from stance.pipeline import analyze as run_analysis

    with frames_progress(f"Analysing {path.name}", quiet=quiet) as progress:
        return run_analysis(path, settings=settings, progress=progress)


@models_app.command("list")
def models_list() -> None:
    """Show the known models, where they are cached and whether they verify."""
    from rich.console import Console
    from rich.table import Table

    from stance.io.models import check_cache, load_manifest, status

    try:
        default, specs = load_manifest()
        directory = check_cache()
    except StanceError as err:
        raise fail(err) from None
    table = Table(title=f"Pose models (cache: {directory})", title_justify="left")
    for col in ("name", "kind", "state", "description"):
        table.add_column(col)
    for spec in specs.values():
        st = status(spec, directory)
        state = ("[green]" if st.verified else "[yellow]") + st.detail + "[/]"
        name = spec.name + (" (default)" if spec.name == default else "")
        table.add_row(name, spec.kind, state, spec.description)
    Console().print(table)


@models_app.command("fetch")
def models_fetch(
    name: Annotated[
        str | None, typer.Argument(help="Model name (default: the best one available).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Download/build again.")] = False,
) -> None:
    """Download (official) or build (offline) a pose model into the cache."""
    from rich.console import Console

    from stance.io.models import ensure_model, fetch, load_manifest

    try:
        if name is None and not force:
            path = ensure_model()
        else:
            default, specs = load_manifest()
            key = name or default
            if key not in specs:
                raise BadInputError(f"Unknown model {key!r}. Known: {', '.join(specs)}.")
            path = fetch(specs[key], force=force)
    except StanceError as err:
        raise fail(err) from None
    Console().print(f"Model ready: {path}")


@models_app.command("verify")
def models_verify(
    path: Annotated[
        Path | None, typer.Argument(help="A .task file to check (default: every cached model).")
    ] = None,
) -> None:
    """Check cached models against their checksums and that MediaPipe loads them (or that a
    .task file is a PoseLandmarker bundle MediaPipe loads)."""
    from rich.console import Console

    from stance.io.models import check_cache, check_task_file, load_manifest, status
    from stance.io.recording import file_sha256

    console = Console()
    try:
        if path is not None:
            check_task_file(path, load=True)
            console.print(f"{path}: a PoseLandmarker bundle, sha256 {file_sha256(path)}")
            return
        _, specs = load_manifest()
        directory = check_cache()
    except StanceError as err:
        raise fail(err) from None
    bad = 0
    present = 0
    for spec in specs.values():
        st = status(spec, directory, load=True)
        if not st.present:
            continue
        present += 1
        bad += not st.verified
        console.print(f"{spec.name}: {'ok' if st.verified else 'FAILED'} ({st.detail})")
    if present == 0:
        console.print("No model in the cache yet: run `stance models fetch`.")
    if bad:
        noun = "model fails" if bad == 1 else "models fail"
        damaged = ModelError(f"{bad} cached {noun} the check: run `stance models fetch --force`.")
        raise fail(damaged)


app.command()(live)


@app.command()
def batch(
    paths: Annotated[
        list[str], typer.Argument(help="Video files, directories (searched recursively), globs.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for the results and summary.")],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Parallel worker processes (default: one per CPU core)."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Skip clips already analysed with the same settings."),
    ] = False,
    max_fps: MaxFpsOption = None,
    estimator: EstimatorOption = None,
    mirrored: Annotated[
        bool,
        typer.Option("--mirrored", help="The recordings are mirrored (selfie camera)."),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Run on this Dask scheduler (e.g. tcp://host:8786) instead of local workers; "
            "needs the 'cluster' extra and the same paths on every worker.",
        ),
    ] = None,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Also an HTML report per clip (OUT/clips/*.html) and OUT/index.html, "
            "a summary page linking them.",
        ),
    ] = False,
    person: Annotated[
        str | None,
        typer.Option("--person", help="Keep every clip's test in this person's history."),
    ] = None,
    person_from_folder: Annotated[
        bool,
        typer.Option(
            "--person-from-folder",
            help="Keep each clip's test in the history of the person its folder is named after.",
        ),
    ] = False,
    person_map: Annotated[
        Path | None,
        typer.Option(
            "--person-map",
            help="A CSV with the columns file and person: keep each listed clip's test in "
            "that person's history.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Analyse many clips in parallel into OUT/clips/*.json plus OUT/summary.csv and .json.

    Exit codes: 0 every clip judged or "cannot tell", 2 any clip failed (or bad usage, or
    another batch is writing to OUT), 130 interrupted (the summary of what finished is
    written).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from stance.batch.runner import check_out, run_batch

    try:
        settings = make_settings(mirrored=mirrored, max_fps=max_fps, estimator=estimator)
        check_out(out)
        keeper = BatchKeeper.open(
            settings, person, from_folder=person_from_folder, mapping=person_map
        )
    except StanceError as err:
        raise fail(err) from None
    show = not quiet and sys.stderr.isatty()
    with Progress(
        TextColumn("Analysing clips"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
        transient=True,
        disable=not show,
        console=stderr_console(),
    ) as bar:
        task = bar.add_task("batch", total=None, failed=0)

        def progress(done: int, total: int, failed: int) -> None:
            bar.update(task, completed=done, total=total, failed=failed)

        try:
            result = run_batch(
                paths,
                out,
                settings=settings,
                workers=workers,
                resume=resume,
                cluster=cluster,
                progress=progress,
                html=html,
                on_result=keeper if keeper.store is not None else None,
            )
        except StanceError as err:
            raise fail(err) from None
        except KeyboardInterrupt:  # before any clip started: nothing to summarise
            raise typer.Exit(130) from None
    if result.unreadable:
        from stance.batch.runner import unreadable_words

        stderr_console().print(
            f"[bold yellow]Warning:[/] {unreadable_words(result.unreadable)}; the clips in "
            "them were not analysed (make them readable and run again with --resume).",
            highlight=False,
            soft_wrap=True,
        )
    c = result.counts
    state = "Interrupted" if result.interrupted else "Done"
    Console(stderr=True).print(
        f"{state}: {c['ok']} ok, {c['cannot_tell']} cannot tell, {c['error']} failed "
        f"({c['resumed']} resumed). Summary: {out / 'summary.csv'}"
        + (f", {out / 'index.html'}" if html else "")
        + (f". {keeper.kept} test(s) kept in the history." if keeper.store is not None else ""),
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(result.exit_code)
