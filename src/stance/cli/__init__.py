"""The command line: a thin typer layer over the typed calls.

Domain errors (`stance.core.errors.StanceError`) become one message and their exit code here.
``entry`` is the program (`stance` and ``python -m stance``): it installs ``signals`` (SIGTERM
and SIGHUP handled like Ctrl-C) and guards against a full disk no command caught. ``main``
holds `analyze`, `batch` and `models`; ``live`` and ``history`` their own commands;
``common`` the options and output writing they share.
"""
