"""The command line: a thin typer layer over the typed calls.

Domain errors (`stance.core.errors.StanceError`) become one message and their exit code here.
``main`` holds `analyze`, `batch` and `models`; ``live`` and ``history`` their own commands;
``common`` the options and output writing they share.
"""
