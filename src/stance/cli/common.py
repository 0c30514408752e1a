"""What the `stance` commands share: error output, settings from options, the report files.

Heavy libraries are imported inside the functions, so `stance --help` stays instant.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stance.core.errors import BadInputError, NoSpaceError, StanceError

if TYPE_CHECKING:
    from rich.console import Console

    from stance.core.atomic import SpaceNeed
    from stance.pipeline import Analysis, Settings


# Options shared by `analyze` and `live` (typer reads these annotations).
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="Write the full result as JSON to this file.")
]
CsvOption = Annotated[
    Path | None,
    typer.Option("--csv", help="Write the per-frame time series as CSV to this file."),
]
MaxFpsOption = Annotated[
    float | None,
    typer.Option(
        "--max-fps",
        min=0.0,
        help="Analyse at most this many frames per second (default 10, chosen by "
        "measurement; 0 = every frame).",
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="Pose model: a manifest name or a path to any .task file."),
]
EstimatorOption = Annotated[
    str | None,
    typer.Option(
        "--estimator",
        help="Pelvic-drop estimator: fused (default: waist texture and garment edge "
        "combined), pelvis_image, pelvis_edge or hip_line.",
    ),
]
AgeOption = Annotated[
    int | None,
    typer.Option("--age", min=5, max=110, help="Your age: compares hold time with norms."),
]
DropThresholdOption = Annotated[
    float | None,
    typer.Option("--drop-threshold", help="Hip drop (deg) that counts as positive."),
]
LeanThresholdOption = Annotated[
    float | None,
    typer.Option("--lean-threshold", help="Trunk lean (deg) that counts as compensation."),
]


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def fail(err: StanceError) -> typer.Exit:
    """Print ``err`` as one line on stderr; the `typer.Exit` to raise with its exit code."""
    stderr_console().print(f"[bold red]Error:[/] {err}", highlight=False, soft_wrap=True)
    return typer.Exit(err.exit_code)


OPTION_RANGES: dict[str, tuple[float, float]] = {
    "--max-fps": (0.0, 240.0),
    "--drop-threshold": (0.5, 20.0),
    "--lean-threshold": (1.0, 30.0),
}
"""Accepted values of the numeric options (inclusive); documented in the README."""


def check_range(option: str, value: float | None) -> None:
    """Refuse a numeric option that is not a finite number in ``OPTION_RANGES``.

    Raises:
        BadInputError: with the option, the value and the accepted range.
    """
    if value is None:
        return
    lo, hi = OPTION_RANGES[option]
    if not (math.isfinite(value) and lo <= value <= hi):
        raise BadInputError(f"{option} must be a number from {lo:g} to {hi:g} (got {value!r}).")


def make_settings(
    *,
    model: str | None = None,
    mirrored: bool = False,
    age: int | None = None,
    estimator: str | None = None,
    max_fps: float | None = None,
    drop_threshold: float | None = None,
    lean_threshold: float | None = None,
) -> Settings:
    """`Settings` from command-line options (None = the default). ``max_fps`` 0 = every frame.

    Raises:
        BadInputError: an unknown estimator, or a number that is not finite or out of its
            range (``OPTION_RANGES``).
    """
    from stance.analysis.pelvis import Estimator
    from stance.pipeline import ESTIMATORS, Settings

    for option, value in (
        ("--max-fps", max_fps),
        ("--drop-threshold", drop_threshold),
        ("--lean-threshold", lean_threshold),
    ):
        check_range(option, value)

    settings = Settings(model=model, mirrored=mirrored, age=age)
    if max_fps is not None:
        settings = replace(settings, max_fps=max_fps or None)
    if estimator is not None:
        if estimator not in ESTIMATORS:
            raise BadInputError(f"--estimator must be one of: {', '.join(ESTIMATORS)}.")
        settings = replace(settings, estimator=Estimator(estimator))
    given = {"drop_deg": drop_threshold, "lean_deg": lean_threshold}
    overrides = {k: v for k, v in given.items() if v is not None}
    if overrides:
        settings = replace(settings, thresholds=replace(settings.thresholds, **overrides))
    return settings


@dataclass(frozen=True)
class ReportPaths:
    """Where to write the reports of one analysis (None = not asked)."""

    json: Path | None = None
    csv: Path | None = None
    html: Path | None = None
    annotated: Path | None = None

    @property
    def need_video(self) -> list[str]:
        """The options whose output re-decodes the analysed video."""
        return [o for o, p in (("--html", self.html), ("--annotated", self.annotated)) if p]

    def check(
        self, *, inputs: Sequence[Path] = (), videos: Sequence[tuple[str, Path | None]] = ()
    ) -> None:
        """Refuse unusable targets before any work is done (see `check_targets`).

        ``videos``: further MP4 targets of the run (live's ``--record``, ``--headless``).
        """
        check_targets(
            [("--json", self.json), ("--csv", self.csv), ("--html", self.html)],
            [("--annotated", self.annotated), *videos],
            inputs=inputs,
        )

    def space_needs(
        self, *, frames: int, analysed: int, width: int, height: int
    ) -> list[SpaceNeed]:
        """The estimated size of each asked-for file (`stance.report.sizes`) for a video of
        ``frames`` frames of ``width`` x ``height`` pixels, ``analysed`` of them analysed."""
        from stance.core.atomic import SpaceNeed
        from stance.report import sizes

        estimates = (
            ("--json", self.json, sizes.json_bytes(analysed)),
            ("--csv", self.csv, sizes.csv_bytes(analysed)),
            ("--html", self.html, sizes.html_bytes()),
            ("--annotated", self.annotated, sizes.video_bytes(frames, width, height)),
        )
        return [SpaceNeed(o, p, size) for o, p, size in estimates if p is not None]

    def check_space_for(self, video: Path, settings: Settings) -> None:
        """Before the analysis: refuse when the asked-for files of ``video`` (probed here,
        its container's frame count and size) will not fit on their disks.

        Raises:
            NoSpaceError: one line naming the folder, the free and the needed space.
            BadInputError: the video cannot be read (as the analysis would say).
        """
        if not any((self.json, self.csv, self.html, self.annotated)):
            return
        from stance.io.source import probe_video

        info = probe_video(video)
        analysed = info.n_frames
        if settings.max_fps and info.fps_nominal > settings.max_fps:
            analysed = int(info.n_frames * settings.max_fps / info.fps_nominal) + 1
        check_space(
            self.space_needs(
                frames=info.n_frames, analysed=analysed, width=info.width, height=info.height
            )
        )


def check_space(needs: Sequence[SpaceNeed]) -> None:
    """Raise `NoSpaceError` when ``needs`` do not fit (`stance.core.atomic.space_problem`)."""
    from stance.core.atomic import space_problem

    problem = space_problem(needs)
    if problem is not None:
        raise NoSpaceError(problem)


def check_targets(
    files: Sequence[tuple[str, Path | None]],
    videos: Sequence[tuple[str, Path | None]] = (),
    *,
    inputs: Sequence[Path] = (),
) -> None:
    """Refuse, before any work, output targets that cannot be written or would destroy
    something: each must be writable (`stance.core.atomic.target_problem`; ``videos`` must also
    end in .mp4), none may be one of the ``inputs`` (also through a link) and no two may be
    the same file.

    Raises:
        BadInputError: the first problem, naming the option and what to do.
    """
    from stance.core.atomic import same_file, target_problem
    from stance.io.video_writer import mp4_target_problem

    given = [(flag, out, False) for flag, out in files if out is not None]
    given += [(flag, out, True) for flag, out in videos if out is not None]
    for flag, out, video in given:
        problem = mp4_target_problem(out, flag) if video else target_problem(out, flag)
        if problem is not None:
            raise BadInputError(problem)
        for source in inputs:
            if same_file(out, source):
                raise BadInputError(
                    f"{flag} {out} is the video being analysed: writing there would destroy "
                    "it. Give another file name."
                )
    for i, (flag, out, _) in enumerate(given):
        for other_flag, other, _ in given[:i]:
            if same_file(out, other):
                raise BadInputError(
                    f"{other_flag} and {flag} both write to {out}: give each its own file."
                )


def write_reports(
    analysis: Analysis,
    paths: ReportPaths,
    console: Console,
    *,
    quiet: bool,
    extra_json: dict[str, Any] | None = None,
) -> None:
    """Print the terminal report, then write every asked-for file (each atomically), once
    they are known to fit on their disks (`NoSpaceError` otherwise, before any is written).

    ``extra_json`` is merged into the JSON document (e.g. the live session's holds).
    """
    from stance.report.document import to_dict, write_json_atomic
    from stance.report.terminal import render

    render(analysis, console)
    video = analysis.video
    needs = paths.space_needs(
        frames=video.n_frames, analysed=len(analysis.raw), width=video.width, height=video.height
    )
    check_space(needs)  # before the first file, so that none is written when all cannot be
    if paths.json is not None:
        write_json_atomic({**to_dict(analysis), **(extra_json or {})}, paths.json)
        console.print(f"[dim]JSON written to {paths.json}[/]")
    if paths.csv is not None:
        from stance.report.series_csv import write_csv

        write_csv(analysis, paths.csv)
        console.print(f"[dim]CSV written to {paths.csv}[/]")
    if paths.html is not None:
        from stance.report.html_page import write_html

        write_html(analysis, paths.html)
        console.print(f"[dim]HTML report written to {paths.html}[/]")
    if paths.annotated is not None:
        from stance.report.annotate import write_annotated

        with frames_progress(f"Writing {paths.annotated.name}", quiet=quiet) as progress:
            write_annotated(analysis, paths.annotated, progress=progress)
        console.print(f"[dim]Annotated video written to {paths.annotated}[/]")


@contextmanager
def frames_progress(description: str, *, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (hidden with -q or off a terminal); yields the
    ``progress(done, total)`` callback that moves it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    show = not quiet and sys.stderr.isatty()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} frames"),
        TimeRemainingColumn(),
        transient=True,
        disable=not show,
        console=stderr_console(),
    ) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        yield progress
