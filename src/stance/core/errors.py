"""Domain exceptions. The CLI turns each into one clear line and an exit code.

Exit codes (documented in the README):
    0  success: a test was found and judged (the verdict may still be "none")
    1  internal error (a bug: please report it)
    2  bad input or usage (missing/unreadable/corrupt file, bad option)
    3  no valid test found: the clip does not show a judgeable single-leg stance test
       ("cannot tell", with the reason)
    4  pose model unavailable (cannot download or build it)
    5  an output cannot be written: not enough free space (checked before writing, or the
       disk filled up while writing); nothing half-written is left
"""

from __future__ import annotations


class StanceError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the message."""

    exit_code = 1


class BadInputError(StanceError):
    """The input file or an option is unusable (missing, not a video, corrupt...)."""

    exit_code = 2


class NoValidTestError(StanceError):
    """The clip does not show a judgeable single-leg stance test."""

    exit_code = 3


class ModelError(StanceError):
    """The pose model cannot be found, downloaded, built or verified."""

    exit_code = 4


class NoSpaceError(StanceError):
    """Not enough free space for an output (found before writing, or ENOSPC/EDQUOT while
    writing, or the video encoder's pipe broken on a full disk). Nothing half-written is
    left at the target."""

    exit_code = 5
