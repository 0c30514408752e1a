"""The `stance` program: the command line with its signal handlers and a last guard.

`main` installs the SIGTERM/SIGHUP handlers (`stance.cli.signals`) before anything else,
runs the typer app, reports an interruption by signal with its exit code, and turns a full
disk met anywhere a file is written, which no command caught as its domain error, into the
same one line and exit code (`stance.core.errors.NoSpaceError`, exit 5): never a traceback.
"""

from __future__ import annotations

from pathlib import Path


def main() -> None:
    """Run `stance` with the arguments of the command line."""
    from stance.cli import signals

    signals.install()
    from stance.cli.main import app

    try:
        app(prog_name="stance")
    except SystemExit as done:
        code = done.code
        number = code if isinstance(code, int) else (0 if code is None else 1)
        raise SystemExit(signals.exit_code(number)) from None
    except KeyboardInterrupt:  # before typer took over, or after it let go
        raise SystemExit(signals.exit_code(signals.INTERRUPTED)) from None
    except OSError as err:
        from stance.cli.common import fail
        from stance.core.atomic import NO_SPACE_ERRNOS, errno_in_chain, no_space_message
        from stance.core.errors import NoSpaceError

        if not errno_in_chain(err, NO_SPACE_ERRNOS):
            raise
        message = (
            no_space_message(Path(err.filename))
            if isinstance(err.filename, str)
            else "The disk is full: an output could not be written. Free some space or write "
            "somewhere else, then run it again."
        )
        raise SystemExit(fail(NoSpaceError(message)).exit_code) from None
