"""`stance live`: the command-line face of `stance.live.run` (registered in `stance.cli.main`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stance.cli.common import (
    AgeOption,
    CsvOption,
    DropThresholdOption,
    EstimatorOption,
    JsonOption,
    LeanThresholdOption,
    ModelOption,
    ReportPaths,
    fail,
    make_settings,
    write_reports,
)
from stance.cli.history import DateOption, Keeper, PersonOption
from stance.core.errors import BadInputError, NoValidTestError, StanceError

if TYPE_CHECKING:
    from rich.console import Console

    from stance.live.run import LiveResult


def live(
    camera: Annotated[int, typer.Option("--camera", min=0, help="Camera index to open.")] = 0,
    source: Annotated[
        Path | None,
        typer.Option("--source", help="Play this video file at its real pace instead of a camera."),
    ] = None,
    hold: Annotated[
        float,
        typer.Option("--hold", min=1.0, help="Seconds to hold each foot up (the test: 30)."),
    ] = 30.0,
    reps: Annotated[int, typer.Option("--reps", min=1, help="Holds per side.")] = 1,
    headless: Annotated[
        Path | None,
        typer.Option(
            "--headless",
            help="Write what would be shown to this MP4 instead of opening a window.",
        ),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Save the session's camera video (unmirrored) to this MP4."),
    ] = None,
    mirrored: Annotated[
        bool,
        typer.Option("--mirrored", help="The source delivers mirror images: un-mirror them."),
    ] = False,
    no_mirror: Annotated[
        bool,
        typer.Option("--no-mirror", help="Show the image as the camera sees it, not as a mirror."),
    ] = False,
    width: Annotated[int, typer.Option("--width", min=160, help="Camera width asked for.")] = 640,
    height: Annotated[
        int, typer.Option("--height", min=120, help="Camera height asked for.")
    ] = 480,
    json_path: JsonOption = None,
    csv_path: CsvOption = None,
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="Write the HTML report (needs --source or --record)."),
    ] = None,
    annotated_path: Annotated[
        Path | None,
        typer.Option("--annotated", help="Write the annotated video (needs --source or --record)."),
    ] = None,
    model: ModelOption = None,
    estimator: EstimatorOption = None,
    age: AgeOption = None,
    drop_threshold: DropThresholdOption = None,
    lean_threshold: LeanThresholdOption = None,
    person: PersonOption = None,
    date: DateOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Less output.")] = False,
) -> None:
    """Guide a single-leg stance test live in front of a camera and name the weak side.

    The window shows the camera like a mirror with the skeleton, the pelvis line coloured by
    the hip drop, the drop in degrees, trunk lean, a weight-shift bar and the prompts.
    Keys: q/Esc quit, r restart, space pause, n accept a short hold and go on. At the end the
    whole session is analysed as `stance analyze` would. Exit codes as for analyze.
    """
    from rich.console import Console

    from stance.io.models import ensure_model
    from stance.live.protocol import ProtocolConfig
    from stance.live.run import LiveOptions, run_live

    console = Console()
    reports = ReportPaths(json=json_path, csv=csv_path, html=html_path, annotated=annotated_path)
    try:
        settings = make_settings(
            model=model,
            mirrored=mirrored,
            age=age,
            estimator=estimator,
            drop_threshold=drop_threshold,
            lean_threshold=lean_threshold,
        )
        reports.check(
            inputs=[source] if source is not None else [],
            videos=[("--headless", headless), ("--record", record)],
        )
        if reports.need_video and source is None and record is None:
            raise BadInputError(
                f"{' and '.join(reports.need_video)} re-read the session's video: add "
                "--record FILE.mp4 to keep it."
            )
        options = LiveOptions(
            camera=camera,
            source=source,
            source_mirrored=mirrored,
            mirror_display=not no_mirror,
            headless=headless,
            record=record,
            width=width,
            height=height,
            protocol=ProtocolConfig(hold_s=hold, reps=reps),
            settings=settings,
        )
        keep = Keeper.open(person, date, clip=record or source)
        result = run_live(options, ensure_model(model))
        _print_session(result, console, quiet=quiet)
        if result.analysis is None:
            message = "Nobody was seen: stand 2-3 m from the camera, whole body in view, facing it."
            keep.failure(settings, message)
            raise NoValidTestError(message)
        write_reports(
            result.analysis, reports, console, quiet=quiet, extra_json={"live": live_dict(result)}
        )
        keep.analysis(result.analysis, reports)
    except StanceError as err:
        raise fail(err) from None
    from stance.analysis.judge import Outcome

    if result.analysis.verdict.outcome is Outcome.CANNOT_TELL:
        raise typer.Exit(NoValidTestError.exit_code)


def live_dict(result: LiveResult) -> dict[str, Any]:
    """The live session's own facts for the JSON report (``"live"`` key)."""

    def num(x: float, nd: int = 2) -> float | None:
        return round(x, nd) if math.isfinite(x) else None

    s = result.stats
    return {
        "holds": [
            {
                "lifted": a.lifted.value,
                "start_s": num(a.start_s),
                "end_s": num(a.end_s),
                "hold_s": num(a.hold_s),
                "completed": a.completed,
            }
            for a in result.attempts
        ],
        "last_step": result.last_step.value,
        "stats": {
            "duration_s": num(s.duration_s),
            "frames_read": s.frames_read,
            "frames_shown": s.frames_shown,
            "frames_analysed": s.frames_analysed,
            "display_fps": num(s.display_fps, 1),
            "analysed_fps": num(s.pose_fps, 1),
            "latency_ms_median": num(s.latency_ms_median, 0),
            "latency_ms_p95": num(s.latency_ms_p95, 0),
        },
    }


def _print_session(result: LiveResult, console: Console, *, quiet: bool) -> None:
    for a in result.attempts:
        state = "held" if a.completed else "put down early"
        console.print(f"{a.lifted.caps} foot up {a.start_s:.1f}-{a.end_s:.1f} s: {state}")
    if not quiet:
        s = result.stats
        console.print(
            f"[dim]{s.frames_shown} frames shown ({s.display_fps:.1f} fps), "
            f"{s.frames_analysed} analysed ({s.pose_fps:.1f} fps), overlay latency median "
            f"{s.latency_ms_median:.0f} ms[/]"
        )
